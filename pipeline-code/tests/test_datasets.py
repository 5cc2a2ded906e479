"""SnowflakeDatasets and datasets.prepare driven through autospecs of snowflake-ml-python 1.48.0's
real ``Dataset`` (snowflake.ml.dataset): a call with a wrong name or argument fails, as it would in
Snowflake. Return values follow the real types: ``list_versions`` a list of str, ``created_on`` a
datetime, ``create_version`` a Dataset, a missing dataset DatasetNotExistError."""

import datetime as dt
import json
from unittest import mock

import pandas as pd
import pytest

pytest.importorskip("snowflake.ml.dataset", reason="snowflake-ml-python is not installed (Debian fallback): npm test installs it from tests/python/requirements-test.txt")
from snowflake.ml._internal.exceptions.dataset_errors import DatasetNotExistError  # noqa: E402
from snowflake.ml.dataset import Dataset  # noqa: E402

from fakes import FakeSession, content_version, reference_build  # noqa: E402
from helpers import RUNTIME, graph_config  # noqa: E402
from mlpipeline import datasets, features  # noqa: E402
from mlpipeline.config import parse_config  # noqa: E402
from tasks import prepare_data  # noqa: E402

import os  # noqa: E402

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")
NAME = "ML_DEV.MODELS.MORTGAGE_DATASET"
SOURCE = "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA"
CREATED = {"v1": dt.datetime(2024, 1, 1, 8, 0), "v2": dt.datetime(2024, 2, 1, 8, 0)}


@pytest.fixture
def dataset_class(monkeypatch):
    """snowflake.ml.dataset.Dataset replaced by an autospec of itself; Dataset.load and .create
    return an autospecced instance whose versions are CREATED."""
    cls = mock.create_autospec(Dataset)
    instance = mock.create_autospec(Dataset, instance=True)
    instance.list_versions.return_value = list(CREATED)

    def select_version(version):
        selected = mock.create_autospec(Dataset, instance=True)
        type(selected).selected_version = mock.PropertyMock(return_value=mock.Mock(created_on=CREATED[version]))
        return selected

    instance.select_version.side_effect = select_version
    instance.create_version.return_value = instance
    cls.load.return_value = instance
    cls.create.return_value = instance
    monkeypatch.setattr("snowflake.ml.dataset.Dataset", cls)
    return cls


def test_list_versions_reads_each_versions_creation_time(dataset_class):
    session = object()
    versions = datasets.SnowflakeDatasets(session).list_versions(NAME)
    assert versions == [datasets.VersionInfo("v1", CREATED["v1"]), datasets.VersionInfo("v2", CREATED["v2"])]
    dataset_class.load.assert_called_once_with(session, NAME)


def test_a_missing_dataset_has_no_versions_and_cannot_lose_one(dataset_class):
    dataset_class.load.side_effect = DatasetNotExistError(f"Dataset {NAME} does not exist.")
    store = datasets.SnowflakeDatasets(object())
    assert store.list_versions(NAME) == []
    with pytest.raises(LookupError, match=f"dataset {NAME} does not exist"):
        store.delete_version(NAME, "v1")


def test_other_errors_are_not_taken_for_a_missing_dataset(dataset_class):
    dataset_class.load.side_effect = RuntimeError("Insufficient privileges to operate on schema 'MODELS'")
    with pytest.raises(RuntimeError, match="Insufficient privileges"):
        datasets.SnowflakeDatasets(object()).list_versions(NAME)


def test_create_and_delete_version_call_the_real_signatures(dataset_class):
    session, frame = object(), object()
    store = datasets.SnowflakeDatasets(session)
    store.create_version(NAME, "v3", frame, label_cols=("Y",), exclude_cols=("ID", "SPLIT"), comment="features")
    dataset_class.create.assert_called_once_with(session, NAME, exist_ok=True)
    dataset_class.create.return_value.create_version.assert_called_once_with(
        "v3", frame, label_cols=["Y"], exclude_cols=["ID", "SPLIT"], comment="features"
    )
    store.delete_version(NAME, "v1")
    dataset_class.load.return_value.delete_version.assert_called_once_with("v1")


def session_with_source():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    session.add_table(SOURCE, pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]), "20240215_083000")
    return session


def test_a_new_source_version_is_materialized_once(dataset_class):
    """Today's three create_version calls (full, train, test) each ran the whole feature query."""
    dataset_class.load.side_effect = DatasetNotExistError(f"Dataset {NAME} does not exist.")
    session = session_with_source()
    result = json.loads(prepare_data.main(session, store=datasets.SnowflakeDatasets(session), build=reference_build))

    instance = dataset_class.create.return_value
    assert instance.create_version.call_count == 1
    (call,) = instance.create_version.call_args_list
    assert call.args[0] == content_version(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"])) == result["dataset"]["train"] == result["dataset"]["test"]
    assert call.kwargs["exclude_cols"] == ["LOAN_ID", "TIMESTAMP", "SPLIT"] and call.kwargs["label_cols"] == ["MORTGAGERESPONSE"]
    written = call.args[1].to_pandas()
    assert set(written["SPLIT"]) == {"TRAIN", "TEST"}  # both splits in the one version


def test_an_existing_version_is_reused_without_a_feature_query(dataset_class):
    dataset_class.load.return_value.list_versions.return_value = [content_version(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]))]
    type(dataset_class.load.return_value).selected_version = mock.PropertyMock(return_value=mock.Mock(created_on=CREATED["v1"]))
    dataset_class.load.return_value.select_version.side_effect = None
    dataset_class.load.return_value.select_version.return_value = dataset_class.load.return_value
    session = session_with_source()
    result = json.loads(prepare_data.main(session, store=datasets.SnowflakeDatasets(session), build=reference_build))
    assert result["reused"] is True
    dataset_class.create.assert_not_called()
    assert not session.statements_matching(f"^TABLE {SOURCE}")


def test_build_version_frame_caches_the_rows_once_and_saves_the_state():
    """The Snowpark calls of build_version_frame against an autospecced DataFrame/Session (local
    testing runs them for real in test_features.py; here: which tables, in which mode)."""
    from snowflake.snowpark import DataFrame, Session

    session = mock.create_autospec(Session, instance=True)
    rows = mock.MagicMock(name="rows")
    source = mock.MagicMock(name="source")
    with mock.patch.object(features, "row_features", autospec=True, return_value=source) as row_features, \
            mock.patch.object(features, "fit_state", autospec=True) as fit_state, \
            mock.patch.object(features, "apply_state", autospec=True, return_value="frame") as apply_state:
        source.cache_result.return_value = rows
        fitted = fit_state.return_value
        fitted.lookups, fitted.means = mock.create_autospec(DataFrame, instance=True), mock.create_autospec(DataFrame, instance=True)
        tables = datasets.state_tables(parse_config(graph_config()), "v1")
        assert datasets.build_version_frame(session, "table", tables) == "frame"
    row_features.assert_called_once_with("table", None)
    source.cache_result.assert_called_once_with()
    fit_state.assert_called_once_with(rows, None)
    fitted.lookups.write.save_as_table.assert_called_once_with("ML_DEV.MODELS.MORTGAGE_DATASET_V1_LOOKUPS", mode="overwrite")
    fitted.means.write.save_as_table.assert_called_once_with("ML_DEV.MODELS.MORTGAGE_DATASET_V1_MEANS", mode="overwrite")
    assert [c.args for c in session.table.call_args_list] == [("ML_DEV.MODELS.MORTGAGE_DATASET_V1_LOOKUPS",), ("ML_DEV.MODELS.MORTGAGE_DATASET_V1_MEANS",)]
    (args, _), = [(c.args, c.kwargs) for c in apply_state.call_args_list]
    assert args[0] is rows and args[1] == features.FeatureState(session.table.return_value, session.table.return_value)


def test_version_names_and_their_base():
    assert datasets.version_names("0f1e2d3c4b5a6978")["version"] == "v0f1e2d3c4b5a6978"
    assert datasets.base_version("v20240215_083000_train") == "v20240215_083000"
    assert datasets.base_version("v20240215_083000_test") == "v20240215_083000"
    assert datasets.base_version("v20240215_083000") == "v20240215_083000"
