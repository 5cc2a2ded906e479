/**
 * The SQL side of the root lease (lib/deploy/rootLease.ts): inspect, suspend and resume one root
 * task, list the tasks of its graph, and find the root of a task the program no longer declares,
 * through snowflake-sdk. Each call opens a session, runs its statements and closes it, so a lease
 * holds no connection between its transitions.
 *
 * Everything reads `SHOW TASKS IN SCHEMA <DB>.<SCHEMA>` (snowflake/tasks.ts): one consistent snapshot
 * of every task of a graph, matched on exact names (SHOW TASKS LIKE would treat `_` as a wildcard;
 * https://docs.snowflake.com/en/sql-reference/sql/show-tasks).
 */
import type { RootControl, RootState } from "../../lib/deploy/rootLease";
import type { SqlSession } from "../../snowflake/session";
import { graphTaskNames, parseShowTasks, rootTaskName, showTasksSql, type ShownTask } from "../../snowflake/tasks";

/** Opens a session; the caller closes it. */
export type OpenSession = () => Promise<SqlSession>;

/** A task's place: database, schema and unqualified name, as Snowflake stores them. */
export interface TaskRef {
  database: string;
  schema: string;
  name: string;
}

/** `DB.SCHEMA.NAME` (unquoted parts; names in this project are unquoted identifiers or `A$B`). */
export function taskFqn(task: TaskRef): string {
  return `${task.database}.${task.schema}.${task.name}`;
}

export function splitTaskName(fullName: string): TaskRef {
  const parts = fullName.split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) throw new Error(`expected a task name DB.SCHEMA.NAME, got ${JSON.stringify(fullName)}`);
  const [database, schema, name] = parts;
  return { database, schema, name };
}

async function withSql<T>(openSession: OpenSession, work: (sql: SqlSession) => Promise<T>): Promise<T> {
  const sql = await openSession();
  try {
    return await work(sql);
  } finally {
    await sql.close();
  }
}

async function schemaTasks(sql: SqlSession, where: { database: string; schema: string }): Promise<Map<string, ShownTask>> {
  return parseShowTasks(await sql.execute(showTasksSql(where)), where);
}

export function rootControl(rootTask: string, openSession: OpenSession): RootControl {
  const root = splitTaskName(rootTask);
  const state = async (sql: SqlSession): Promise<RootState> => {
    const shown = (await schemaTasks(sql, root)).get(root.name);
    if (shown === undefined) return "missing";
    return shown.state === "started" ? "started" : "suspended";
  };
  return {
    state: () => withSql(openSession, state),
    suspend: () => withSql(openSession, async (sql) => void (await sql.execute(`ALTER TASK ${rootTask} SUSPEND`))),
    resume: () => withSql(openSession, async (sql) => void (await sql.execute(`ALTER TASK ${rootTask} RESUME`))),
    graphTasks: () => withSql(openSession, async (sql) => graphTaskNames(await schemaTasks(sql, root), root.name)),
  };
}

/**
 * The root of the graph a task belongs to now, as DB.SCHEMA.NAME, or undefined when the task does
 * not exist (nothing to guard). For a task the program no longer declares: a removed task, a task
 * of a removed or renamed pipeline, or one left in its old schema by a `database` change.
 */
export async function findRootTask(task: TaskRef, openSession: OpenSession): Promise<string | undefined> {
  return withSql(openSession, async (sql) => {
    const root = rootTaskName(await schemaTasks(sql, task), task.name);
    return root === undefined ? undefined : taskFqn({ ...task, name: root });
  });
}
