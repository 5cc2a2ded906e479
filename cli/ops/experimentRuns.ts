/**
 * The chosen metric across training runs, from the experiment CHECK_MODEL_QUALITY records each run in
 * (pipeline-code/mlpipeline/experiments.py: experiment <registry_schema>.<pipeline_name>, one run per
 * graph run, the metric and the threshold the run was judged against as parameters):
 *
 *   SHOW RUNS IN EXPERIMENT <fqn>                                   created_on, name, metadata
 *   SHOW RUN METRICS LIKE '<metric>' IN EXPERIMENT <fqn>            run_name, name, value
 *   SHOW RUN PARAMETERS LIKE 'metric_threshold' IN EXPERIMENT <fqn> run_name, name, value
 *
 * https://docs.snowflake.com/sql-reference/sql/show-runs-in-experiment,
 * https://docs.snowflake.com/sql-reference/sql/show-run-in-experiment. LIKE treats `_` as a wildcard,
 * so rows are matched on the exact name here. Unlike TASK_HISTORY (7 days), the experiment keeps every run.
 */
import { identifierProblem, sqlString } from "../../lib/identifiers";
import { col, str, type Row } from "../../snowflake/rows";

export interface ExperimentTarget {
  /** DB.SCHEMA.NAME of the experiment. */
  experiment: string;
  metric: string;
  /** The threshold in the root's CONFIG now. */
  threshold?: number;
}

export interface ExperimentRun {
  run: string;
  createdOn?: string;
  value?: number;
  /** The threshold the run was judged against (its parameter metric_threshold). */
  threshold?: number;
  passes?: boolean;
}

const METRIC = /^[a-z][a-z0-9_]*$/;

/** The experiment and metric the root's CONFIG names; undefined when it names none (a pipeline not deployed by this program). */
export function experimentOfConfig(config: Record<string, unknown> | undefined): ExperimentTarget | undefined {
  if (!config) return undefined;
  const { registry_schema: schema, pipeline_name: pipeline, metric_name: metric, metric_threshold: threshold } = config;
  if (typeof schema !== "string" || typeof pipeline !== "string" || typeof metric !== "string" || !METRIC.test(metric)) return undefined;
  const parts = [...schema.split("."), pipeline];
  if (parts.length !== 3 || parts.some((p) => identifierProblem(p) !== undefined)) return undefined;
  return { experiment: parts.join("."), metric, threshold: typeof threshold === "number" ? threshold : undefined };
}

export const showRunsSql = (experiment: string) => `SHOW RUNS IN EXPERIMENT ${experiment}`;
export const showRunMetricsSql = (experiment: string, metric: string) => `SHOW RUN METRICS LIKE ${sqlString(metric)} IN EXPERIMENT ${experiment}`;
export const showThresholdsSql = (experiment: string) => `SHOW RUN PARAMETERS LIKE 'metric_threshold' IN EXPERIMENT ${experiment}`;

const numberOf = (v: unknown) => {
  const n = typeof v === "number" ? v : Number(v);
  return v === null || v === undefined || v === "" || !Number.isFinite(n) ? undefined : n;
};

/** Runs newest first (by created_on, as SHOW RUNS gives it), each with its metric value and threshold. */
export function experimentRuns(target: ExperimentTarget, runs: Row[], metrics: Row[], thresholds: Row[], limit: number): ExperimentRun[] {
  const valueOf = (rows: Row[], name: string) => {
    const byRun = new Map<string, number>();
    for (const row of rows) {
      if (String(col(row, "name") ?? "").toLowerCase() !== name.toLowerCase()) continue;
      const v = numberOf(col(row, "value"));
      const run = str(row, "run_name");
      if (run !== undefined && v !== undefined) byRun.set(run, v);
    }
    return byRun;
  };
  const values = valueOf(metrics, target.metric);
  const limits = valueOf(thresholds, "metric_threshold");
  const listed = runs
    .map((row) => ({ run: str(row, "name") ?? "", createdOn: str(row, "created_on") }))
    .filter((r) => r.run !== "")
    .sort((a, b) => (Date.parse(b.createdOn ?? "") || 0) - (Date.parse(a.createdOn ?? "") || 0) || b.run.localeCompare(a.run));
  return listed.slice(0, limit).map(({ run, createdOn }) => {
    const value = values.get(run);
    const threshold = limits.get(run);
    return { run, createdOn, value, threshold, passes: value !== undefined && threshold !== undefined ? value >= threshold : undefined };
  });
}
