"""The model monitor follows the promoted version (mlpipeline/monitoring.py, tasks/promote_model.py).

Statements are written out from Snowflake's documented syntax and checked here exactly:
CREATE MODEL MONITOR (https://docs.snowflake.com/sql-reference/sql/create-model-monitor; the column
lists in the form snowflake-ml-python 1.48.0 sends, ('COL')), CREATE ALERT and ALTER ALERT … RESUME
(https://docs.snowflake.com/sql-reference/sql/create-alert, alter-alert), MODEL_MONITOR_DRIFT_METRIC and
MODEL_MONITOR_PERFORMANCE_METRIC (https://docs.snowflake.com/sql-reference/functions/model-monitor-drift-metric,
model-monitor-performance-metric: METRIC_VALUE per window), SYSTEM$SEND_SNOWFLAKE_NOTIFICATION as SEND_ALERT
sends it. The baseline and the inference log are real Snowpark DataFrames in Snowpark's local testing mode.
"""

import datetime as dt
import json

import pandas as pd
import pytest

from fakes import FakeRegistry, FakeSession, tiny_classifier
from helpers import FIXTURE_PIPELINE, MONITOR_CONFIG, RUN_ID, graph_config, runtime_for, task_dependents_rows
from mlpipeline import monitoring
from mlpipeline.config import ConfigError, parse_config
from tasks import promote_model

SETTINGS = parse_config(graph_config(**MONITOR_CONFIG)).monitor
NAMES = monitoring.names("ML_DEV.MODELS", "MORTGAGE_PIPELINE")
MODEL = "ML_DEV.MODELS.MORTGAGE_MODEL"


def test_monitor_settings_come_from_the_graph_config_or_not_at_all():
    assert parse_config(graph_config()).monitor is None
    assert SETTINGS.refresh_interval == "1 day" and SETTINGS.drift_max == 0.2 and SETTINGS.performance_min == 0.7
    partial = dict(MONITOR_CONFIG)
    del partial["monitor_alert_schedule"]
    with pytest.raises(ConfigError, match=r"^graph config is missing key\(s\): monitor_alert_schedule \(the program writes every monitor_\* key together\)$"):
        parse_config(graph_config(**partial))


def test_the_monitor_statement_on_a_version():
    assert monitoring.create_monitor_sql(NAMES, MODEL, "RUN_2", "ML_DEV_WH", SETTINGS) == (
        "CREATE OR REPLACE MODEL MONITOR ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR WITH MODEL = ML_DEV.MODELS.MORTGAGE_MODEL "
        "VERSION = 'RUN_2' FUNCTION = 'predict_proba' SOURCE = ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR_SOURCE WAREHOUSE = ML_DEV_WH "
        "REFRESH_INTERVAL = '1 day' AGGREGATION_WINDOW = '1 day' TIMESTAMP_COLUMN = SCORED_AT "
        "BASELINE = ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR_BASELINE ID_COLUMNS = ('LOAN_ID') "
        "PREDICTION_CLASS_COLUMNS = ('PREDICTED_CLASS') PREDICTION_SCORE_COLUMNS = ('PROBABILITY') ACTUAL_CLASS_COLUMNS = ('ACTUAL_CLASS')"
    )


def test_the_alert_notifies_through_the_stacks_integration_when_a_threshold_is_crossed():
    window = "'1 DAY', DATEADD(DAY, -1, CURRENT_TIMESTAMP()), CURRENT_TIMESTAMP()"
    assert monitoring.create_alert_sql(NAMES, MODEL, "RUN_2", "ML_DEV_WH", SETTINGS) == (
        "CREATE OR REPLACE ALERT ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR_ALERT WAREHOUSE = ML_DEV_WH SCHEDULE = '60 MINUTE' "
        "IF (EXISTS ("
        f"SELECT 1 FROM TABLE(MODEL_MONITOR_DRIFT_METRIC('ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR', 'JENSEN_SHANNON', 'PROBABILITY', {window})) "
        "WHERE METRIC_VALUE > 0.2 UNION ALL "
        f"SELECT 1 FROM TABLE(MODEL_MONITOR_PERFORMANCE_METRIC('ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR', 'CLASSIFICATION_ACCURACY', {window})) "
        "WHERE METRIC_VALUE < 0.7)) THEN CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION("
        "SNOWFLAKE.NOTIFICATION.TEXT_PLAIN(SNOWFLAKE.NOTIFICATION.SANITIZE_WEBHOOK_CONTENT("
        "'Model monitor of ML_DEV.MODELS.MORTGAGE_MODEL version RUN_2: JENSEN_SHANNON drift of PROBABILITY above 0.2 or "
        "CLASSIFICATION_ACCURACY below 0.7 in the last 1 day.')), SNOWFLAKE.NOTIFICATION.INTEGRATION('ML_DEV_ALERTS'))"
    )
    assert monitoring.resume_alert_sql(NAMES) == "ALTER ALERT ML_DEV.MODELS.MORTGAGE_PIPELINE_MONITOR_ALERT RESUME"


# -- in Snowpark's local testing mode ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local():
    s = pytest.importorskip("snowpark_local").session()
    yield s
    s.close()


SCORED_AT = dt.datetime(2024, 3, 1, 10, 0, 0)
TEST_SPLIT = pd.DataFrame({"LOAN_ID": [11, 12, 13, 14], "MORTGAGERESPONSE": [1, 0, 1, 0], "SPLIT": ["TEST"] * 4})
# P(class 1) the registered version gives each TEST loan; the class follows the 0.5 decision threshold.
PROBABILITY = {11: 0.9, 12: 0.2, 13: 0.4, 14: 0.5}


def with_probability(frame):
    from snowflake.snowpark import functions as F

    expr = F.lit(None)
    for loan, p in PROBABILITY.items():
        expr = F.when(F.col("LOAN_ID") == loan, F.lit(p)).otherwise(expr)
    return frame.with_column("output_feature_1", expr)


def promote_world(local, version, registry=None, **runtime):
    registry = registry or FakeRegistry(now=dt.datetime(2024, 3, 1, 10, tzinfo=dt.timezone.utc))
    registry.probability = with_probability
    session = FakeSession(
        graph_config(**MONITOR_CONFIG),
        predecessors={
            "MORTGAGE_PIPELINE$TRAIN_MODEL": json.dumps({"model_path": "@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/R/model.ubj", "metrics": {"test_accuracy": 0.9}}),
            "MORTGAGE_PIPELINE$PREPARE_DATA": json.dumps({"dataset": {"name": "ML_DEV.MODELS.MORTGAGE_DATASET", "version": "v1", "train": "v1", "test": "v1"}, "split_col": "SPLIT"}),
        },
        runtime=runtime_for("MORTGAGE_PIPELINE", "PROMOTE_MODEL", **runtime),
        dependents=task_dependents_rows(FIXTURE_PIPELINE),
    )
    return registry, session


def test_promotion_moves_the_monitor_to_the_promoted_version_with_the_test_predictions_as_baseline(local):
    registry, session = promote_world(local, RUN_ID)
    value = promote_model.main(session, registry=registry, load_model=lambda path: tiny_classifier(),
                               test_split=lambda: local.create_dataframe(TEST_SPLIT), now=SCORED_AT)
    result = json.loads(value)
    assert result["monitor"] == {
        "monitor": NAMES.monitor, "version": RUN_ID, "baseline": NAMES.baseline, "alert": NAMES.alert, "inference_log": NAMES.log,
    }
    baseline = local.table(NAMES.baseline).sort("LOAN_ID").to_pandas()
    assert baseline["LOAN_ID"].tolist() == [11, 12, 13, 14]
    assert baseline["PROBABILITY"].tolist() == [0.9, 0.2, 0.4, 0.5]
    assert baseline["PREDICTED_CLASS"].tolist() == [1, 0, 0, 1]  # >= 0.5 is class 1
    assert baseline["ACTUAL_CLASS"].tolist() == [1, 0, 1, 0]
    assert set(pd.to_datetime(baseline["SCORED_AT"])) == {pd.Timestamp(SCORED_AT)}
    assert f"VERSION = '{RUN_ID}'" in session.objects[NAMES.monitor]
    assert session.objects[NAMES.source].endswith(f"WHERE l.MODEL_VERSION = '{RUN_ID}'")
    assert session.statements_matching("^ALTER ALERT") == [f"ALTER ALERT {NAMES.alert} RESUME"]
    # the default moved first: the monitor watches the version that serves
    assert registry.defaults["MORTGAGE_MODEL"] == RUN_ID
    assert [c[0] for c in registry.calls].index("set_default") < [c[0] for c in registry.calls].index("predict_proba")


def test_the_next_promotion_moves_the_monitor_and_its_baseline_on(local):
    registry, first = promote_world(local, RUN_ID)
    promote_model.main(first, registry=registry, load_model=lambda path: tiny_classifier(), test_split=lambda: local.create_dataframe(TEST_SPLIT), now=SCORED_AT)
    # a later graph run (another run group and scheduled time): its run id is the new version
    later = {"CURRENT_TASK_GRAPH_RUN_GROUP_ID": "01b2c3d4-0000-1111-2222-999999999999", "CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP": "2024-03-02 02:00:00.000 +0000"}
    _, second = promote_world(local, None, registry=registry, **later)
    next_test = pd.DataFrame({"LOAN_ID": [11, 12], "MORTGAGERESPONSE": [1, 1], "SPLIT": ["TEST"] * 2})
    result = json.loads(promote_model.main(second, registry=registry, load_model=lambda path: tiny_classifier(),
                                           test_split=lambda: local.create_dataframe(next_test), now=SCORED_AT + dt.timedelta(days=1)))
    version = "RUN_20240302_020000_01B2C3D4_0000_1111_2222_999999999999"  # GraphContext.run_id's documented format
    assert result["version"] == version and result["monitor"]["version"] == version
    assert f"VERSION = '{version}'" in second.objects[NAMES.monitor]
    assert second.objects[NAMES.source].endswith(f"WHERE l.MODEL_VERSION = '{version}'")
    assert f"{MODEL} version {version}:" in second.objects[NAMES.alert]
    baseline = local.table(NAMES.baseline).sort("LOAN_ID").to_pandas()  # overwritten, not appended
    assert baseline["LOAN_ID"].tolist() == [11, 12] and baseline["ACTUAL_CLASS"].tolist() == [1, 1]
    assert registry.defaults["MORTGAGE_MODEL"] == version


def test_a_pipeline_without_a_monitor_creates_none(local):
    registry = FakeRegistry()
    session = FakeSession(
        graph_config(),
        predecessors={
            "MORTGAGE_PIPELINE$TRAIN_MODEL": json.dumps({"model_path": "@S/p/model.ubj", "metrics": {"test_accuracy": 0.9}}),
            "MORTGAGE_PIPELINE$PREPARE_DATA": json.dumps({"dataset": {"name": "ML_DEV.MODELS.MORTGAGE_DATASET", "version": "v1", "train": "v1", "test": "v1"}}),
        },
        runtime=runtime_for("MORTGAGE_PIPELINE", "PROMOTE_MODEL"),
        dependents=task_dependents_rows(FIXTURE_PIPELINE),
    )
    result = json.loads(promote_model.main(session, registry=registry, load_model=lambda path: tiny_classifier()))
    assert "monitor" not in result and session.objects == {}


def test_the_inference_log_takes_a_scored_batch_with_the_version_that_scored_it(local):
    scored = local.create_dataframe(pd.DataFrame({
        "SCORED_AT": [SCORED_AT, SCORED_AT], "LOAN_ID": [21, 22], "PREDICTED_CLASS": [1, 0], "PROBABILITY": [0.7, 0.1],
    }))

    class Recorder:
        """The local session for DataFrames, recording the DDL local testing cannot run (it stands for the account's CREATE TABLE)."""

        def __init__(self):
            self.statements = []

        def sql(self, text):
            self.statements.append(text)
            return type("R", (), {"collect": lambda self: []})()

    recorder = Recorder()
    assert monitoring.append_inferences(recorder, "ML_DEV.MODELS", "MORTGAGE_PIPELINE", scored, "RUN_2") == 2
    assert monitoring.append_inferences(recorder, "ML_DEV.MODELS", "MORTGAGE_PIPELINE", scored, "RUN_3") == 2
    assert recorder.statements == [monitoring.create_log_sql(NAMES)] * 2
    log = local.table(NAMES.log).sort("MODEL_VERSION", "LOAN_ID").to_pandas()
    assert log[["LOAN_ID", "PREDICTED_CLASS", "MODEL_VERSION"]].values.tolist() == [[21, 1, "RUN_2"], [22, 0, "RUN_2"], [21, 1, "RUN_3"], [22, 0, "RUN_3"]]
