"""Experiment tracking: each training run is recorded as a run of an experiment named after the
pipeline (snowflake-ml-python 1.48.0 ``snowflake.ml.experiment.ExperimentTracking``;
https://docs.snowflake.com/en/developer-guide/snowflake-ml/experiments), in the registry schema.

The run is named after the graph run (GraphContext.run_id), so a retried graph run finds the run it
recorded instead of adding another. Parameters: the training's hyperparameters, rounds and instances
(TRAIN_MODEL's return value), the chosen metric and its threshold; metrics: every metric the training
reported. ``npm run pipeline -- history`` reads them back (SHOW RUN METRICS / PARAMETERS IN EXPERIMENT).

Recording is best effort: a failure is printed and reported in the return value, never fails the
quality check (the model's quality does not depend on the record).
"""

from typing import Any, Callable, Dict, Mapping, Optional

from mlpipeline.config import PipelineConfig, split_name


def run_params(cfg: PipelineConfig, trained: Mapping[str, Any]) -> Dict[str, Any]:
    """What the run records as parameters: the hyperparameters (``param_<name>``), rounds, instances,
    whether training was distributed, the training dataset, and the gate's metric and threshold."""
    params: Dict[str, Any] = {f"param_{k}": v for k, v in sorted((trained.get("params") or {}).items())}
    for key in ("rounds", "instances", "distributed", "train_rows", "test_rows", "job_id"):
        if trained.get(key) is not None:
            params[key] = trained[key]
    params["metric_name"] = cfg.metric_name
    params["metric_threshold"] = cfg.metric_threshold
    return params


def run_metrics(metrics: Mapping[str, Any]) -> Dict[str, float]:
    """The numeric metrics (log_metrics takes floats)."""
    return {k: float(v) for k, v in sorted(metrics.items()) if isinstance(v, (int, float)) and not isinstance(v, bool)}


def open_tracking(session: Any, registry_schema: str) -> Any:
    from snowflake.ml.experiment import ExperimentTracking

    database, schema = split_name(registry_schema)
    return ExperimentTracking(session, database_name=database, schema_name=schema, capture_source_info=False)


def record_training_run(cfg: PipelineConfig, run_id: str, trained: Mapping[str, Any], verdict: str,
                        open_tracker: Callable[[], Any]) -> Dict[str, Any]:
    """Records the run; returns what was recorded or why not (``{"experiment", "run", "recorded", ...}``)."""
    experiment = f"{cfg.registry_schema}.{cfg.pipeline_name}"
    outcome: Dict[str, Any] = {"experiment": experiment, "run": run_id, "recorded": False}
    try:
        tracker = open_tracker()
        # Explicit database and schema: ExperimentTracking is a process-wide singleton that keeps the
        # schema it was first opened with.
        database, schema = split_name(cfg.registry_schema)
        tracker.set_experiment(cfg.pipeline_name, database_name=database, schema_name=schema)
        try:
            tracker.start_run(run_id)
        except RuntimeError as error:
            # A retried graph run whose record was finished already: keep the first record.
            if "no longer running" in str(error):
                outcome["detail"] = "recorded by an earlier attempt of this graph run"
                return outcome
            raise
        tracker.log_params({**run_params(cfg, trained), "verdict": verdict})
        tracker.log_metrics(run_metrics(trained.get("metrics") or {}))
        tracker.end_run(status="FINISHED")
        outcome["recorded"] = True
    except Exception as error:  # best effort: the quality check's verdict stands
        print(f"experiment tracking: could not record run {run_id} in {experiment}: {error}")
        outcome["detail"] = str(error)[:300]
    return outcome
