"""The model monitor of the promoted version, its inference log, and the alert on its thresholds.

The stack declares the monitor (``modelMonitor``); the program writes its settings into the graph
config (``monitor_*`` keys, lib/monitoring in the TypeScript program). Objects, in the registry schema
(a monitor lives in its model's schema):

| Object | Name | What |
| --- | --- | --- |
| inference log | ``<PIPELINE>_INFERENCE_LOG`` | SCORED_AT, LOAN_ID, PREDICTED_CLASS, PROBABILITY, MODEL_VERSION: batch scoring appends to it (``append_inferences``) |
| monitor source | ``<PIPELINE>_MONITOR_SOURCE`` (view) | the promoted version's rows of the log, joined with the actual class from the source table when it arrives |
| baseline | ``<PIPELINE>_MONITOR_BASELINE`` | the TEST split's predictions of the promoted version, with their actual class |
| monitor | ``<PIPELINE>_MONITOR`` | CREATE OR REPLACE MODEL MONITOR on the promoted version (https://docs.snowflake.com/sql-reference/sql/create-model-monitor) |
| alert | ``<PIPELINE>_MONITOR_ALERT`` | notifies through the stack's integration when drift exceeds its maximum or performance falls below its minimum (https://docs.snowflake.com/sql-reference/sql/create-alert) |

PROMOTE_MODEL calls ``promote_monitor`` after the new default is set, so the monitor always watches
the promoted version.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from mlpipeline import features, scoring
from mlpipeline.config import sql_string

# The column ModelVersion.run adds for P(class 1) of a classifier's predict_proba.
PROBABILITY_OUTPUT = scoring.PROBABILITY_OUTPUT
# What batch scoring (scoring.score_batch) returns, plus the version that scored it.
LOG_COLUMNS = scoring.SCORE_COLUMNS + ("MODEL_VERSION",)
KEYS = (
    "monitor_refresh_interval", "monitor_aggregation_window", "monitor_alert_schedule", "monitor_notification_integration",
)


class MonitorConfigError(ValueError):
    pass


class InferenceLogError(ValueError):
    """A batch the inference log cannot take; the message names the missing columns."""


@dataclass(frozen=True)
class MonitorSettings:
    refresh_interval: str
    aggregation_window: str
    alert_schedule: str
    notification_integration: str
    drift_metric: Optional[str] = None
    drift_column: Optional[str] = None
    drift_max: Optional[float] = None
    performance_metric: Optional[str] = None
    performance_min: Optional[float] = None


def parse_monitor_settings(raw: Mapping[str, Any]) -> Optional[MonitorSettings]:
    """The ``monitor_*`` graph config keys, or None when the stack declares no monitor."""
    present = [k for k in KEYS if raw.get(k) is not None]
    if not present:
        return None
    missing = [k for k in KEYS if raw.get(k) is None]
    if missing:
        raise MonitorConfigError("graph config is missing key(s): " + ", ".join(missing) + " (the program writes every monitor_* key together)")
    number = lambda key: None if raw.get(key) is None else float(raw[key])  # noqa: E731
    settings = MonitorSettings(
        refresh_interval=str(raw["monitor_refresh_interval"]),
        aggregation_window=str(raw["monitor_aggregation_window"]),
        alert_schedule=str(raw["monitor_alert_schedule"]),
        notification_integration=str(raw["monitor_notification_integration"]),
        drift_metric=raw.get("monitor_drift_metric"),
        drift_column=raw.get("monitor_drift_column"),
        drift_max=number("monitor_drift_max"),
        performance_metric=raw.get("monitor_performance_metric"),
        performance_min=number("monitor_performance_min"),
    )
    if settings.drift_metric is None and settings.performance_metric is None:
        raise MonitorConfigError("graph config declares a model monitor without a drift or performance threshold")
    return settings


@dataclass(frozen=True)
class MonitorNames:
    log: str
    source: str
    baseline: str
    monitor: str
    alert: str


def names(registry_schema: str, pipeline: str) -> MonitorNames:
    prefix = f"{registry_schema}.{pipeline}"
    return MonitorNames(f"{prefix}_INFERENCE_LOG", f"{prefix}_MONITOR_SOURCE", f"{prefix}_MONITOR_BASELINE", f"{prefix}_MONITOR", f"{prefix}_MONITOR_ALERT")


def create_log_sql(n: MonitorNames) -> str:
    return (f"CREATE TABLE IF NOT EXISTS {n.log} (SCORED_AT TIMESTAMP_NTZ, LOAN_ID NUMBER(38,0), PREDICTED_CLASS NUMBER(1,0), "
            "PROBABILITY FLOAT, MODEL_VERSION VARCHAR)")


def source_view_sql(n: MonitorNames, version: str, source_table: str, label_column: str) -> str:
    """The promoted version's inferences; the actual class joins them from the source table when it arrives."""
    return (f"CREATE OR REPLACE VIEW {n.source} AS SELECT l.SCORED_AT, l.LOAN_ID, l.PREDICTED_CLASS, l.PROBABILITY, "
            f"s.{label_column} AS ACTUAL_CLASS FROM {n.log} l LEFT JOIN {source_table} s ON s.LOAN_ID = l.LOAN_ID "
            f"WHERE l.MODEL_VERSION = {sql_string(version)}")


def create_monitor_sql(n: MonitorNames, model_fqn: str, version: str, warehouse: str, s: MonitorSettings) -> str:
    """CREATE OR REPLACE MODEL MONITOR, in the form snowflake-ml-python 1.48.0 sends it (column lists as ('A'))."""
    return (
        f"CREATE OR REPLACE MODEL MONITOR {n.monitor} WITH MODEL = {model_fqn} VERSION = {sql_string(version)} "
        f"FUNCTION = 'predict_proba' SOURCE = {n.source} WAREHOUSE = {warehouse} "
        f"REFRESH_INTERVAL = {sql_string(s.refresh_interval)} AGGREGATION_WINDOW = {sql_string(s.aggregation_window)} "
        f"TIMESTAMP_COLUMN = SCORED_AT BASELINE = {n.baseline} ID_COLUMNS = ('LOAN_ID') "
        "PREDICTION_CLASS_COLUMNS = ('PREDICTED_CLASS') PREDICTION_SCORE_COLUMNS = ('PROBABILITY') ACTUAL_CLASS_COLUMNS = ('ACTUAL_CLASS')"
    )


def alert_condition(n: MonitorNames, s: MonitorSettings) -> str:
    """Rows exist when a threshold is crossed in the last aggregation window (MODEL_MONITOR_DRIFT_METRIC and
    MODEL_MONITOR_PERFORMANCE_METRIC return METRIC_VALUE per window)."""
    window = s.aggregation_window.upper()
    days = window.split()[0]
    span = f"{sql_string(days + ' DAY')}, DATEADD(DAY, -{days}, CURRENT_TIMESTAMP()), CURRENT_TIMESTAMP()"
    parts = []
    if s.drift_metric is not None:
        parts.append(f"SELECT 1 FROM TABLE(MODEL_MONITOR_DRIFT_METRIC({sql_string(n.monitor)}, {sql_string(s.drift_metric)}, "
                     f"{sql_string(s.drift_column or 'PROBABILITY')}, {span})) WHERE METRIC_VALUE > {s.drift_max:g}")
    if s.performance_metric is not None:
        parts.append(f"SELECT 1 FROM TABLE(MODEL_MONITOR_PERFORMANCE_METRIC({sql_string(n.monitor)}, {sql_string(s.performance_metric)}, "
                     f"{span})) WHERE METRIC_VALUE < {s.performance_min:g}")
    return " UNION ALL ".join(parts)


def alert_message(model_fqn: str, version: str, s: MonitorSettings) -> str:
    crossed = []
    if s.drift_metric is not None:
        crossed.append(f"{s.drift_metric} drift of {s.drift_column or 'PROBABILITY'} above {s.drift_max:g}")
    if s.performance_metric is not None:
        crossed.append(f"{s.performance_metric} below {s.performance_min:g}")
    return f"Model monitor of {model_fqn} version {version}: {' or '.join(crossed)} in the last {s.aggregation_window}."


def create_alert_sql(n: MonitorNames, model_fqn: str, version: str, warehouse: str, s: MonitorSettings) -> str:
    message = alert_message(model_fqn, version, s).replace("'", "")
    return (
        f"CREATE OR REPLACE ALERT {n.alert} WAREHOUSE = {warehouse} SCHEDULE = {sql_string(s.alert_schedule)} "
        f"IF (EXISTS ({alert_condition(n, s)})) THEN CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION("
        f"SNOWFLAKE.NOTIFICATION.TEXT_PLAIN(SNOWFLAKE.NOTIFICATION.SANITIZE_WEBHOOK_CONTENT('{message}')), "
        f"SNOWFLAKE.NOTIFICATION.INTEGRATION({sql_string(s.notification_integration)}))"
    )


def resume_alert_sql(n: MonitorNames) -> str:
    """A new alert is suspended (https://docs.snowflake.com/sql-reference/sql/alter-alert)."""
    return f"ALTER ALERT {n.alert} RESUME"


def baseline_frame(predicted: Any, label_column: str, probability_column: str, decision_threshold: float, scored_at: dt.datetime) -> Any:
    """The TEST split's predictions as monitor rows: batch scoring's columns (scoring.SCORE_COLUMNS)
    and ACTUAL_CLASS. ``predicted`` is a Snowpark DataFrame with LOAN_ID, the label and the model's P(class 1)."""
    sp = features.snowpark_api()
    F, T = sp.functions, sp.types
    return predicted.select(
        scoring.score_columns(probability_column, scored_at, sp, decision_threshold)
        + [F.col(label_column).cast(T.IntegerType()).alias("ACTUAL_CLASS")]
    )


def load_test_split(session: Any, prepared: Mapping[str, Any]) -> Any:
    """The TEST rows of the training dataset version (PREPARE_DATA's descriptor), as a Snowpark DataFrame."""
    from snowflake.ml.dataset import load_dataset
    from snowflake.snowpark.functions import col

    from mlpipeline import features

    dataset = prepared["dataset"]
    frame = load_dataset(session, dataset["name"], dataset["test"]).read.to_snowpark_dataframe()
    return frame.filter(col(prepared["split_col"]) == features.TEST)


def append_inferences(session: Any, registry_schema: str, pipeline: str, scored: Any, version: str) -> int:
    """Appends a scored batch, what scoring.score_batch returns (SCORED_AT, LOAN_ID, PREDICTED_CLASS,
    PROBABILITY), to the inference log, with the model version that scored it. Raises InferenceLogError
    naming the missing columns when ``scored`` lacks one. Returns the rows appended."""
    from snowflake.snowpark import functions as F

    present = {str(c).strip('"').upper() for c in scored.columns}
    missing = [c for c in scoring.SCORE_COLUMNS if c not in present]
    if missing:
        raise InferenceLogError(
            f"the scored rows lack column(s) {', '.join(missing)}; the inference log takes what scoring.score_batch returns: "
            f"{', '.join(scoring.SCORE_COLUMNS)}"
        )
    n = names(registry_schema, pipeline)
    session.sql(create_log_sql(n)).collect()
    rows = scored.select(list(scoring.SCORE_COLUMNS)).with_column("MODEL_VERSION", F.lit(version))
    count = int(rows.count())
    rows.write.save_as_table(n.log, mode="append", column_order="name")
    return count


def promote_monitor(session: Any, *, registry_schema: str, pipeline: str, model_fqn: str, version: str, warehouse: str,
                    source_table: str, label_column: str, settings: MonitorSettings, baseline: Any) -> Dict[str, Any]:
    """Moves the monitor (and its alert) to ``version``, with ``baseline`` (baseline_frame) as its baseline.
    Returns what PROMOTE_MODEL reports."""
    n = names(registry_schema, pipeline)
    session.sql(create_log_sql(n)).collect()
    session.sql(source_view_sql(n, version, source_table, label_column)).collect()
    baseline.write.save_as_table(n.baseline, mode="overwrite")
    statements: List[str] = [create_monitor_sql(n, model_fqn, version, warehouse, settings),
                             create_alert_sql(n, model_fqn, version, warehouse, settings), resume_alert_sql(n)]
    for statement in statements:
        session.sql(statement).collect()
    return {"monitor": n.monitor, "version": version, "baseline": n.baseline, "alert": n.alert, "inference_log": n.log}
