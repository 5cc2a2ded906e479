/**
 * SHOW TASKS, built and parsed in one place for the GraphActivation provider and the operator CLI.
 *
 * One `SHOW TASKS IN SCHEMA <DB>.<SCHEMA>` is a consistent snapshot of every task of a graph (all
 * tasks of a graph live in its root's schema by the naming contract, docs/design.md). SHOW TASKS
 * LIKE would treat `_` as a wildcard, so rows are matched on the exact name here instead.
 * Columns: https://docs.snowflake.com/en/sql-reference/sql/show-tasks#output
 */
import { col, str, type Row } from "./rows";

export interface SchemaRef {
  database: string;
  schema: string;
}

export function showTasksSql(where: SchemaRef): string {
  return `SHOW TASKS IN SCHEMA ${where.database}.${where.schema}`;
}

/** One task as SHOW TASKS describes it. */
export interface ShownTask {
  /** Unqualified name as Snowflake stores it, e.g. MORTGAGE_PIPELINE$TRAIN_MODEL. */
  name: string;
  id?: string;
  /** `started` or `suspended` (lower case, as SHOW TASKS reports it). */
  state: string;
  schedule?: string;
  /**
   * Unqualified names of the predecessors; undefined when the column is absent or not a JSON list.
   * A finalizer has an empty list.
   */
  predecessors?: string[];
  /** task_relations names a FinalizedRootTask: this task is a finalizer. */
  finalizes: boolean;
  /** Unqualified name of the root this task finalizes (task_relations.FinalizedRootTask). */
  finalizedRoot?: string;
  lastSuspendedReason?: string;
  /** The root's CONFIG (SHOW TASKS `config`), parsed; undefined when absent or not a JSON object. */
  config?: Record<string, unknown>;
}

/** `DB.SCHEMA."A$B"` or `DB.SCHEMA.A$B` -> `A$B`. */
export function lastNamePart(qualified: string): string {
  const parts = qualified.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [qualified];
  const last = parts[parts.length - 1].trim();
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last;
}

function jsonValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const withConfig = (config: Record<string, unknown> | undefined) => (config ? { config } : {});

function configObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function finalizedRootOf(relations: unknown): { finalizedRoot?: string } {
  if (typeof relations !== "object" || relations === null) return {};
  const root = (relations as Record<string, unknown>).FinalizedRootTask;
  return typeof root === "string" && root !== "" ? { finalizedRoot: lastNamePart(root) } : {};
}

/**
 * The tasks of schema `where` in SHOW TASKS rows, by exact name. Rows that name another database or
 * schema are left out (a row without those columns counts as the schema's).
 */
export function parseShowTasks(rows: Row[], where: SchemaRef): Map<string, ShownTask> {
  const tasks = new Map<string, ShownTask>();
  for (const row of rows) {
    const name = str(row, "name");
    const database = str(row, "database_name");
    const schema = str(row, "schema_name");
    if (name === undefined || (database !== undefined && database !== where.database) || (schema !== undefined && schema !== where.schema)) continue;
    const preds = jsonValue(col(row, "predecessors"));
    const relations = jsonValue(col(row, "task_relations"));
    tasks.set(name, {
      name,
      id: str(row, "id"),
      state: (str(row, "state") ?? "unknown").toLowerCase(),
      schedule: str(row, "schedule"),
      predecessors: Array.isArray(preds) ? preds.map((p) => lastNamePart(String(p))) : undefined,
      finalizes: typeof relations === "object" && relations !== null && "FinalizedRootTask" in relations,
      ...finalizedRootOf(relations),
      lastSuspendedReason: str(row, "last_suspended_reason"),
      ...withConfig(configObject(jsonValue(col(row, "config")))),
    });
  }
  return tasks;
}

/**
 * The names of every task in the graph of `root` (unqualified): the root, every task reachable from
 * it through predecessor edges, and the finalizer of the root. All tasks of a graph live in its
 * root's schema (https://docs.snowflake.com/en/user-guide/tasks-graphs: "All tasks in a task graph
 * must have the same task owner and be stored in the same database and schema"), so one SHOW TASKS
 * IN SCHEMA sees all of them. Empty when the root is not among `tasks`.
 */
export function graphTaskNames(tasks: Map<string, ShownTask>, root: string): Set<string> {
  const graph = new Set<string>();
  if (!tasks.has(root)) return graph;
  graph.add(root);
  let grew = true;
  while (grew) {
    grew = false;
    for (const task of tasks.values()) {
      if (graph.has(task.name)) continue;
      const inGraph = task.finalizedRoot === root || (task.predecessors ?? []).some((p) => graph.has(p));
      if (inGraph) {
        graph.add(task.name);
        grew = true;
      }
    }
  }
  return graph;
}

/**
 * The root of the graph `name` belongs to: follow the finalized root, or any predecessor, up to a
 * task that has none. Undefined when `name` is not among `tasks` (or a predecessor is missing, or
 * the edges loop, which Snowflake does not allow).
 */
export function rootTaskName(tasks: Map<string, ShownTask>, name: string): string | undefined {
  const seen = new Set<string>();
  let current = tasks.get(name);
  while (current !== undefined && !seen.has(current.name)) {
    seen.add(current.name);
    if (current.finalizedRoot !== undefined) return tasks.has(current.finalizedRoot) ? current.finalizedRoot : undefined;
    const up = current.predecessors ?? [];
    if (up.length === 0) return current.name;
    current = tasks.get(up[0]);
  }
  return undefined;
}
