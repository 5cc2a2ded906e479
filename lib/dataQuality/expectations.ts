/**
 * Data-quality expectations on a pipeline's source (pipeline.yaml `dataQuality`): what they accept,
 * and the SQL that attaches them as data metric functions (DMFs) with expectations.
 *
 * Snowflake (https://docs.snowflake.com/en/user-guide/data-quality-intro,
 * https://docs.snowflake.com/en/user-guide/data-quality-working,
 * https://docs.snowflake.com/en/user-guide/data-quality-expectations):
 *   ALTER TABLE <t> SET DATA_METRIC_SCHEDULE = '<schedule>'
 *   ALTER TABLE <t> ADD DATA METRIC FUNCTION <dmf> ON (<columns>) EXPECTATION <name> (<expression over VALUE>)
 *   ALTER TABLE <t> DROP DATA METRIC FUNCTION <dmf> ON (<columns>)
 *   CREATE OR REPLACE DATA METRIC FUNCTION <fqn>(ARG_T TABLE(<col> <type>, …)) RETURNS NUMBER AS '<query>'
 *     (https://docs.snowflake.com/sql-reference/sql/create-data-metric-function)
 * Views take the same statements with ALTER VIEW. DMFs attach to tables (dynamic, event, external,
 * Iceberg, temporary and transient ones too), views and materialized views, but not to hybrid tables
 * or streams (data-quality-intro, "Supported table kinds").
 *
 * System DMFs used (schema SNOWFLAKE.CORE): ROW_COUNT ON (), NULL_COUNT ON (c),
 * DUPLICATE_COUNT ON (c), FRESHNESS ON (c) (seconds since the column's latest value).
 */
import { describeValue, dollarQuoteProblem, identifierProblem, sqlString } from "../identifiers";
import type { ConfigProblem, TaskSpec } from "../types";

export type MetricKind = "row_count" | "null_count" | "duplicate_count" | "freshness" | "custom";

export interface ExpectationSpec {
  /** Expectation name (an identifier, unique in the pipeline); the gate reports it by this name. */
  name: string;
  metric: MetricKind;
  /** The measured column (null_count, duplicate_count, freshness). */
  column?: string;
  /** custom: the DMF's columns and their types, in the order the source's columns are passed. */
  columns?: Record<string, string>;
  /** custom: the query over ARG_T that returns one number. */
  sql?: string;
  /** The lowest value that passes (inclusive). */
  min?: number;
  /** The highest value that passes (inclusive). */
  max?: number;
}

export interface DataQualitySpec {
  /** The task that evaluates the expectations; every ML Job task must run after it. */
  gateTask: string;
  /** DATA_METRIC_SCHEDULE of the source (default "60 MINUTE"). */
  schedule?: string;
  expectations: ExpectationSpec[];
}

/** One expectation ready to attach: the DMF, its arguments, the expectation and its expression. */
export interface AttachedExpectation {
  name: string;
  /** Fully qualified DMF: SNOWFLAKE.CORE.NULL_COUNT or <DB>.<SCHEMA>.<PIPELINE>_<NAME>. */
  dmf: string;
  /** Columns passed to the DMF (empty for ROW_COUNT). */
  on: string[];
  /** The expectation's boolean expression over VALUE, e.g. `VALUE <= 0`. */
  expression: string;
  /** custom: the DMF's signature and body, created before it is attached. */
  custom?: { signature: string; argumentTypes: string; body: string };
}

export const DEFAULT_DMF_SCHEDULE = "60 MINUTE";
/** The minute intervals DATA_METRIC_SCHEDULE accepts (data-quality-working, "Schedule the DMF to run"). */
export const SCHEDULE_MINUTES = [5, 15, 30, 60, 720, 1440] as const;

const SYSTEM_DMF: Record<Exclude<MetricKind, "custom">, string> = {
  row_count: "SNOWFLAKE.CORE.ROW_COUNT",
  null_count: "SNOWFLAKE.CORE.NULL_COUNT",
  duplicate_count: "SNOWFLAKE.CORE.DUPLICATE_COUNT",
  freshness: "SNOWFLAKE.CORE.FRESHNESS",
};
const METRICS: MetricKind[] = ["row_count", "null_count", "duplicate_count", "freshness", "custom"];
const TYPE = /^[A-Z_]+(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/;

/** Why a DATA_METRIC_SCHEDULE value would be refused, or undefined. */
export function scheduleProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== "string") return `expected a schedule text, got ${describeValue(schedule)}`;
  if (schedule === "TRIGGER_ON_CHANGES") return undefined;
  const minutes = /^(\d+) MINUTE$/.exec(schedule);
  if (minutes) {
    return (SCHEDULE_MINUTES as readonly number[]).includes(Number(minutes[1]))
      ? undefined
      : `Snowflake schedules data metric functions every ${SCHEDULE_MINUTES.join(", ")} minutes only, got ${describeValue(schedule)}`;
  }
  if (/^USING CRON \S+ \S+ \S+ \S+ \S+ \S+$/.test(schedule)) return undefined;
  return `expected "<${SCHEDULE_MINUTES.join("|")}> MINUTE", "USING CRON <min> <hour> <day> <month> <weekday> <time zone>" or "TRIGGER_ON_CHANGES", got ${describeValue(schedule)}`;
}

function boundProblems(e: ExpectationSpec, at: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (e.min === undefined && e.max === undefined) {
    problems.push({ path: at, message: "expected min, max or both: the values that pass" });
  }
  for (const key of ["min", "max"] as const) {
    const v = e[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      problems.push({ path: `${at}.${key}`, message: `expected a number of at least 0 (${e.metric === "freshness" ? "seconds" : "a count"}), got ${describeValue(v)}` });
    } else if (e.metric !== "custom" && !Number.isInteger(v)) {
      problems.push({ path: `${at}.${key}`, message: `expected a whole number (${e.metric} is ${e.metric === "freshness" ? "whole seconds" : "a count"}), got ${v}` });
    }
  }
  if (typeof e.min === "number" && typeof e.max === "number" && e.min > e.max) {
    problems.push({ path: `${at}.max`, message: `expected max (${e.max}) to be at least min (${e.min}); no value could pass` });
  }
  return problems;
}

/**
 * Every problem of `dataQuality`: names, metrics and their columns, bounds, the custom SQL, the
 * schedule, and the gate task (it exists and every ML Job task runs after it).
 */
export function dataQualityProblems(spec: DataQualitySpec, tasks: TaskSpec[], file: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: string, message: string) => out.push({ file, path, message });
  if (spec.schedule !== undefined) {
    const p = scheduleProblem(spec.schedule);
    if (p) add("dataQuality.schedule", p);
  }
  const names = new Map<string, number>();
  const targets = new Map<string, number>();
  spec.expectations.forEach((e, i) => {
    const at = `dataQuality.expectations[${i}]`;
    const nameProblem = identifierProblem(e.name);
    if (nameProblem) add(`${at}.name`, nameProblem);
    else if (names.has(e.name)) add(`${at}.name`, `${describeValue(e.name)} is already the name of expectations[${names.get(e.name)}]; the gate reports expectations by name`);
    else names.set(e.name, i);
    if (!METRICS.includes(e.metric)) {
      add(`${at}.metric`, `expected one of ${METRICS.join(", ")}, got ${describeValue(e.metric)}`);
      return;
    }
    const needsColumn = e.metric === "null_count" || e.metric === "duplicate_count" || e.metric === "freshness";
    if (needsColumn && e.column === undefined) add(`${at}.column`, `expected the column ${e.metric} measures`);
    if (!needsColumn && e.column !== undefined) add(`${at}.column`, `${e.metric} takes no column${e.metric === "custom" ? " (give its columns in columns)" : ""}`);
    if (e.column !== undefined) {
      const p = identifierProblem(e.column);
      if (p) add(`${at}.column`, p);
    }
    if (e.metric === "custom") {
      const columns = Object.entries(e.columns ?? {});
      if (columns.length === 0) add(`${at}.columns`, "expected the columns the custom metric reads, e.g. {LOAN_AMOUNT_000S: NUMBER}");
      for (const [column, type] of columns) {
        const p = identifierProblem(column);
        if (p) add(`${at}.columns.${column}`, p);
        if (typeof type !== "string" || !TYPE.test(type)) add(`${at}.columns.${column}`, `expected a Snowflake data type such as NUMBER, VARCHAR or TIMESTAMP_NTZ, got ${describeValue(type)}`);
      }
      if (typeof e.sql !== "string" || !/^\s*SELECT\b/i.test(e.sql) || !/\bARG_T\b/i.test(e.sql)) {
        add(`${at}.sql`, `expected a query that returns one number from ARG_T (the source's columns), e.g. "SELECT COUNT_IF(LOAN_AMOUNT_000S <= 0) FROM ARG_T", got ${describeValue(e.sql)}`);
      } else {
        const p = dollarQuoteProblem(e.sql);
        if (p) add(`${at}.sql`, p);
      }
    } else {
      if (e.sql !== undefined) add(`${at}.sql`, `only a custom metric takes sql; ${e.metric} is Snowflake's ${SYSTEM_DMF[e.metric]}`);
      if (e.columns !== undefined) add(`${at}.columns`, `only a custom metric takes columns; ${e.metric} takes ${needsColumn ? "column" : "none"}`);
    }
    // Snowflake associates one DMF once per column list, so a second expectation on the same pair would collide.
    if (e.metric !== "custom") {
      const key = `${e.metric}(${e.column ?? ""})`;
      if (targets.has(key)) add(`${at}.metric`, `expectations[${targets.get(key)}] already measures ${key}; put both bounds in one expectation`);
      else targets.set(key, i);
    }
    for (const p of boundProblems(e, at)) add(p.path, p.message);
  });

  const gate = tasks.find((t) => t.name === spec.gateTask);
  if (!gate) {
    add("dataQuality.gateTask", `expected the name of the task that evaluates the expectations, one of ${tasks.map((t) => t.name).join(", ")}, got ${describeValue(spec.gateTask)}`);
    return out;
  }
  const runsAfterGate = (name: string, seen = new Set<string>()): boolean => {
    if (name === spec.gateTask) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const task = tasks.find((t) => t.name === name);
    return (task?.after ?? []).some((p) => runsAfterGate(p, seen));
  };
  for (const task of tasks) {
    if (task.job && !runsAfterGate(task.name)) {
      add("dataQuality.gateTask", `${task.name} runs an ML Job but does not run after ${spec.gateTask}: nothing may train on data that has not passed the gate`);
    }
  }
  return out;
}

/**
 * Columns the expectations name that the source does not have, when its columns are known (a stack
 * that stages the sample data: the sample file's header is the table PREPARE_DATA creates).
 */
export function unknownColumnProblems(spec: DataQualitySpec, columns: readonly string[], file: string, knownFrom: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const known = new Set(columns.map((c) => c.toUpperCase()));
  spec.expectations.forEach((e, i) => {
    const named: [string, string][] = [
      ...(e.column !== undefined ? [[`dataQuality.expectations[${i}].column`, e.column] as [string, string]] : []),
      ...Object.keys(e.columns ?? {}).map((c) => [`dataQuality.expectations[${i}].columns.${c}`, c] as [string, string]),
    ];
    for (const [path, column] of named) {
      if (!known.has(column.toUpperCase())) {
        out.push({ file, path, message: `${describeValue(column)} is not a column of the source (${knownFrom}: ${columns.join(", ")})` });
      }
    }
  });
  return out;
}

/** `VALUE >= min AND VALUE <= max`, or the one bound given. */
export function expectationExpression(e: Pick<ExpectationSpec, "min" | "max">): string {
  const parts: string[] = [];
  if (e.min !== undefined) parts.push(`VALUE >= ${e.min}`);
  if (e.max !== undefined) parts.push(`VALUE <= ${e.max}`);
  return parts.join(" AND ");
}

/** The expectations of a validated spec, ready to attach; custom DMFs live in `dmfSchema` (DB.SCHEMA) named <PIPELINE>_<NAME>. */
export function attachedExpectations(spec: DataQualitySpec, pipeline: string, dmfSchema: string): AttachedExpectation[] {
  return spec.expectations.map((e) => {
    if (e.metric !== "custom") {
      return { name: e.name, dmf: SYSTEM_DMF[e.metric], on: e.column ? [e.column] : [], expression: expectationExpression(e) };
    }
    const columns = Object.entries(e.columns ?? {});
    return {
      name: e.name,
      dmf: `${dmfSchema}.${pipeline}_${e.name}`,
      on: columns.map(([c]) => c),
      expression: expectationExpression(e),
      custom: {
        signature: `ARG_T TABLE(${columns.map(([c, t]) => `${c} ${t}`).join(", ")})`,
        argumentTypes: `TABLE(${columns.map(([, t]) => t).join(", ")})`,
        body: String(e.sql).trim(),
      },
    };
  });
}

export type SourceKind = "TABLE" | "VIEW";

export function setScheduleSql(kind: SourceKind, source: string, schedule: string): string {
  return `ALTER ${kind} ${source} SET DATA_METRIC_SCHEDULE = ${sqlString(schedule)}`;
}

export function addExpectationSql(kind: SourceKind, source: string, e: AttachedExpectation): string {
  return `ALTER ${kind} ${source} ADD DATA METRIC FUNCTION ${e.dmf} ON (${e.on.join(", ")}) EXPECTATION ${e.name} (${e.expression})`;
}

export function dropExpectationSql(kind: SourceKind, source: string, e: AttachedExpectation): string {
  return `ALTER ${kind} ${source} DROP DATA METRIC FUNCTION ${e.dmf} ON (${e.on.join(", ")})`;
}

/** https://docs.snowflake.com/sql-reference/sql/create-data-metric-function */
export function createCustomDmfSql(e: AttachedExpectation): string | undefined {
  if (!e.custom) return undefined;
  return `CREATE OR REPLACE DATA METRIC FUNCTION ${e.dmf}(${e.custom.signature}) RETURNS NUMBER AS $$${e.custom.body}$$`;
}

/** https://docs.snowflake.com/sql-reference/sql/drop-function-dmf */
export function dropCustomDmfSql(e: AttachedExpectation): string | undefined {
  if (!e.custom) return undefined;
  return `DROP FUNCTION IF EXISTS ${e.dmf}(${e.custom.argumentTypes})`;
}
