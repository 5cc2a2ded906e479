"""Training runs recorded as runs of the pipeline's experiment (mlpipeline/experiments.py), through an
autospecced snowflake-ml-python 1.48.0 ExperimentTracking (a call with a wrong name or argument
fails), from CHECK_MODEL_QUALITY."""

import json
from unittest import mock

import pytest

from fakes import FakeSession
from helpers import FIXTURE_PIPELINE, RUN_ID, graph_config, runtime_for, task_dependents_rows
from mlpipeline import experiments
from mlpipeline.config import parse_config
from tasks import check_model_quality

tracking = pytest.importorskip("snowflake.ml.experiment", reason="snowflake-ml-python is not installed (Debian fallback)")

CFG = parse_config(graph_config())
TRAINED = {
    "model_path": "@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/R/model.ubj",
    "metrics": {"test_accuracy": 0.91, "test_f1": 0.88, "train_accuracy": 0.95},
    "params": {"max_depth": 4, "learning_rate": 0.2},
    "rounds": 80,
    "instances": 2,
    "distributed": True,
    "job_id": "ML_DEV.PIPELINE.MLJOB_1",
}


def tracker():
    return mock.create_autospec(tracking.ExperimentTracking, instance=True)


def test_a_run_records_params_metrics_threshold_and_verdict():
    t = tracker()
    outcome = experiments.record_training_run(CFG, "RUN_1", TRAINED, "pass", lambda: t)
    assert outcome == {"experiment": "ML_DEV.MODELS.MORTGAGE_PIPELINE", "run": "RUN_1", "recorded": True}
    assert t.mock_calls == [
        mock.call.set_experiment("MORTGAGE_PIPELINE", database_name="ML_DEV", schema_name="MODELS"),
        mock.call.start_run("RUN_1"),
        mock.call.log_params({
            "param_learning_rate": 0.2, "param_max_depth": 4, "rounds": 80, "instances": 2, "distributed": True,
            "job_id": "ML_DEV.PIPELINE.MLJOB_1", "metric_name": "test_accuracy", "metric_threshold": 0.7, "verdict": "pass",
        }),
        mock.call.log_metrics({"test_accuracy": 0.91, "test_f1": 0.88, "train_accuracy": 0.95}),
        mock.call.end_run(status="FINISHED"),
    ]


def test_a_retried_graph_run_keeps_the_first_record():
    t = tracker()
    t.start_run.side_effect = RuntimeError("Run RUN_1 exists but cannot be resumed as it is no longer running.")
    outcome = experiments.record_training_run(CFG, "RUN_1", TRAINED, "pass", lambda: t)
    assert outcome["recorded"] is False and outcome["detail"] == "recorded by an earlier attempt of this graph run"
    t.log_metrics.assert_not_called()


def test_a_tracking_failure_is_reported_and_the_quality_check_still_branches(capsys):
    def refuse():
        raise ValueError("Schema ML_DEV.MODELS does not exist.")

    session = FakeSession(
        graph_config(),
        predecessors={"MORTGAGE_PIPELINE$TRAIN_MODEL": json.dumps(TRAINED)},
        runtime=runtime_for("MORTGAGE_PIPELINE", "CHECK_MODEL_QUALITY"),
        dependents=task_dependents_rows(FIXTURE_PIPELINE),
    )
    assert check_model_quality.main(session, "PROMOTE_MODEL,SEND_ALERT", open_tracker=refuse) == "PROMOTE_MODEL"
    out = capsys.readouterr().out
    assert f"experiment tracking: could not record run {RUN_ID} in ML_DEV.MODELS.MORTGAGE_PIPELINE: Schema ML_DEV.MODELS does not exist." in out


def test_the_quality_check_records_the_run_it_judged():
    t = tracker()
    session = FakeSession(
        graph_config(metric_threshold=0.95),
        predecessors={"MORTGAGE_PIPELINE$TRAIN_MODEL": json.dumps(TRAINED)},
        runtime=runtime_for("MORTGAGE_PIPELINE", "CHECK_MODEL_QUALITY"),
        dependents=task_dependents_rows(FIXTURE_PIPELINE),
    )
    assert check_model_quality.main(session, "PROMOTE_MODEL,SEND_ALERT", open_tracker=lambda: t) == "SEND_ALERT"
    t.start_run.assert_called_once_with(RUN_ID)
    params = t.log_params.call_args.args[0]
    assert (params["metric_threshold"], params["verdict"]) == (0.95, "fail")
