import pytest

from helpers import DROP, graph_config
from mlpipeline.config import PROGRAM_KEYS, USER_KEYS, ConfigError, parse_config


def test_parses_the_program_config_with_user_names_upper_cased():
    cfg = parse_config(graph_config())
    assert cfg.pipeline_name == "MORTGAGE_PIPELINE"
    assert cfg.compute_pool == "ML_DEV_POOL"
    assert cfg.job_stage == "ML_DEV.PIPELINE.JOB_STAGE"
    assert cfg.source_table == "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA"
    assert cfg.sample_data is True
    assert cfg.sample_data_file == "@ML_DEV.PIPELINE.DATA_STAGE/sample/0123abcd/mortgage_sample.csv"
    # Unquoted identifiers are stored upper case by Snowflake; the design's example is ML_DEV.MODELS.MORTGAGE_MODEL.
    assert cfg.model_fqn == "ML_DEV.MODELS.MORTGAGE_MODEL"
    assert cfg.dataset_fqn == "ML_DEV.MODELS.MORTGAGE_DATASET"
    assert cfg.metric_name == "test_accuracy"
    assert cfg.metric_threshold == 0.7
    assert cfg.retention_days == 30
    assert cfg.run_token is None


def test_every_key_of_the_design_contract_is_required():
    assert set(PROGRAM_KEYS) == {
        "pipeline_name", "database", "schema", "data_schema", "registry_schema", "warehouse", "compute_pool",
        "code_stage", "job_stage", "artifact_stage", "data_stage", "source_table", "sample_data",
    }
    assert set(USER_KEYS) == {"dataset_name", "model_name", "metric_name", "metric_threshold", "retention_days"}
    for key in PROGRAM_KEYS + USER_KEYS:
        with pytest.raises(ConfigError, match=rf"missing key\(s\): {key}$"):
            parse_config(graph_config(**{key: DROP}))


def test_all_missing_keys_are_named_at_once():
    with pytest.raises(ConfigError) as error:
        parse_config(graph_config(compute_pool=DROP, retention_days=None, job_stage=DROP))
    prefix = "graph config is missing key(s): "
    assert str(error.value).startswith(prefix)
    assert sorted(str(error.value)[len(prefix):].split(", ")) == ["compute_pool", "job_stage", "retention_days"]


def test_sample_data_file_is_required_only_with_sample_data():
    with pytest.raises(ConfigError, match="sample_data_file"):
        parse_config(graph_config(sample_data_file=DROP))
    cfg = parse_config(graph_config(sample_data=False, sample_data_file=DROP))
    assert cfg.sample_data is False and cfg.sample_data_file is None


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("compute_pool", "ML DEV POOL", "'compute_pool' must be an identifier"),
        ("source_table", "ML_DEV.DATA", "'source_table' must be a 3-part name"),
        ("registry_schema", "MODELS", "'registry_schema' must be a 2-part name"),
        ("job_stage", "@ML_DEV.PIPELINE.JOB_STAGE", "'job_stage' must be a 3-part name"),
        ("pipeline_name", "X; DROP TABLE T", "'pipeline_name' must be an identifier"),
        ("metric_threshold", True, "'metric_threshold' must be a finite number"),
        ("metric_threshold", "0.7", "'metric_threshold' must be a finite number"),
        ("metric_threshold", float("nan"), "'metric_threshold' must be a finite number"),
        ("retention_days", 1.5, "'retention_days' must be a whole number"),
        ("retention_days", -1, "'retention_days' must be a whole number"),
        ("sample_data", "yes", "'sample_data' must be true or false"),
        ("sample_data_file", "ML_DEV.PIPELINE.DATA_STAGE/x.csv", "'sample_data_file' must be a stage file path"),
        ("sample_data_file", "@ML_DEV.PIPELINE.DATA_STAGE/x.csv' OR 1=1", "'sample_data_file' must be a stage file path"),
        ("metric_name", "", "'metric_name' must be a non-empty string"),
    ],
)
def test_values_of_the_wrong_shape_are_errors_naming_the_key(key, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_config(graph_config(**{key: value}))


def test_whole_number_retention_given_as_float_is_accepted_and_run_token_kept():
    cfg = parse_config(graph_config(retention_days=7.0, run_token="tok-123"))
    assert cfg.retention_days == 7 and isinstance(cfg.retention_days, int)
    assert cfg.run_token == "tok-123"


def test_not_an_object():
    with pytest.raises(ConfigError, match="must be a JSON object"):
        parse_config(["pipeline_name"])


def test_the_optional_ml_job_runtime_is_an_image_tag():
    assert parse_config(graph_config()).ml_job_runtime is None
    assert parse_config(graph_config(ml_job_runtime="")).ml_job_runtime is None
    assert parse_config(graph_config(ml_job_runtime="1.7.1")).ml_job_runtime == "1.7.1"
    assert parse_config(graph_config(ml_job_runtime="repo/image:2.10")).ml_job_runtime == "repo/image:2.10"
    with pytest.raises(ConfigError, match="'ml_job_runtime' must be a container runtime image tag like \"1.7.1\".*got '1.7; DROP'"):
        parse_config(graph_config(ml_job_runtime="1.7; DROP"))
    with pytest.raises(ConfigError, match="ml_job_runtime.*got 3"):
        parse_config(graph_config(ml_job_runtime=3))
