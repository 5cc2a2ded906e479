"""Shared test data: a graph config as the program writes it, and task runtime info."""

DROP = object()


def graph_config(**overrides):
    """A graph config as docs/design.md describes the program's (its example values)."""
    config = {
        "pipeline_name": "MORTGAGE_PIPELINE",
        "database": "ML_DEV",
        "schema": "PIPELINE",
        "data_schema": "ML_DEV.DATA",
        "registry_schema": "ML_DEV.MODELS",
        "warehouse": "ML_DEV_WH",
        "compute_pool": "ML_DEV_POOL",
        "code_stage": "ML_DEV.PIPELINE.CODE_STAGE",
        "job_stage": "ML_DEV.PIPELINE.JOB_STAGE",
        "artifact_stage": "ML_DEV.PIPELINE.ARTIFACT_STAGE",
        "data_stage": "ML_DEV.PIPELINE.DATA_STAGE",
        "source_table": "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA",
        "sample_data": True,
        "sample_data_file": "@ML_DEV.PIPELINE.DATA_STAGE/sample/0123abcd/mortgage_sample.csv",
        "dataset_name": "mortgage_dataset",
        "model_name": "mortgage_model",
        "metric_name": "test_accuracy",
        "metric_threshold": 0.7,
        "retention_days": 30,
    }
    for key, value in overrides.items():
        if value is DROP:
            config.pop(key, None)
        else:
            config[key] = value
    return config


# SYSTEM$TASK_RUNTIME_INFO values (strings; the run group and root task ids are documented as UUIDs,
# https://docs.snowflake.com/en/sql-reference/functions/system_task_runtime_info). The scheduled
# timestamp is a timestamp string that TO_TIMESTAMP parses: the fake session evaluates the SQL
# functions around it as Snowflake does.
RUNTIME = {
    "CURRENT_TASK_GRAPH_RUN_GROUP_ID": "01b2c3d4-0000-1111-2222-333344445555",
    "CURRENT_ROOT_TASK_UUID": "01b2c3d4-aaaa-bbbb-cccc-000000000001",
    "CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP": "2024-03-01 02:00:00.000 +0000",
}
# GraphContext.run_id for RUNTIME, worked out by hand from its documented format.
RUN_ID = "RUN_20240301_020000_01B2C3D4_0000_1111_2222_333344445555"
