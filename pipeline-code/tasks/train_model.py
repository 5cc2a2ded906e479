"""TRAIN_MODEL (warehouse side): run jobs/train.py as an ML Job on the compute pool and wait for it,
at most until shortly before the task's own timeout (the job is cancelled then).

The program passes the staged payload as procedure arguments (docs/design.md):
``main(session, payload_location, payload_entrypoint, target_instances)``. The task bounds the wait
by when Snowflake would stop it: the lowest non-zero of its own USER_TASK_TIMEOUT_MS (SHOW PARAMETERS
... IN TASK) and the session's and warehouse's STATEMENT_TIMEOUT_IN_SECONDS.
Reads the dataset from the nearest ancestor whose return value has ``dataset`` (PREPARE_DATA's).
Returns ``{"job_id", "job_status", "model_path", "metrics": {"train_accuracy", "test_accuracy", ...}, ...}``.
"""

import json

from mlpipeline import artifacts, ml_jobs, modeling
from mlpipeline.graph_context import GraphContext


def main(session, payload_location, payload_entrypoint, target_instances, *, task_timeout_ms=None, jobs=None):
    """Handler. ``jobs`` is a seam for tests; in Snowflake it is snowflake.ml.jobs. ``task_timeout_ms``
    overrides the timeout read from the task (for the standalone run, and until the program passes
    it as a procedure argument)."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    prepared = ctx.ancestor_json("dataset")
    if task_timeout_ms is None:
        # Snowflake stops the procedure at the lowest non-zero of the two timeouts.
        task_timeout_ms = ml_jobs.effective_timeout_ms(
            ml_jobs.read_task_timeout_ms(session, ml_jobs.task_fqn(cfg, ctx.task_name())),
            ml_jobs.read_statement_timeouts_s(session, cfg.warehouse),
        )
    result = ml_jobs.run_training_job(
        cfg,
        ctx.run_id(),
        prepared,
        payload_location,
        payload_entrypoint,
        target_instances,
        jobs or ml_jobs.SnowflakeJobs(session),
        task_timeout_ms=task_timeout_ms,
        runtime_environment=cfg.ml_job_runtime,
        verify_model=lambda path: modeling.model_from_bytes(artifacts.read_bytes(session, path)),
        write_file=lambda path, data: artifacts.write_bytes(session, path, data),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
