"""CLEANUP (finalizer; runs after success and after failure): remove the run's artefacts if the graph
run succeeded (kept after a failed or cancelled run, or when its outcome cannot be told, for
EXECUTE TASK ... RETRY LAST), and the run artefacts, model versions, ML Jobs and dataset versions
older than the retention window (graph config retention_days) that are neither the default model
version nor used by a model version or a run folder that is kept; cancels this run's own ML Jobs
that still run. A missing object is logged, never a failure; when lineage or a listing cannot be
read, every dataset version is kept (mlpipeline/cleanup.py).

Returns ``{"removed": {"run_artifacts": {...}, "model_versions": {...}, "dataset_versions": {...},
"feature_state_tables": {...}, "ml_jobs": {...}, "cancelled_ml_jobs": {...}}, "current_run": {"run_id", "outcome", "artefacts": "removed" | "kept", "detail",
["tasks"]}, ...}``.
"""

import datetime as dt
import json

from mlpipeline import cleanup
from mlpipeline import datasets
from mlpipeline import ml_jobs
from mlpipeline import registry as model_registry
from mlpipeline import run_outcome
from mlpipeline.graph_context import GraphContext


def main(session, *, registry=None, store=None, jobs=None, now=None):
    """Handler. ``registry``, ``store`` (dataset versions), ``jobs`` (ML Jobs) and ``now`` are seams
    for tests; the run's outcome is read from the session (TASK_HISTORY), which tests fake."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    run_id = ctx.run_id()
    now = now or dt.datetime.now(dt.timezone.utc)
    outcome = run_outcome.graph_run_outcome(session, cfg.database, run_outcome.read_run_identity(session), ctx.task_name(), now)
    result = cleanup.run_cleanup(
        session,
        cfg,
        run_id,
        outcome,
        # Built inside the clean-up's guard: Registry() raises when the registry schema is missing.
        (lambda: registry) if registry is not None else (lambda: model_registry.SnowflakeRegistry(session, cfg.registry_schema)),
        store or datasets.SnowflakeDatasets(session),
        now,
        jobs if jobs is not None else ml_jobs.SnowflakeJobs(session),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
