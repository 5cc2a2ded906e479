"""CLEANUP (finalizer; runs after success and after failure): remove the run's artefacts and the
model and dataset versions older than the retention window (graph config retention_days) that are
neither the default model version nor used by it. A missing object is logged, never a failure.

Returns ``{"removed": {"run_artifacts": {...}, "model_versions": {...}, "dataset_versions": {...}}, ...}``.
"""

import datetime as dt
import json

from mlpipeline import cleanup
from mlpipeline import datasets
from mlpipeline import registry as model_registry
from mlpipeline.graph_context import CLEANUP, GraphContext


def main(session, *, registry=None, store=None, now=None):
    """Handler. ``registry``, ``store`` (dataset versions) and ``now`` are seams for tests."""
    ctx = GraphContext(session, CLEANUP)
    cfg = ctx.config()
    result = cleanup.run_cleanup(
        session,
        cfg,
        ctx.run_id(),
        registry or model_registry.SnowflakeRegistry(session, cfg.registry_schema),
        store or datasets.SnowflakeDatasets(session),
        now or dt.datetime.now(dt.timezone.utc),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
