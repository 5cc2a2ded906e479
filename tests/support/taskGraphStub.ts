/**
 * The stub playing one schema of tasks the way the provider's task operations meet it
 * (terraform-provider-snowflake v1.2.1, the code @pulumi/snowflake 1.3.0 bridges):
 *
 * - `SHOW TASKS LIKE '<NAME>' IN SCHEMA DB.SCHEMA` returns the task's row (name, state), and
 *   `SHOW TASKS IN SCHEMA DB.SCHEMA` every task's;
 * - `ALTER TASK <FQN> SUSPEND | RESUME` changes its state;
 * - `CREATE TASK`, `ALTER TASK … MODIFY AS`, `DROP TASK` of a child are refused while the graph's
 *   root is started, with Snowflake's message (terraform-provider-snowflake #3435, #3887, #4041).
 *
 * `providerOperation` is what one provider create/update/delete does around its DDL: SHOW the
 * root, suspend it only if it is started and then queue its resume, run the DDL, resume what it
 * queued (SuspendRootTasks/ResumeTasks, pkg/sdk/tasks_impl_gen.go at v1.2.1:
 * https://github.com/snowflakedb/terraform-provider-snowflake/blob/v1.2.1/pkg/sdk/tasks_impl_gen.go).
 */
import { rootStateFromRows, showRootStatement } from "../../components/deploy/rootControl";
import type { SqlSession } from "../../snowflake/session";
import type { SnowflakeStub } from "./snowflakeStub";

export interface TaskSchema {
  /** Fully qualified task -> state, as Snowflake holds it. */
  states: Map<string, "started" | "suspended">;
  /** Child DDL the stub accepted, in order. */
  applied: string[];
  /** Child DDL the stub refused, with the refusal. */
  refused: string[];
}

const OK = { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };

/** Registers the rules on `stub` for a graph rooted at `rootTask` (DB.SCHEMA.NAME). */
export function playTaskSchema(stub: SnowflakeStub, rootTask: string, initial: Record<string, "started" | "suspended">): TaskSchema {
  const schema: TaskSchema = { states: new Map(Object.entries(initial)), applied: [], refused: [] };
  const [database, schemaName] = rootTask.split(".");
  stub.on(/^SHOW TASKS LIKE '([^']+)' IN SCHEMA \S+$/, (sql) => {
    const name = /LIKE '([^']+)'/.exec(sql)![1];
    const state = schema.states.get(`${database}.${schemaName}.${name}`);
    return {
      columns: ["name", "database_name", "schema_name", "state"].map((n) => ({ name: n, type: "text" })),
      rows: state ? [[name, database, schemaName, state]] : [],
    };
  });
  stub.on(`SHOW TASKS IN SCHEMA ${database}.${schemaName}`, () => ({
    columns: ["name", "database_name", "schema_name", "state"].map((n) => ({ name: n, type: "text" })),
    rows: [...schema.states].map(([fqn, state]) => [fqn.split(".")[2], database, schemaName, state]),
  }));
  stub.on(/^ALTER TASK \S+ (SUSPEND|RESUME)$/, (sql) => {
    const [, , task, action] = sql.split(" ");
    if (!schema.states.has(task)) return { error: { code: "002003", message: `Task '${task}' does not exist or not authorized.`, sqlState: "02000" } };
    schema.states.set(task, action === "RESUME" ? "started" : "suspended");
    return OK;
  });
  stub.on(/^(CREATE TASK|ALTER TASK \S+ MODIFY AS|DROP TASK)/, (sql) => {
    if (schema.states.get(rootTask) === "started") {
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
  if (rootStateFromRows(rootTask, await sql.execute(showRootStatement(rootTask))) === "started") {
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
