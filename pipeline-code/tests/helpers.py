"""Shared test data: a graph config as the program writes it, task runtime info, and the graph
as TASK_DEPENDENTS reports it."""

import json

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


# The monitor_* graph config keys the program writes for the sample stack's modelMonitor
# (lib/monitoring.ts): refresh every day, a one-day window, JS drift of the score above 0.2 or
# accuracy below 0.7 alerts through ML_DEV_ALERTS.
MONITOR_CONFIG = {
    "monitor_refresh_interval": "1 day",
    "monitor_aggregation_window": "1 day",
    "monitor_alert_schedule": "60 MINUTE",
    "monitor_notification_integration": "ML_DEV_ALERTS",
    "monitor_drift_metric": "JENSEN_SHANNON",
    "monitor_drift_column": "PROBABILITY",
    "monitor_drift_max": 0.2,
    "monitor_performance_metric": "CLASSIFICATION_ACCURACY",
    "monitor_performance_min": 0.7,
}


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


# -- the task graph as Snowflake reports it at run time ----------------------------------------------

# A pipeline definition as pipeline.yaml parses (a fixture: tests of the task code build their own
# graph instead of reading the shipped pipeline.yaml). The branch list's first successor runs on a pass.
FIXTURE_PIPELINE = {
    "name": "MORTGAGE_PIPELINE",
    "tasks": [
        {"name": "PREPARE_DATA", "entrypoint": "tasks/prepare_data.py"},
        {"name": "TRAIN_MODEL", "after": ["PREPARE_DATA"], "entrypoint": "tasks/train_model.py", "job": {"payload": "jobs/train.py", "targetInstances": 2}},
        {"name": "CHECK_MODEL_QUALITY", "after": ["TRAIN_MODEL"], "entrypoint": "tasks/check_model_quality.py", "branch": ["PROMOTE_MODEL", "SEND_ALERT"]},
        {"name": "PROMOTE_MODEL", "after": ["CHECK_MODEL_QUALITY"], "entrypoint": "tasks/promote_model.py"},
        {"name": "SEND_ALERT", "after": ["CHECK_MODEL_QUALITY"], "sql": "SELECT 1"},
        {"name": "CLEANUP", "finalizer": True, "entrypoint": "tasks/cleanup.py"},
    ],
}


def _quoted_fqn(database, schema, name):
    return ".".join('"' + part.replace('"', '""') + '"' for part in (database, schema, name))


def task_dependents_rows(pipeline, database="ML_DEV", schema="PIPELINE"):
    """The rows of TABLE(<db>.INFORMATION_SCHEMA.TASK_DEPENDENTS(TASK_NAME => '<db>.<schema>.<root>',
    RECURSIVE => TRUE)) for the graph the program creates from ``pipeline`` (a parsed pipeline
    definition), as https://docs.snowflake.com/en/sql-reference/functions/task_dependents documents
    them: the root first, then its children; lower-case column names as in its output table; NAME
    without database and schema; PREDECESSORS a JSON array (a string through Snowpark) of fully
    qualified names, here in the double-quoted form SHOW TASKS uses. Children are <ROOT>$<TASK>;
    a task without ``after`` follows the root (README "Adding a task"). Whether the finalizer is
    listed is not documented; it is listed here with no predecessors, and no task code relies on it.
    """
    from fakes import FakeRow

    root = pipeline["name"]

    def row(name, predecessors):
        return FakeRow({
            "created_on": "2024-03-01 01:00:00.000 +0000",
            "name": name,
            "database_name": database,
            "schema_name": schema,
            "owner": "PIPELINE_OWNER",
            "comment": None,
            "warehouse": None,
            "schedule": None,
            "predecessors": json.dumps([_quoted_fqn(database, schema, p) for p in predecessors]),
            "state": "started",
            "definition": "...",
            "condition": None,
        })

    rows = [row(root, [])]
    for task in pipeline["tasks"]:
        after = [] if task.get("finalizer") else [f"{root}${p}" for p in task.get("after", [])] or [root]
        rows.append(row(f"{root}${task['name']}", after))
    return rows


def runtime_for(pipeline_name, task, database="ML_DEV", schema="PIPELINE", **overrides):
    """RUNTIME plus the task's own and its root's names. The documentation does not say whether
    CURRENT_TASK_NAME is qualified; SYSTEM$CURRENT_USER_TASK_NAME's example is (MYDB.PUBLIC.MYTASK),
    so this fake qualifies both, and test_graph_context covers the unqualified form too."""
    runtime = dict(RUNTIME)
    runtime["CURRENT_TASK_NAME"] = f"{database}.{schema}.{pipeline_name}${task}"
    runtime["CURRENT_ROOT_TASK_NAME"] = f"{database}.{schema}.{pipeline_name}"
    runtime.update(overrides)
    return runtime
