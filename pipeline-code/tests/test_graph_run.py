"""One whole graph run on the fakes: each task's return value is what its successors read.

PREPARE_DATA loads the staged sample into an absent source table and writes the dataset; TRAIN_MODEL's
fake ML Job runs jobs/train.py for real on those versions and uploads model.ubj; CHECK_MODEL_QUALITY
branches; PROMOTE_MODEL registers the uploaded model; CLEANUP removes the run's artefacts. Each task's
state goes into the fake TASK_HISTORY, which CLEANUP reads to decide about the run's artefacts; a run
whose PROMOTE_MODEL failed keeps them, so a RETRY LAST of that run can still register the model.

The graph here is the sample's shape under other names (and a pipeline name of its own): each task
learns its name and its ancestors from the fake runtime info and TASK_DEPENDENTS, and the branch task
its successors from the procedure argument, so no task code depends on what a task is called.
"""

import datetime as dt
import json
import os
import re

import numpy as np
import pytest

from fakes import reference_build, FakeDatasetStore, FakeJobIO as JobIO, FakeJob, FakeJobs, FakeRegistry, FakeSession, FakeSQLError
from helpers import RUN_ID, RUNTIME, graph_config, runtime_for, task_dependents_rows
from jobs import train
from mlpipeline import artifacts
from tasks import check_model_quality, cleanup, prepare_data, promote_model, train_model

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
PAYLOAD = "@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/0f1e2d/"
NOW = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
PIPE = "LOANS"
GRAPH = {
    "name": PIPE,
    "tasks": [
        {"name": "LOAD", "entrypoint": "tasks/prepare_data.py"},
        {"name": "FIT", "after": ["LOAD"], "entrypoint": "tasks/train_model.py", "job": {"payload": "jobs/train.py", "targetInstances": 1}},
        {"name": "GATE", "after": ["FIT"], "entrypoint": "tasks/check_model_quality.py", "branch": ["PUBLISH", "WARN"]},
        {"name": "PUBLISH", "after": ["GATE"], "entrypoint": "tasks/promote_model.py"},
        {"name": "WARN", "after": ["GATE"], "sql": "SELECT 1"},
        {"name": "TIDY", "finalizer": True, "entrypoint": "tasks/cleanup.py"},
    ],
}


class Account:
    """State shared by the sessions of one graph run (tables, stages)."""

    def __init__(self):
        self.config = graph_config(pipeline_name=PIPE)
        self.tables = {}
        self.stage = {}
        self.staged_csv = {self.config["sample_data_file"]: SAMPLE_FILE}
        self.returned = {}
        self.task_history = []  # shared TASK_HISTORY: (database, run group, task, state)

    def ran(self, task, state):
        name = PIPE if task is None else f"{PIPE}${task}"
        self.task_history.append(("ML_DEV", RUNTIME["CURRENT_TASK_GRAPH_RUN_GROUP_ID"], name, state))

    def session(self, task):
        """A session of ``task``: every value set so far is there; the fake serves only ancestors'."""
        session = FakeSession(
            self.config,
            predecessors={f"{PIPE}${name}": value for name, value in self.returned.items()},
            runtime=runtime_for(PIPE, task),
            now=NOW,
            dependents=task_dependents_rows(GRAPH),
        )
        session.tables, session.stage, session.staged_csv = self.tables, self.stage, self.staged_csv
        session.task_history = self.task_history
        return session


def run_to_the_quality_check(account, store):
    """Root, LOAD (PREPARE_DATA's code), FIT (TRAIN_MODEL's) and GATE (CHECK_MODEL_QUALITY's), each recorded as succeeded."""
    account.ran(None, "SUCCEEDED")
    account.returned["LOAD"] = prepare_data.main(account.session("LOAD"), store=store, build=reference_build)
    account.ran("LOAD", "SUCCEEDED")

    job_session = account.session("FIT")  # the ML Job's own session (same account)
    jobs = FakeJobs(lambda kw: FakeJob("ML_DEV.PIPELINE.MLJOB_E2E", "DONE", run=lambda: train.main(kw["args"], io=JobIO(store, job_session))))
    account.returned["FIT"] = train_model.main(account.session("FIT"), PAYLOAD, "jobs/train.py", 1, jobs=jobs)
    account.ran("FIT", "SUCCEEDED")

    account.returned["GATE"] = check_model_quality.main(account.session("GATE"), "PUBLISH,WARN")
    account.ran("GATE", "SUCCEEDED")
    assert account.returned["GATE"] == "PUBLISH"
    account.ran("WARN", "SKIPPED")
    return json.loads(account.returned["LOAD"]), json.loads(account.returned["FIT"])


def test_a_graph_run_end_to_end():
    account = Account()
    store = FakeDatasetStore(now=NOW)
    registry = FakeRegistry(now=NOW)

    prepared, trained = run_to_the_quality_check(account, store)
    assert re.match(rf"^@ML_DEV\.PIPELINE\.ARTIFACT_STAGE/LOANS/runs/{RUN_ID}/attempts/[0-9a-f]{{12}}/model\.ubj$", trained["model_path"])
    assert trained["model_path"] in account.stage
    assert trained["metrics"]["test_accuracy"] >= 0.7

    promoted = json.loads(promote_model.main(account.session("PUBLISH"), registry=registry))
    account.ran("PUBLISH", "SUCCEEDED")
    assert promoted["version"] == RUN_ID and registry.defaults["MORTGAGE_MODEL"] == RUN_ID
    registered = registry.models["MORTGAGE_MODEL"][RUN_ID]
    assert registered["train_dataset"] == (prepared["dataset"]["name"], prepared["dataset"]["train"])
    assert {k: v for k, v in registered["metrics"].items() if k in trained["metrics"]} == trained["metrics"]
    assert registered["metrics"]["ml_job_id"] == "ML_DEV.PIPELINE.MLJOB_E2E" and registered["metrics"]["decision_threshold"] == 0.5
    # The registered model is the one the job trained: it reproduces the job's test accuracy.
    full = store.load(prepared["dataset"]["name"], prepared["dataset"]["test"])
    test = full[full[prepared["split_col"]] == "TEST"]
    # Its predict returns the 0/1 class, as the quality gate scored it.
    predicted = registered["model"].predict(test[prepared["feature_cols"]].astype("float64"))
    accuracy = float(np.mean(predicted == test["MORTGAGERESPONSE"].to_numpy()))
    assert round(accuracy, 4) == trained["metrics"]["test_accuracy"]

    account.ran("TIDY", "EXECUTING")
    cleaned = json.loads(cleanup.main(account.session("TIDY"), registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert cleaned["current_run"]["outcome"] == "succeeded" and cleaned["current_run"]["artefacts"] == "removed"
    assert cleaned["removed"]["run_artifacts"]["names"] == [RUN_ID]
    assert trained["model_path"] not in account.stage
    assert cleaned["removed"]["model_versions"]["count"] == 0 and cleaned["removed"]["dataset_versions"]["count"] == 0


def test_a_run_that_failed_in_promote_model_can_be_retried_after_cleanup():
    account = Account()
    store = FakeDatasetStore(now=NOW)
    registry = FakeRegistry(now=NOW)
    _, trained = run_to_the_quality_check(account, store)

    log_model = registry.log_model

    def registry_down(*args, **kwargs):
        raise FakeSQLError("Warehouse 'ML_DEV_WH' cannot be resumed")

    registry.log_model = registry_down
    with pytest.raises(FakeSQLError, match="cannot be resumed"):
        promote_model.main(account.session("PUBLISH"), registry=registry)
    account.ran("PUBLISH", "FAILED")

    account.ran("TIDY", "EXECUTING")
    cleaned = json.loads(cleanup.main(account.session("TIDY"), registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert cleaned["current_run"]["outcome"] == "failed" and cleaned["current_run"]["artefacts"] == "kept"
    assert cleaned["removed"]["run_artifacts"]["count"] == 0
    assert trained["model_path"] in account.stage

    # EXECUTE TASK ... RETRY LAST: same run group, so the same run id and model path; PROMOTE_MODEL
    # reads the model CLEANUP kept.
    registry.log_model = log_model
    promoted = json.loads(promote_model.main(account.session("PUBLISH"), registry=registry))
    account.ran("PUBLISH", "SUCCEEDED")
    assert promoted["version"] == RUN_ID and registry.defaults["MORTGAGE_MODEL"] == RUN_ID
    assert registry.models["MORTGAGE_MODEL"][RUN_ID]["model"] is not None

    # The retry's CLEANUP still sees the first attempt's FAILED row of this run group: it keeps the
    # artefacts (conservative); a later run's retention rule removes them.
    account.ran("TIDY", "EXECUTING")
    again = json.loads(cleanup.main(account.session("TIDY"), registry=registry, store=store, jobs=FakeJobs(), now=NOW))
    assert again["current_run"]["outcome"] == "failed" and again["current_run"]["artefacts"] == "kept"
    assert trained["model_path"] in account.stage
