import pytest

from mlpipeline.quality import KNOWN_METRICS, OUTCOMES, QualityGateError, decide

METRICS = {"train_accuracy": 0.91, "test_accuracy": 0.72, "test_f1": 0.65, "test_precision": 0.7, "test_recall": 0.61}


@pytest.mark.parametrize(
    "metric, threshold, expected",
    [
        ("test_accuracy", 0.7, "pass"),
        ("test_accuracy", 0.72, "pass"),  # equal to the threshold passes
        ("test_accuracy", 0.7201, "fail"),
        ("test_f1", 0.7, "fail"),
        ("test_recall", 0.6, "pass"),
        ("train_accuracy", 0.95, "fail"),
        ("test_precision", 0, "pass"),
    ],
)
def test_metric_against_threshold(metric, threshold, expected):
    assert decide(METRICS, metric, threshold) == expected


def test_known_metrics_are_the_train_and_test_flat_names():
    assert set(KNOWN_METRICS) == {
        "train_accuracy", "train_f1", "train_precision", "train_recall",
        "test_accuracy", "test_f1", "test_precision", "test_recall",
    }
    assert OUTCOMES == ("pass", "fail")  # the order of a branch list: first = pass


def test_unknown_metric_name_is_an_error_not_an_alert():
    with pytest.raises(QualityGateError, match="unknown metric_name 'accuracy'"):
        decide(METRICS, "accuracy", 0.7)


def test_missing_metric_is_an_error_not_an_alert():
    with pytest.raises(QualityGateError, match="'train_f1' is missing"):
        decide(METRICS, "train_f1", 0.7)


@pytest.mark.parametrize("value", [float("nan"), None, "0.9", True])
def test_non_numeric_metric_is_an_error(value):
    with pytest.raises(QualityGateError, match="not a finite number"):
        decide({"test_accuracy": value}, "test_accuracy", 0.7)
