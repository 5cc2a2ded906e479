"""The quality gate: compare the configured metric with the threshold; the verdict is PASS or FAIL.

The branch task maps the verdict to its successors by the branch list the program passes it (first
= pass), so no task name appears here.
"""

import math
from typing import Any, Mapping

# The metrics TRAIN_MODEL reports (docs/design.md): <split>_<metric>.
METRIC_KINDS = ("accuracy", "f1", "precision", "recall")
SPLITS = ("train", "test")
KNOWN_METRICS = tuple(f"{split}_{kind}" for split in SPLITS for kind in METRIC_KINDS)

# Every value decide() can return, in the order of a branch list: the first successor runs on a pass.
PASS = "pass"
FAIL = "fail"
OUTCOMES = (PASS, FAIL)


class QualityGateError(ValueError):
    """The metric cannot be judged: unknown name, missing from the metrics, or not a number."""


def decide(metrics: Mapping[str, Any], metric_name: str, threshold: float) -> str:
    """PASS when metrics[metric_name] >= threshold, else FAIL.

    An unknown metric name, a metric missing from ``metrics`` or a non-numeric value is an error,
    never a silent alert.
    """
    if metric_name not in KNOWN_METRICS:
        raise QualityGateError(f"unknown metric_name {metric_name!r}; known metrics: {', '.join(KNOWN_METRICS)}")
    if metric_name not in metrics:
        raise QualityGateError(
            f"metric {metric_name!r} is missing from the training metrics (present: {', '.join(sorted(metrics)) or 'none'})"
        )
    value = metrics[metric_name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise QualityGateError(f"metric {metric_name!r} is not a finite number: {value!r}")
    return PASS if value >= threshold else FAIL
