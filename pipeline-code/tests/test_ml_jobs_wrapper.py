"""SnowflakeJobs and run_training_job driven through autospecced snowflake.ml.jobs (the real
submit_from_stage, MLJob, list_jobs and delete_job when installed, else stand-ins with the 1.48.0
signatures: tests/snowflake_ml_api.py). A wrong name or argument fails; returns have the real types
(MLJob.wait returns a status string or raises TimeoutError, list_jobs a frame with lower-case columns)."""

import datetime as dt
import re
from unittest import mock

import pandas as pd
import pytest

import snowflake_ml_api
from fakes import FakeResult, FakeRow
from helpers import graph_config
from mlpipeline import cleanup, ml_jobs
from mlpipeline.config import parse_config
from mlpipeline.ml_jobs import SnowflakeJobs, TrainingJobFailed

API = snowflake_ml_api.load()
SESSION = object()
CFG = parse_config(graph_config())
PAYLOAD = "@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/0f1e2d/"
PREPARED = {
    "dataset": {"name": "ML_DEV.MODELS.MORTGAGE_DATASET", "train": "v1_train", "test": "v1_test"},
    "feature_cols": ["A", "B"],
    "label_cols": ["Y"],
}
RUN = "RUN_1"


def ml_job(job_id="ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0A1B2C3D"):
    job = mock.create_autospec(API.MLJob, instance=True)
    job.id = job_id
    job.get_logs.return_value = "line 1\nline 2"
    return job


@pytest.fixture
def submit(monkeypatch):
    submit_from_stage = mock.create_autospec(API.submit_from_stage)
    submit_from_stage.return_value = ml_job()
    snowflake_ml_api.install(monkeypatch, submit_from_stage=submit_from_stage)
    return submit_from_stage


def run(jobs, **options):
    clock = iter([100.0, 130.0])  # 30 s between the start and the wait
    return ml_jobs.run_training_job(CFG, RUN, PREPARED, PAYLOAD, "jobs/train.py", 2, jobs, new_token=lambda: "a1b2c3", clock=lambda: next(clock), **options)


def test_submit_passes_documented_arguments_only(submit):
    job = submit.return_value
    job.wait.return_value = "DONE"
    job.result.return_value = {"model_path": "@M/model.ubj", "metrics": {"test_accuracy": 0.8}, "instances": 2}

    value = run(SnowflakeJobs(SESSION), task_timeout_ms=3_600_000, runtime_environment="1.7.1")

    (args, kwargs), = submit.call_args_list
    assert args == (PAYLOAD, "ML_DEV_POOL")
    model_path = f"@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/{RUN}/attempts/a1b2c3/model.ubj"
    assert kwargs == {
        "entrypoint": "jobs/train.py",
        "stage_name": "@ML_DEV.PIPELINE.JOB_STAGE",
        "args": ["--dataset", "ML_DEV.MODELS.MORTGAGE_DATASET", "--train-version", "v1_train", "--test-version", "v1_test",
                 "--label-col", "Y", "--feature-cols", "A,B", "--model-path", model_path, "--instances", "2"],
        "target_instances": 2,
        "session": SESSION,
        "database": "ML_DEV",
        "schema": "PIPELINE",
        "query_warehouse": "ML_DEV_WH",
        "min_instances": 1,
        "name": "MORTGAGE_PIPELINE_TRAINING_a1b2c3",  # one payload folder per submission
        "runtime_environment": "1.7.1",
    }
    # **kwargs accepts any name: these must be the documented ones.
    extra = set(kwargs) - {"entrypoint", "stage_name", "args", "target_instances", "session"}
    assert extra <= snowflake_ml_api.SUBMIT_DOCUMENTED_KWARGS
    # 3600 s timeout - 120 s margin - 30 s already spent.
    job.wait.assert_called_once_with(timeout=3450.0)
    job.cancel.assert_not_called()
    assert value == {"job_id": job.id, "job_status": "DONE", "model_path": "@M/model.ubj", "metrics": {"test_accuracy": 0.8}, "instances": 2}


def test_without_a_runtime_the_pools_default_is_used(submit):
    submit.return_value.wait.return_value = "DONE"
    submit.return_value.result.return_value = {"model_path": "@M/model.ubj", "metrics": {}}
    run(SnowflakeJobs(SESSION))
    assert "runtime_environment" not in submit.call_args.kwargs


def test_a_job_running_over_is_cancelled(submit):
    job = submit.return_value
    job.wait.side_effect = TimeoutError(f"Job {job.id} did not complete within 3450 seconds")
    with pytest.raises(TrainingJobFailed, match=r"did not finish within 3450 s .*; cancelled\. Last log lines:\nline 1\nline 2"):
        run(SnowflakeJobs(SESSION), task_timeout_ms=3_600_000)
    job.cancel.assert_called_once_with()


def test_a_failing_wait_cancels_and_reraises(submit):
    job = submit.return_value
    job.wait.side_effect = KeyboardInterrupt()  # e.g. the procedure being stopped
    with pytest.raises(KeyboardInterrupt):
        run(SnowflakeJobs(SESSION))
    job.cancel.assert_called_once_with()


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED", "INTERNAL_ERROR"])
def test_a_job_that_ended_badly_fails_the_task_without_a_cancel(submit, status):
    job = submit.return_value
    job.wait.return_value = status
    with pytest.raises(TrainingJobFailed, match=f"ended with status {status}. Last log lines:\nline 1"):
        run(SnowflakeJobs(SESSION))
    job.cancel.assert_not_called()
    job.result.assert_not_called()


def test_a_job_without_a_result_fails_naming_it(submit):
    job = submit.return_value
    job.wait.return_value = "DONE"
    job.result.side_effect = RuntimeError("Job execution failed")
    with pytest.raises(TrainingJobFailed, match="has no usable result \\(Job execution failed\\)"):
        run(SnowflakeJobs(SESSION))


@pytest.mark.parametrize("timeout, message", [(0, ">= 1 ms"), ("soon", "whole milliseconds"), (None, "whole milliseconds")])
def test_a_bad_timeout_fails_before_anything_is_submitted(submit, timeout, message):
    with pytest.raises(ValueError, match=message):
        run(SnowflakeJobs(SESSION), task_timeout_ms=timeout)
    submit.assert_not_called()


def test_the_wait_budget():
    assert ml_jobs.wait_budget_seconds(14_400_000) == 14_280.0
    assert ml_jobs.wait_budget_seconds("600000", elapsed_seconds=60) == 420.0
    assert ml_jobs.wait_budget_seconds(60_000) == 1.0  # never zero or negative


class JobServicesAccount:
    """Stands for the account's SHOW JOB SERVICES (needs an account): its rows (columns name, status,
    database_name, schema_name, created_on, https://docs.snowflake.com/en/sql-reference/sql/show-services)
    filtered by LIKE as Snowflake does: case-insensitive, ``%`` any run of characters, ``_`` one."""

    def __init__(self, services):
        self.services, self.queries = services, []

    def sql(self, query):
        self.queries.append(query)
        match = re.match(r"^SHOW JOB SERVICES LIKE '((?:[^'\\]|\\.)*)' IN SCHEMA (\w+)\.(\w+)$", query)
        assert match, query
        like = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in match.group(1))
        rows = [FakeRow(row) for row in self.services
                if re.fullmatch(like, row["name"], re.IGNORECASE) and (row["database_name"], row["schema_name"]) == match.group(2, 3)]
        return FakeResult(rows)


def service(name, status="DONE", schema="PIPELINE"):
    return {"name": name, "status": status, "database_name": "ML_DEV", "schema_name": schema, "owner": "ML_ADMIN",
            "compute_pool": "ML_DEV_POOL", "created_on": dt.datetime(2024, 1, 1, 2, 0, tzinfo=dt.timezone.utc)}


def test_listing_finds_the_pipelines_jobs_by_their_own_name_without_job_history(monkeypatch):
    # Item 9: list_jobs falls back (job history off) to SHOW JOB SERVICES LIKE 'MLJOB_%', which never
    # matched MORTGAGE_PIPELINE_TRAINING_<token>; the wrapper lists by the pipeline's own prefix.
    account = JobServicesAccount([
        service("MORTGAGE_PIPELINE_TRAINING_0A1B2C3D"),
        service("MORTGAGE_PIPELINE_TRAINING_9F8E7D6C", status="RUNNING"),
        service("MLJOB_1234"),
        service("OTHER_PIPELINE_TRAINING_1"),
        service("MORTGAGE_PIPELINE_TRAINING_55", schema="OTHER"),
    ])
    # What list_jobs sends when job history is off (snowflake/ml/jobs/manager.py, _get_job_services,
    # 1.48.0) finds none of the pipeline's jobs:
    fallback = account.sql("SHOW JOB SERVICES LIKE 'MLJOB_%' IN SCHEMA ML_DEV.PIPELINE").collect()
    assert [row.as_dict()["name"] for row in fallback] == ["MLJOB_1234"]
    account.queries.clear()
    listed = SnowflakeJobs(account).list("ML_DEV", "PIPELINE", ml_jobs.job_name(CFG))
    assert account.queries == ["SHOW JOB SERVICES LIKE 'MORTGAGE_PIPELINE_TRAINING%' IN SCHEMA ML_DEV.PIPELINE"]
    created = dt.datetime(2024, 1, 1, 2, 0, tzinfo=dt.timezone.utc)
    assert listed == [
        {"id": "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0A1B2C3D", "name": "MORTGAGE_PIPELINE_TRAINING_0A1B2C3D", "status": "DONE", "created_time": created},
        {"id": "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_9F8E7D6C", "name": "MORTGAGE_PIPELINE_TRAINING_9F8E7D6C", "status": "RUNNING", "created_time": created},
    ]
    cutoff = cleanup.retention_cutoff(dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc), 30)
    assert ml_jobs.select_expired_jobs(listed, ml_jobs.job_name(CFG), cutoff, cleanup.is_expired) == ["ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0A1B2C3D"]


def test_a_quote_in_the_prefix_is_escaped_in_the_listing():
    assert ml_jobs.job_services_sql("DB", "S", "A'B") == "SHOW JOB SERVICES LIKE 'A\\'B%' IN SCHEMA DB.S"


def test_delete_and_cancel_go_through_delete_job_and_get_job(monkeypatch):
    delete_job = mock.create_autospec(API.delete_job)
    get_job = mock.create_autospec(API.get_job)
    get_job.return_value = ml_job("ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_9F8E7D6C")
    snowflake_ml_api.install(monkeypatch, delete_job=delete_job, get_job=get_job)
    jobs = SnowflakeJobs(SESSION)
    jobs.delete("ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0A1B2C3D")
    delete_job.assert_called_once_with("ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0A1B2C3D", session=SESSION)
    jobs.cancel("ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_9F8E7D6C")
    get_job.assert_called_once_with("ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_9F8E7D6C", session=SESSION)
    get_job.return_value.cancel.assert_called_once_with()


def test_the_task_timeout_is_read_from_show_parameters():
    class Session:
        def __init__(self, rows=None, error=None):
            self.rows, self.error, self.queries = rows, error, []

        def sql(self, query):
            self.queries.append(query)
            if self.error:
                raise self.error
            return mock.Mock(collect=mock.Mock(return_value=self.rows))

    session = Session(rows=[("USER_TASK_TIMEOUT_MS", "14400000", "3600000", "TASK", "", "NUMBER")])
    assert ml_jobs.read_task_timeout_ms(session, "ML_DEV.PIPELINE.P$TRAIN_MODEL") == 14_400_000
    assert session.queries == ["SHOW PARAMETERS LIKE 'USER_TASK_TIMEOUT_MS' IN TASK ML_DEV.PIPELINE.P$TRAIN_MODEL"]
    assert ml_jobs.read_task_timeout_ms(Session(rows=[]), "T") == 3_600_000
    assert ml_jobs.read_task_timeout_ms(Session(error=RuntimeError("Insufficient privileges")), "T") == 3_600_000


def test_the_written_model_is_loaded_by_this_xgboost_before_the_task_succeeds(submit):
    job = submit.return_value
    job.wait.return_value = "DONE"
    job.result.return_value = {"model_path": "@M/model.ubj", "metrics": {}}
    loaded = []
    run(SnowflakeJobs(SESSION), verify_model=loaded.append)
    assert loaded == ["@M/model.ubj"]

    def too_new(path):
        raise Exception("[10:00:00] json.cc:390: Expecting: \"L\"\nStack trace: ...")

    with pytest.raises(TrainingJobFailed, match=r"does not load in this warehouse's xgboost .*: \[10:00:00\] json\.cc:390: Expecting: \"L\"\. Choose"):
        run(SnowflakeJobs(SESSION), verify_model=too_new)


def test_unreadable_logs_still_name_the_job(submit):
    job = submit.return_value
    job.wait.return_value = "FAILED"
    job.get_logs.side_effect = RuntimeError("Insufficient privileges")
    with pytest.raises(TrainingJobFailed, match=r"ended with status FAILED\. Last log lines:\n\(logs unavailable: Insufficient privileges\)"):
        run(SnowflakeJobs(SESSION))
    job.get_logs.side_effect = None
    job.get_logs.return_value = ""
    with pytest.raises(TrainingJobFailed, match=r"\(empty log\)"):
        run(SnowflakeJobs(SESSION))


@pytest.mark.parametrize("prepared, message", [
    ({"dataset": {"name": "D"}}, "lacks a dataset descriptor field"),
    (dict(PREPARED, feature_cols=["A B"]), "non-empty tokens without spaces"),
])
def test_bad_payload_arguments_fail_before_submitting(submit, prepared, message):
    with pytest.raises(ValueError, match=message):
        ml_jobs.run_training_job(CFG, RUN, prepared, PAYLOAD, "jobs/train.py", 1, SnowflakeJobs(SESSION))
    submit.assert_not_called()


@pytest.mark.parametrize("location, instances, message", [("ML_DEV.S.CODE/x/", 1, "starting with '@'"), (PAYLOAD, 0, "target_instances must be >= 1")])
def test_bad_procedure_arguments_fail_before_submitting(submit, location, instances, message):
    with pytest.raises(ValueError, match=message):
        ml_jobs.run_training_job(CFG, RUN, PREPARED, location, "jobs/train.py", instances, SnowflakeJobs(SESSION))
    submit.assert_not_called()


def test_a_result_without_metrics_is_refused(submit):
    submit.return_value.wait.return_value = "DONE"
    submit.return_value.result.return_value = ["not", "a", "dict"]
    with pytest.raises(TrainingJobFailed, match="returned list without 'metrics' and 'model_path'"):
        run(SnowflakeJobs(SESSION))
