/**
 * The stub playing one schema of tasks the way the provider's task operations meet it
 * (terraform-provider-snowflake v1.2.1, the code @pulumi/snowflake 1.3.0 bridges):
 *
 * - `SHOW TASKS IN SCHEMA DB.SCHEMA` returns every task's row: name, database_name, schema_name,
 *   state, predecessors (a JSON list of quoted names) and task_relations (JSON with
 *   FinalizedRootTask for a finalizer), the columns of
 *   https://docs.snowflake.com/en/sql-reference/sql/show-tasks#output;
 * - `ALTER TASK <FQN> SUSPEND | RESUME` changes its state;
 * - `DROP TASK <FQN>` removes the task;
 * - `CREATE TASK`, `ALTER TASK … MODIFY AS`, `DROP TASK` of a child are refused while the graph's
 *   root is started, with Snowflake's message ("Modifying a task graph",
 *   https://docs.snowflake.com/en/user-guide/tasks-graphs: suspend the root before changing a task).
 *
 * `events` is one timeline of the root's state changes and the task DDL, so a test can assert that
 * no RESUME of the root falls between two DDL of one deploy.
 *
 * `providerOperation` is what one provider create/update/delete does around its DDL: SHOW the
 * root, suspend it only if it is started and then queue its resume, run the DDL, resume what it
 * queued (SuspendRootTasks/ResumeTasks, pkg/sdk/tasks_impl_gen.go at v1.2.1:
 * https://github.com/snowflakedb/terraform-provider-snowflake/blob/v1.2.1/pkg/sdk/tasks_impl_gen.go).
 */
import type { SqlSession } from "../../snowflake/session";
import { parseShowTasks, showTasksSql } from "../../snowflake/tasks";
import type { SnowflakeStub } from "./snowflakeStub";

export type TaskState = "started" | "suspended";

/** One task of the schema: its state and its place in the graph. */
export interface PlayedTask {
  state: TaskState;
  /** Unqualified predecessor names; none for a root or a finalizer. */
  predecessors?: string[];
  /** Unqualified name of the root this task finalizes. */
  finalizes?: string;
}

export interface TaskSchema {
  /** Fully qualified task -> what Snowflake holds. */
  tasks: Map<string, PlayedTask>;
  /** Child DDL the stub accepted, in order. */
  applied: string[];
  /** Child DDL the stub refused, with the refusal. */
  refused: string[];
  /** `SUSPEND <task>`, `RESUME <task>` and every accepted DDL, in order. */
  events: string[];
  state(task: string): TaskState | undefined;
}

const OK = { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };
const COLUMNS = ["name", "database_name", "schema_name", "state", "predecessors", "task_relations"].map((n) => ({ name: n, type: "text" }));

/** Registers the rules on `stub` for a graph rooted at `rootTask` (DB.SCHEMA.NAME). */
export function playTaskSchema(stub: SnowflakeStub, rootTask: string, initial: Record<string, TaskState | PlayedTask>): TaskSchema {
  const tasks = new Map<string, PlayedTask>(Object.entries(initial).map(([fqn, t]) => [fqn, typeof t === "string" ? { state: t } : { ...t }]));
  const schema: TaskSchema = { tasks, applied: [], refused: [], events: [], state: (task) => tasks.get(task)?.state };
  const [database, schemaName] = rootTask.split(".");
  const quoted = (name: string) => `"${database}"."${schemaName}"."${name}"`;
  stub.on(showTasksSql({ database, schema: schemaName }), () => ({
    columns: COLUMNS,
    rows: [...tasks].map(([fqn, t]) => [
      fqn.split(".")[2],
      database,
      schemaName,
      t.state,
      JSON.stringify((t.predecessors ?? []).map(quoted)),
      JSON.stringify(t.finalizes ? { Predecessors: [], FinalizedRootTask: quoted(t.finalizes) } : { Predecessors: (t.predecessors ?? []).map(quoted) }),
    ]),
  }));
  stub.on(/^ALTER TASK \S+ (SUSPEND|RESUME)$/, (sql) => {
    const [, , task, action] = sql.split(" ");
    const played = tasks.get(task);
    if (!played) return { error: { code: "002003", message: `Task '${task}' does not exist or not authorized.`, sqlState: "02000" } };
    played.state = action === "RESUME" ? "started" : "suspended";
    schema.events.push(`${action} ${task}`);
    return OK;
  });
  stub.on(/^(CREATE TASK|ALTER TASK \S+ MODIFY AS|DROP TASK)/, (sql) => {
    if (tasks.get(rootTask)?.state === "started") {
      schema.refused.push(sql);
      return {
        error: {
          code: "091092",
          message: `Unable to update graph with root task ${rootTask} since that root task is not suspended.`,
          sqlState: "0A000",
        },
      };
    }
    schema.applied.push(sql);
    schema.events.push(sql);
    const dropped = /^DROP TASK (?:IF EXISTS )?(\S+)$/.exec(sql);
    if (dropped) tasks.delete(dropped[1]);
    return OK;
  });
  return schema;
}

/**
 * One provider task operation: SHOW the root, SUSPEND it only if started (queueing its resume), an
 * optional pause standing for the provider's other round trips, the DDL, then RESUME what it queued.
 */
export async function providerOperation(sql: SqlSession, rootTask: string, ddl: string, pauseMs = 0): Promise<void> {
  const queued: string[] = [];
  const [database, schema, name] = rootTask.split(".");
  const shown = parseShowTasks(await sql.execute(showTasksSql({ database, schema })), { database, schema }).get(name);
  if (shown?.state === "started") {
    await sql.execute(`ALTER TASK ${rootTask} SUSPEND`);
    queued.push(rootTask);
  }
  try {
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    await sql.execute(ddl);
  } finally {
    // The provider's deferred ResumeTasks runs on success and on a failed DDL alike.
    for (const task of queued) await sql.execute(`ALTER TASK ${task} RESUME`);
  }
}
