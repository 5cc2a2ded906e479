"""Each task entrypoint end to end against a fake session (no Snowpark, no snowflake-ml): config
read, predecessor values used, return value set, errors named."""

import datetime as dt
import json
import os
import re
from decimal import Decimal

import pandas as pd
import pytest

from fakes import content_version, reference_build, tiny_model_bytes, FakeDatasetStore, FakeJob, FakeJobs, FakeRegistry, FakeSession, FakeSQLError
from helpers import FIXTURE_PIPELINE, RUN_ID, RUNTIME, graph_config, runtime_for, task_dependents_rows
from mlpipeline import cleanup as cleanup_module, ml_jobs
from mlpipeline.cleanup import CleanupError
from mlpipeline.config import parse_config
from mlpipeline.run_outcome import RunOutcome
from mlpipeline.config import ConfigError
from mlpipeline.graph_context import GraphContextError
from mlpipeline.ml_jobs import TrainingJobFailed
from mlpipeline.quality import QualityGateError
from mlpipeline.source_data import SourceTableMissing
from tasks import check_model_quality, cleanup, prepare_data, promote_model, train_model

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
SOURCE = "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA"
DATASET = "ML_DEV.MODELS.MORTGAGE_DATASET"
ARTIFACTS = "@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/"
PAYLOAD = "@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/0f1e2d/"
NOW = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
# The procedure argument the program passes CHECK_MODEL_QUALITY: FIXTURE_PIPELINE's branch list.
BRANCH = "PROMOTE_MODEL,SEND_ALERT"

PREPARED = {
    "dataset": {"name": DATASET, "version": "v20240215_083000", "train": "v20240215_083000", "test": "v20240215_083000"},
    "split_col": "SPLIT",
    "feature_cols": ["MONTH", "INCOME_LOAN_RATIO"],
    "label_cols": ["MORTGAGERESPONSE"],
    "exclude_cols": ["LOAN_ID", "TIMESTAMP", "SPLIT"],
}
TRAINED = {
    "job_id": "ML_DEV.PIPELINE.MLJOB_0A1B",
    "model_path": ARTIFACTS + RUN_ID + "/model.ubj",
    "metrics": {"train_accuracy": 0.83, "test_accuracy": 0.79, "test_f1": 0.84, "test_precision": 0.82, "test_recall": 0.86},
}


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(SAMPLE_FILE, parse_dates=["TS"])


MODEL_BYTES = tiny_model_bytes()
TIMEOUT_MS = 14_400_000  # TRAIN_MODEL's timeoutMs in the fixtures below (4 h)


def session_with(config=None, *, task, **returned):
    """A session of ``task`` of FIXTURE_PIPELINE, whose ancestors returned ``returned`` (task -> value)."""
    values = {f"MORTGAGE_PIPELINE${name}": value if isinstance(value, str) else json.dumps(value) for name, value in returned.items()}
    session = FakeSession(
        config or graph_config(),
        predecessors=values,
        runtime=runtime_for("MORTGAGE_PIPELINE", task),
        now=NOW,
        dependents=task_dependents_rows(FIXTURE_PIPELINE),
    )
    session.task_parameters["MORTGAGE_PIPELINE$TRAIN_MODEL"] = {"USER_TASK_TIMEOUT_MS": TIMEOUT_MS}
    return session


# -- PREPARE_DATA ---------------------------------------------------------------------------------


def test_prepare_data_writes_one_dataset_version_named_after_the_source_change(sample):
    session = session_with(task="PREPARE_DATA")
    session.add_table(SOURCE, sample, "20240215_083000")
    store = FakeDatasetStore()
    value = prepare_data.main(session, store=store, build=reference_build)

    assert session.statements[0] == "CALL SYSTEM$GET_TASK_GRAPH_CONFIG()"
    (info_query,) = session.statements_matching("INFORMATION_SCHEMA")
    assert "FROM ML_DEV.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'DATA' AND TABLE_NAME = 'MORTGAGE_LENDING_DEMO_DATA'" in info_query
    assert not session.statements_matching("CREATE TABLE|COPY INTO")
    assert session.statements[-1].startswith("CALL SYSTEM$SET_RETURN_VALUE(")
    assert session.return_values == [value]

    result = json.loads(value)
    # One version, named after the source's content; train and test are its SPLIT column's two parts.
    version = content_version(sample)
    assert session.statements_matching("HASH_AGG") == [f"SELECT TO_CHAR(HASH_AGG(*)), COUNT(*) FROM {SOURCE}"]
    assert result["dataset"] == {"name": DATASET, "version": version, "train": version, "test": version}
    assert result["split_col"] == "SPLIT"
    assert result["feature_state"] == {
        "lookups": f"ML_DEV.MODELS.MORTGAGE_DATASET_{version.upper()}_LOOKUPS", "means": f"ML_DEV.MODELS.MORTGAGE_DATASET_{version.upper()}_MEANS",
    }
    assert session.statements_matching("^SAVE_AS_TABLE") == [
        f"SAVE_AS_TABLE ML_DEV.MODELS.MORTGAGE_DATASET_{version.upper()}_LOOKUPS mode=overwrite",
        f"SAVE_AS_TABLE ML_DEV.MODELS.MORTGAGE_DATASET_{version.upper()}_MEANS mode=overwrite",
    ]
    assert result["reused"] is False and result["sample_data_loaded"] is False
    assert result["source_table"] == SOURCE
    assert result["label_cols"] == ["MORTGAGERESPONSE"] and result["exclude_cols"] == ["LOAN_ID", "TIMESTAMP", "SPLIT"]
    assert len(result["feature_cols"]) == 12 and "AVG_THIRTY_DAY_LOAN_AMOUNT" in result["feature_cols"]

    assert [call[0] for call in store.calls].count("create_version") == 1
    (version,) = store.versions.values()
    frame = version["frame"]
    assert len(frame) == len(sample)
    assert set(frame["SPLIT"]) == {"TRAIN", "TEST"}
    assert version["label_cols"] == ["MORTGAGERESPONSE"] and version["exclude_cols"] == ["LOAN_ID", "TIMESTAMP", "SPLIT"]
    assert list(frame.columns) == ["LOAN_ID", "TIMESTAMP", "SPLIT"] + result["feature_cols"] + ["MORTGAGERESPONSE"]


def test_prepare_data_reuses_the_version_when_the_source_is_unchanged(sample):
    store = FakeDatasetStore()
    for _ in range(2):
        session = session_with(task="PREPARE_DATA")
        session.add_table(SOURCE, sample, "20240215_083000")
        value = prepare_data.main(session, store=store, build=reference_build)
    assert json.loads(value)["reused"] is True
    assert [call[0] for call in store.calls].count("create_version") == 1  # the first run's only
    assert not session.statements_matching(f"^TABLE {SOURCE}")  # no feature query the second time
    assert session.return_values == [value]


def test_prepare_data_loads_the_staged_sample_when_the_table_is_absent(sample):
    session = session_with(task="PREPARE_DATA")
    sample_file = graph_config()["sample_data_file"]
    session.staged_csv[sample_file] = SAMPLE_FILE
    store = FakeDatasetStore()
    result = json.loads(prepare_data.main(session, store=store, build=reference_build))

    (create,) = session.statements_matching("^CREATE TABLE")
    assert create.startswith(f"CREATE TABLE IF NOT EXISTS {SOURCE} (LOAN_ID NUMBER(38,0), TS TIMESTAMP_NTZ,")
    (copy,) = session.statements_matching("^COPY INTO")
    assert copy.startswith(f"COPY INTO {SOURCE} FROM {sample_file} FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1")
    # The version comes from the table's content after the load.
    version = content_version(session.tables[SOURCE]["frame"])
    assert result["dataset"]["version"] == version
    assert result["sample_data_loaded"] is True
    assert len(store.versions[(DATASET, version)]["frame"]) == len(sample)


def test_prepare_data_without_table_or_sample_data_fails_naming_the_table():
    session = session_with(graph_config(sample_data=False, sample_data_file=None), task="PREPARE_DATA")
    store = FakeDatasetStore()
    with pytest.raises(SourceTableMissing, match=f"{SOURCE} \\(graph config source_table\\) does not exist"):
        prepare_data.main(session, store=store, build=reference_build)
    assert session.return_values == [] and store.versions == {}


def test_prepare_data_loads_the_sample_into_an_empty_table_but_never_over_a_view(sample):
    session = session_with(task="PREPARE_DATA")
    session.add_table(SOURCE, sample.iloc[:0], "20240101_000000")
    session.staged_csv[graph_config()["sample_data_file"]] = SAMPLE_FILE
    assert json.loads(prepare_data.main(session, store=FakeDatasetStore(), build=reference_build))["sample_data_loaded"] is True

    view = session_with(task="PREPARE_DATA")
    view.add_table(SOURCE, sample, "20240101_000000", view=True)
    result = json.loads(prepare_data.main(view, store=FakeDatasetStore(), build=reference_build))
    assert result["sample_data_loaded"] is False and not view.statements_matching("COPY INTO")


def test_prepare_data_with_an_empty_table_and_no_sample_data_fails(sample):
    session = session_with(graph_config(sample_data=False, sample_data_file=None), task="PREPARE_DATA")
    session.add_table(SOURCE, sample.iloc[:0], "20240101_000000")
    with pytest.raises(SourceTableMissing, match=f"{SOURCE} \\(graph config source_table\\) is empty"):
        prepare_data.main(session, store=FakeDatasetStore(), build=reference_build)


def test_prepare_data_with_a_missing_config_key_fails_before_any_work():
    config = graph_config()
    del config["source_table"]
    session = session_with(config, task="PREPARE_DATA")
    with pytest.raises(ConfigError, match="missing key\\(s\\): source_table"):
        prepare_data.main(session, store=FakeDatasetStore(), build=reference_build)
    assert session.statements == ["CALL SYSTEM$GET_TASK_GRAPH_CONFIG()"]


# -- TRAIN_MODEL ----------------------------------------------------------------------------------


def job_returning(result_extra=None, status="DONE", logs="", session=None, model_bytes=MODEL_BYTES, **job_options):
    """A job that, when it runs, writes ``model_bytes`` to the model path it was given (on
    ``session``'s stage) and returns the training result."""
    def make(kwargs):
        args = kwargs["args"]
        model_path = args[args.index("--model-path") + 1]
        if session is not None and status == "DONE":
            session.stage[model_path] = (model_bytes, NOW)
        result = {"model_path": model_path, "metrics": dict(TRAINED["metrics"]), "distributed": True, "instances": 2, **(result_extra or {})}
        return FakeJob("ML_DEV.PIPELINE.MLJOB_0A1B", status, result=result, logs=logs, **job_options)

    return make


ATTEMPT_MODEL = re.compile(rf"^@ML_DEV\.PIPELINE\.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/{RUN_ID}/attempts/[0-9a-f]{{12}}/model\.ubj$")


def test_train_model_submits_the_staged_payload_and_returns_the_job_result():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session))
    value = train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=jobs)

    assert "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$PREPARE_DATA')" in session.statements
    assert session.statements_matching("^SHOW PARAMETERS") == [
        "SHOW PARAMETERS LIKE 'USER_TASK_TIMEOUT_MS' IN TASK ML_DEV.PIPELINE.\"MORTGAGE_PIPELINE$TRAIN_MODEL\"",
        "SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN SESSION",
        "SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN WAREHOUSE ML_DEV_WH",
    ]
    (submission,) = jobs.submissions
    model_path = submission["args"][submission["args"].index("--model-path") + 1]
    assert ATTEMPT_MODEL.match(model_path)
    token = model_path.split("/attempts/")[1].split("/")[0]
    assert submission == {
        "source": PAYLOAD,
        "entrypoint": "jobs/train.py",
        "compute_pool": "ML_DEV_POOL",
        "stage_name": "@ML_DEV.PIPELINE.JOB_STAGE",
        "target_instances": 2,
        "min_instances": 1,
        "name": f"MORTGAGE_PIPELINE_TRAINING_{token}",  # the attempt's token: a payload folder of its own
        "runtime_environment": None,
        "database": "ML_DEV",
        "schema": "PIPELINE",
        "query_warehouse": "ML_DEV_WH",
        "args": [
            "--dataset", DATASET,
            "--train-version", "v20240215_083000",
            "--test-version", "v20240215_083000",
            "--label-col", "MORTGAGERESPONSE",
            "--feature-cols", "MONTH,INCOME_LOAN_RATIO",
            "--model-path", model_path,
            "--instances", "2",
        ],
    }
    result = json.loads(value)
    assert result["job_id"] == "ML_DEV.PIPELINE.MLJOB_0A1B" and result["job_status"] == "DONE"
    assert result["model_path"] == model_path
    # The wait is bounded by the task's 4 h timeout less the 120 s margin (less the little time spent).
    (waited,) = jobs_wait_timeouts(jobs)
    assert 14_400 - 120 - 5 < waited <= 14_400 - 120
    assert result["metrics"]["test_accuracy"] == 0.79  # flat key: config metric_name resolves
    assert result["distributed"] is True
    assert session.return_values == [value]


def test_train_model_fails_with_the_job_id_and_the_log_tail():
    logs = "\n".join(f"log line {i}" for i in range(100))
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    with pytest.raises(TrainingJobFailed) as error:
        train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=FakeJobs(job_returning(status="FAILED", logs=logs)))
    message = str(error.value)
    assert "ML Job ML_DEV.PIPELINE.MLJOB_0A1B ended with status FAILED" in message
    assert "log line 99" in message and "log line 60" in message and "log line 59" not in message
    assert session.return_values == []


def test_train_model_fails_when_logs_cannot_be_read_too():
    class NoLogs(FakeJob):
        def get_logs(self, limit=-1, **_):
            raise FakeSQLError("Insufficient privileges")

    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    with pytest.raises(TrainingJobFailed, match="(?s)MLJOB_X ended with status INTERNAL_ERROR.*logs unavailable: Insufficient privileges"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=FakeJobs(lambda kw: NoLogs("MLJOB_X", "INTERNAL_ERROR")))


def test_train_model_rejects_a_result_without_metrics():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(lambda kw: FakeJob("MLJOB_Y", "DONE", result={"model_path": "@x/model.ubj"}))
    with pytest.raises(TrainingJobFailed, match="MLJOB_Y returned dict without 'metrics'"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    assert session.return_values == []


@pytest.mark.parametrize("instances, expected", [(Decimal(2), 2), ("3", 3), (1, 1)])
def test_train_model_takes_target_instances_as_a_number(instances, expected):
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session))
    train_model.main(session, PAYLOAD, "jobs/train.py", instances, jobs=jobs)
    assert jobs.submissions[0]["target_instances"] == expected
    assert jobs.submissions[0]["args"][-1] == str(expected)


@pytest.mark.parametrize("location, instances, message", [("ML_DEV.PIPELINE.CODE_STAGE/x/", 2, "payload_location"), (PAYLOAD, 0, "target_instances")])
def test_train_model_rejects_bad_procedure_arguments(location, instances, message):
    jobs = FakeJobs(job_returning())
    with pytest.raises(ValueError, match=message):
        train_model.main(session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED), location, "jobs/train.py", instances, jobs=jobs)
    assert jobs.submissions == []


def test_train_model_needs_the_dataset_descriptor():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA={"dataset": {"name": DATASET}})
    with pytest.raises(ValueError, match="dataset descriptor"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=FakeJobs(job_returning()))


def jobs_wait_timeouts(jobs):
    return [timeout for job in jobs.made for timeout in job.wait_timeouts]


def test_train_model_cancels_a_job_that_runs_past_the_tasks_timeout():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    session.task_parameters["MORTGAGE_PIPELINE$TRAIN_MODEL"] = {"USER_TASK_TIMEOUT_MS": 600_000}  # 10 min
    jobs = FakeJobs(job_returning(session=session, duration=3_600.0, logs="epoch 1\nepoch 2"))
    with pytest.raises(TrainingJobFailed) as error:
        train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=jobs)
    (job,) = jobs.made
    assert job.cancelled is True
    assert 600 - 120 - 5 < job.wait_timeouts[0] <= 480
    message = str(error.value)
    assert "ML Job ML_DEV.PIPELINE.MLJOB_0A1B did not finish within 480 s (the task's timeout of 600000 ms less 120 s); cancelled" in message
    assert "epoch 2" in message
    assert session.return_values == []


def test_train_model_cancels_the_job_when_the_procedure_fails_while_waiting():
    class Interrupted(FakeJob):
        def wait(self, timeout=-1):
            raise FakeSQLError("SQL execution canceled")

    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(lambda kw: Interrupted("MLJOB_Z", "RUNNING"))
    with pytest.raises(FakeSQLError, match="canceled"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    assert jobs.made[0].cancelled is True


def test_train_model_reports_a_cancel_that_fails_but_still_fails_for_the_timeout():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session, duration=1e9, cancel_error=RuntimeError("Failed to cancel job")))
    with pytest.raises(TrainingJobFailed, match="cancel failed: Failed to cancel job"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs, task_timeout_ms=1)


def test_train_model_falls_back_to_the_default_timeout_when_the_parameter_cannot_be_read(capsys):
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    session.task_parameters.clear()  # SHOW PARAMETERS fails: "does not exist or not authorized"
    jobs = FakeJobs(job_returning(session=session))
    train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    assert 3_600 - 120 - 5 < jobs_wait_timeouts(jobs)[0] <= 3_480
    assert "assuming 3600000 ms" in capsys.readouterr().out


def test_a_retried_run_writes_its_model_to_its_own_attempt_folder():
    # EXECUTE TASK ... RETRY LAST runs TRAIN_MODEL again with the same run id: the second job must not
    # write the file the first one (maybe still running) writes.
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session))
    first = json.loads(train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs))
    jobs.make_job = job_returning(session=session)
    second = json.loads(train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs))
    assert ATTEMPT_MODEL.match(first["model_path"]) and ATTEMPT_MODEL.match(second["model_path"])
    assert first["model_path"] != second["model_path"]


def test_train_model_fails_when_the_written_model_does_not_load_in_the_warehouse_xgboost():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session, model_bytes=b"{not a model written by this xgboost"))
    import xgboost

    with pytest.raises(TrainingJobFailed, match=rf"does not load in this warehouse's xgboost {re.escape(xgboost.__version__)}: .*Choose an ML Job runtime \(graph config ml_job_runtime\)"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    assert session.return_values == []


def test_train_model_passes_the_configured_job_runtime():
    session = session_with(graph_config(ml_job_runtime="2.10.1"), task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    jobs = FakeJobs(job_returning(session=session))
    train_model.main(session, PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    assert jobs.submissions[0]["runtime_environment"] == "2.10.1"


# -- CHECK_MODEL_QUALITY --------------------------------------------------------------------------


@pytest.mark.parametrize("accuracy, threshold, expected", [(0.79, 0.7, "PROMOTE_MODEL"), (0.69, 0.7, "SEND_ALERT"), (0.79, 0.9, "SEND_ALERT"), (0.9, 0.9, "PROMOTE_MODEL")])
def test_check_model_quality_returns_the_successor_to_run(accuracy, threshold, expected):
    trained = dict(TRAINED, metrics=dict(TRAINED["metrics"], test_accuracy=accuracy))
    session = session_with(graph_config(metric_threshold=threshold), task="CHECK_MODEL_QUALITY", TRAIN_MODEL=trained)
    assert check_model_quality.main(session, BRANCH) == expected
    assert session.return_values == [expected]
    assert "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$TRAIN_MODEL')" in session.statements
    assert session.statements[-1] == f"CALL SYSTEM$SET_RETURN_VALUE('{expected}')"


def test_check_model_quality_uses_the_configured_metric():
    session = session_with(graph_config(metric_name="test_recall", metric_threshold=0.85), task="CHECK_MODEL_QUALITY", TRAIN_MODEL=TRAINED)
    assert check_model_quality.main(session, BRANCH) == "PROMOTE_MODEL"  # recall 0.86


@pytest.mark.parametrize("accuracy, expected", [(0.79, "SHIP_IT"), (0.69, "PAGE_SOMEONE")])
def test_check_model_quality_returns_the_branch_lists_names_first_on_a_pass(accuracy, expected):
    # Renamed successors: the verdict maps to whatever the program passes, first = pass.
    trained = dict(TRAINED, metrics=dict(TRAINED["metrics"], test_accuracy=accuracy))
    session = session_with(task="CHECK_MODEL_QUALITY", TRAIN_MODEL=trained)
    assert check_model_quality.main(session, "SHIP_IT,PAGE_SOMEONE") == expected


@pytest.mark.parametrize("branch, message", [("", "must be the comma-separated branch list"), ("A,,B", "empty or repeated"), ("A,A", "empty or repeated"), ("A,B,C", "2 successors \\(pass, fail\\), got A, B, C")])
def test_check_model_quality_rejects_a_branch_argument_it_cannot_map(branch, message):
    session = session_with(task="CHECK_MODEL_QUALITY", TRAIN_MODEL=TRAINED)
    with pytest.raises(ValueError, match=message):
        check_model_quality.main(session, branch)
    assert session.return_values == []


@pytest.mark.parametrize(
    "metric_name, trained, message",
    [
        ("test_auc", TRAINED, "unknown metric_name 'test_auc'"),
        ("train_f1", TRAINED, "'train_f1' is missing"),
        ("test_accuracy", dict(TRAINED, metrics=[0.7]), "'metrics' an ancestor returned are not a JSON object"),
    ],
)
def test_check_model_quality_errors_instead_of_alerting(metric_name, trained, message):
    session = session_with(graph_config(metric_name=metric_name), task="CHECK_MODEL_QUALITY", TRAIN_MODEL=trained)
    with pytest.raises(QualityGateError, match=message):
        check_model_quality.main(session, BRANCH)
    assert session.return_values == []


def test_check_model_quality_without_an_ancestor_returning_metrics_fails_naming_what_it_read():
    session = session_with(task="CHECK_MODEL_QUALITY", TRAIN_MODEL={"job_id": "x", "model_path": "@x"}, PREPARE_DATA=PREPARED)
    session.predecessors["MORTGAGE_PIPELINE"] = "scheduled"  # the root returns its run token: no JSON object
    with pytest.raises(GraphContextError) as error:
        check_model_quality.main(session, BRANCH)
    # Every ancestor was read, nearest first.
    assert str(error.value) == (
        "MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY: no ancestor returned a JSON object with 'metrics' "
        "(ancestors read: MORTGAGE_PIPELINE$TRAIN_MODEL, MORTGAGE_PIPELINE$PREPARE_DATA, MORTGAGE_PIPELINE)"
    )
    assert session.return_values == []


# -- PROMOTE_MODEL --------------------------------------------------------------------------------


def test_promote_model_registers_the_run_version_with_metrics_and_lineage_and_makes_it_default():
    import xgboost as xgb

    registry = FakeRegistry(now=NOW)
    registry.add("MORTGAGE_MODEL", "RUN_OLDER", NOW - dt.timedelta(days=3), default=True)
    session = session_with(task="PROMOTE_MODEL", TRAIN_MODEL=TRAINED, PREPARE_DATA=PREPARED)
    session.stage[TRAINED["model_path"]] = (MODEL_BYTES, NOW)  # what the ML Job wrote
    value = promote_model.main(session, registry=registry)  # the real loader: model.ubj from the stage

    assert f"GET_STREAM {TRAINED['model_path']}" in session.statements
    version = registry.models["MORTGAGE_MODEL"][RUN_ID]
    assert version["metrics"] == {
        **TRAINED["metrics"],
        "decision_threshold": 0.5,
        "training_dataset": {"name": DATASET, "version": "v20240215_083000"},
        "ml_job_id": "ML_DEV.PIPELINE.MLJOB_0A1B",
        "graph_run_id": RUN_ID,
    }
    assert "ML Job ML_DEV.PIPELINE.MLJOB_0A1B" in version["comment"] and "P(1) >= 0.5" in version["comment"]
    assert version["train_dataset"] == (DATASET, "v20240215_083000")
    # The registered model is a classifier: predict gives the class, predict_proba the probabilities.
    model = version["model"]
    assert isinstance(model, xgb.XGBClassifier)
    rows = pd.DataFrame({"MONTH": [1.0, 8.0], "INCOME_LOAN_RATIO": [0.1, 0.6]})
    booster = xgb.Booster()
    booster.load_model(bytearray(MODEL_BYTES))
    p1 = booster.predict(xgb.DMatrix(rows, feature_names=["MONTH", "INCOME_LOAN_RATIO"]))
    assert model.predict(rows).tolist() == [int(p >= 0.5) for p in p1]
    assert model.predict_proba(rows)[:, 1].tolist() == pytest.approx(p1.tolist())
    assert registry.defaults["MORTGAGE_MODEL"] == RUN_ID
    assert json.loads(value) == {
        "model": "ML_DEV.MODELS.MORTGAGE_MODEL", "version": RUN_ID, "is_default": True, "reused": False,
        "train_dataset": {"name": DATASET, "version": "v20240215_083000"},
    }
    assert session.return_values == [value]
    for task in ("TRAIN_MODEL", "PREPARE_DATA"):
        assert f"CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE${task}')" in session.statements


def test_promote_model_is_idempotent_when_the_run_is_retried():
    registry = FakeRegistry(now=NOW)
    results = []
    for _ in range(2):
        session = session_with(task="PROMOTE_MODEL", TRAIN_MODEL=TRAINED, PREPARE_DATA=PREPARED)
        session.stage[TRAINED["model_path"]] = (MODEL_BYTES, NOW)
        results.append(json.loads(promote_model.main(session, registry=registry)))
    assert [c for c in registry.calls if c[0] == "log_model"] == [("log_model", "MORTGAGE_MODEL", RUN_ID)]
    assert [c for c in registry.calls if c[0] == "set_default"] == [("set_default", "MORTGAGE_MODEL", RUN_ID)] * 2
    assert [r["reused"] for r in results] == [False, True]
    assert results[0]["version"] == results[1]["version"] == RUN_ID
    assert list(registry.models["MORTGAGE_MODEL"]) == [RUN_ID]


def test_promote_model_fails_naming_a_missing_model_artefact():
    def missing(path):
        raise FakeSQLError(f"File '{path}' does not exist or not authorized.")

    session = session_with(task="PROMOTE_MODEL", TRAIN_MODEL=TRAINED, PREPARE_DATA=PREPARED)
    registry = FakeRegistry(now=NOW)
    with pytest.raises(FakeSQLError, match=RUN_ID + "/model.ubj"):
        promote_model.main(session, registry=registry, load_model=missing)
    assert session.return_values == [] and registry.defaults == {}


# -- CLEANUP --------------------------------------------------------------------------------------


def days_ago(days):
    return NOW - dt.timedelta(days=days)


GROUP = RUNTIME["CURRENT_TASK_GRAPH_RUN_GROUP_ID"]
# The history query CLEANUP sends, written out by hand from the graph config, RUNTIME and NOW: the
# graph's root task id, from a minute before the original scheduled time (2024-03-01 02:00 UTC =
# 1709258400000 ms), this run group's rows or this run's RUN_ID.
HISTORY_SQL = (
    "SELECT NAME, STATE FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY("
    "SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ('2024-03-01 01:59:00 +00:00'), RESULT_LIMIT => 10000,"
    " ROOT_TASK_ID => '01b2c3d4-aaaa-bbbb-cccc-000000000001'))"
    " WHERE (LOWER(TO_CHAR(GRAPH_RUN_GROUP_ID)) = '01b2c3d4-0000-1111-2222-333344445555' OR RUN_ID = 1709258400000)"
    " AND NAME <> 'MORTGAGE_PIPELINE$CLEANUP'"
)


def record_run(session, *, promote="SUCCEEDED", group=GROUP):
    """TASK_HISTORY of one graph run that took the PROMOTE_MODEL branch, CLEANUP still executing."""
    for name, state in (
        ("MORTGAGE_PIPELINE", "SUCCEEDED"),
        ("MORTGAGE_PIPELINE$PREPARE_DATA", "SUCCEEDED"),
        ("MORTGAGE_PIPELINE$TRAIN_MODEL", "SUCCEEDED"),
        ("MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY", "SUCCEEDED"),
        ("MORTGAGE_PIPELINE$PROMOTE_MODEL", promote),
        ("MORTGAGE_PIPELINE$SEND_ALERT", "SKIPPED"),
        ("MORTGAGE_PIPELINE$CLEANUP", "EXECUTING"),
    ):
        session.task_history.append(("ML_DEV", group, name, state))


# The fitted feature state PREPARE_DATA saves beside dataset version v20240105_000000 (registry schema
# ML_DEV.MODELS, dataset mortgage_dataset): CLEANUP drops it with the version.
STATE_TABLES_V20240105 = {
    "lookups": "ML_DEV.MODELS.MORTGAGE_DATASET_V20240105_000000_LOOKUPS",
    "means": "ML_DEV.MODELS.MORTGAGE_DATASET_V20240105_000000_MEANS",
}


def cleanup_world(promote="SUCCEEDED"):
    session = session_with(task="CLEANUP")
    record_run(session, promote=promote)
    # An earlier graph run (another run group) that failed: not this run's outcome.
    session.task_history.append(("ML_DEV", "01b2c3d4-0000-0000-0000-000000000000", "MORTGAGE_PIPELINE$TRAIN_MODEL", "FAILED"))
    for run, modified in ((RUN_ID, NOW), ("RUN_OLD", days_ago(60)), ("RUN_RECENT", days_ago(5))):
        session.stage[f"{ARTIFACTS}{run}/model.ubj"] = (b"m", modified)
    session.stage[f"{ARTIFACTS}RUN_MIXED/model.ubj"] = (b"m", days_ago(40))
    session.stage[f"{ARTIFACTS}RUN_MIXED/notes.txt"] = (b"n", days_ago(2))
    session.stage["@ML_DEV.PIPELINE.ARTIFACT_STAGE/OTHER_PIPELINE/runs/RUN_X/model.ubj"] = (b"o", days_ago(90))

    registry = FakeRegistry(now=NOW)
    registry.add("MORTGAGE_MODEL", "V_OLD_DEFAULT", days_ago(90), train_dataset=(DATASET, "v20231201_000000_train"), default=True)
    registry.add("MORTGAGE_MODEL", "V_OLD", days_ago(50))
    registry.add("MORTGAGE_MODEL", "V_RECENT", days_ago(10))

    store = FakeDatasetStore(now=NOW)
    for base, age in (("v20231201_000000", 91), ("v20240105_000000", 56), ("v20240220_000000", 10)):
        for suffix in ("", "_train", "_test"):
            store.add(DATASET, base + suffix, days_ago(age))
    store.add(DATASET, "v20240110_000000", days_ago(51))
    store.add(DATASET, "v20240110_000000_train", days_ago(51))
    store.add(DATASET, "v20240110_000000_test", days_ago(20))  # not every member expired: kept
    return session, registry, store


def test_cleanup_removes_the_run_and_what_is_past_retention_except_the_default_and_its_data():
    session, registry, store = cleanup_world()
    value = cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)
    result = json.loads(value)

    assert result["removed"] == {
        "run_artifacts": {"count": 2, "names": [RUN_ID, "RUN_OLD"]},
        "model_versions": {"count": 1, "names": ["V_OLD"]},
        "dataset_versions": {"count": 3, "names": ["v20240105_000000_test", "v20240105_000000_train", "v20240105_000000"]},
        "feature_state_tables": {"count": 2, "names": [STATE_TABLES_V20240105["lookups"], STATE_TABLES_V20240105["means"]]},
        "ml_jobs": {"count": 0, "names": []},
        "cancelled_ml_jobs": {"count": 0, "names": []},
    }
    assert result["missing"] == {"count": 0, "names": []}
    assert result["kept_default_model_version"] == "V_OLD_DEFAULT"
    assert result["current_run"] == {
        "run_id": RUN_ID, "outcome": "succeeded", "artefacts": "removed", "detail": "6 task run(s) succeeded or skipped",
    }
    assert session.statements_matching("TASK_HISTORY") == [HISTORY_SQL]
    assert session.statements_matching("^LIST ") == [f"LIST {ARTIFACTS}"]
    assert session.statements_matching("^REMOVE ") == [f"REMOVE {ARTIFACTS}{RUN_ID}/", f"REMOVE {ARTIFACTS}RUN_OLD/"]
    assert session.statements_matching("^DROP TABLE") == [
        f"DROP TABLE IF EXISTS {STATE_TABLES_V20240105['lookups']}", f"DROP TABLE IF EXISTS {STATE_TABLES_V20240105['means']}",
    ]
    assert sorted(session.stage) == sorted([
        f"{ARTIFACTS}RUN_RECENT/model.ubj", f"{ARTIFACTS}RUN_MIXED/model.ubj", f"{ARTIFACTS}RUN_MIXED/notes.txt",
        "@ML_DEV.PIPELINE.ARTIFACT_STAGE/OTHER_PIPELINE/runs/RUN_X/model.ubj",
    ])
    assert sorted(registry.models["MORTGAGE_MODEL"]) == ["V_OLD_DEFAULT", "V_RECENT"]
    assert sorted(v for _, v in store.versions) == sorted([
        "v20231201_000000", "v20231201_000000_train", "v20231201_000000_test",
        "v20240220_000000", "v20240220_000000_train", "v20240220_000000_test",
        "v20240110_000000", "v20240110_000000_train", "v20240110_000000_test",
    ])
    assert session.return_values == [value]


def test_cleanup_logs_missing_objects_without_failing():
    session, registry, store = cleanup_world()
    registry.fail_delete["V_OLD"] = FakeSQLError("Model version V_OLD does not exist or not authorized.")
    store.fail_delete["v20240105_000000_train"] = FakeSQLError("Dataset version does not exist")
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["missing"]["count"] == 2
    assert result["removed"]["model_versions"]["count"] == 0
    assert result["removed"]["dataset_versions"]["names"] == ["v20240105_000000_test", "v20240105_000000"]


def test_cleanup_attempts_everything_then_fails_on_other_errors():
    session, registry, store = cleanup_world()
    store.fail_delete["v20240105_000000_train"] = FakeSQLError("Insufficient privileges to operate on dataset")
    with pytest.raises(CleanupError, match="v20240105_000000_train: Insufficient privileges"):
        cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)
    assert "V_OLD" not in registry.models["MORTGAGE_MODEL"]  # the other removals still happened
    assert (DATASET, "v20240105_000000_test") not in store.versions
    assert f"{ARTIFACTS}RUN_OLD/model.ubj" not in session.stage
    assert session.return_values == []


def test_cleanup_keeps_every_dataset_when_the_default_models_lineage_is_unknown():
    session, registry, store = cleanup_world()

    def lineage_fails(model_name, version):
        raise FakeSQLError("Insufficient privileges to read lineage")

    registry.datasets_used_by = lineage_fails
    with pytest.raises(CleanupError, match="lineage"):
        cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)
    assert not [c for c in store.calls if c[0] == "delete_version"]


def test_cleanup_before_any_model_exists_removes_old_datasets_and_the_run():
    session, _, store = cleanup_world()
    result = json.loads(cleanup.main(session, registry=FakeRegistry(now=NOW), store=store, jobs=FakeJobs(), now=NOW))
    assert result["kept_default_model_version"] is None
    assert result["removed"]["model_versions"]["count"] == 0
    assert result["removed"]["dataset_versions"]["count"] == 6  # v20231201 and v20240105 groups
    assert result["removed"]["run_artifacts"]["names"] == [RUN_ID, "RUN_OLD"]


def test_cleanup_of_a_run_without_artefacts():
    session = session_with(task="CLEANUP")
    record_run(session)
    result = json.loads(cleanup.main(session, registry=FakeRegistry(now=NOW), store=FakeDatasetStore(now=NOW), jobs=FakeJobs(), now=NOW))
    assert result["removed"]["run_artifacts"] == {"count": 0, "names": []}
    assert session.statements_matching("^REMOVE ") == [f"REMOVE {ARTIFACTS}{RUN_ID}/"]


def test_cleanup_uses_the_configured_retention():
    session, registry, store = cleanup_world()
    result = json.loads(cleanup.main(session_with(graph_config(retention_days=100), task="CLEANUP"), registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["model_versions"]["count"] == 0 and result["removed"]["dataset_versions"]["count"] == 0
    assert result["retention_days"] == 100


# The current run's artefacts after a run that did not succeed: kept for EXECUTE TASK ... RETRY LAST.

# What retention removes in cleanup_world whatever the current run's outcome (30 days before NOW).
RETAINED_STAGE = [
    f"{ARTIFACTS}RUN_RECENT/model.ubj", f"{ARTIFACTS}RUN_MIXED/model.ubj", f"{ARTIFACTS}RUN_MIXED/notes.txt",
    "@ML_DEV.PIPELINE.ARTIFACT_STAGE/OTHER_PIPELINE/runs/RUN_X/model.ubj",
]


def test_cleanup_after_a_failed_task_keeps_the_runs_artefacts_and_still_applies_retention(capsys):
    session, registry, store = cleanup_world(promote="FAILED")
    value = cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)
    result = json.loads(value)

    assert result["current_run"] == {
        "run_id": RUN_ID,
        "outcome": "failed",
        "artefacts": "kept",
        "detail": "failed: MORTGAGE_PIPELINE$PROMOTE_MODEL",
        "tasks": ["MORTGAGE_PIPELINE$PROMOTE_MODEL"],
    }
    assert session.statements_matching("TASK_HISTORY") == [HISTORY_SQL]
    assert session.statements_matching("^REMOVE ") == [f"REMOVE {ARTIFACTS}RUN_OLD/"]
    assert sorted(session.stage) == sorted(RETAINED_STAGE + [f"{ARTIFACTS}{RUN_ID}/model.ubj"])
    # Retention is unchanged: the same model and dataset versions go as after a successful run.
    assert result["removed"] == {
        "run_artifacts": {"count": 1, "names": ["RUN_OLD"]},
        "model_versions": {"count": 1, "names": ["V_OLD"]},
        "dataset_versions": {"count": 3, "names": ["v20240105_000000_test", "v20240105_000000_train", "v20240105_000000"]},
        "feature_state_tables": {"count": 2, "names": [STATE_TABLES_V20240105["lookups"], STATE_TABLES_V20240105["means"]]},
        "ml_jobs": {"count": 0, "names": []},
        "cancelled_ml_jobs": {"count": 0, "names": []},
    }
    assert session.return_values == [value]
    assert f"keeping {ARTIFACTS}{RUN_ID}/" in capsys.readouterr().out


def test_cleanup_after_a_cancelled_task_keeps_the_runs_artefacts():
    session, registry, store = cleanup_world(promote="CANCELLED")
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["current_run"]["outcome"] == "cancelled" and result["current_run"]["artefacts"] == "kept"
    assert result["current_run"]["tasks"] == ["MORTGAGE_PIPELINE$PROMOTE_MODEL"]
    assert f"{ARTIFACTS}{RUN_ID}/model.ubj" in session.stage


def test_cleanup_keeps_the_runs_artefacts_when_the_history_query_fails(capsys):
    session, registry, store = cleanup_world()
    session.task_history = FakeSQLError("Insufficient privileges to operate on task 'MORTGAGE_PIPELINE'")
    value = cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)  # not a failure
    result = json.loads(value)

    assert result["current_run"] == {
        "run_id": RUN_ID,
        "outcome": "unknown",
        "artefacts": "kept",
        "detail": "task history query failed: Insufficient privileges to operate on task 'MORTGAGE_PIPELINE'",
    }
    assert session.statements_matching("TASK_HISTORY") == [HISTORY_SQL]
    assert session.statements_matching("^REMOVE ") == [f"REMOVE {ARTIFACTS}RUN_OLD/"]
    assert sorted(session.stage) == sorted(RETAINED_STAGE + [f"{ARTIFACTS}{RUN_ID}/model.ubj"])
    assert result["removed"]["model_versions"]["names"] == ["V_OLD"]
    assert session.return_values == [value]
    out = capsys.readouterr().out
    assert "unknown (task history query failed: Insufficient privileges" in out
    assert f"keeping {ARTIFACTS}{RUN_ID}/" in out


def test_cleanup_keeps_the_runs_artefacts_when_the_history_has_no_rows_for_the_run(capsys):
    session, registry, store = cleanup_world()
    # Rows of this run group only under another database's INFORMATION_SCHEMA, and of another group.
    session.task_history = [
        ("OTHER_DB", GROUP, "MORTGAGE_PIPELINE$PROMOTE_MODEL", "SUCCEEDED"),
        ("ML_DEV", "01b2c3d4-0000-0000-0000-000000000000", "MORTGAGE_PIPELINE$PROMOTE_MODEL", "SUCCEEDED"),
        ("ML_DEV", GROUP, "MORTGAGE_PIPELINE$CLEANUP", "EXECUTING"),  # the finalizer itself does not count
    ]
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["current_run"] == {
        "run_id": RUN_ID, "outcome": "unknown", "artefacts": "kept", "detail": "no task runs of this graph run group in TASK_HISTORY",
    }
    assert f"{ARTIFACTS}{RUN_ID}/model.ubj" in session.stage
    assert session.statements_matching("^REMOVE ") == [f"REMOVE {ARTIFACTS}RUN_OLD/"]
    assert "unknown (no task runs of this graph run group in TASK_HISTORY)" in capsys.readouterr().out


def test_a_kept_run_is_not_removed_by_retention_even_when_its_files_are_past_it():
    # retention_days 0: every file older than NOW is past the window, the current run's included.
    session = session_with(graph_config(retention_days=0), task="CLEANUP")
    record_run(session, promote="FAILED")
    session.stage[f"{ARTIFACTS}{RUN_ID}/model.ubj"] = (b"m", days_ago(1))
    session.stage[f"{ARTIFACTS}RUN_OLD/model.ubj"] = (b"m", days_ago(1))
    result = json.loads(cleanup.main(session, registry=FakeRegistry(now=NOW), store=FakeDatasetStore(now=NOW), jobs=FakeJobs(), now=NOW))
    assert result["current_run"]["artefacts"] == "kept"
    assert sorted(session.stage) == [f"{ARTIFACTS}{RUN_ID}/model.ubj"]
    assert result["removed"]["run_artifacts"]["names"] == ["RUN_OLD"]


# -- CLEANUP: lineage of every kept model version, the registry inside the guard, odd folders, ML Jobs


def test_cleanup_keeps_the_data_of_every_model_version_it_keeps():
    session, registry, store = cleanup_world()
    # V_RECENT (10 days old, kept) was trained on the v20240105 group, which is past retention.
    registry.models["MORTGAGE_MODEL"]["V_RECENT"]["train_dataset"] = (DATASET, "v20240105_000000_train")
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["dataset_versions"] == {"count": 0, "names": []}
    assert result["removed"]["feature_state_tables"] == {"count": 0, "names": []}
    assert session.statements_matching("^DROP TABLE") == []  # the kept version's feature state stays too
    assert {v for _, v in store.versions} >= {"v20240105_000000", "v20240105_000000_train", "v20240105_000000_test"}
    assert result["kept_dataset_versions_in_use"] == ["v20231201_000000", "v20240105_000000"]
    # The dropped version's data is not kept for it: V_OLD's lineage is not even asked.
    assert ("datasets_used_by", "MORTGAGE_MODEL", "V_OLD") not in registry.calls


def test_cleanup_keeps_every_dataset_when_a_kept_versions_lineage_is_unknown():
    session, registry, store = cleanup_world()
    looked_up = registry.datasets_used_by

    def lineage(model_name, version):
        if version == "V_RECENT":
            raise FakeSQLError("Insufficient privileges to read lineage")
        return looked_up(model_name, version)

    registry.datasets_used_by = lineage
    with pytest.raises(CleanupError, match="lineage of ML_DEV.MODELS.MORTGAGE_MODEL V_RECENT"):
        cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW)
    assert not [c for c in store.calls if c[0] == "delete_version"]


def test_cleanup_opens_the_registry_inside_its_guard(monkeypatch):
    from mlpipeline import registry as model_registry

    class MissingSchema:
        def __init__(self, session, registry_schema):
            # What Registry.__init__ raises (snowflake-ml-python 1.48.0) when the schema is missing.
            raise ValueError(f"Schema {registry_schema} does not exist.")

    monkeypatch.setattr(model_registry, "SnowflakeRegistry", MissingSchema)
    session, _, store = cleanup_world()
    result = json.loads(cleanup.main(session, store=store, jobs=FakeJobs(), now=NOW))
    # The run's artefacts and expired runs are still removed; the registry counts as missing.
    assert result["removed"]["run_artifacts"]["names"] == [RUN_ID, "RUN_OLD"]
    assert result["missing"] == {"count": 1, "names": ["open the model registry ML_DEV.MODELS"]}
    assert session.return_values


def test_cleanup_skips_a_run_folder_that_is_not_a_run_id(capsys):
    session, registry, store = cleanup_world()
    session.stage[f"{ARTIFACTS}odd-folder.v2/model.ubj"] = (b"m", days_ago(90))
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["run_artifacts"]["names"] == [RUN_ID, "RUN_OLD"]
    assert f"{ARTIFACTS}odd-folder.v2/model.ubj" in session.stage
    assert "skipping run folder 'odd-folder.v2': not a run id" in capsys.readouterr().out


def test_cleanup_deletes_the_pipelines_ended_ml_jobs_past_retention():
    def job(job_id, status, age_days):
        return {"id": f"ML_DEV.PIPELINE.{job_id}", "name": job_id, "status": status, "created_time": days_ago(age_days)}

    jobs = FakeJobs(listed=[
        job("MORTGAGE_PIPELINE_TRAINING_1A2B3C4D", "DONE", 40),
        job("MORTGAGE_PIPELINE_TRAINING_5E6F7A8B", "FAILED", 31),
        job("MORTGAGE_PIPELINE_TRAINING_9C0D1E2F", "DONE", 5),  # within retention
        job("MORTGAGE_PIPELINE_TRAINING_3A4B5C6D", "RUNNING", 45),  # still running: never deleted
        job("OTHER_PIPELINE_TRAINING_7E8F9A0B", "DONE", 90),  # another pipeline's
    ])
    session, registry, store = cleanup_world()
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=jobs, now=NOW))
    assert jobs.deleted == ["ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_1A2B3C4D", "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_5E6F7A8B"]
    assert result["removed"]["ml_jobs"] == {"count": 2, "names": jobs.deleted}


def test_cleanup_reports_a_job_that_cannot_be_deleted_after_trying_the_rest():
    jobs = FakeJobs(listed=[{"id": "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_1", "name": "MORTGAGE_PIPELINE_TRAINING_1", "status": "DONE", "created_time": days_ago(60)}])
    jobs.fail_delete["ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_1"] = FakeSQLError("Insufficient privileges to operate on service")
    session, registry, store = cleanup_world()
    with pytest.raises(CleanupError, match="delete ML Job ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_1: Insufficient privileges"):
        cleanup.main(session, registry=registry, store=store, jobs=jobs, now=NOW)
    assert "V_OLD" not in registry.models["MORTGAGE_MODEL"]


# -- CLEANUP: when in doubt, keep the data (issue items 3, 4 and 7)


def dataset_names(store):
    return sorted(v for _, v in store.versions)


def test_cleanup_keeps_every_dataset_when_lineage_is_not_authorized():
    # A role without VIEW LINEAGE gets "does not exist or not authorized" from the lineage query: that
    # is not "no lineage", so nothing is known to be unused and every dataset version stays.
    session, registry, store = cleanup_world()
    before = dataset_names(store)

    def not_authorized(model_name, version):
        raise FakeSQLError("SQL compilation error: Object 'MORTGAGE_MODEL' does not exist or not authorized.")

    registry.datasets_used_by = not_authorized
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["dataset_versions"] == {"count": 0, "names": []}
    assert dataset_names(store) == before
    assert "lineage of ML_DEV.MODELS.MORTGAGE_MODEL V_OLD_DEFAULT" in result["missing"]["names"]
    assert result["removed"]["model_versions"]["names"] == ["V_OLD"]  # what it does know still goes


def test_cleanup_keeps_every_dataset_when_the_model_versions_cannot_be_listed():
    session, registry, store = cleanup_world()
    before = dataset_names(store)

    def not_authorized(model_name):
        raise FakeSQLError("Model 'MORTGAGE_MODEL' does not exist or not authorized.")

    registry.versions = not_authorized
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert dataset_names(store) == before and result["removed"]["dataset_versions"]["count"] == 0


def test_cleanup_keeps_every_dataset_when_the_registry_cannot_be_opened():
    session, _, store = cleanup_world()
    before = dataset_names(store)

    def missing_schema():
        raise ValueError("Schema ML_DEV.MODELS does not exist.")

    result = cleanup_module.run_cleanup(session, parse_config(graph_config()), RUN_ID, RunOutcome("succeeded", "all succeeded"),
                                        missing_schema, store, NOW, FakeJobs())
    assert dataset_names(store) == before and result["removed"]["dataset_versions"]["count"] == 0


def test_cleanup_keeps_every_dataset_when_the_run_folders_cannot_be_listed():
    session, registry, store = cleanup_world()
    before = dataset_names(store)
    real_sql = session.sql

    def sql(query, params=None):
        if query.startswith("LIST "):
            raise FakeSQLError("Stage 'ML_DEV.PIPELINE.ARTIFACT_STAGE' does not exist or not authorized.")
        return real_sql(query, params)

    session.sql = sql
    json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert dataset_names(store) == before


def test_cleanup_compares_lineage_versions_without_regard_to_case():
    # The lineage names the version as the server stores it; the dataset lists it as created.
    session, registry, store = cleanup_world()
    registry.models["MORTGAGE_MODEL"]["V_RECENT"]["train_dataset"] = ('"ML_DEV"."MODELS"."MORTGAGE_DATASET"', "V20240105_000000")
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["dataset_versions"] == {"count": 0, "names": []}
    assert {"v20240105_000000", "v20240105_000000_train", "v20240105_000000_test"} <= set(dataset_names(store))


def test_cleanup_keeps_the_dataset_version_a_failed_run_needs_for_retry_last():
    # PREPARE_DATA of this (failed) run and of RUN_RECENT (failed 5 days ago, folder kept) recorded
    # their dataset versions; both are past retention and no model uses them, but RETRY LAST needs them.
    session, registry, store = cleanup_world(promote="FAILED")
    session.stage[f"{ARTIFACTS}{RUN_ID}/datasets/v20240105_000000.json"] = (b"{}", NOW)
    store.add(DATASET, "v20240106_000000", days_ago(57))
    session.stage[f"{ARTIFACTS}RUN_RECENT/datasets/v20240106_000000.json"] = (b"{}", days_ago(5))
    # RUN_OLD's folder expires now: its marker keeps nothing.
    store.add(DATASET, "v20240107_000000", days_ago(58))
    session.stage[f"{ARTIFACTS}RUN_OLD/datasets/v20240107_000000.json"] = (b"{}", days_ago(60))
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert result["removed"]["dataset_versions"]["names"] == ["v20240107_000000"]
    assert {"v20240105_000000", "v20240106_000000"} <= set(dataset_names(store))


def test_prepare_data_records_its_dataset_version_in_the_run_folder(sample):
    session = session_with(task="PREPARE_DATA")
    session.add_table(SOURCE, sample, "20240215_083000")
    result = json.loads(prepare_data.main(session, store=FakeDatasetStore(), build=reference_build))
    version = result["dataset"]["version"]
    data, _ = session.stage[f"{ARTIFACTS}{RUN_ID}/datasets/{version}.json"]
    assert json.loads(data) == result["dataset"]


def test_cleanup_cancels_this_runs_own_job_that_is_still_running():
    # TRAIN_MODEL was stopped from outside (its timeout, a cancelled graph run) while its job ran: the
    # job's submission marker is in this run's folder, and the job is still RUNNING.
    session, registry, store = cleanup_world(promote="FAILED")
    session.stage[f"{ARTIFACTS}{RUN_ID}/attempts/0a1b2c3d4e5f/submitted.json"] = (b"{}", NOW)
    session.stage[f"{ARTIFACTS}RUN_RECENT/attempts/998877665544/submitted.json"] = (b"{}", days_ago(5))

    def job(name, status, age_days):
        return {"id": f"ML_DEV.PIPELINE.{name}", "name": name, "status": status, "created_time": days_ago(age_days)}

    jobs = FakeJobs(listed=[
        job("MORTGAGE_PIPELINE_TRAINING_0a1b2c3d4e5f", "RUNNING", 0),   # this run's: cancelled
        job("MORTGAGE_PIPELINE_TRAINING_998877665544", "RUNNING", 5),   # another run's: left alone
        job("MORTGAGE_PIPELINE_TRAINING_112233445566", "DONE", 0),
    ])
    result = json.loads(cleanup.main(session, registry=registry, store=store, jobs=jobs, now=NOW))
    assert jobs.cancelled == ["ML_DEV.PIPELINE.MORTGAGE_PIPELINE_TRAINING_0a1b2c3d4e5f"]
    assert result["removed"]["cancelled_ml_jobs"] == {"count": 1, "names": jobs.cancelled}


# -- TRAIN_MODEL: when Snowflake would stop it (issue item 4)


@pytest.mark.parametrize("task_ms, statement_s, expected_ms", [
    (14_400_000, [1_800, 0], 1_800_000),        # the session's 30 min statement timeout stops it first
    (14_400_000, [0, 0], 14_400_000),           # 0: no statement limit
    (600_000, [172_800, 3_600], 600_000),       # the task's 10 min is the lowest
    (14_400_000, [172_800, 7_200], 7_200_000),  # the warehouse's 2 h
    (0, [], 3_600_000),                         # nothing known: Snowflake's default task timeout
])
def test_the_effective_timeout_is_the_lowest_non_zero_limit(task_ms, statement_s, expected_ms):
    assert ml_jobs.effective_timeout_ms(task_ms, statement_s) == expected_ms


def test_train_model_waits_no_longer_than_the_statement_timeout_allows():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    session.task_parameters["MORTGAGE_PIPELINE$TRAIN_MODEL"] = {"USER_TASK_TIMEOUT_MS": TIMEOUT_MS}  # 4 h
    session.scope_parameters["WAREHOUSE ML_DEV_WH"] = {"STATEMENT_TIMEOUT_IN_SECONDS": 1_800}  # 30 min
    jobs = FakeJobs(job_returning(session=session, duration=3_600.0))
    with pytest.raises(TrainingJobFailed, match="did not finish within 1680 s"):
        train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=jobs)
    assert jobs.made[0].cancelled is True
    assert session.statements_matching("STATEMENT_TIMEOUT_IN_SECONDS") == [
        "SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN SESSION",
        "SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN WAREHOUSE ML_DEV_WH",
    ]


def test_train_model_records_its_submission_in_the_run_folder_before_waiting():
    session = session_with(task="TRAIN_MODEL", PREPARE_DATA=PREPARED)
    session.task_parameters["MORTGAGE_PIPELINE$TRAIN_MODEL"] = {"USER_TASK_TIMEOUT_MS": TIMEOUT_MS}
    seen_before_wait = []

    def make(kwargs):
        job = job_returning(session=session)(kwargs)
        real_wait = job.wait
        job.wait = lambda timeout=-1: seen_before_wait.extend(p for p in session.stage if p.endswith("/submitted.json")) or real_wait(timeout)
        return job

    jobs = FakeJobs(make)
    train_model.main(session, PAYLOAD, "jobs/train.py", 2, jobs=jobs)
    token = jobs.submissions[0]["name"].rsplit("_", 1)[1]
    assert seen_before_wait == [f"{ARTIFACTS}{RUN_ID}/attempts/{token}/submitted.json"]
    data, _ = session.stage[seen_before_wait[0]]
    assert json.loads(data) == {"job_id": "ML_DEV.PIPELINE.MLJOB_0A1B", "job_name": jobs.submissions[0]["name"]}


# -- PREPARE_DATA: the version follows the source's content (issue item 5)


def test_new_rows_in_a_view_make_a_new_version_though_its_last_altered_did_not_change(sample):
    store = FakeDatasetStore()
    versions = []
    for rows in (sample.head(300), sample):  # the view's base table got rows; the view's DDL did not change
        session = session_with(task="PREPARE_DATA")
        session.add_table(SOURCE, rows.copy(), "20240215_083000", view=True)
        versions.append(json.loads(prepare_data.main(session, store=store, build=reference_build))["dataset"]["version"])
    assert versions == [content_version(sample.head(300)), content_version(sample)]
    assert [call[0] for call in store.calls].count("create_version") == 2


def test_table_maintenance_without_a_data_change_reuses_the_version(sample):
    store = FakeDatasetStore()
    results = []
    for last_altered in ("20240215_083000", "20240216_020000"):  # e.g. reclustering moved LAST_ALTERED
        session = session_with(task="PREPARE_DATA")
        session.add_table(SOURCE, sample, last_altered)
        results.append(json.loads(prepare_data.main(session, store=store, build=reference_build)))
    assert results[0]["dataset"]["version"] == results[1]["dataset"]["version"] == content_version(sample)
    assert results[1]["reused"] is True
