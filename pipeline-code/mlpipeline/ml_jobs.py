"""Running the training payload as an ML Job on the compute pool, from the TRAIN_MODEL task.

The warehouse side (this module, in the task's procedure) submits the payload the program staged
(``snowflake.ml.jobs.submit_from_stage``), waits at most until shortly before the task's own
timeout, fails the task when the job fails (job id and the tail of its log in the error) and
returns the job's result. The task's return value is set by the task's own session (the procedure its
body calls), as snowflake.core's TaskContext does, not from inside the job's container, where
SYSTEM$SET_RETURN_VALUE is not documented to reach the task:
https://docs.snowflake.com/en/sql-reference/functions/system_set_return_value

Bounded and cancelled: ``MLJob.wait(timeout=...)`` raises ``TimeoutError`` when the job runs over
its budget (the task's timeout less ``TIMEOUT_MARGIN_SECONDS``); the job is then cancelled
(``MLJob.cancel()``), and so it is when anything else fails while the job may still run. A job left
running after its task gave up would keep billing the pool and, after ``EXECUTE TASK ... RETRY
LAST``, race the retry's job.

Retry-safe: every submission writes its model to its own folder,
``runs/<run_id>/attempts/<token>/model.ubj``, and TRAIN_MODEL returns that path, so PROMOTE_MODEL
registers the file whose metrics were reported even if an earlier attempt's job is still writing.

Pools: ``min_instances`` is 1 (MIN_INSTANCES). The job starts as soon as one node is up and the
distributed estimator uses the nodes that have joined, so a cold pool that cannot bring up every
node within the launcher's wait makes training slower instead of failing the run; snowflake-ml's
default (min_instances = target_instances) fails the job in that case.
"""

import json
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Set

from mlpipeline import artifacts
from mlpipeline.config import PipelineConfig, sql_string

LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000

# The job needs one node to start (see the module docstring).
MIN_INSTANCES = 1
# Snowflake's default USER_TASK_TIMEOUT_MS (1 hour), used when the task's own timeout is unknown:
# https://docs.snowflake.com/en/sql-reference/parameters#user-task-timeout-ms
DEFAULT_TASK_TIMEOUT_MS = 3_600_000
# Time kept back from the task's timeout for cancelling the job, reading its logs and setting the
# return value; Snowflake kills the procedure at the timeout, so nothing runs after it.
TIMEOUT_MARGIN_SECONDS = 120
# Job states after which nothing runs any more (snowflake.ml.jobs JOB_STATUS, 1.48.0).
TERMINAL_STATES = ("DONE", "FAILED", "CANCELLED", "INTERNAL_ERROR", "DELETED")


class TrainingJobFailed(RuntimeError):
    pass


class SnowflakeJobs:
    """snowflake.ml.jobs behind the calls TRAIN_MODEL and CLEANUP need."""

    def __init__(self, session: Any):
        self.session = session

    def submit(self, *, source: str, entrypoint: str, compute_pool: str, stage_name: str, target_instances: int,
               min_instances: int, args: Sequence[str], database: str, schema: str, query_warehouse: str,
               name: str, runtime_environment: Optional[str] = None) -> Any:
        from snowflake.ml.jobs import submit_from_stage

        options: Dict[str, Any] = {}
        if runtime_environment:
            options["runtime_environment"] = runtime_environment
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
            min_instances=min_instances,
            name=name,
            **options,
        )

    def list(self, database: str, schema: str, name_prefix: str) -> List[Dict[str, Any]]:
        """The schema's ML Jobs whose name starts with ``name_prefix`` as ``{"id", "name", "status",
        "created_time"}``, from ``SHOW JOB SERVICES LIKE '<prefix>%' IN SCHEMA <db>.<schema>``
        (https://docs.snowflake.com/en/sql-reference/sql/show-services; columns name, status,
        database_name, schema_name, created_on). Not snowflake.ml.jobs.list_jobs: with job history
        unavailable it falls back to ``SHOW JOB SERVICES LIKE 'MLJOB_%'`` (manager.py, 1.48.0), which
        never matches the names TRAIN_MODEL gives its jobs, so nothing would ever be cleaned up.
        A job service exists until it is dropped, so the jobs CLEANUP may delete are all listed."""
        rows = self.session.sql(job_services_sql(database, schema, name_prefix)).collect()
        jobs = []
        for row in rows:
            fields = row.as_dict() if hasattr(row, "as_dict") else dict(row)
            name = str(fields["name"])
            jobs.append({
                "id": f"{fields['database_name']}.{fields['schema_name']}.{name}",
                "name": name,
                "status": str(fields["status"]),
                "created_time": fields["created_on"],
            })
        return jobs

    def cancel(self, job_id: str) -> None:
        """Stop a running job (MLJob.cancel: ``CALL <job>!spcs_cancel_job()``)."""
        from snowflake.ml.jobs import get_job

        get_job(job_id, session=self.session).cancel()

    def delete(self, job_id: str) -> None:
        """Drop the job service and its payload copy on the job stage."""
        from snowflake.ml.jobs import delete_job

        delete_job(job_id, session=self.session)


def job_services_sql(database: str, schema: str, name_prefix: str) -> str:
    """SHOW JOB SERVICES of the schema whose names start with ``name_prefix`` (LIKE: ``_`` matches any
    character, so callers filter by the prefix again)."""
    return f"SHOW JOB SERVICES LIKE {sql_string(name_prefix + '%')} IN SCHEMA {database}.{schema}"


def job_name(cfg: PipelineConfig) -> str:
    """The prefix of the names TRAIN_MODEL gives its ML Jobs; CLEANUP finds the pipeline's jobs by it.
    Each submission adds its attempt token: snowflake-ml copies the payload to ``<job stage>/<name>/``
    and delete_job removes that folder, so a shared name would let one job's deletion remove the
    payload of another."""
    return f"{cfg.pipeline_name}_TRAINING"


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


def wait_budget_seconds(task_timeout_ms: Any, elapsed_seconds: float = 0.0) -> float:
    """Seconds TRAIN_MODEL may wait for its job: the task's timeout less the margin and the time the
    task has already spent. At least 1 s, so a tiny timeout still submits, waits briefly and cancels."""
    try:
        timeout_ms = int(task_timeout_ms)
    except (TypeError, ValueError):
        raise ValueError(f"the task timeout must be whole milliseconds, got {task_timeout_ms!r}") from None
    if timeout_ms < 1:
        raise ValueError(f"the task timeout must be >= 1 ms, got {task_timeout_ms!r}")
    return max(1.0, timeout_ms / 1000.0 - TIMEOUT_MARGIN_SECONDS - elapsed_seconds)


def _cancel(job: Any, why: str) -> str:
    """Cancel ``job``; returns what happened, for the error message (never raises)."""
    try:
        job.cancel()
        print(f"cancelled ML Job {job.id}: {why}")
        return "cancelled"
    except Exception as error:  # the original failure matters more than a failed cancel
        print(f"could not cancel ML Job {job.id} ({why}): {error}")
        return f"cancel failed: {error}"


def new_attempt_token() -> str:
    return uuid.uuid4().hex[:12]


def run_training_job(cfg: PipelineConfig, run_id: str, prepared: Dict[str, Any], payload_location: str,
                     payload_entrypoint: str, target_instances: Any, jobs: Any, *, task_timeout_ms: Any = DEFAULT_TASK_TIMEOUT_MS,
                     runtime_environment: Optional[str] = None,
                     new_token: Callable[[], str] = new_attempt_token, clock: Callable[[], float] = time.monotonic,
                     verify_model: Optional[Callable[[str], Any]] = None,
                     write_file: Optional[Callable[[str, bytes], None]] = None) -> Dict[str, Any]:
    """Submit, wait (bounded), check; returns TRAIN_MODEL's return value (docs/design.md).

    ``write_file(path, data)`` (the artifact stage) records the submission in the run's folder
    (artifacts.submitted_marker_path) before the wait, so CLEANUP can cancel the job if this
    procedure is stopped from outside (a timeout, a cancelled graph run) while the job runs."""
    started = clock()
    if not str(payload_location).startswith("@"):
        raise ValueError(f"payload_location must be a stage path starting with '@', got {payload_location!r}")
    instances = int(target_instances)
    if instances < 1:
        raise ValueError(f"target_instances must be >= 1, got {target_instances!r}")
    wait_budget_seconds(task_timeout_ms)  # a bad timeout fails before anything is submitted
    token = new_token()
    model_path = artifacts.attempt_model_path(cfg, run_id, token)
    args = payload_args(prepared, model_path, instances)
    job = jobs.submit(
        source=payload_location,
        entrypoint=payload_entrypoint,
        compute_pool=cfg.compute_pool,
        stage_name="@" + cfg.job_stage,
        target_instances=instances,
        min_instances=min(MIN_INSTANCES, instances),
        args=args,
        database=cfg.database,
        schema=cfg.schema,
        query_warehouse=cfg.warehouse,
        name=f"{job_name(cfg)}_{token}",
        runtime_environment=runtime_environment,
    )
    budget = wait_budget_seconds(task_timeout_ms, clock() - started)
    print(f"submitted ML Job {job.id} on {cfg.compute_pool} ({instances} instance(s), at least {min(MIN_INSTANCES, instances)}); waiting at most {budget:.0f} s")
    try:
        if write_file is not None:
            write_file(artifacts.submitted_marker_path(cfg, run_id, token),
                       json.dumps({"job_id": str(job.id), "job_name": f"{job_name(cfg)}_{token}"}).encode("utf-8"))
        status = job.wait(timeout=budget)
    except TimeoutError as error:
        outcome = _cancel(job, f"still running after {budget:.0f} s")
        raise TrainingJobFailed(
            f"ML Job {job.id} did not finish within {budget:.0f} s (the task's timeout of {int(task_timeout_ms)} ms less "
            f"{TIMEOUT_MARGIN_SECONDS} s); {outcome}. Last log lines:\n{log_tail(job)}"
        ) from error
    except BaseException as error:  # the procedure is failing while the job may still run
        _cancel(job, f"the task failed while waiting: {error!r}")
        raise
    if status != "DONE":
        raise TrainingJobFailed(f"ML Job {job.id} ended with status {status}. Last log lines:\n{log_tail(job)}")
    try:
        result = job.result()
    except Exception as error:
        raise TrainingJobFailed(f"ML Job {job.id} has no usable result ({error}). Last log lines:\n{log_tail(job)}") from error
    value = training_return_value(job.id, result, status=status)
    if verify_model is not None:
        check_model_loads(job.id, value["model_path"], verify_model)
    return value


def check_model_loads(job_id: str, model_path: str, load: Callable[[str], Any]) -> None:
    """The model the job wrote must load in this procedure's xgboost, the warehouse's (pinned in
    pipeline.yaml packages), which PROMOTE_MODEL and the registry use. XGBoost guarantees only that
    newer releases read older models, so a job runtime with a newer xgboost fails here, before the
    quality gate, instead of in PROMOTE_MODEL."""
    try:
        load(model_path)
    except Exception as error:
        try:
            import xgboost

            version = xgboost.__version__
        except ImportError:  # pragma: no cover - the procedure always has xgboost
            version = "unknown"
        raise TrainingJobFailed(
            f"the model ML Job {job_id} wrote ({model_path}) does not load in this warehouse's xgboost {version}: {(str(error).splitlines() or [''])[0]}. "
            "Choose an ML Job runtime (graph config ml_job_runtime) whose xgboost is not newer than the pinned one."
        ) from error


def training_return_value(job_id: str, result: Any, status: str = "DONE") -> Dict[str, Any]:
    if not isinstance(result, dict) or not isinstance(result.get("metrics"), dict) or not result.get("model_path"):
        raise TrainingJobFailed(f"ML Job {job_id} returned {type(result).__name__} without 'metrics' and 'model_path'")
    value: Dict[str, Any] = {"job_id": job_id, "job_status": status, "model_path": result["model_path"], "metrics": result["metrics"]}
    for key in ("distributed", "instances", "rounds", "params", "train_rows", "test_rows", "xgboost_version"):
        if key in result:
            value[key] = result[key]
    return value


def select_expired_jobs(listed: Sequence[Dict[str, Any]], name_prefix: str, cutoff: Any, is_expired: Callable[[Any, Any], bool]) -> List[str]:
    """Ids of this pipeline's jobs (name starts with ``name_prefix``, case-insensitive) that ended and
    were created before the cutoff. A job still running is never deleted."""
    prefix = name_prefix.upper()
    return sorted(
        str(job["id"]) for job in listed
        if str(job["name"]).upper().startswith(prefix)
        and str(job["status"]).upper() in TERMINAL_STATES
        and is_expired(job["created_time"], cutoff)
    )


def select_running_jobs(listed: Sequence[Dict[str, Any]], names: Set[str]) -> List[str]:
    """Ids of the listed jobs named one of ``names`` (upper case) that have not ended."""
    return sorted(
        str(job["id"]) for job in listed
        if str(job["name"]).upper() in names and str(job["status"]).upper() not in TERMINAL_STATES
    )


def task_fqn(cfg: PipelineConfig, task_name: str) -> str:
    """``<db>.<schema>."<task>"``: child task names hold a ``$`` and keep their stored case quoted."""
    return f'{cfg.database}.{cfg.schema}."' + task_name.replace('"', '""') + '"'


def task_timeout_sql(task_fqn: str) -> str:
    """USER_TASK_TIMEOUT_MS of a task, as SHOW PARAMETERS ... IN TASK lists it (columns key, value,
    default, level, description, type): https://docs.snowflake.com/en/sql-reference/sql/show-parameters"""
    return f"SHOW PARAMETERS LIKE 'USER_TASK_TIMEOUT_MS' IN TASK {task_fqn}"


def effective_timeout_ms(user_task_timeout_ms: int, statement_timeouts_s: Sequence[int]) -> int:
    """When Snowflake stops the task's procedure: the lowest non-zero of its USER_TASK_TIMEOUT_MS and
    the STATEMENT_TIMEOUT_IN_SECONDS that apply (session and warehouse; 0 means no limit), in ms:
    https://docs.snowflake.com/en/sql-reference/parameters#statement-timeout-in-seconds and
    https://docs.snowflake.com/en/sql-reference/parameters#user-task-timeout-ms"""
    limits = [int(user_task_timeout_ms)] + [int(seconds) * 1000 for seconds in statement_timeouts_s]
    positive = [limit for limit in limits if limit > 0]
    return min(positive) if positive else DEFAULT_TASK_TIMEOUT_MS


def statement_timeout_sql(scope: str) -> str:
    """STATEMENT_TIMEOUT_IN_SECONDS of ``scope`` (``SESSION`` or ``WAREHOUSE <name>``)."""
    return f"SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN {scope}"


def read_statement_timeouts_s(session: Any, warehouse: str) -> List[int]:
    """The session's and the warehouse's STATEMENT_TIMEOUT_IN_SECONDS; one that cannot be read is
    left out (logged), so the task's own timeout still bounds the wait."""
    found = []
    for scope in ("SESSION", f"WAREHOUSE {warehouse}"):
        try:
            rows = session.sql(statement_timeout_sql(scope)).collect()
            if rows:
                found.append(int(str(rows[0][1])))
        except Exception as error:  # privileges or an unexpected shape: the task timeout still applies
            print(f"could not read STATEMENT_TIMEOUT_IN_SECONDS of the {scope.lower()} ({error}); bounding the wait by the task's timeout")
    return found


def read_task_timeout_ms(session: Any, task_fqn: str) -> int:
    """The task's own timeout; Snowflake's default (1 hour) when it cannot be read (logged)."""
    try:
        rows = session.sql(task_timeout_sql(task_fqn)).collect()
        return int(str(rows[0][1]))
    except Exception as error:  # privileges or an unexpected shape: fall back, loudly
        print(f"could not read USER_TASK_TIMEOUT_MS of {task_fqn} ({error}); assuming {DEFAULT_TASK_TIMEOUT_MS} ms")
        return DEFAULT_TASK_TIMEOUT_MS
