"""The standalone run end to end against the fakes: the real task code in graph order, with the graph
emulated (config and overrides, ancestors' return values, the branch, the finalizer last, always)."""

import datetime as dt
import importlib
import json
import os

import pytest

import run_local
from fakes import reference_build, FakeDatasetStore, FakeJobIO as JobIO, FakeJob, FakeJobs, FakeRegistry, FakeSession
from helpers import FIXTURE_PIPELINE, graph_config
from jobs import train
from mlpipeline import artifacts, local_run
from test_pinned_versions import pins
from test_pipeline_definition import load_pipeline

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
NOW = dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.timezone.utc)
DATASET = "ML_DEV.MODELS.MORTGAGE_DATASET"


class World:
    """A fake account: the session behind the run, dataset store, registry and ML Jobs (whose payload
    is jobs/train.py, run for real on the dataset the run built)."""

    def __init__(self, job_status="DONE"):
        config = graph_config()
        self.session = FakeSession(config, now=NOW)
        self.session.staged_csv[config["sample_data_file"]] = SAMPLE_FILE
        self.store = FakeDatasetStore(now=NOW)
        self.registry = FakeRegistry(now=NOW)

        def make_job(kwargs):
            if job_status != "DONE":
                return FakeJob("ML_DEV.PIPELINE.MLJOB_LOCAL", job_status, logs="MemoryError")
            return FakeJob("ML_DEV.PIPELINE.MLJOB_LOCAL", "DONE", run=lambda: train.main(kwargs["args"], io=JobIO(self.store, self.session)))

        self.jobs = FakeJobs(make_job)

    def seams(self):
        return {"store": self.store, "registry": self.registry, "jobs": self.jobs, "build": reference_build, "now": NOW}

    def run(self, overrides=(), **options):
        config = dict(graph_config(), **local_run.parse_overrides(overrides))
        runs = local_run.LocalRun(self.session, FIXTURE_PIPELINE, config, seams=self.seams(), now=NOW,
                                  import_module=importlib.import_module, **options).run()
        return {r.name: r for r in runs}, [r.name for r in runs]


def test_a_standalone_run_goes_through_the_graph_and_ends_with_the_finalizer():
    world = World()
    runs, order = world.run()
    assert order == ["PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"]
    assert {name: r.state for name, r in runs.items()} == {
        "PREPARE_DATA": "SUCCEEDED", "TRAIN_MODEL": "SUCCEEDED", "CHECK_MODEL_QUALITY": "SUCCEEDED",
        "PROMOTE_MODEL": "SUCCEEDED", "SEND_ALERT": "SKIPPED", "CLEANUP": "SUCCEEDED",
    }
    assert runs["CHECK_MODEL_QUALITY"].return_value == "PROMOTE_MODEL"
    assert runs["SEND_ALERT"].detail == "branch CHECK_MODEL_QUALITY chose PROMOTE_MODEL"
    # Each task read its ancestors' values: the model registered is the one the job trained on the
    # dataset PREPARE_DATA built.
    prepared = json.loads(runs["PREPARE_DATA"].return_value)
    trained = json.loads(runs["TRAIN_MODEL"].return_value)
    promoted = json.loads(runs["PROMOTE_MODEL"].return_value)
    assert world.jobs.submissions[0]["args"][1] == prepared["dataset"]["name"] == DATASET
    assert promoted["train_dataset"] == {"name": DATASET, "version": prepared["dataset"]["train"]}
    assert world.registry.defaults["MORTGAGE_MODEL"] == promoted["version"]
    assert world.registry.models["MORTGAGE_MODEL"][promoted["version"]]["metrics"]["ml_job_id"] == trained["job_id"]
    # The model this run trained packages with snowflake-ml's ModelPackager under the pins of the
    # shipped pipeline.yaml packages (the test environment's, test_pinned_versions.py) and loads again.
    packaged = world.registry.models["MORTGAGE_MODEL"][promoted["version"]]["packaged"]
    if packaged is not None:
        shipped = pins(load_pipeline()["packages"])
        recorded = pins(packaged["dependencies"])
        assert {name: recorded[name] for name in ("xgboost", "scikit-learn")} == {name: shipped[name] for name in ("xgboost", "scikit-learn")}
        assert packaged["methods"] == ["predict", "predict_proba"]
        registered = world.registry.models["MORTGAGE_MODEL"][promoted["version"]]["model"]
        rows = world.store.load(DATASET, prepared["dataset"]["version"]).head(50)[list(prepared["feature_cols"])].astype("float64")
        assert packaged["model"].predict_proba(rows)[:, 1].tolist() == pytest.approx(registered.predict_proba(rows)[:, 1].tolist())
    # The finalizer saw this run's states (all succeeded) and removed its artefacts.
    cleaned = json.loads(runs["CLEANUP"].return_value)
    assert cleaned["current_run"]["outcome"] == "succeeded" and cleaned["current_run"]["artefacts"] == "removed"
    assert trained["model_path"] not in world.session.stage
    # Graph functions were answered locally; the session saw only the tasks' own SQL.
    assert not world.session.statements_matching("SYSTEM\\$|TASK_HISTORY|TASK_DEPENDENTS|SHOW PARAMETERS")


def test_config_overrides_reach_the_tasks_and_the_other_branch_runs():
    world = World()
    runs, _ = world.run(["metric_threshold=0.99"])
    assert runs["CHECK_MODEL_QUALITY"].return_value == "SEND_ALERT"
    assert runs["PROMOTE_MODEL"].state == "SKIPPED" and runs["PROMOTE_MODEL"].detail == "branch CHECK_MODEL_QUALITY chose SEND_ALERT"
    assert runs["SEND_ALERT"].state == "NOT_RUN" and runs["SEND_ALERT"].detail == "SQL task: runs in the deployed graph only"
    assert runs["CLEANUP"].state == "SUCCEEDED"
    assert world.registry.models == {}


def test_no_register_skips_the_registering_task():
    world = World()
    runs, _ = world.run(register=False)
    assert runs["PROMOTE_MODEL"].state == "SKIPPED" and runs["PROMOTE_MODEL"].detail == "--no-register"
    assert world.registry.models == {}
    assert json.loads(runs["CLEANUP"].return_value)["current_run"]["outcome"] == "succeeded"


def test_force_refresh_rebuilds_the_dataset_versions():
    world = World()
    world.run()
    again, _ = world.run()
    assert json.loads(again["PREPARE_DATA"].return_value)["reused"] is True
    creates = [c for c in world.store.calls if c[0] == "create_version"]
    assert len(creates) == 1  # one dataset version holds both splits

    refreshed, _ = world.run(force_refresh=True)
    prepared = json.loads(refreshed["PREPARE_DATA"].return_value)
    assert prepared["reused"] is False
    rebuilt = [c for c in world.store.calls if c[0] == "create_version"][1:]
    deleted = [c for c in world.store.calls if c[0] == "delete_version"]
    names = [prepared["dataset"]["version"]]
    assert [c[2] for c in rebuilt] == names and [c[2] for c in deleted] == names


def test_a_failed_task_stops_the_rest_and_the_finalizer_still_runs_last():
    world = World(job_status="FAILED")
    runs, order = world.run()
    assert order[-1] == "CLEANUP"
    assert runs["TRAIN_MODEL"].state == "FAILED" and "ended with status FAILED" in runs["TRAIN_MODEL"].detail
    assert [runs[n].state for n in ("CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT")] == ["NOT_RUN"] * 3
    cleaned = json.loads(runs["CLEANUP"].return_value)
    assert cleaned["current_run"]["outcome"] == "failed" and cleaned["current_run"]["tasks"] == ["MORTGAGE_PIPELINE$TRAIN_MODEL"]
    assert local_run.summary(list(runs.values()))["succeeded"] is False


def test_the_pipeline_definition_is_checked_before_anything_runs():
    with pytest.raises(local_run.LocalRunError, match="'after' names 'NOPE'"):
        local_run.load_graph({"name": "P", "tasks": [{"name": "A", "after": ["NOPE"], "entrypoint": "x.py"}]})
    with pytest.raises(local_run.LocalRunError, match="cycle"):
        local_run.load_graph({"name": "P", "tasks": [{"name": "A", "after": ["B"]}, {"name": "B", "after": ["A"]}]})
    with pytest.raises(local_run.LocalRunError, match="expects key=value"):
        local_run.parse_overrides(["metric_threshold"])
    assert local_run.parse_overrides(["a=1", "b=0.5", "c=true", "d=text"]) == {"a": 1, "b": 0.5, "c": True, "d": "text"}


def test_the_force_refresh_store_only_ignores_missing_versions():
    store = FakeDatasetStore(now=NOW)
    refreshing = local_run.ForceRefreshStore(store)
    refreshing.create_version("D", "v1", None, label_cols=[], exclude_cols=[], comment="")  # nothing to delete
    store.fail_delete["v1"] = RuntimeError("Insufficient privileges")
    with pytest.raises(RuntimeError, match="Insufficient privileges"):
        refreshing.create_version("D", "v1", None, label_cols=[], exclude_cols=[], comment="")


# -- the entry point (run_local.py) -----------------------------------------------------------------


def definition_file(tmp_path, pipeline=FIXTURE_PIPELINE):
    path = tmp_path / "definition.json"
    path.write_text(json.dumps({"pipeline": dict(pipeline, packages=["snowflake-snowpark-python", "snowflake-ml-python==1.48.0", "xgboost==2.1.4"]), "graphConfig": graph_config()}))
    return str(path)


def test_the_entry_point_runs_the_pipeline_with_the_session_it_opens(tmp_path):
    world = World()
    opened, out = [], []
    code = run_local.main(
        ["--definition", definition_file(tmp_path), "--connection", "dev", "--no-register", "--config", "retention_days=7"],
        open_session=lambda name: opened.append(name) or world.session, seams=world.seams(), check_libraries=lambda packages: None, out=out.append,
    )
    assert code == 0 and opened == ["dev"]
    result = json.loads(out[-1])
    assert result["succeeded"] is True
    states = {t["task"]: t["state"] for t in result["tasks"]}
    assert states["PROMOTE_MODEL"] == "SKIPPED"
    cleanup_value = json.loads(next(t for t in result["tasks"] if t["task"] == "CLEANUP")["return_value"])
    assert cleanup_value["retention_days"] == 7


def test_the_entry_point_says_what_to_install(tmp_path, monkeypatch):
    import builtins

    pytest.importorskip("snowflake.snowpark", reason="this case hides snowflake-ml-python only; here snowflake-snowpark-python is missing too (Debian fallback)")

    real_import = builtins.__import__

    def without_snowflake_ml(name, *args, **kwargs):
        if name == "snowflake.ml" or name.startswith("snowflake.ml."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_snowflake_ml)
    out = []
    code = run_local.main(["--definition", definition_file(tmp_path)], open_session=lambda name: pytest.fail("no session"), out=out.append)
    assert code == 3
    assert out == [
        "missing Python package(s): snowflake-ml-python. Install them with:\n"
        "  pip install 'snowflake-snowpark-python' 'snowflake-ml-python==1.48.0' 'xgboost==2.1.4'"
    ]


def test_the_entry_point_rejects_a_bad_definition(tmp_path):
    out = []
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert run_local.main(["--definition", str(bad)], out=out.append) == 2
    assert out[0].startswith(f"error: {bad}: ")
    assert run_local.main(["--definition", definition_file(tmp_path), "--config", "oops"], out=out.append) == 2
    assert "expects key=value" in out[-1]


def test_the_entry_points_help_explains_itself(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_local.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for expected in ("--no-register", "--force-refresh", "--connection", "--config KEY=VALUE", "connections.toml", "finalizer running last", "exit codes"):
        assert expected in text


def test_local_jobs_run_the_payload_here_and_leave_retention_to_the_real_jobs():
    class Payload:
        calls = []

        @staticmethod
        def main(argv):
            Payload.calls.append(argv)
            if "--fail" in argv:
                raise MemoryError("too big")
            return {"model_path": "@S/m.ubj", "metrics": {}}

    imported = []
    remote = FakeJobs(listed=[{"id": "DB.S.J1", "name": "J1", "status": "DONE", "created_time": NOW}])
    jobs = local_run.LocalJobs(object(), lambda name: imported.append(name) or Payload, remote=remote)
    job = jobs.submit(source="@X/", entrypoint="jobs/train.py", args=["--dataset", "D"], compute_pool="P")
    assert imported == ["jobs.train"] and Payload.calls == [["--dataset", "D"]]
    assert job.id.startswith("LOCAL_") and job.wait(timeout=10) == "DONE" and job.result() == {"model_path": "@S/m.ubj", "metrics": {}}
    job.cancel()  # nothing to cancel: it ran to the end in submit()
    failed = jobs.submit(entrypoint="jobs/train.py", args=["--fail"])
    assert failed.wait() == "FAILED" and failed.get_logs() == "MemoryError: too big"
    with pytest.raises(RuntimeError, match="Job execution failed"):
        failed.result()
    assert jobs.list("DB", "S", "J") == remote.listed
    jobs.delete("DB.S.J1")
    assert remote.deleted == ["DB.S.J1"]


def test_the_entry_point_names_the_connection_it_could_not_open(tmp_path):
    def refuse(name):
        raise RuntimeError("Invalid connection_name 'nope', known ones are ['dev']")

    out = []
    code = run_local.main(["--definition", definition_file(tmp_path), "--connection", "nope"], open_session=refuse,
                          check_libraries=lambda packages: None, out=out.append)
    assert code == 2
    assert out == ["error: cannot open a Snowpark session with connection 'nope' of connections.toml: Invalid connection_name 'nope', known ones are ['dev']"]
