// The stack's modelMonitor: every problem in the words a user reads, before anything is registered.
// Rules: REFRESH_INTERVAL at least 60 seconds, AGGREGATION_WINDOW in days
// (https://docs.snowflake.com/sql-reference/sql/create-model-monitor); drift metric names
// (https://docs.snowflake.com/sql-reference/functions/model-monitor-drift-metric); binary classification
// performance metrics (https://docs.snowflake.com/sql-reference/functions/model-monitor-performance-metric);
// alert SCHEDULE (https://docs.snowflake.com/sql-reference/sql/create-alert).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { intervalSeconds, modelMonitorProblems, monitorGraphConfig, type ModelMonitorSettings } from "../../lib/monitoring";

const OK: ModelMonitorSettings = {
  refreshInterval: "1 day",
  aggregationWindow: "7 days",
  drift: { metric: "JENSEN_SHANNON", max: 0.2 },
  performance: { metric: "CLASSIFICATION_ACCURACY", min: 0.7 },
};
const AT = "snowflake-ml-pipeline:modelMonitor";
const messages = (m: ModelMonitorSettings, integration: string | undefined = "ML_ALERTS") =>
  modelMonitorProblems(m, integration, "Pulumi.dev.yaml", AT).map((p) => `${p.path}: ${p.message}`);

describe("modelMonitorProblems", () => {
  it("accepts the sample's monitor", () => assert.deepEqual(messages(OK), []));
  const cases: [string, ModelMonitorSettings, string[]][] = [
    ["a refresh Snowflake refuses", { ...OK, refreshInterval: "30 seconds" }, [`${AT}.refreshInterval: Snowflake refreshes a model monitor at most every 60 seconds, got "30 seconds"`]],
    ["a refresh without a unit", { ...OK, refreshInterval: "daily" }, [`${AT}.refreshInterval: expected "<num> seconds|minutes|hours|days", e.g. "1 day", got "daily"`]],
    ["a window in hours", { ...OK, aggregationWindow: "12 hours" }, [`${AT}.aggregationWindow: expected a whole number of days ("<num> days", at least 1; Snowflake aggregates by days only), got "12 hours"`]],
    ["an unknown drift metric", { ...OK, drift: { metric: "KL", max: 0.2 } }, [`${AT}.drift.metric: expected one of JENSEN_SHANNON, DIFFERENCE_OF_MEANS, WASSERSTEIN, POPULATION_STABILITY_INDEX, got "KL"`]],
    ["a Jensen-Shannon bound it never reaches", { ...OK, drift: { metric: "JENSEN_SHANNON", max: 1.5 } }, [`${AT}.drift.max: JENSEN_SHANNON is between 0 and 1, so 1.5 would never notify; expected less than 1`]],
    ["a negative drift bound", { ...OK, drift: { metric: "WASSERSTEIN", max: -1 } }, [`${AT}.drift.max: expected a number greater than 0 (the drift above which to notify), got -1`]],
    ["a column the log does not have", { ...OK, drift: { metric: "WASSERSTEIN", column: "INCOME", max: 1 } }, [`${AT}.drift.column: expected a column of the inference log, one of PROBABILITY, PREDICTED_CLASS, ACTUAL_CLASS, got "INCOME"`]],
    ["a regression metric", { ...OK, performance: { metric: "RMSE", min: 0.5 } }, [`${AT}.performance.metric: expected one of ROC_AUC, CLASSIFICATION_ACCURACY, PRECISION, RECALL, F1_SCORE (a binary classifier's), got "RMSE"`]],
    ["a performance threshold out of range", { ...OK, performance: { metric: "F1_SCORE", min: 1.2 } }, [`${AT}.performance.min: expected a number greater than 0 and at most 1 (the value below which to notify), got 1.2`]],
    ["no threshold at all", { refreshInterval: "1 day", aggregationWindow: "1 day" }, [`${AT}.drift: expected drift, performance or both: the thresholds that notify`]],
    ["an alert schedule Snowflake refuses", { ...OK, alertSchedule: "0 MINUTE" }, [`${AT}.alertSchedule: expected "<1 to 11520> MINUTE" or "USING CRON <min> <hour> <day> <month> <weekday> <time zone>", got "0 MINUTE"`]],
  ];
  for (const [name, m, expected] of cases) it(name, () => assert.deepEqual(messages(m), expected));
  it("without a notification integration", () =>
    assert.deepEqual(messages(OK, ""), [`${AT}: a crossed threshold notifies through the stack's notificationIntegration; set snowflake-ml-pipeline:notificationIntegration`]));
});

describe("the monitor in the root's CONFIG", () => {
  it("every setting, with the defaults (column PROBABILITY, checked every 60 minutes)", () => {
    assert.deepEqual(monitorGraphConfig(OK, "ML_ALERTS"), {
      monitor_refresh_interval: "1 day",
      monitor_aggregation_window: "7 days",
      monitor_alert_schedule: "60 MINUTE",
      monitor_notification_integration: "ML_ALERTS",
      monitor_drift_metric: "JENSEN_SHANNON",
      monitor_drift_column: "PROBABILITY",
      monitor_drift_max: 0.2,
      monitor_performance_metric: "CLASSIFICATION_ACCURACY",
      monitor_performance_min: 0.7,
    });
  });
  it("interval seconds", () => {
    assert.equal(intervalSeconds("90 minutes"), 5400);
    assert.equal(intervalSeconds("1 hour"), 3600);
    assert.equal(intervalSeconds("2 days"), 172800);
    assert.equal(intervalSeconds("2d"), undefined);
  });
});
