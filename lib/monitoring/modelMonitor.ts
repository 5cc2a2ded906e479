/**
 * The model monitor a stack declares (stack key `modelMonitor`): how often Snowflake refreshes it,
 * the window it aggregates, and the drift and performance thresholds whose crossing notifies through
 * the stack's notificationIntegration. PROMOTE_MODEL moves the monitor to each promoted version
 * (pipeline-code/mlpipeline/monitoring.py); the program hands it the settings in the root's CONFIG,
 * where `pulumi preview` shows them.
 *
 * Rules from Snowflake's docs:
 * - REFRESH_INTERVAL '<num> { seconds | minutes | hours | days }', at least 60 seconds; AGGREGATION_WINDOW
 *   '<num> days' only (https://docs.snowflake.com/sql-reference/sql/create-model-monitor);
 * - drift metrics JENSEN_SHANNON, DIFFERENCE_OF_MEANS, WASSERSTEIN, POPULATION_STABILITY_INDEX
 *   (https://docs.snowflake.com/sql-reference/functions/model-monitor-drift-metric);
 * - binary-classification performance metrics ROC_AUC, CLASSIFICATION_ACCURACY, PRECISION, RECALL,
 *   F1_SCORE, each between 0 and 1 (https://docs.snowflake.com/sql-reference/functions/model-monitor-performance-metric);
 * - an alert's SCHEDULE '<num> MINUTE' (1 to 11520) or 'USING CRON …' (https://docs.snowflake.com/sql-reference/sql/create-alert).
 */
import { describeValue } from "../identifiers";
import type { ConfigProblem, GraphConfig } from "../types";

export const DRIFT_METRICS = ["JENSEN_SHANNON", "DIFFERENCE_OF_MEANS", "WASSERSTEIN", "POPULATION_STABILITY_INDEX"] as const;
export const PERFORMANCE_METRICS = ["ROC_AUC", "CLASSIFICATION_ACCURACY", "PRECISION", "RECALL", "F1_SCORE"] as const;
/** The monitored columns the inference log has (mlpipeline/monitoring.py). */
export const MONITORED_COLUMNS = ["PROBABILITY", "PREDICTED_CLASS", "ACTUAL_CLASS"] as const;

export interface ModelMonitorSettings {
  refreshInterval: string;
  aggregationWindow: string;
  /** Notifies when the drift of `column` (default PROBABILITY) against the baseline exceeds `max`. */
  drift?: { metric: string; column?: string; max: number };
  /** Notifies when the performance metric falls below `min`. */
  performance?: { metric: string; min: number };
  /** How often the alert checks the thresholds (default 60 MINUTE). */
  alertSchedule?: string;
}

const SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
export const DEFAULT_ALERT_SCHEDULE = "60 MINUTE";

/** Seconds of a REFRESH_INTERVAL, or undefined when it is not '<num> <unit>'. */
export function intervalSeconds(text: string): number | undefined {
  const m = /^(\d+) (second|minute|hour|day)s?$/i.exec(text.trim());
  return m ? Number(m[1]) * SECONDS[m[2].toLowerCase()] : undefined;
}

/** Every problem of the stack's modelMonitor, at `at` (e.g. snowflake-ml-pipeline:modelMonitor). */
export function modelMonitorProblems(m: ModelMonitorSettings, notificationIntegration: string | undefined, file: string, at: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (key: string, message: string) => out.push({ file, path: `${at}.${key}`, message });
  const seconds = intervalSeconds(m.refreshInterval);
  if (seconds === undefined) add("refreshInterval", `expected "<num> seconds|minutes|hours|days", e.g. "1 day", got ${describeValue(m.refreshInterval)}`);
  else if (seconds < 60) add("refreshInterval", `Snowflake refreshes a model monitor at most every 60 seconds, got ${describeValue(m.refreshInterval)}`);
  const window = /^(\d+) days?$/i.exec(m.aggregationWindow.trim());
  if (!window || Number(window[1]) < 1) add("aggregationWindow", `expected a whole number of days ("<num> days", at least 1; Snowflake aggregates by days only), got ${describeValue(m.aggregationWindow)}`);
  if (!m.drift && !m.performance) add("drift", "expected drift, performance or both: the thresholds that notify");
  if (m.drift) {
    if (!(DRIFT_METRICS as readonly string[]).includes(m.drift.metric)) add("drift.metric", `expected one of ${DRIFT_METRICS.join(", ")}, got ${describeValue(m.drift.metric)}`);
    const column = m.drift.column ?? "PROBABILITY";
    if (!(MONITORED_COLUMNS as readonly string[]).includes(column)) add("drift.column", `expected a column of the inference log, one of ${MONITORED_COLUMNS.join(", ")}, got ${describeValue(column)}`);
    if (typeof m.drift.max !== "number" || !Number.isFinite(m.drift.max) || m.drift.max <= 0) add("drift.max", `expected a number greater than 0 (the drift above which to notify), got ${describeValue(m.drift.max)}`);
    else if (m.drift.metric === "JENSEN_SHANNON" && m.drift.max >= 1) add("drift.max", `JENSEN_SHANNON is between 0 and 1, so ${m.drift.max} would never notify; expected less than 1`);
  }
  if (m.performance) {
    if (!(PERFORMANCE_METRICS as readonly string[]).includes(m.performance.metric)) add("performance.metric", `expected one of ${PERFORMANCE_METRICS.join(", ")} (a binary classifier's), got ${describeValue(m.performance.metric)}`);
    if (typeof m.performance.min !== "number" || !(m.performance.min > 0 && m.performance.min <= 1)) add("performance.min", `expected a number greater than 0 and at most 1 (the value below which to notify), got ${describeValue(m.performance.min)}`);
  }
  const schedule = m.alertSchedule ?? DEFAULT_ALERT_SCHEDULE;
  const minutes = /^(\d+) MINUTE$/.exec(schedule);
  if (minutes ? !(Number(minutes[1]) >= 1 && Number(minutes[1]) <= 11520) : !/^USING CRON \S+ \S+ \S+ \S+ \S+ \S+$/.test(schedule)) {
    add("alertSchedule", `expected "<1 to 11520> MINUTE" or "USING CRON <min> <hour> <day> <month> <weekday> <time zone>", got ${describeValue(schedule)}`);
  }
  if (!notificationIntegration) out.push({ file, path: at, message: "a crossed threshold notifies through the stack's notificationIntegration; set snowflake-ml-pipeline:notificationIntegration" });
  return out;
}

/** The root CONFIG keys PROMOTE_MODEL reads (only for a stack that declares a monitor). */
export function monitorGraphConfig(m: ModelMonitorSettings, notificationIntegration: string): GraphConfig {
  const config: GraphConfig = {
    monitor_refresh_interval: m.refreshInterval,
    monitor_aggregation_window: m.aggregationWindow,
    monitor_alert_schedule: m.alertSchedule ?? DEFAULT_ALERT_SCHEDULE,
    monitor_notification_integration: notificationIntegration,
  };
  if (m.drift) {
    config.monitor_drift_metric = m.drift.metric;
    config.monitor_drift_column = m.drift.column ?? "PROBABILITY";
    config.monitor_drift_max = m.drift.max;
  }
  if (m.performance) {
    config.monitor_performance_metric = m.performance.metric;
    config.monitor_performance_min = m.performance.min;
  }
  return config;
}

/** The keys monitorGraphConfig may write (reserved: a pipeline may not declare them). */
export const MONITOR_CONFIG_KEYS = [
  "monitor_aggregation_window",
  "monitor_alert_schedule",
  "monitor_drift_column",
  "monitor_drift_max",
  "monitor_drift_metric",
  "monitor_notification_integration",
  "monitor_performance_metric",
  "monitor_performance_min",
  "monitor_refresh_interval",
] as const;
