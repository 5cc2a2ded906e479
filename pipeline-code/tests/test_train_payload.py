"""jobs/train.py: locally on pandas frames, and as a script the way the ML Job launcher runs it
(runpy, run_name "__main__", the result in the module global __return__)."""

import os
import runpy
import sys
import types

import pandas as pd
import pytest

from jobs import train
from mlpipeline import features, modeling

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
MODEL_PATH = "@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/RUN_1/model.ubj"
DATASET = "ML_DEV.MODELS.MORTGAGE_DATASET"


@pytest.fixture(scope="module")
def dataset():
    """One dataset version holding both splits, as PREPARE_DATA writes it."""
    return {"v1": features.reference_features(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]))}


def argv(instances=1):
    return [
        "--dataset", DATASET, "--train-version", "v1", "--test-version", "v1",
        "--label-col", "MORTGAGERESPONSE", "--feature-cols", ",".join(features.FEATURE_COLUMNS),
        "--model-path", MODEL_PATH, "--instances", str(instances),
    ]


def rows_of(frame, split):
    return frame[frame["SPLIT"] == split].reset_index(drop=True)


class LocalIO:
    """The payload's io seam over pandas frames; records what the head node reads, and how: a whole
    split (``frame``) or result batches of at most ``batch_rows`` (``batches``)."""

    batch_rows = 100

    def __init__(self, versions):
        self.versions = versions
        self.loaded = []
        self.streamed = []
        self.largest_batch = 0
        self.connected = []
        self.saved = {}

    def frame(self, name, version, split_col, split):
        self.loaded.append((name, version, split_col, split))
        return rows_of(self.versions[version], split)

    def batches(self, name, version, split_col, split):
        self.streamed.append((name, version, split_col, split))
        rows = rows_of(self.versions[version], split)
        for start in range(0, len(rows), self.batch_rows):
            batch = rows.iloc[start:start + self.batch_rows]
            self.largest_batch = max(self.largest_batch, len(batch))
            yield batch

    def connector(self, name, version, split_col, split):
        self.connected.append((name, version, split_col, split))
        return ("connector", version, split)

    def save(self, path, data):
        self.saved[path] = data


def test_payload_trains_on_the_train_rows_evaluates_on_the_test_rows_and_saves_the_model(dataset):
    io = LocalIO(dataset)
    result = train.main(argv(), io=io)
    # One node holds the train split it trains on; the test split is streamed.
    assert io.loaded == [(DATASET, "v1", "SPLIT", "TRAIN")]
    assert io.streamed == [(DATASET, "v1", "SPLIT", "TEST")]
    assert io.connected == []  # one instance: no DataConnector
    assert result["model_path"] == MODEL_PATH and result["distributed"] is False
    assert result["metrics"]["test_accuracy"] >= 0.7
    full = dataset["v1"]
    assert result["train_rows"] == int((full["SPLIT"] == "TRAIN").sum()) and result["test_rows"] == int((full["SPLIT"] == "TEST").sum())
    # The saved bytes are a model that reproduces the reported test accuracy on the TEST rows.
    booster = modeling.model_from_bytes(io.saved[MODEL_PATH])
    test = rows_of(full, "TEST")
    predictions = modeling.predict(booster, test, features.FEATURE_COLUMNS)
    assert round(float((predictions == test["MORTGAGERESPONSE"].to_numpy()).mean()), 4) == result["metrics"]["test_accuracy"]


def test_several_instances_train_through_a_data_connector_of_the_train_rows(dataset):
    seen = []
    train_rows = rows_of(dataset["v1"], "TRAIN")

    def distributed(connector, feature_cols, label_col):
        seen.append((connector, list(feature_cols), label_col))
        return modeling.train_local(train_rows, feature_cols, label_col, rounds=20)

    io = LocalIO(dataset)
    result = train.main(argv(instances=2), io=io, distributed_trainer=distributed)
    assert seen == [(("connector", "v1", "TRAIN"), list(features.FEATURE_COLUMNS), "MORTGAGERESPONSE")]
    assert io.connected == [(DATASET, "v1", "SPLIT", "TRAIN")]
    # Item 6: the head node never holds a split, only one result batch at a time (both splits
    # streamed for the metrics), so its memory does not grow with the table.
    assert io.loaded == []
    assert io.streamed == [(DATASET, "v1", "SPLIT", "TRAIN"), (DATASET, "v1", "SPLIT", "TEST")]
    assert io.largest_batch == LocalIO.batch_rows
    assert result["distributed"] is True and result["instances"] == 2
    # The streamed metrics are those of the whole splits (worked out here on the full frames).
    booster = modeling.train_local(train_rows, features.FEATURE_COLUMNS, "MORTGAGERESPONSE", rounds=20)
    test = rows_of(dataset["v1"], "TEST")
    assert result["metrics"] == {
        **modeling.evaluate(booster, train_rows, features.FEATURE_COLUMNS, "MORTGAGERESPONSE", "train"),
        **modeling.evaluate(booster, test, features.FEATURE_COLUMNS, "MORTGAGERESPONSE", "test"),
    }
    assert result["train_rows"] == len(train_rows) and result["test_rows"] == len(test)


def test_without_the_distributor_several_instances_train_on_one_node(dataset):
    def unavailable(*_args):
        raise ImportError("No module named 'snowflake.ml.modeling.distributors'")

    io = LocalIO(dataset)
    result = train.main(argv(instances=2), io=io, distributed_trainer=unavailable)
    assert result["distributed"] is False and result["metrics"]["test_accuracy"] >= 0.7
    assert io.loaded[-1] == (DATASET, "v1", "SPLIT", "TRAIN")


def test_payload_arguments_are_required():
    with pytest.raises(SystemExit):
        train.parse_args(["--dataset", "X"])


def test_payload_runs_as_the_launchers_script_with_its_session(dataset, monkeypatch):
    """The launcher creates a session (get_active_session) and runs the file with runpy. The real
    Snowpark session and snowflake-ml DatasetReader run over a stand-in for the account's connection
    (tests/snowflake_account.py)."""
    pytest.importorskip("snowflake.ml.data", reason="snowflake-ml-python is not installed (Debian fallback)")
    from snowflake.ml.data.data_source import DatasetInfo
    from snowflake.ml.dataset.dataset_reader import DatasetReader
    from snowflake.snowpark import Session

    from snowflake_account import AccountConnection

    full = dataset["v1"].drop(columns=["TIMESTAMP"])
    account = AccountConnection(full)
    session = Session(account.conn)
    reader = DatasetReader.from_sources(session, [DatasetInfo(DATASET, "v1", f"snow://dataset/{DATASET}/versions/v1/")], snowpark_session=session)

    def load_dataset(sess, name, version):
        # Stands for resolving the dataset version in the account (SHOW DATASETS / versions).
        assert sess is session and (name, version) == (DATASET, "v1")
        return types.SimpleNamespace(read=reader)

    # Stands for the session the ML Job launcher creates in the container (needs an account).
    monkeypatch.setattr("snowflake.snowpark.context.get_active_session", lambda: session)
    monkeypatch.setattr("snowflake.ml.dataset.load_dataset", load_dataset)
    monkeypatch.setattr(sys, "argv", [os.path.join(CODE_ROOT, "jobs", "train.py")] + argv())

    globals_after = runpy.run_path(os.path.join(CODE_ROOT, "jobs", "train.py"), run_name="__main__")

    result = globals_after["__return__"]
    assert result["model_path"] == MODEL_PATH and result["metrics"]["test_accuracy"] >= 0.7
    assert result["test_rows"] == int((full["SPLIT"] == "TEST").sum())
    # The model went up through the session's put_stream, uncompressed, and is the trained one.
    assert f"PUT {MODEL_PATH} auto_compress=False overwrite=True" in account.statements
    booster = modeling.model_from_bytes(account.uploaded[MODEL_PATH])
    assert booster.num_boosted_rounds() == modeling.DEFAULT_ROUNDS
