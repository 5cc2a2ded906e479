"""CHECK_MODEL_QUALITY: the branch task. Returns exactly PROMOTE_MODEL or SEND_ALERT.

The program gives PROMOTE_MODEL and SEND_ALERT the condition
``WHEN SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<PIPELINE>$CHECK_MODEL_QUALITY') = '<SUCCESSOR>'``.
"""

from mlpipeline import quality
from mlpipeline.graph_context import CHECK_MODEL_QUALITY, TRAIN_MODEL, GraphContext


def main(session):
    ctx = GraphContext(session, CHECK_MODEL_QUALITY)
    cfg = ctx.config()
    trained = ctx.predecessor_json(TRAIN_MODEL)
    metrics = trained.get("metrics")
    if not isinstance(metrics, dict):
        raise quality.QualityGateError(f"the return value of {cfg.task_name(TRAIN_MODEL)} has no 'metrics' object")
    outcome = quality.decide(metrics, cfg.metric_name, cfg.metric_threshold)
    print(f"{cfg.metric_name} = {metrics[cfg.metric_name]} vs threshold {cfg.metric_threshold}: {outcome}")
    return ctx.set_return_value(outcome)
