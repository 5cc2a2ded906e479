"""CHECK_MODEL_QUALITY: the branch task. Returns the name of the successor to run.

Records the training run (hyperparameters, metrics, threshold, verdict) as a run of the experiment
named after the pipeline (mlpipeline/experiments.py), best effort.

The program passes the task's branch list from pipeline.yaml as the procedure argument
``branch_targets`` (comma-separated, in order: the first runs when the model passes, the second when
it fails) and gives each successor the condition
``WHEN SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<PIPELINE>$<THIS TASK>') = '<SUCCESSOR>'``.
"""

from mlpipeline import experiments, quality
from mlpipeline.graph_context import GraphContext, parse_branch_targets


def main(session, branch_targets, *, open_tracker=None):
    ctx = GraphContext(session)
    targets = parse_branch_targets(branch_targets, ctx.label())
    if len(targets) != len(quality.OUTCOMES):
        raise ValueError(f"{ctx.label()}: expected a branch list of 2 successors (pass, fail), got {', '.join(targets)}")
    cfg = ctx.config()
    trained = ctx.ancestor_json("metrics")
    metrics = trained["metrics"]
    if not isinstance(metrics, dict):
        raise quality.QualityGateError(f"{ctx.label()}: the 'metrics' an ancestor returned are not a JSON object: {metrics!r:.200}")
    verdict = quality.decide(metrics, cfg.metric_name, cfg.metric_threshold)
    successor = targets[quality.OUTCOMES.index(verdict)]
    print(f"{cfg.metric_name} = {metrics[cfg.metric_name]} vs threshold {cfg.metric_threshold}: {verdict}, running {successor}")
    recorded = experiments.record_training_run(
        cfg, ctx.run_id(), trained, verdict, open_tracker or (lambda: experiments.open_tracking(session, cfg.registry_schema))
    )
    print(f"experiment {recorded['experiment']} run {recorded['run']}: {'recorded' if recorded['recorded'] else recorded.get('detail')}")
    return ctx.set_return_value(successor)
