"""TRAIN_MODEL (warehouse side): run jobs/train.py as an ML Job on the compute pool and wait for it.

The program passes the staged payload as procedure arguments (docs/design.md):
``main(session, payload_location, payload_entrypoint, target_instances)``.
Reads the dataset from the nearest ancestor whose return value has ``dataset`` (PREPARE_DATA's).
Returns ``{"job_id", "model_path", "metrics": {"train_accuracy", "test_accuracy", ...}, ...}``.
"""

import json

from mlpipeline import ml_jobs
from mlpipeline.graph_context import GraphContext


def main(session, payload_location, payload_entrypoint, target_instances, *, jobs=None):
    """Handler. ``jobs`` is a seam for tests; in Snowflake it is snowflake.ml.jobs."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    prepared = ctx.ancestor_json("dataset")
    result = ml_jobs.run_training_job(
        cfg,
        ctx.run_id(),
        prepared,
        payload_location,
        payload_entrypoint,
        target_instances,
        jobs or ml_jobs.SnowflakeJobs(session),
    )
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
