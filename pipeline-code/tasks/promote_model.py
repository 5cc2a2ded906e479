"""PROMOTE_MODEL: register the run's model (metrics, training dataset lineage) and make it default.

Idempotent: the version name is the graph run's id, and an existing version of that name is reused.
Reads the model from the nearest ancestor whose return value has ``model_path`` (TRAIN_MODEL's) and
the training data from the nearest one with ``dataset`` (PREPARE_DATA's): its direct predecessor is
the quality check, so it finds them by what it needs, not by their names.
Returns ``{"model": "<DB>.<SCHEMA>.<MODEL>", "version": "...", "is_default": true, ...}``.
"""

import json

from mlpipeline import registry as model_registry
from mlpipeline.graph_context import GraphContext

# This task registers the model (the standalone run's --no-register skips it).
REGISTERS_MODEL = True


def main(session, *, registry=None, load_model=None):
    """Handler. ``registry`` and ``load_model`` are seams for tests; in Snowflake they default to
    snowflake.ml.registry and reading model.ubj from the artifact stage."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    trained = ctx.ancestor_json("model_path")
    prepared = ctx.ancestor_json("dataset")
    result = model_registry.promote(
        cfg,
        ctx.run_id(),
        trained,
        prepared,
        registry or model_registry.SnowflakeRegistry(session, cfg.registry_schema),
        load_model or (lambda path: model_registry.load_model_from_stage(session, path)),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
