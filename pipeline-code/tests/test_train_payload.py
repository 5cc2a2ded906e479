"""jobs/train.py: locally on pandas frames, and as a script the way the ML Job launcher runs it
(runpy, run_name "__main__", the result in the module global __return__)."""

import os
import runpy
import sys
import types

import pandas as pd
import pytest

import fake_snowpark
from fakes import FakeSession
from helpers import graph_config
from jobs import train
from mlpipeline import features, modeling

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
MODEL_PATH = "@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/RUN_1/model.ubj"


@pytest.fixture(scope="module")
def dataset():
    frame = features.build_feature_frame(fake_snowpark.FakeDataFrame(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"])), fake_snowpark.api())
    train_part, test_part = features.split_frames(frame, fake_snowpark.api())
    return {"v1_train": train_part.to_pandas(), "v1_test": test_part.to_pandas()}


def argv(instances=1):
    return [
        "--dataset", "ML_DEV.MODELS.MORTGAGE_DATASET", "--train-version", "v1_train", "--test-version", "v1_test",
        "--label-col", "MORTGAGERESPONSE", "--feature-cols", ",".join(features.FEATURE_COLUMNS),
        "--model-path", MODEL_PATH, "--instances", str(instances),
    ]


class LocalIO:
    def __init__(self, versions):
        self.versions = versions
        self.loaded = []
        self.saved = {}

    def load(self, name, version):
        self.loaded.append((name, version))
        return self.versions[version].copy()

    def save(self, path, data):
        self.saved[path] = data


def test_payload_trains_evaluates_and_saves_the_model(dataset):
    io = LocalIO(dataset)
    result = train.main(argv(), io=io)
    assert io.loaded == [("ML_DEV.MODELS.MORTGAGE_DATASET", "v1_train"), ("ML_DEV.MODELS.MORTGAGE_DATASET", "v1_test")]
    assert result["model_path"] == MODEL_PATH
    assert result["metrics"]["test_accuracy"] >= 0.7
    assert result["train_rows"] == len(dataset["v1_train"]) and result["test_rows"] == len(dataset["v1_test"])
    # The saved bytes are a model that reproduces the reported test accuracy.
    booster = modeling.model_from_bytes(io.saved[MODEL_PATH])
    test = dataset["v1_test"]
    predictions = modeling.predict(booster, test, features.FEATURE_COLUMNS)
    assert round(float((predictions == test["MORTGAGERESPONSE"].to_numpy()).mean()), 4) == result["metrics"]["test_accuracy"]


def test_payload_passes_instances_to_training(dataset):
    seen = []

    def distributed(frame, feature_cols, label_col, params, rounds):
        seen.append(len(frame))
        return modeling.train_local(frame, feature_cols, label_col, params, rounds)

    result = train.main(argv(instances=2), io=LocalIO(dataset), distributed_trainer=distributed)
    assert seen == [len(dataset["v1_train"])]
    assert result["distributed"] is True and result["instances"] == 2


def test_payload_arguments_are_required():
    with pytest.raises(SystemExit):
        train.parse_args(["--dataset", "X"])


def test_payload_runs_as_the_launchers_script_with_its_session(dataset, monkeypatch):
    """The launcher creates a session (get_active_session) and runs the file with runpy."""
    session = FakeSession(graph_config())

    def load_dataset(sess, name, version):
        assert sess is session
        frame = dataset[version]
        return types.SimpleNamespace(read=types.SimpleNamespace(to_pandas=lambda: frame.copy()))

    modules = {
        "snowflake": types.ModuleType("snowflake"),
        "snowflake.snowpark": types.ModuleType("snowflake.snowpark"),
        "snowflake.snowpark.context": types.ModuleType("snowflake.snowpark.context"),
        "snowflake.ml": types.ModuleType("snowflake.ml"),
        "snowflake.ml.dataset": types.ModuleType("snowflake.ml.dataset"),
    }
    modules["snowflake.snowpark.context"].get_active_session = lambda: session
    modules["snowflake.ml.dataset"].load_dataset = load_dataset
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(sys, "argv", [os.path.join(CODE_ROOT, "jobs", "train.py")] + argv())

    globals_after = runpy.run_path(os.path.join(CODE_ROOT, "jobs", "train.py"), run_name="__main__")

    result = globals_after["__return__"]
    assert result["model_path"] == MODEL_PATH and result["metrics"]["test_accuracy"] >= 0.7
    assert MODEL_PATH in session.stage  # uploaded through the session's put_stream, uncompressed
    assert f"PUT_STREAM {MODEL_PATH} auto_compress=False overwrite=True" in session.statements
