"""PROMOTE_MODEL: register the run's model (metrics, training dataset lineage) and make it default.

Idempotent: the version name is the graph run's id, and an existing version of that name is reused.
Returns ``{"model": "<DB>.<SCHEMA>.<MODEL>", "version": "...", "is_default": true, ...}``.
"""

import json

from mlpipeline import registry as model_registry
from mlpipeline.graph_context import PREPARE_DATA, PROMOTE_MODEL, TRAIN_MODEL, GraphContext


def main(session, *, registry=None, load_model=None):
    """Handler. ``registry`` and ``load_model`` are seams for tests; in Snowflake they default to
    snowflake.ml.registry and reading model.ubj from the artifact stage."""
    ctx = GraphContext(session, PROMOTE_MODEL)
    cfg = ctx.config()
    trained = ctx.predecessor_json(TRAIN_MODEL)
    prepared = ctx.predecessor_json(PREPARE_DATA)
    result = model_registry.promote(
        cfg,
        ctx.run_id(),
        trained,
        prepared,
        registry or model_registry.SnowflakeRegistry(session, cfg.registry_schema),
        load_model or (lambda path: model_registry.load_model_from_stage(session, path)),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
