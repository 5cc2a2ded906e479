"""Running the training payload as an ML Job on the compute pool, from the TRAIN_MODEL task.

The warehouse side (this module, in the task's procedure) submits the payload the program staged
(``snowflake.ml.jobs.submit_from_stage``), waits, fails the task when the job fails (job id and the
tail of its log in the error) and returns the job's result. The task's return value is set by the
task's own session (the procedure its body calls), as snowflake.core's TaskContext does, not from
inside the job's container, where SYSTEM$SET_RETURN_VALUE is not documented to reach the task:
https://docs.snowflake.com/en/sql-reference/functions/system_set_return_value
"""

from typing import Any, Dict, List, Sequence

from mlpipeline import artifacts
from mlpipeline.config import PipelineConfig

LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000


class TrainingJobFailed(RuntimeError):
    pass


class SnowflakeJobs:
    """snowflake.ml.jobs behind the one call TRAIN_MODEL needs."""

    def __init__(self, session: Any):
        self.session = session

    def submit(self, *, source: str, entrypoint: str, compute_pool: str, stage_name: str, target_instances: int,
               args: Sequence[str], database: str, schema: str, query_warehouse: str) -> Any:
        from snowflake.ml.jobs import submit_from_stage

        return submit_from_stage(
            source,
            compute_pool,
            entrypoint=entrypoint,
            stage_name=stage_name,
            args=list(args),
            target_instances=target_instances,
            session=self.session,
            database=database,
            schema=schema,
            query_warehouse=query_warehouse,
        )


def payload_args(prepared: Dict[str, Any], model_path: str, instances: int) -> List[str]:
    """Command-line arguments of jobs/train.py (plain tokens: no quoting issues in the job spec)."""
    try:
        dataset = prepared["dataset"]
        label_cols = prepared["label_cols"]
        feature_cols = prepared["feature_cols"]
        args = [
            "--dataset", dataset["name"],
            "--train-version", dataset["train"],
            "--test-version", dataset["test"],
            "--label-col", label_cols[0],
            "--feature-cols", ",".join(feature_cols),
            "--model-path", model_path,
            "--instances", str(instances),
        ]
    except (KeyError, IndexError, TypeError) as error:
        raise ValueError(f"the return value with the dataset lacks a dataset descriptor field: {error}") from error
    if any(not isinstance(a, str) or not a or any(ch.isspace() for ch in a) for a in args):
        raise ValueError(f"payload arguments must be non-empty tokens without spaces: {args}")
    return args


def log_tail(job: Any) -> str:
    try:
        text = job.get_logs()
    except Exception as error:  # logs are best effort: the error must still name the job
        return f"(logs unavailable: {error})"
    lines = str(text or "").splitlines()[-LOG_TAIL_LINES:]
    tail = "\n".join(lines)
    return tail[-LOG_TAIL_CHARS:] if tail else "(empty log)"


def run_training_job(cfg: PipelineConfig, run_id: str, prepared: Dict[str, Any], payload_location: str,
                     payload_entrypoint: str, target_instances: Any, jobs: Any) -> Dict[str, Any]:
    """Submit, wait, check; returns TRAIN_MODEL's return value (docs/design.md)."""
    if not str(payload_location).startswith("@"):
        raise ValueError(f"payload_location must be a stage path starting with '@', got {payload_location!r}")
    instances = int(target_instances)
    if instances < 1:
        raise ValueError(f"target_instances must be >= 1, got {target_instances!r}")
    model_path = artifacts.model_path(cfg, run_id)
    job = jobs.submit(
        source=payload_location,
        entrypoint=payload_entrypoint,
        compute_pool=cfg.compute_pool,
        stage_name="@" + cfg.job_stage,
        target_instances=instances,
        args=payload_args(prepared, model_path, instances),
        database=cfg.database,
        schema=cfg.schema,
        query_warehouse=cfg.warehouse,
    )
    print(f"submitted ML Job {job.id} on {cfg.compute_pool} ({instances} instance(s))")
    status = job.wait()
    if status != "DONE":
        raise TrainingJobFailed(f"ML Job {job.id} ended with status {status}. Last log lines:\n{log_tail(job)}")
    try:
        result = job.result()
    except Exception as error:
        raise TrainingJobFailed(f"ML Job {job.id} has no usable result ({error}). Last log lines:\n{log_tail(job)}") from error
    return training_return_value(job.id, result)


def training_return_value(job_id: str, result: Any) -> Dict[str, Any]:
    if not isinstance(result, dict) or not isinstance(result.get("metrics"), dict) or not result.get("model_path"):
        raise TrainingJobFailed(f"ML Job {job_id} returned {type(result).__name__} without 'metrics' and 'model_path'")
    value: Dict[str, Any] = {"job_id": job_id, "model_path": result["model_path"], "metrics": result["metrics"]}
    for key in ("distributed", "instances", "rounds", "params", "train_rows", "test_rows"):
        if key in result:
            value[key] = result[key]
    return value
