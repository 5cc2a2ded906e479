"""PROMOTE_MODEL: register the run's model (metrics, training dataset lineage) and make it default.

Idempotent: the version name is the graph run's id, and an existing version of that name is reused.
Reads the model from the nearest ancestor whose return value has ``model_path`` (TRAIN_MODEL's) and
the training data from the nearest one with ``dataset`` (PREPARE_DATA's): its direct predecessor is
the quality check, so it finds them by what it needs, not by their names.
Returns ``{"model": "<DB>.<SCHEMA>.<MODEL>", "version": "...", "is_default": true, ...}``.
"""

import datetime as dt
import json

from mlpipeline import features, modeling, monitoring
from mlpipeline import registry as model_registry
from mlpipeline.graph_context import GraphContext

# This task registers the model (the standalone run's --no-register skips it).
REGISTERS_MODEL = True


def main(session, *, registry=None, load_model=None, test_split=None, now=None):
    """Handler. ``registry`` and ``load_model`` are seams for tests; in Snowflake they default to
    snowflake.ml.registry and reading model.ubj from the artifact stage; ``test_split`` loads the
    TEST split the monitor's baseline is scored on (default: the training dataset version)."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    trained = ctx.ancestor_json("model_path")
    prepared = ctx.ancestor_json("dataset")
    registry = registry or model_registry.SnowflakeRegistry(session, cfg.registry_schema)
    result = model_registry.promote(
        cfg,
        ctx.run_id(),
        trained,
        prepared,
        registry,
        load_model or (lambda path: model_registry.load_model_from_stage(session, path)),
    )
    if cfg.monitor is not None:
        # The monitor follows the promoted version, with the TEST split's predictions as its baseline.
        test = (test_split or (lambda: monitoring.load_test_split(session, prepared)))()
        baseline = monitoring.baseline_frame(
            registry.predict_proba(cfg.model_name, result["version"], test), features.LABEL_COLUMN, monitoring.PROBABILITY_OUTPUT,
            modeling.DECISION_THRESHOLD, now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        )
        result["monitor"] = monitoring.promote_monitor(
            session, registry_schema=cfg.registry_schema, pipeline=cfg.pipeline_name, model_fqn=cfg.model_fqn, version=result["version"],
            warehouse=cfg.warehouse, source_table=cfg.source_table, label_column=features.LABEL_COLUMN, settings=cfg.monitor, baseline=baseline,
        )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
