"""CHECK_MODEL_QUALITY: the branch task. Returns the name of the successor to run.

The program passes the task's branch list from pipeline.yaml as the procedure argument
``branch_targets`` (comma-separated, in order: the first runs when the model passes, the second when
it fails) and gives each successor the condition
``WHEN SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<PIPELINE>$<THIS TASK>') = '<SUCCESSOR>'``.
"""

from mlpipeline import quality
from mlpipeline.graph_context import GraphContext, parse_branch_targets


def main(session, branch_targets):
    ctx = GraphContext(session)
    targets = parse_branch_targets(branch_targets, ctx.label())
    if len(targets) != len(quality.OUTCOMES):
        raise ValueError(f"{ctx.label()}: expected a branch list of 2 successors (pass, fail), got {', '.join(targets)}")
    cfg = ctx.config()
    metrics = ctx.ancestor_json("metrics")["metrics"]
    if not isinstance(metrics, dict):
        raise quality.QualityGateError(f"{ctx.label()}: the 'metrics' an ancestor returned are not a JSON object: {metrics!r:.200}")
    verdict = quality.decide(metrics, cfg.metric_name, cfg.metric_threshold)
    successor = targets[quality.OUTCOMES.index(verdict)]
    print(f"{cfg.metric_name} = {metrics[cfg.metric_name]} vs threshold {cfg.metric_threshold}: {verdict}, running {successor}")
    return ctx.set_return_value(successor)
