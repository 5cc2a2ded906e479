/**
 * The SQL side of the root lease (lib/deploy/rootLease.ts): inspect, suspend and resume one root
 * task through snowflake-sdk. Each call opens a session, runs its statement and closes it, so a
 * lease holds no connection between its transitions (a burst of task operations costs one login
 * for the first acquire and one for the last release).
 *
 * SHOW TASKS LIKE treats `_` as a wildcard, so rows are matched on the exact name
 * (https://docs.snowflake.com/en/sql-reference/sql/show-tasks).
 */
import { sqlString } from "../../lib/identifiers";
import type { RootControl, RootState } from "../../lib/deploy/rootLease";
import type { SqlSession } from "../../snowflake/session";

/** Opens a session; the caller closes it. */
export type OpenSession = () => Promise<SqlSession>;

export function splitTaskName(fullName: string): { database: string; schema: string; name: string } {
  const parts = fullName.split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) throw new Error(`expected a task name DB.SCHEMA.NAME, got ${JSON.stringify(fullName)}`);
  const [database, schema, name] = parts;
  return { database, schema, name };
}

export function showRootStatement(rootTask: string): string {
  const { database, schema, name } = splitTaskName(rootTask);
  return `SHOW TASKS LIKE ${sqlString(name)} IN SCHEMA ${database}.${schema}`;
}

/** The root's state in SHOW TASKS rows (exact name, `state` column, any column-name case). */
export function rootStateFromRows(rootTask: string, rows: Record<string, unknown>[]): RootState {
  const { name } = splitTaskName(rootTask);
  const column = (row: Record<string, unknown>, wanted: string) => {
    const key = Object.keys(row).find((k) => k.toLowerCase() === wanted);
    return key === undefined ? undefined : row[key];
  };
  const row = rows.find((r) => column(r, "name") === name);
  if (!row) return "missing";
  return String(column(row, "state") ?? "").toLowerCase() === "started" ? "started" : "suspended";
}

export function rootControl(rootTask: string, openSession: OpenSession): RootControl {
  const run = async <T>(work: (sql: SqlSession) => Promise<T>): Promise<T> => {
    const sql = await openSession();
    try {
      return await work(sql);
    } finally {
      await sql.close();
    }
  };
  return {
    state: () => run(async (sql) => rootStateFromRows(rootTask, await sql.execute(showRootStatement(rootTask)))),
    suspend: () => run(async (sql) => void (await sql.execute(`ALTER TASK ${rootTask} SUSPEND`))),
    resume: () => run(async (sql) => void (await sql.execute(`ALTER TASK ${rootTask} RESUME`))),
  };
}
