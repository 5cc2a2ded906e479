/**
 * Every statement the operator CLI sends, as pure builders, and the parsing of their rows.
 * Names are validated unquoted identifiers (docs/design.md "Names in Snowflake"); string values go
 * through sqlString; nothing from the command line is concatenated into SQL unchecked.
 *
 * Timestamps are converted to epoch milliseconds in SQL (DATE_PART(EPOCH_MILLISECOND, …)), so the
 * CLI never depends on how the driver renders TIMESTAMP_LTZ values.
 */
import { canonicalJson } from "../../lib/canonicalJson";
import { showTasksSql as showTasksInSchema } from "../../snowflake/tasks";
import { col, num, str, type Row } from "../../snowflake/rows";
import { dollarQuoteProblem, identifierProblem, sqlString } from "../../lib/identifiers";
import type { GraphConfig } from "../../lib/types";

/** DB.SCHEMA.NAME of a root task, split and validated. */
export interface RootTaskRef {
  database: string;
  schema: string;
  name: string;
}

export function fqn(ref: RootTaskRef): string {
  return `${ref.database}.${ref.schema}.${ref.name}`;
}

/** Parses `DB.SCHEMA.NAME` (unquoted upper-case identifiers). Throws with the reason. */
export function parseRootTask(text: string): RootTaskRef {
  const parts = String(text).trim().split(".");
  if (parts.length !== 3) throw new Error(`expected a fully qualified root task DB.SCHEMA.NAME, got ${JSON.stringify(text)}`);
  parts.forEach((part, i) => {
    const problem = identifierProblem(part);
    if (problem) throw new Error(`root task ${JSON.stringify(text)}, ${["database", "schema", "task name"][i]}: ${problem}`);
  });
  const [database, schema, name] = parts;
  return { database, schema, name };
}

// ---------------------------------------------------------------------------------------------
// Builders

/** SHOW TASKS IN SCHEMA of the root's schema (snowflake/tasks.ts). */
export function showTasksSql(ref: RootTaskRef): string {
  return showTasksInSchema(ref);
}

export function alterTaskSql(taskFqn: string, action: "SUSPEND" | "RESUME"): string {
  return `ALTER TASK ${taskFqn} ${action}`;
}

export function executeTaskSql(ref: RootTaskRef, config: GraphConfig): string {
  const json = canonicalJson(config);
  const problem = dollarQuoteProblem(json);
  if (problem) throw new Error(`the run config cannot be sent: it ${problem}`);
  return `EXECUTE TASK ${fqn(ref)} USING CONFIG = $$${json}$$`;
}

/** Retries the last failed graph run from its failed or cancelled tasks (docs.snowflake.com/en/sql-reference/sql/execute-task). */
export function retryLastSql(ref: RootTaskRef): string {
  return `EXECUTE TASK ${fqn(ref)} RETRY LAST`;
}

const where = (ref: RootTaskRef) => `DATABASE_NAME = ${sqlString(ref.database)} AND SCHEMA_NAME = ${sqlString(ref.schema)}`;

/** Graph runs executing now or scheduled next (CURRENT_TASK_GRAPHS). */
export function currentGraphsSql(ref: RootTaskRef): string {
  return (
    "SELECT STATE, SCHEDULED_FROM, RUN_ID, DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS " +
    `FROM TABLE(${ref.database}.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => ${sqlString(ref.name)}, RESULT_LIMIT => 100)) ` +
    `WHERE ${where(ref)} ORDER BY SCHEDULED_TIME`
  );
}

export interface TaskHistoryFilter {
  /** SHOW TASKS `id` of the root task. */
  rootTaskId: string;
  /** Only runs scheduled at or after this time (epoch ms); omitted = the most recent rows. */
  sinceMs?: number;
  /** Only rows of this graph run. */
  runId?: number;
  limit: number;
}

/** Task runs of the graph (TASK_HISTORY with ROOT_TASK_ID: the root and every child). */
export function taskHistorySql(ref: RootTaskRef, filter: TaskHistoryFilter): string {
  const args = [
    filter.sinceMs !== undefined ? `SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ(${Math.floor(filter.sinceMs)}, 3)` : undefined,
    `RESULT_LIMIT => ${Math.max(1, Math.min(10_000, Math.floor(filter.limit)))}`,
    `ROOT_TASK_ID => ${sqlString(filter.rootTaskId)}`,
  ].filter(Boolean);
  const runFilter = filter.runId !== undefined ? ` AND RUN_ID = ${integer(filter.runId)}` : "";
  return (
    "SELECT NAME, STATE, RETURN_VALUE, ERROR_CODE, ERROR_MESSAGE, QUERY_ID, RUN_ID, " +
    "DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, " +
    "DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, " +
    "DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS " +
    `FROM TABLE(${ref.database}.INFORMATION_SCHEMA.TASK_HISTORY(${args.join(", ")})) ` +
    `WHERE ${where(ref)}${runFilter} ORDER BY SCHEDULED_TIME DESC`
  );
}

/** The final state of one graph run (COMPLETE_TASK_GRAPHS keeps the last 60 minutes). */
export function completeGraphSql(ref: RootTaskRef, runId: number): string {
  return (
    "SELECT STATE, FIRST_ERROR_TASK_NAME, FIRST_ERROR_CODE, FIRST_ERROR_MESSAGE, RUN_ID, " +
    "DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS " +
    `FROM TABLE(${ref.database}.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => ${sqlString(ref.name)}, RESULT_LIMIT => 100)) ` +
    `WHERE ${where(ref)} AND RUN_ID = ${integer(runId)}`
  );
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer run id, got ${n}`);
  return String(n);
}

// ---------------------------------------------------------------------------------------------
// Row parsing (column names are matched case-insensitively: snowflake/rows.ts)

export { col, num, str, type Row };

/** One row of TASK_HISTORY. */
export interface TaskRun {
  /** Unqualified task name, e.g. MORTGAGE_PIPELINE$TRAIN_MODEL. */
  name: string;
  /** SCHEDULED, EXECUTING, SUCCEEDED, FAILED, CANCELLED, SKIPPED, FAILED_AND_AUTO_SUSPENDED. */
  state: string;
  returnValue?: string;
  errorCode?: string;
  errorMessage?: string;
  queryId?: string;
  runId?: number;
  scheduledMs?: number;
  startedMs?: number;
  completedMs?: number;
}

export function parseTaskRun(row: Row): TaskRun {
  return {
    name: str(row, "NAME") ?? "",
    state: (str(row, "STATE") ?? "").toUpperCase(),
    returnValue: str(row, "RETURN_VALUE"),
    errorCode: str(row, "ERROR_CODE"),
    errorMessage: str(row, "ERROR_MESSAGE"),
    queryId: str(row, "QUERY_ID"),
    runId: num(row, "RUN_ID"),
    scheduledMs: num(row, "SCHEDULED_MS"),
    startedMs: num(row, "STARTED_MS"),
    completedMs: num(row, "COMPLETED_MS"),
  };
}

/** One row of CURRENT_TASK_GRAPHS. */
export interface CurrentGraph {
  /** SCHEDULED or EXECUTING. */
  state: string;
  scheduledFrom?: string;
  runId?: number;
  scheduledMs?: number;
}

export function parseCurrentGraph(row: Row): CurrentGraph {
  return {
    state: (str(row, "STATE") ?? "").toUpperCase(),
    scheduledFrom: str(row, "SCHEDULED_FROM"),
    runId: num(row, "RUN_ID"),
    scheduledMs: num(row, "SCHEDULED_MS"),
  };
}

/** One row of COMPLETE_TASK_GRAPHS. */
export interface CompleteGraph {
  /** SUCCEEDED, FAILED or CANCELLED. */
  state: string;
  firstErrorTask?: string;
  firstErrorCode?: string;
  firstErrorMessage?: string;
  runId?: number;
  startedMs?: number;
  completedMs?: number;
}

export function parseCompleteGraph(row: Row): CompleteGraph {
  return {
    state: (str(row, "STATE") ?? "").toUpperCase(),
    firstErrorTask: str(row, "FIRST_ERROR_TASK_NAME"),
    firstErrorCode: str(row, "FIRST_ERROR_CODE"),
    firstErrorMessage: str(row, "FIRST_ERROR_MESSAGE"),
    runId: num(row, "RUN_ID"),
    startedMs: num(row, "STARTED_MS"),
    completedMs: num(row, "COMPLETED_MS"),
  };
}

/**
 * SCHEDULED_FROM of a run started by EXECUTE TASK. The docs write EXECUTE_TASK, the Snowflake
 * sample filters on 'EXECUTE TASK'; which one a live account returns is unverified, so both count.
 */
export function isManualRun(scheduledFrom: string | undefined): boolean {
  return scheduledFrom !== undefined && /^EXECUTE[ _]TASK$/i.test(scheduledFrom.trim());
}
