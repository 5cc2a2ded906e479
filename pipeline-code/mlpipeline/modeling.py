"""Training and evaluation of the XGBoost model: pure functions over pandas DataFrames.

The ML Job payload (jobs/train.py) calls these on the compute pool; tests and the benchmark call
them locally on generated data. Only ``train_distributed`` needs snowflake-ml (imported there) and
takes a DataConnector rather than a pandas frame.

Hyperparameters: the seed used max_depth=50, n_estimators=3, learning_rate=0.75 (28 s and 1 GB on
2 cores for 369,245 rows with the exact tree method, and it overfits). These defaults use the
histogram method with shallow trees and more rounds (80 rounds of depth 4 at learning rate 0.2):
on the same machine a 369,245-row generated table fits in about 1.7 s with a 330 MB process peak
(bench_training.py), and test accuracy is within 0.001 of 150 rounds at learning rate 0.1.
"""

from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import numpy as np

DEFAULT_PARAMS: Dict[str, Any] = {
    "objective": "binary:logistic",
    "tree_method": "hist",
    "max_depth": 4,
    "learning_rate": 0.2,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5.0,
    "eval_metric": "logloss",
    "seed": 0,
}
DEFAULT_ROUNDS = 80
DECISION_THRESHOLD = 0.5


def training_params(params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    merged = dict(DEFAULT_PARAMS)
    merged.update(params or {})
    return merged


def _matrix(df: Any, feature_cols: Sequence[str], label_col: Optional[str] = None) -> Any:
    import xgboost as xgb

    missing = [c for c in list(feature_cols) + ([label_col] if label_col else []) if c not in df.columns]
    if missing:
        raise ValueError("training data lacks column(s): " + ", ".join(missing))
    label = df[label_col].to_numpy(dtype="float64") if label_col else None
    return xgb.DMatrix(df[list(feature_cols)].astype("float64"), label=label, feature_names=list(feature_cols))


def train_local(
    train_df: Any,
    feature_cols: Sequence[str],
    label_col: str,
    params: Optional[Mapping[str, Any]] = None,
    rounds: int = DEFAULT_ROUNDS,
) -> Any:
    """Train on one node; returns an xgboost.Booster."""
    import xgboost as xgb

    if len(train_df) == 0:
        raise ValueError("the training data is empty")
    return xgb.train(training_params(params), _matrix(train_df, feature_cols, label_col), num_boost_round=rounds)


def train_distributed(
    data: Any,
    feature_cols: Sequence[str],
    label_col: str,
    params: Optional[Mapping[str, Any]] = None,
    rounds: int = DEFAULT_ROUNDS,
    estimator_class: Any = None,
    scaling_config_class: Any = None,
) -> Any:
    """Train across the ML Job's instances with snowflake-ml's XGBEstimator; returns a Booster.

    ``data`` is a DataConnector (snowflake.ml.data), which the estimator reads in batches on its
    workers, so the head node never holds the training split. The estimator and its scaling config
    are snowflake.ml.modeling.distributors.xgboost's, which exist only in the ML container runtime
    (https://docs.snowflake.com/en/developer-guide/snowflake-ml/reference/latest/api/modeling/snowflake.ml.modeling.distributors.xgboost.XGBEstimator);
    the class arguments are seams for tests. Raises ImportError where the runtime is absent.
    """
    import xgboost as xgb

    if estimator_class is None or scaling_config_class is None:
        from snowflake.ml.modeling.distributors.xgboost import XGBEstimator, XGBScalingConfig

        estimator_class, scaling_config_class = XGBEstimator, XGBScalingConfig
    merged = training_params(params)
    estimator = estimator_class(
        n_estimators=rounds,
        objective=merged.pop("objective"),
        params=merged,
        scaling_config=scaling_config_class(),
    )
    fitted = estimator.fit(data, input_cols=list(feature_cols), label_col=label_col)
    for candidate in (fitted, getattr(estimator, "_sklearn_estimator", None)):
        if isinstance(candidate, xgb.Booster):
            return candidate
        if candidate is not None and hasattr(candidate, "get_booster"):
            return candidate.get_booster()
    raise RuntimeError(f"XGBEstimator.fit returned {type(fitted).__name__}, not an XGBoost model")


def predict(booster: Any, df: Any, feature_cols: Sequence[str]) -> Any:
    """0/1 predictions (probability >= DECISION_THRESHOLD is 1)."""
    return (booster.predict(_matrix(df, feature_cols)) >= DECISION_THRESHOLD).astype("int64")


def confusion_counts(y_true: Any, y_pred: Any) -> Dict[str, int]:
    """``{"rows", "correct", "tp", "fp", "fn"}`` of 0/1 labels and predictions (positive class 1)."""
    truth = np.asarray(y_true).astype("int64")
    pred = np.asarray(y_pred).astype("int64")
    if truth.shape != pred.shape:
        raise ValueError("y_true and y_pred must be of the same length")
    return {
        "rows": int(truth.size),
        "correct": int(np.sum(truth == pred)),
        "tp": int(np.sum((truth == 1) & (pred == 1))),
        "fp": int(np.sum((truth != 1) & (pred == 1))),
        "fn": int(np.sum((truth == 1) & (pred != 1))),
    }


def classification_metrics(y_true: Any, y_pred: Any) -> Dict[str, float]:
    """accuracy, f1, precision, recall of the positive class (1), rounded to 4 places.

    precision (recall) is 0 when nothing is predicted (present) positive, like scikit-learn's
    zero_division=0; f1 is 0 when precision + recall is 0.
    """
    return metrics_from_counts(confusion_counts(y_true, y_pred))


def metrics_from_counts(counts: Mapping[str, int]) -> Dict[str, float]:
    """classification_metrics from confusion counts (summed over batches)."""
    if counts["rows"] == 0:
        raise ValueError("y_true and y_pred must be non-empty and of the same length")
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    accuracy = counts["correct"] / counts["rows"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {name: round(value, 4) for name, value in (("accuracy", accuracy), ("f1", f1), ("precision", precision), ("recall", recall))}


def evaluate(booster: Any, df: Any, feature_cols: Sequence[str], label_col: str, prefix: str) -> Dict[str, float]:
    metrics = classification_metrics(df[label_col].to_numpy(), predict(booster, df, feature_cols))
    return {f"{prefix}_{name}": value for name, value in metrics.items()}


def evaluate_batches(booster: Any, batches: Iterable[Any], feature_cols: Sequence[str], label_col: str, prefix: str) -> Tuple[Dict[str, float], int]:
    """``evaluate`` over an iterable of pandas frames, one at a time: the caller holds one batch and
    the running counts, never the split. Returns (metrics, rows evaluated)."""
    total = {"rows": 0, "correct": 0, "tp": 0, "fp": 0, "fn": 0}
    for batch in batches:
        if len(batch) == 0:
            continue
        counts = confusion_counts(batch[label_col].to_numpy(), predict(booster, batch, feature_cols))
        for key in total:
            total[key] += counts[key]
    if total["rows"] == 0:
        raise ValueError(f"the {prefix} split is empty: nothing to evaluate the model on")
    return {f"{prefix}_{name}": value for name, value in metrics_from_counts(total).items()}, total["rows"]


def train_and_evaluate(
    train_df: Any,
    test_df: Any,
    feature_cols: Sequence[str],
    label_col: str,
    *,
    params: Optional[Mapping[str, Any]] = None,
    rounds: int = DEFAULT_ROUNDS,
) -> Tuple[Any, Dict[str, float], Dict[str, Any]]:
    """Train on one node and evaluate on both splits (pandas frames): local runs, tests, benchmark.

    Returns (booster, flat metrics like test_accuracy, training info).
    """
    booster = train_local(train_df, feature_cols, label_col, params, rounds)
    metrics = {**evaluate(booster, train_df, feature_cols, label_col, "train"), **evaluate(booster, test_df, feature_cols, label_col, "test")}
    info = {"rounds": rounds, "params": training_params(params), "train_rows": int(len(train_df)), "test_rows": int(len(test_df))}
    return booster, metrics, info


def model_to_bytes(booster: Any) -> bytes:
    """The model in XGBoost's UBJSON format (model.ubj)."""
    return bytes(booster.save_raw("ubj"))


def model_from_bytes(data: bytes) -> Any:
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(data))
    return booster
