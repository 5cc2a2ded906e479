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
    assert info["train_rows"] == len(train) and info["test_rows"] == len(test)


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


class XGBScalingConfig:
    """Stand-in of snowflake.ml.modeling.distributors.xgboost.XGBScalingConfig, which exists only in
    the ML container runtime (not on PyPI's snowflake-ml-python 1.48.0). Signature as documented:
    https://docs.snowflake.com/en/developer-guide/snowflake-ml/reference/latest/api/modeling/snowflake.ml.modeling.distributors.xgboost.XGBScalingConfig"""

    def __init__(self, num_workers: int = -1, num_cpu_per_worker: int = -1, use_gpu=None):
        pass  # the documented parameters; the project passes none (the runtime's defaults: all nodes)


class XGBEstimator:
    """Stand-in of the runtime's XGBEstimator with its documented signature (same page, XGBEstimator):
    ``__init__(n_estimators=100, objective='reg:squarederror', params=None, scaling_config=None)`` and
    ``fit(dataset, input_cols, label_col, ...)`` (its further optional parameters are not used here and
    left out, so passing one fails)."""

    def __init__(self, n_estimators: int = 100, objective: str = "reg:squarederror", params=None, scaling_config=None):
        pass

    def fit(self, dataset, input_cols, label_col):
        raise NotImplementedError


def test_distributed_training_hands_the_data_connector_to_the_estimator(splits):
    from unittest import mock

    train, _ = splits
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=5)
    estimator_class = mock.create_autospec(XGBEstimator)
    estimator_class.return_value.fit.return_value = booster
    scaling_class = mock.create_autospec(XGBScalingConfig)
    connector = object()  # what jobs/train.py passes: a DataConnector over the TRAIN rows

    result = modeling.train_distributed(
        connector, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=30, estimator_class=estimator_class, scaling_config_class=scaling_class
    )

    assert result is booster
    expected_params = {k: v for k, v in modeling.DEFAULT_PARAMS.items() if k != "objective"}
    estimator_class.assert_called_once_with(
        n_estimators=30, objective="binary:logistic", params=expected_params, scaling_config=scaling_class.return_value
    )
    estimator_class.return_value.fit.assert_called_once_with(connector, input_cols=list(features.FEATURE_COLUMNS), label_col="MORTGAGERESPONSE")


def test_distributed_training_accepts_a_sklearn_model_and_rejects_anything_else(splits):
    from unittest import mock

    train, _ = splits
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=5)
    estimator_class = mock.create_autospec(XGBEstimator)
    estimator_class.return_value.fit.return_value = mock.Mock(get_booster=lambda: booster)
    args = (object(), features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    assert modeling.train_distributed(*args, estimator_class=estimator_class, scaling_config_class=XGBScalingConfig) is booster
    estimator_class.return_value.fit.return_value = "not a model"
    with pytest.raises(RuntimeError, match="returned str, not an XGBoost model"):
        modeling.train_distributed(*args, estimator_class=estimator_class, scaling_config_class=XGBScalingConfig)


def test_outside_the_container_runtime_the_distributor_does_not_import(splits):
    with pytest.raises(ImportError):
        modeling.train_distributed(object(), features.FEATURE_COLUMNS, features.LABEL_COLUMN)


def test_bad_training_data_is_rejected(splits):
    train, _ = splits
    with pytest.raises(ValueError, match="empty"):
        modeling.train_local(train.iloc[:0], features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    with pytest.raises(ValueError, match="INCOME"):
        modeling.train_local(train.drop(columns=["INCOME"]), features.FEATURE_COLUMNS, features.LABEL_COLUMN)
