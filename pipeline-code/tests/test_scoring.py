"""Batch scoring (mlpipeline.scoring) in Snowpark's local testing mode, with the model packaged and
loaded again by snowflake-ml's ModelPackager, against the pandas reference features and the booster.

The one stand-in is ``PackagedModelVersion``: it takes the place of a registered ModelVersion, whose
``run`` calls the model's PREDICT_PROBA function in a warehouse (needs an account). It runs the model
snowflake-ml packaged and loaded here on the rows it is given and names its outputs as the
registry's function does (output_feature_0, output_feature_1: the signature the packager infers).
"""

import datetime as dt
import json
import os

import numpy as np
import pandas as pd
import pytest

from helpers import MONITOR_CONFIG, graph_config
from mlpipeline import datasets, features, modeling, monitoring, registry, scoring
from mlpipeline.config import ConfigError
from tasks import score_batch

pytest.importorskip("snowflake.ml.model", reason="snowflake-ml-python is not installed (Debian fallback)")
local = pytest.importorskip("snowpark_local")

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
HISTORY_ROWS = 150  # local testing evaluates windows row by row
TABLES = {"lookups": "ML_DEV.MODELS.MORTGAGE_DATASET_V1_LOOKUPS", "means": "ML_DEV.MODELS.MORTGAGE_DATASET_V1_MEANS"}
SCORED_AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


class PackagedModelVersion:
    """Stands for a registered ModelVersion (its run() needs a warehouse): runs the packaged model."""

    version_name = "RUN_20240301_020000"

    def __init__(self, session, model):
        self.session, self.model, self.calls = session, model, []

    def run(self, frame, *, function_name):
        self.calls.append((function_name, list(frame.columns)))
        rows = frame.to_pandas()
        probabilities = self.model.predict_proba(rows[list(features.FEATURE_COLUMNS)].astype("float64"))
        rows["output_feature_0"], rows["output_feature_1"] = probabilities[:, 0], probabilities[:, 1]
        return self.session.create_dataframe(rows)

    def show_metrics(self):
        return {"test_accuracy": 0.8, "training_dataset": {"name": "ML_DEV.MODELS.MORTGAGE_DATASET", "version": "v1"}}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from snowflake.ml.model._packager import model_packager

    history = pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]).head(HISTORY_ROWS)
    is_train = local.stand_in_is_train(history["LOAN_ID"], features.TRAIN_PERCENT)
    frame = features.reference_features(history, is_train.to_numpy())
    booster = modeling.train_local(frame[frame["SPLIT"] == "TRAIN"], features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=10)
    folder = str(tmp_path_factory.mktemp("model"))
    model_packager.ModelPackager(folder).save(
        name="mortgage_model", model=registry.classifier_from_bytes(modeling.model_to_bytes(booster)),
        sample_input_data=frame[list(features.FEATURE_COLUMNS)].head(20), options=registry.log_model_options(),
        target_platforms=list(registry.TARGET_PLATFORMS),
    )
    loaded = model_packager.ModelPackager(folder)
    loaded.load()
    # The local session after packaging: the packager asks an active session for platform
    # capabilities, which local testing cannot answer (without one it uses its defaults).
    session = local.session()
    datasets.build_version_frame(session, session.create_dataframe(history), TABLES).collect()  # saves the state tables
    yield session, history, is_train, booster, PackagedModelVersion(session, loaded.model)
    session.close()


def new_loans(history, is_train):
    """Three new loans and one already in the history (a TEST row there, so not in the fitted state),
    with other values; no label."""
    again = int(history.loc[~is_train, "LOAN_ID"].iloc[0])
    first = int(history["LOAN_ID"].max()) + 1
    return pd.DataFrame({
        "LOAN_ID": [first, first + 1, first + 2, again],
        "TS": pd.to_datetime(["2024-03-01 09:00", "2024-03-01 10:00", "2024-03-02 08:00", "2024-03-02 09:00"]),
        "LOAN_TYPE_NAME": ["Conventional", "FHA-insured", "Unknown type", None],
        "LOAN_PURPOSE_NAME": ["Home purchase", "Refinancing", "Home purchase", "Refinancing"],
        "APPLICANT_INCOME_000S": [85.0, np.nan, 40.0, 120.0],
        "LOAN_AMOUNT_000S": [200, 150, 0, 300],
        "COUNTY_NAME": [history["COUNTY_NAME"].iloc[0], history["COUNTY_NAME"].iloc[1], "Nowhere County", history["COUNTY_NAME"].iloc[2]],
    })


def expected_scores(history, is_train, booster, new):
    """Worked out without mlpipeline.scoring: the pandas reference features of new + the history
    without the re-sent loan (state fitted on the history's TRAIN rows), then the booster."""
    earlier = history[~history["LOAN_ID"].isin(new["LOAN_ID"])]
    combined = pd.concat([new.assign(MORTGAGERESPONSE=np.nan), earlier], ignore_index=True)
    train_mask = np.concatenate([np.zeros(len(new), dtype=bool), is_train[earlier.index].to_numpy()])
    frame = features.reference_features(combined, train_mask).head(len(new))
    probability = booster.predict(modeling._matrix(frame, features.FEATURE_COLUMNS))
    return dict(zip(new["LOAN_ID"].astype(int), probability.astype(float)))


def test_score_batch_returns_key_class_and_probability_with_the_saved_state(world):
    session, history, is_train, booster, model_version = world
    new = new_loans(history, is_train)
    scored = scoring.score_batch(session, session.create_dataframe(new), model_version, TABLES,
                                 history=session.create_dataframe(history), scored_at=SCORED_AT).to_pandas()

    assert list(scored.columns) == list(scoring.SCORE_COLUMNS)
    # One row per input row: the loan already in the history is scored once, with the new values.
    assert sorted(scored["LOAN_ID"].astype(int)) == sorted(new["LOAN_ID"].astype(int))
    expected = expected_scores(history, is_train, booster, new)
    for row in scored.to_dict("records"):
        assert row["PROBABILITY"] == pytest.approx(expected[int(row["LOAN_ID"])], abs=1e-5)
        assert row["PREDICTED_CLASS"] == int(expected[int(row["LOAN_ID"])] >= 0.5)
        assert pd.Timestamp(row["SCORED_AT"]) == pd.Timestamp("2024-03-01 12:00:00")
    # The model got the key and the 12 features in training order, nothing else.
    assert model_version.calls[-1] == ("predict_proba", ["LOAN_ID"] + list(features.FEATURE_COLUMNS))


def test_score_batch_ignores_a_label_column_and_works_without_history(world):
    session, history, is_train, booster, model_version = world
    new = new_loans(history, is_train).head(3).assign(MORTGAGERESPONSE=1)
    scored = scoring.score_batch(session, session.create_dataframe(new), model_version, TABLES, scored_at=SCORED_AT).to_pandas()
    assert sorted(scored["LOAN_ID"].astype(int)) == sorted(new["LOAN_ID"].astype(int))
    assert set(scored["PREDICTED_CLASS"]) <= {0, 1} and scored["PROBABILITY"].between(0, 1).all()


def test_rows_without_a_source_column_are_refused_naming_it(world):
    session, history, is_train, _, model_version = world
    rows = session.create_dataframe(new_loans(history, is_train).drop(columns=["COUNTY_NAME"]))
    with pytest.raises(scoring.ScoringError, match=r"^the rows to score lack column\(s\) COUNTY_NAME; expected the source table's columns LOAN_ID, TS, "):
        scoring.score_batch(session, rows, model_version, TABLES)


def test_the_training_dataset_version_comes_from_the_model_versions_metadata(world):
    *_, model_version = world
    assert scoring.training_dataset_version(model_version) == "v1"

    class Unregistered:
        version_name = "V7"

        def show_metrics(self):
            return {"test_accuracy": 0.8}

    with pytest.raises(scoring.ScoringError, match="model version V7 records no training_dataset.version"):
        scoring.training_dataset_version(Unregistered())


class TaskGraphSession:
    """A local-testing session seen from inside a task: stands for the graph functions Snowflake
    answers in a task run (SYSTEM$GET_TASK_GRAPH_CONFIG, SYSTEM$SET_RETURN_VALUE) and for the DDL
    the account runs (session.sql: local testing runs no SQL text), which local testing lacks; the
    statements are recorded. DataFrames and tables go to Snowpark's local testing session."""

    def __init__(self, session, config):
        self._session, self.config, self.return_values, self.statements = session, config, [], []

    def __getattr__(self, name):
        return getattr(self._session, name)

    def sql(self, text):
        self.statements.append(text)
        return type("Result", (), {"collect": lambda self: []})()

    def call(self, name, *args):
        if name == "SYSTEM$GET_TASK_GRAPH_CONFIG":
            return json.dumps(self.config)
        if name == "SYSTEM$SET_RETURN_VALUE":
            self.return_values.append(args[0])
            return "Return value set."
        raise AssertionError(f"unexpected call {name}")


class DefaultVersionRegistry:
    """Stands for the model registry (SHOW MODELS / get_model need an account)."""

    def __init__(self, model_version):
        self.model_version = model_version

    def default_model_version(self, model_name):
        assert model_name == "MORTGAGE_MODEL"
        return self.model_version


def test_the_score_batch_task_appends_the_scores_of_the_input_table(world):
    session, history, is_train, booster, model_version = world
    new = new_loans(history, is_train)
    session.create_dataframe(history).write.save_as_table("ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA", mode="overwrite")
    session.create_dataframe(new).write.save_as_table("ML_DEV.DATA.NEW_LOANS", mode="overwrite")
    config = graph_config(scoring_input_table="ml_dev.data.new_loans", scoring_output_table="ML_DEV.DATA.LOAN_SCORES")
    task_session = TaskGraphSession(session, config)
    value = score_batch.main(task_session, registry=DefaultVersionRegistry(model_version), now=SCORED_AT)
    assert json.loads(value) == {
        "model": "ML_DEV.MODELS.MORTGAGE_MODEL", "version": "RUN_20240301_020000", "training_dataset_version": "v1",
        "output_table": "ML_DEV.DATA.LOAN_SCORES", "scored_at": "2024-03-01T12:00:00+00:00",
    }
    assert task_session.return_values == [value]
    assert task_session.statements == []  # no monitor declared: no inference log
    written = session.table("ML_DEV.DATA.LOAN_SCORES").to_pandas()
    assert list(written.columns) == list(scoring.SCORE_COLUMNS)
    expected = expected_scores(history, is_train, booster, new)
    assert {int(k): round(float(p), 5) for k, p in zip(written["LOAN_ID"], written["PROBABILITY"])} == {k: round(p, 5) for k, p in expected.items()}


def test_the_score_batch_task_names_a_missing_config_key(world):
    session, *_ = world
    with pytest.raises(ConfigError, match=r"graph config is missing key\(s\): scoring_output_table \(a table as DB.SCHEMA.TABLE\)"):
        score_batch.main(TaskGraphSession(session, graph_config(scoring_input_table="ML_DEV.DATA.NEW_LOANS")), registry=object())


def logged_rows(session, table):
    """The inference log's rows as {LOAN_ID: (PREDICTED_CLASS, PROBABILITY to 5 places, MODEL_VERSION, SCORED_AT)}."""
    log = session.table(table).to_pandas()
    assert list(log.columns) == ["SCORED_AT", "LOAN_ID", "PREDICTED_CLASS", "PROBABILITY", "MODEL_VERSION"]
    return {int(r["LOAN_ID"]): (int(r["PREDICTED_CLASS"]), round(float(r["PROBABILITY"]), 5), r["MODEL_VERSION"], pd.Timestamp(r["SCORED_AT"]))
            for r in log.to_dict("records")}


def expected_log(history, is_train, booster, new, version):
    return {loan: (int(p >= 0.5), round(p, 5), version, pd.Timestamp("2024-03-01 12:00:00"))
            for loan, p in expected_scores(history, is_train, booster, new).items()}


def test_score_batch_output_goes_into_the_inference_log_with_the_version(world):
    session, history, is_train, booster, model_version = world
    new = new_loans(history, is_train)
    scores = scoring.score_batch(session, session.create_dataframe(new), model_version, TABLES,
                                 history=session.create_dataframe(history), scored_at=SCORED_AT)
    ddl = TaskGraphSession(session, {})
    assert monitoring.append_inferences(ddl, "ML_DEV.MODELS", "DIRECT_PIPELINE", scores, "RUN_20240301_020000") == 4
    # The log is created if missing (the account's DDL, recorded here), then appended to.
    assert ddl.statements == [
        "CREATE TABLE IF NOT EXISTS ML_DEV.MODELS.DIRECT_PIPELINE_INFERENCE_LOG (SCORED_AT TIMESTAMP_NTZ, LOAN_ID NUMBER(38,0), "
        "PREDICTED_CLASS NUMBER(1,0), PROBABILITY FLOAT, MODEL_VERSION VARCHAR)"
    ]
    assert logged_rows(session, "ML_DEV.MODELS.DIRECT_PIPELINE_INFERENCE_LOG") == expected_log(history, is_train, booster, new, "RUN_20240301_020000")


def test_the_inference_log_refuses_rows_without_the_score_columns_naming_them(world):
    session, *_ = world
    rows = session.create_dataframe(pd.DataFrame({"LOAN_ID": [1], "PROBABILITY": [0.4]}))
    ddl = TaskGraphSession(session, {})
    with pytest.raises(monitoring.InferenceLogError, match=(
            r"^the scored rows lack column\(s\) SCORED_AT, PREDICTED_CLASS; the inference log takes what scoring.score_batch "
            r"returns: SCORED_AT, LOAN_ID, PREDICTED_CLASS, PROBABILITY$")):
        monitoring.append_inferences(ddl, "ML_DEV.MODELS", "REFUSED_PIPELINE", rows, "V1")
    assert ddl.statements == []  # refused before the log is created


def test_with_a_monitor_the_score_batch_task_also_appends_to_the_inference_log(world):
    session, history, is_train, booster, model_version = world
    new = new_loans(history, is_train)
    session.create_dataframe(history).write.save_as_table("ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA", mode="overwrite")
    session.create_dataframe(new).write.save_as_table("ML_DEV.DATA.NEW_LOANS", mode="overwrite")
    config = graph_config(pipeline_name="MONITORED_PIPELINE", scoring_input_table="ML_DEV.DATA.NEW_LOANS",
                          scoring_output_table="ML_DEV.DATA.MONITORED_SCORES", **MONITOR_CONFIG)
    task_session = TaskGraphSession(session, config)
    value = json.loads(score_batch.main(task_session, registry=DefaultVersionRegistry(model_version), now=SCORED_AT))
    assert value["inference_log"] == "ML_DEV.MODELS.MONITORED_PIPELINE_INFERENCE_LOG" and value["logged_rows"] == 4
    assert task_session.statements == [
        "CREATE TABLE IF NOT EXISTS ML_DEV.MODELS.MONITORED_PIPELINE_INFERENCE_LOG (SCORED_AT TIMESTAMP_NTZ, LOAN_ID NUMBER(38,0), "
        "PREDICTED_CLASS NUMBER(1,0), PROBABILITY FLOAT, MODEL_VERSION VARCHAR)"
    ]
    expected = expected_log(history, is_train, booster, new, "RUN_20240301_020000")
    assert logged_rows(session, "ML_DEV.MODELS.MONITORED_PIPELINE_INFERENCE_LOG") == expected
    # The output table holds the same scores, without the version.
    written = session.table("ML_DEV.DATA.MONITORED_SCORES").to_pandas()
    assert {int(r["LOAN_ID"]): (int(r["PREDICTED_CLASS"]), round(float(r["PROBABILITY"]), 5)) for r in written.to_dict("records")} == {
        loan: row[:2] for loan, row in expected.items()}
