"""Retention selection of CLEANUP, as pure functions."""

import datetime as dt

import pandas as pd

from mlpipeline import artifacts, cleanup
from mlpipeline.datasets import VersionInfo, base_version, version_names
from mlpipeline.registry import ModelVersionInfo

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 3, 31, 12, 0, tzinfo=UTC)
CUTOFF = cleanup.retention_cutoff(NOW, 30)  # 2024-03-01 12:00 UTC


def test_cutoff_and_expiry_boundaries():
    assert CUTOFF == dt.datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert cleanup.is_expired(dt.datetime(2024, 3, 1, 11, 59, 59, tzinfo=UTC), CUTOFF)
    assert not cleanup.is_expired(CUTOFF, CUTOFF)  # exactly retention_days old is kept
    assert not cleanup.is_expired(None, CUTOFF)  # unknown age is never removed
    # Naive times are UTC; pandas timestamps (show_versions) work; other zones compare by instant.
    assert cleanup.is_expired(dt.datetime(2024, 3, 1, 11, 0), CUTOFF)
    assert cleanup.is_expired(pd.Timestamp("2024-02-01 00:00", tz="UTC"), CUTOFF)
    assert not cleanup.is_expired(dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8))), CUTOFF)
    assert cleanup.retention_cutoff(NOW, 0) == NOW


def test_model_versions_past_retention_except_the_default():
    versions = [
        ModelVersionInfo("A", dt.datetime(2024, 1, 1, tzinfo=UTC), True),
        ModelVersionInfo("B", dt.datetime(2024, 1, 2, tzinfo=UTC), False),
        ModelVersionInfo("C", dt.datetime(2024, 3, 20, tzinfo=UTC), False),
        ModelVersionInfo("D", None, False),
    ]
    assert cleanup.select_model_versions(versions, CUTOFF) == ["B"]


def test_dataset_versions_go_by_whole_groups():
    old, new = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 3, 30, tzinfo=UTC)
    versions = [
        VersionInfo("v1", old), VersionInfo("v1_train", old), VersionInfo("v1_test", old),
        VersionInfo("v2", old), VersionInfo("v2_train", old), VersionInfo("v2_test", new),
        VersionInfo("v3_train", old),  # an interrupted run's leftover
        VersionInfo("v4", old), VersionInfo("v4_train", old), VersionInfo("v4_test", old),
    ]
    assert cleanup.select_dataset_versions(versions, {"v4"}, CUTOFF) == ["v1_test", "v1_train", "v1", "v3_train"]
    assert cleanup.select_dataset_versions(versions, {"v1", "v3", "v4"}, CUTOFF) == []


def test_version_names_and_groups():
    names = version_names("20240215_083000")
    assert names == {"version": "v20240215_083000", "train": "v20240215_083000_train", "test": "v20240215_083000_test"}
    assert {base_version(v) for v in names.values()} == {"v20240215_083000"}


def test_run_directories_from_a_stage_listing():
    def f(name, day):
        return artifacts.StageFile(name, dt.datetime(2024, 3, day, tzinfo=UTC))

    files = [
        f("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_NOW/model.ubj", 31),
        f("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_B/model.ubj", 1),
        f("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_A/model.ubj", 1),
        f("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_C/model.ubj", 1),
        f("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_C/extra.json", 20),
        f("artifact_stage/mortgage_pipeline/runs/RUN_D/model.ubj", 1),  # LIST case differs: same pipeline
        f("artifact_stage/OTHER_PIPELINE/runs/RUN_E/model.ubj", 1),
        f("artifact_stage/MORTGAGE_PIPELINE/runs/stray.txt", 1),
    ]
    assert cleanup.select_run_dirs(files, "MORTGAGE_PIPELINE", "RUN_NOW", cleanup.retention_cutoff(NOW, 29)) == ["RUN_NOW", "RUN_A", "RUN_B", "RUN_D"]
    assert cleanup.select_run_dirs([], "MORTGAGE_PIPELINE", "RUN_NOW", CUTOFF) == ["RUN_NOW"]
    # The current run kept (its graph run did not succeed): the same expired runs, without it, even
    # when the cutoff is past its own files (retention 0 days).
    assert cleanup.select_run_dirs(files, "MORTGAGE_PIPELINE", "RUN_NOW", cleanup.retention_cutoff(NOW, 29), remove_current=False) == ["RUN_A", "RUN_B", "RUN_D"]
    assert cleanup.select_run_dirs(files[:1], "MORTGAGE_PIPELINE", "RUN_NOW", dt.datetime(2024, 4, 30, tzinfo=UTC), remove_current=False) == []
    assert cleanup.run_id_of("artifact_stage/MORTGAGE_PIPELINE/runs/RUN_X/model.ubj", "MORTGAGE_PIPELINE") == "RUN_X"
    assert cleanup.run_id_of("artifact_stage/MORTGAGE_PIPELINE/runs/stray.txt", "MORTGAGE_PIPELINE") is None


def test_stage_listing_times_are_parsed():
    class Session:
        def sql(self, query):
            assert query == "LIST @DB.S.ARTIFACT_STAGE/P/runs/"
            rows = [("artifact_stage/P/runs/R/model.ubj", 10, "abc", "Fri, 1 Mar 2024 10:00:00 GMT"), ("x", 1, "d", "")]
            return type("R", (), {"collect": lambda self: rows})()

    listed = artifacts.list_files(Session(), "@DB.S.ARTIFACT_STAGE/P/runs/")
    assert listed[0] == artifacts.StageFile("artifact_stage/P/runs/R/model.ubj", dt.datetime(2024, 3, 1, 10, 0, tzinfo=UTC))
    assert listed[1].last_modified is None
