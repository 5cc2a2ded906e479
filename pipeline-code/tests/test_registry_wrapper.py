"""SnowflakeRegistry itself, driven through autospecced snowflake-ml classes (the real ones when
installed, else stand-ins with the 1.48.0 signatures: tests/snowflake_ml_api.py): a call with a wrong
name or argument fails, and every return value has the real type (pandas frames of SHOW rows with
lower-case columns, ``is_default_version`` as the string 'true' or 'false')."""

import datetime as dt
from unittest import mock

import pandas as pd
import pytest

import snowflake_ml_api
from helpers import graph_config
from mlpipeline import registry as model_registry
from mlpipeline.config import parse_config
from mlpipeline.registry import ModelVersionInfo, SnowflakeRegistry

API = snowflake_ml_api.load()
UTC = dt.timezone.utc
SESSION = object()  # the wrapper only hands the session on
CFG = parse_config(graph_config())
DATASET = "ML_DEV.MODELS.MORTGAGE_DATASET"


def show_models(*names):
    """Registry.show_models(): SHOW MODELS rows, lower-case columns, names as stored (upper case)."""
    return pd.DataFrame({
        "created_on": [pd.Timestamp("2024-01-01", tz="UTC")] * len(names),
        "name": list(names),
        "database_name": ["ML_DEV"] * len(names),
        "schema_name": ["MODELS"] * len(names),
        "comment": [None] * len(names),
        "default_version_name": ["V1"] * len(names),
        "versions": ['["V1"]'] * len(names),
    }, columns=["created_on", "name", "database_name", "schema_name", "comment", "default_version_name", "versions"])


def show_versions(rows):
    """Model.show_versions(): SHOW VERSIONS rows; is_default_version is the string 'true'/'false'."""
    return pd.DataFrame({
        "created_on": [pd.Timestamp(created, tz="UTC") for _, created, _ in rows],
        "name": [name for name, _, _ in rows],
        "comment": [None for _ in rows],
        "is_default_version": [default for _, _, default in rows],
        "metadata": ["{}" for _ in rows],
    })


def model_version(name):
    version = mock.create_autospec(API.ModelVersion, instance=True)
    version.version_name = name
    return version


@pytest.fixture
def registry(monkeypatch):
    """(wrapper, the autospecced Registry class, its instance, a model) with MORTGAGE_MODEL present."""
    registry_class = mock.create_autospec(API.Registry)
    instance = registry_class.return_value
    model = mock.create_autospec(API.Model, instance=True)
    model.name = "MORTGAGE_MODEL"
    model.default = model_version("V2")
    instance.show_models.return_value = show_models("MORTGAGE_MODEL", "OTHER_MODEL")
    instance.get_model.return_value = model
    snowflake_ml_api.install(monkeypatch, Registry=registry_class)
    return SnowflakeRegistry(SESSION, "ML_DEV.MODELS"), registry_class, instance, model


def test_the_library_under_test():
    # Which snowflake-ml the autospecs follow; the stand-ins copy 1.48.0's signatures.
    assert API.version == "1.48.0" or not API.real


def test_it_opens_the_registry_schema(registry):
    _, registry_class, _, _ = registry
    registry_class.assert_called_once_with(session=SESSION, database_name="ML_DEV", schema_name="MODELS")


def test_a_missing_registry_schema_raises_from_the_constructor(monkeypatch):
    registry_class = mock.create_autospec(API.Registry, side_effect=ValueError("Schema ML_DEV.MODELS does not exist."))
    snowflake_ml_api.install(monkeypatch, Registry=registry_class)
    with pytest.raises(ValueError, match="does not exist"):
        SnowflakeRegistry(SESSION, "ML_DEV.MODELS")


def test_versions_from_show_versions(registry):
    wrapper, _, instance, model = registry
    model.show_versions.return_value = show_versions([("V1", "2024-01-01", "false"), ("V2", "2024-02-01", "true")])
    assert wrapper.versions("mortgage_model") == [
        ModelVersionInfo("V1", pd.Timestamp("2024-01-01", tz="UTC"), False),
        ModelVersionInfo("V2", pd.Timestamp("2024-02-01", tz="UTC"), True),
    ]
    instance.get_model.assert_called_once_with("mortgage_model")


def test_an_absent_model_has_no_versions_and_is_not_fetched(registry):
    wrapper, _, instance, _ = registry
    instance.show_models.return_value = show_models()
    assert wrapper.versions("MORTGAGE_MODEL") is None
    assert wrapper.default_version("MORTGAGE_MODEL") is None
    assert wrapper.datasets_used_by("MORTGAGE_MODEL", "V1") == set()
    instance.get_model.assert_not_called()


def test_default_set_and_delete(registry):
    wrapper, _, instance, model = registry
    assert wrapper.default_version("MORTGAGE_MODEL") == "V2"
    wrapper.set_default("MORTGAGE_MODEL", "V3")
    assert model.default == "V3"  # the setter takes a version name
    wrapper.delete_version("MORTGAGE_MODEL", "V1")
    model.delete_version.assert_called_once_with("V1")


def test_versions_read_the_aliases_column_without_system_aliases(registry):
    # SHOW VERSIONS IN MODEL has an `aliases` column, a JSON array
    # (https://docs.snowflake.com/sql-reference/sql/show-versions-in-model)
    wrapper, _, _, model = registry
    frame = show_versions([("V1", "2024-01-01", "false"), ("V2", "2024-02-01", "true")])
    frame["aliases"] = ['["FIRST","PREVIOUS"]', '["DEFAULT","LAST","PRODUCTION"]']
    model.show_versions.return_value = frame
    assert [v.aliases for v in wrapper.versions("MORTGAGE_MODEL")] == [("PREVIOUS",), ("PRODUCTION",)]


def test_aliases_are_set_and_unset_on_the_model_version(registry):
    # ModelVersion.set_alias / unset_alias send ALTER MODEL <m> VERSION <v> SET ALIAS = <a> and
    # ALTER MODEL <m> VERSION <v> UNSET ALIAS (https://docs.snowflake.com/sql-reference/sql/alter-model)
    wrapper, _, _, model = registry
    version = model_version("V1")
    model.version.return_value = version
    wrapper.set_alias("MORTGAGE_MODEL", "V1", "PREVIOUS")
    version.set_alias.assert_called_once_with("PREVIOUS")
    wrapper.unset_alias("MORTGAGE_MODEL", "V1")
    version.unset_alias.assert_called_once_with("V1")
    assert model.version.call_args_list == [mock.call("V1"), mock.call("V1")]


def test_datasets_used_by_reads_the_upstream_lineage(registry):
    wrapper, _, _, model = registry
    active = mock.create_autospec(API.Dataset, instance=True)
    active.fully_qualified_name = "ML_DEV.MODELS.MORTGAGE_DATASET"
    active.selected_version = mock.Mock(spec=["name"])
    active.selected_version.name = "v20240215_083000_train"
    unselected = mock.create_autospec(API.Dataset, instance=True)
    unselected.fully_qualified_name = "ML_DEV.MODELS.OTHER"
    unselected.selected_version = None
    version = model_version("V1")
    version.lineage.return_value = [active, unselected]
    model.version.return_value = version

    assert wrapper.datasets_used_by("MORTGAGE_MODEL", "V1") == {("ML_DEV.MODELS.MORTGAGE_DATASET", "v20240215_083000_train")}
    model.version.assert_called_once_with("V1")
    version.lineage.assert_called_once_with("upstream", domain_filter={"dataset"})


def tiny_classifier_bytes():
    import xgboost as xgb

    frame = pd.DataFrame({"A": [0.0, 1.0, 0.2, 0.9, 0.1, 0.8], "B": [1.0, 0.0, 0.7, 0.1, 0.9, 0.3]})
    params = {"objective": "binary:logistic", "min_child_weight": 0, "learning_rate": 1.0, "max_depth": 2}
    booster = xgb.train(params, xgb.DMatrix(frame, label=[0, 1, 0, 1, 0, 1]), num_boost_round=5)
    return bytes(booster.save_raw("ubj")), frame


def test_promotion_registers_a_real_xgboost_classifier_with_explicit_options(registry, monkeypatch):
    import xgboost as xgb

    wrapper, _, instance, model = registry
    instance.show_models.return_value = show_models()  # the model does not exist yet
    load_dataset = mock.create_autospec(API.load_dataset)
    reader = load_dataset.return_value.read
    sample = reader.to_snowpark_dataframe.return_value.limit.return_value
    snowflake_ml_api.install(monkeypatch, load_dataset=load_dataset)
    instance.log_model.return_value = model_version("RUN_1")
    data, frame = tiny_classifier_bytes()

    trained = {"job_id": "ML_DEV.PIPELINE.MLJOB_1", "model_path": "@S/runs/RUN_1/attempts/a/model.ubj", "metrics": {"test_accuracy": 0.8}}
    prepared = {"dataset": {"name": DATASET, "train": "v1_train"}}
    result = model_registry.promote(CFG, "RUN_1", trained, prepared, wrapper, lambda path: model_registry.classifier_from_bytes(data))

    assert result["version"] == "RUN_1" and result["reused"] is False
    load_dataset.assert_called_once_with(SESSION, DATASET, "v1_train")
    reader.to_snowpark_dataframe.assert_called_once_with(only_feature_cols=True)
    (args, kwargs), = instance.log_model.call_args_list
    (logged,) = args
    assert isinstance(logged, xgb.XGBClassifier)
    # predict: the class (the training labels, which this separable data reproduces); predict_proba:
    # P(0) and P(1), P(1) on the same side of 0.5 as the class.
    assert logged.predict(frame).tolist() == [0, 1, 0, 1, 0, 1]
    probabilities = logged.predict_proba(frame)
    assert probabilities.shape == (6, 2) and ((probabilities[:, 1] >= 0.5).astype(int).tolist() == [0, 1, 0, 1, 0, 1])
    assert probabilities.sum(axis=1).tolist() == pytest.approx([1.0] * 6)
    assert kwargs == {
        "model_name": "MORTGAGE_MODEL",
        "version_name": "RUN_1",
        "sample_input_data": sample,
        "metrics": {
            "test_accuracy": 0.8,
            "decision_threshold": 0.5,
            "training_dataset": {"name": DATASET, "version": "v1_train"},
            "ml_job_id": "ML_DEV.PIPELINE.MLJOB_1",
            "graph_run_id": "RUN_1",
        },
        "comment": kwargs["comment"],
        "target_platforms": ["WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES"],
        "options": {"enable_explainability": False, "target_methods": ["predict", "predict_proba"], "relax_version": False},
    }
    assert "ML Job ML_DEV.PIPELINE.MLJOB_1" in kwargs["comment"] and f"{DATASET} version v1_train" in kwargs["comment"]
    assert model.default == "RUN_1"


def test_a_retried_promotion_reuses_the_version(registry):
    wrapper, _, instance, model = registry
    model.show_versions.return_value = show_versions([("RUN_1", "2024-03-01", "false")])
    trained = {"job_id": "J", "model_path": "@S/m.ubj", "metrics": {}}
    prepared = {"dataset": {"name": DATASET, "train": "v1_train"}}
    result = model_registry.promote(CFG, "run_1", trained, prepared, wrapper, lambda path: pytest.fail("not loaded on reuse"))
    assert result["reused"] is True
    instance.log_model.assert_not_called()
    assert model.default == "run_1"


def test_the_classifier_refuses_a_threshold_it_would_not_apply(monkeypatch):
    data, _ = tiny_classifier_bytes()
    monkeypatch.setattr(model_registry.modeling, "DECISION_THRESHOLD", 0.6)
    with pytest.raises(ValueError, match="DECISION_THRESHOLD is 0.6; XGBClassifier.predict applies 0.5"):
        model_registry.classifier_from_bytes(data)


def test_promotion_names_a_missing_predecessor_field():
    with pytest.raises(ValueError, match="lacks 'model_path'"):
        model_registry.promote(CFG, "R", {"metrics": {}}, {"dataset": {"name": DATASET, "train": "t"}}, None, None)
    with pytest.raises(ValueError, match="metrics must be an object"):
        registry = mock.Mock(versions=mock.Mock(return_value=None))
        model_registry.promote(CFG, "R", {"model_path": "@x", "metrics": [1]}, {"dataset": {"name": DATASET, "train": "t"}}, registry, None)
