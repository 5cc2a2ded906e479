import os

import numpy as np
import pandas as pd
import pytest

from mlpipeline import features, modeling, quality

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")


@pytest.fixture(scope="module")
def splits():
    frame = features.reference_features(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]))
    return features.local_split(frame)


def test_metrics_of_a_symmetric_confusion_matrix():
    # tp=3 fp=1 fn=1 tn=3
    metrics = modeling.classification_metrics([1, 1, 1, 0, 0, 0, 1, 0], [1, 0, 1, 0, 1, 0, 1, 0])
    assert metrics == {"accuracy": 0.75, "f1": 0.75, "precision": 0.75, "recall": 0.75}


def test_metrics_of_an_asymmetric_confusion_matrix():
    # tp=2 fp=1 fn=2 tn=5: accuracy 7/10, precision 2/3, recall 1/2, f1 = 2*(1/3)/(7/6) = 4/7
    metrics = modeling.classification_metrics([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    assert metrics == {"accuracy": 0.7, "precision": 0.6667, "recall": 0.5, "f1": 0.5714}


def test_metrics_when_nothing_is_predicted_positive():
    metrics = modeling.classification_metrics(np.array([1, 0, 0, 0]), np.array([0, 0, 0, 0]))
    assert metrics == {"accuracy": 0.75, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_metrics_need_equal_non_empty_inputs():
    with pytest.raises(ValueError):
        modeling.classification_metrics([], [])
    with pytest.raises(ValueError):
        modeling.classification_metrics([1, 0], [1])


def test_training_on_the_sample_meets_the_quality_gate(splits):
    train, test = splits
    booster, metrics, info = modeling.train_and_evaluate(train, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    assert set(metrics) == set(quality.KNOWN_METRICS)
    assert metrics["test_accuracy"] >= 0.7
    # ... and clearly better than always predicting the majority class of the test split.
    majority = max(test[features.LABEL_COLUMN].mean(), 1 - test[features.LABEL_COLUMN].mean())
    assert metrics["test_accuracy"] > majority + 0.05
    assert quality.decide(metrics, "test_accuracy", 0.7) == "pass"
    assert info["distributed"] is False and info["train_rows"] == len(train) and info["test_rows"] == len(test)


def test_without_signal_the_gate_sends_an_alert(splits):
    train, test = splits
    rng = np.random.default_rng(5)
    shuffled = train.assign(**{features.LABEL_COLUMN: rng.permutation(train[features.LABEL_COLUMN].to_numpy())})
    _, metrics, _ = modeling.train_and_evaluate(shuffled, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    assert metrics["test_accuracy"] < 0.7
    assert quality.decide(metrics, "test_accuracy", 0.7) == "fail"


def test_the_saved_model_predicts_like_the_trained_one(splits):
    train, test = splits
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=20)
    data = modeling.model_to_bytes(booster)
    assert data[:1] == b"{"  # UBJSON object
    restored = modeling.model_from_bytes(data)
    np.testing.assert_array_equal(
        modeling.predict(booster, test, features.FEATURE_COLUMNS), modeling.predict(restored, test, features.FEATURE_COLUMNS)
    )


def test_several_instances_use_the_distributed_trainer(splits):
    train, test = splits
    calls = []

    def distributed(frame, feature_cols, label_col, params, rounds):
        calls.append((len(frame), list(feature_cols), label_col, rounds))
        return modeling.train_local(frame, feature_cols, label_col, params, rounds)

    _, metrics, info = modeling.train_and_evaluate(
        train, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN, instances=2, rounds=30, distributed_trainer=distributed
    )
    assert calls == [(len(train), list(features.FEATURE_COLUMNS), "MORTGAGERESPONSE", 30)]
    assert info["distributed"] is True and info["instances"] == 2
    assert metrics["test_accuracy"] >= 0.7


def test_without_the_distributor_training_falls_back_to_one_node(splits):
    train, test = splits

    def unavailable(*_args):
        raise ImportError("No module named 'snowflake'")

    _, metrics, info = modeling.train_and_evaluate(
        train, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN, instances=2, rounds=30, distributed_trainer=unavailable
    )
    assert info["distributed"] is False
    assert metrics["test_accuracy"] >= 0.7


def test_the_real_distributor_is_absent_here_so_the_default_falls_back(splits):
    train, test = splits
    _, _, info = modeling.train_and_evaluate(train, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN, instances=3, rounds=5)
    assert info["distributed"] is False


def test_bad_training_data_is_rejected(splits):
    train, _ = splits
    with pytest.raises(ValueError, match="empty"):
        modeling.train_local(train.iloc[:0], features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    with pytest.raises(ValueError, match="INCOME"):
        modeling.train_local(train.drop(columns=["INCOME"]), features.FEATURE_COLUMNS, features.LABEL_COLUMN)
