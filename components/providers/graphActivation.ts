/**
 * GraphActivation: make the task graph's real started/suspended state match the declared one, and
 * report it on refresh, so that after a failed `pulumi up` the next one repairs it (root last).
 * Upstream: graphs left suspended after an apply (terraform-provider-snowflake #4041, #3435).
 *
 * Inputs are only the root and its declared state, so editing, adding or removing a task never
 * changes this resource (a preview shows only what changes in Snowflake). The graph's tasks are
 * discovered: every task of the root's schema named `<ROOT>$…` (the naming contract, lib/naming.ts).
 *
 * Declared state (docs/design.md "Root task"):
 * - started: true  -> every task started, the root resumed last;
 * - started: false -> the root suspended, every child (finalizer included) started, because
 *   EXECUTE TASK on a suspended root skips suspended children.
 *
 * Check: one `SHOW TASKS IN SCHEMA <DB>.<SCHEMA>`, built and parsed by snowflake/tasks.ts. A single
 * statement gives a consistent snapshot of every task of the graph; per-task DESCRIBE TASK would be
 * one round trip per task and an error per missing task.
 *
 * Repair, only for the tasks that are wrong, in Snowflake's order:
 *   ALTER TASK <root> SUSPEND            if the root is started and a child must be resumed, or started: false
 *   ALTER TASK <child> RESUME            per suspended child, by name (any order while the root is suspended)
 *   ALTER TASK <root> RESUME             last, if started: true
 * Explicit ALTERs rather than SYSTEM$TASK_DEPENDENTS_ENABLE('<root>'): that function also resumes the
 * root (wrong for started: false, and a root without schedule), the documentation does not say
 * whether it resumes the finalizer
 * (https://docs.snowflake.com/en/sql-reference/functions/system_task_dependents_enable), and one
 * statement per task lets a refusal name the task. Then the check runs again; any task still wrong
 * fails the update with its name. If a repair statement is refused after the root was suspended
 * here and the root was declared started, the root is resumed again (best effort) so a refused
 * repair never stops the schedule.
 *
 * diff: a change when an input changed or when a refresh recorded drift (`inSync: false`).
 * read (refresh; Pulumi.yaml sets `options: refresh: always`): reports the real state, so drift
 * left by a failed `up` makes the next `up` run the repair. delete: nothing to drop.
 *
 * The provider has the shape of snowflake/dynamicProvider.ts: credentials only from the stack
 * config through `configure`, one session per operation, failures named by resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { isUnknown, providerKit, type CheckFailure, type ProviderSessionOpener } from "../../snowflake/dynamicProvider";
import type { SqlSession } from "../../snowflake/session";
import { parseShowTasks, showTasksSql } from "../../snowflake/tasks";

export interface GraphActivationInputs {
  /** Fully qualified, unquoted: ML_DEV.PIPELINE.MORTGAGE_PIPELINE. */
  rootTask: string;
  started: boolean;
}

/** The root and the children found in Snowflake: what the state check covers. */
export interface GraphMembers {
  rootTask: string;
  /** Fully qualified child tasks (finalizer included), by name. */
  tasks: string[];
  started: boolean;
}

export type TaskState = "started" | "suspended" | "missing";

export interface GraphActivationOutputs extends GraphActivationInputs {
  /** Task (fully qualified) -> state as SHOW TASKS reported it after the last check. */
  actual: Record<string, TaskState>;
  /** The real state matched the declared one at the last check. */
  inSync: boolean;
  /** Statements the last create/update ran to repair the state (empty when nothing was wrong). */
  repairs: string[];
}

const IDENTIFIER = /^[A-Z_][A-Z0-9_$]*$/;

export interface TaskStatement {
  task: string;
  sql: string;
}

export function splitName(fullName: string): { database: string; schema: string; name: string } {
  const [database, schema, name] = fullName.split(".");
  return { database, schema, name };
}

/** The state each task must be in. */
export function declaredStates(inputs: GraphMembers): Map<string, "started" | "suspended"> {
  const states = new Map<string, "started" | "suspended">();
  for (const task of inputs.tasks) states.set(task, "started");
  states.set(inputs.rootTask, inputs.started ? "started" : "suspended");
  return states;
}

export function showTasksStatement(rootTask: string): string {
  return showTasksSql(splitName(rootTask));
}

/** The graph's children in SHOW TASKS rows: tasks of the root's schema named `<ROOT>$…`, by name. */
export function childrenFromShowTasks(rootTask: string, rows: Record<string, unknown>[]): string[] {
  const { database, schema, name: root } = splitName(rootTask);
  return [...parseShowTasks(rows, { database, schema }).keys()]
    .filter((name) => name.startsWith(`${root}$`))
    .sort()
    .map((name) => `${database}.${schema}.${name}`);
}

/** The graph found in SHOW TASKS rows: the root and its discovered children. */
export function graphFromShowTasks(inputs: GraphActivationInputs, rows: Record<string, unknown>[]): GraphMembers {
  return { rootTask: inputs.rootTask, started: inputs.started, tasks: childrenFromShowTasks(inputs.rootTask, rows) };
}

/** Each task's state in SHOW TASKS rows (`missing` when absent). */
export function statesFromShowTasks(inputs: Pick<GraphMembers, "rootTask" | "tasks">, rows: Record<string, unknown>[]): Record<string, TaskState> {
  const shown = parseShowTasks(rows, splitName(inputs.rootTask));
  const states: Record<string, TaskState> = {};
  for (const task of [inputs.rootTask, ...inputs.tasks]) {
    const state = shown.get(splitName(task).name)?.state;
    states[task] = state === undefined ? "missing" : state === "started" ? "started" : "suspended";
  }
  return states;
}

/** Tasks not in their declared state, as "NAME is X, declared Y". */
export function mismatches(inputs: GraphMembers, actual: Record<string, TaskState>): string[] {
  const problems: string[] = [];
  for (const [task, want] of declaredStates(inputs)) {
    const have = actual[task] ?? "missing";
    if (have !== want) problems.push(have === "missing" ? `${task} does not exist` : `${task} is ${have}, declared ${want}`);
  }
  return problems;
}

/** The statements that bring `actual` to the declared state, in order (empty when nothing is wrong). */
export function repairPlan(inputs: GraphMembers, actual: Record<string, TaskState>): TaskStatement[] {
  const suspendedChildren = inputs.tasks.filter((t) => actual[t] === "suspended");
  const rootStarted = actual[inputs.rootTask] === "started";
  const plan: TaskStatement[] = [];
  let rootSuspendedHere = false;
  if (rootStarted && (suspendedChildren.length > 0 || !inputs.started)) {
    plan.push({ task: inputs.rootTask, sql: `ALTER TASK ${inputs.rootTask} SUSPEND` });
    rootSuspendedHere = true;
  }
  for (const child of suspendedChildren) plan.push({ task: child, sql: `ALTER TASK ${child} RESUME` });
  if (inputs.started && (!rootStarted || rootSuspendedHere)) plan.push({ task: inputs.rootTask, sql: `ALTER TASK ${inputs.rootTask} RESUME` });
  return plan;
}

/** The graph as Snowflake has it now: its members and each one's state. */
async function readGraph(sql: SqlSession, inputs: GraphActivationInputs): Promise<{ graph: GraphMembers; actual: Record<string, TaskState> }> {
  const rows = await sql.execute(showTasksStatement(inputs.rootTask));
  const graph = graphFromShowTasks(inputs, rows);
  return { graph, actual: statesFromShowTasks(graph, rows) };
}

function describeGraph(inputs: GraphActivationInputs): string {
  return `task graph ${inputs.rootTask} (declared started: ${inputs.started})`;
}

/** Check, repair, re-check. Resolves to the outputs; rejects naming the tasks that are wrong. */
export async function activate(sql: SqlSession, inputs: GraphActivationInputs): Promise<GraphActivationOutputs> {
  const { graph, actual: before } = await readGraph(sql, inputs);
  if (before[inputs.rootTask] === "missing") {
    throw new Error(`${describeGraph(inputs)}: cannot be activated, the root task ${inputs.rootTask} does not exist`);
  }
  const plan = repairPlan(graph, before);
  if (plan.length === 0) return { ...inputs, actual: before, inSync: true, repairs: [] };

  const ran: string[] = [];
  let refusal: string | undefined;
  for (const step of plan) {
    try {
      await sql.execute(step.sql);
      ran.push(step.sql);
    } catch (err) {
      refusal = `Snowflake refused \`${step.sql}\` for ${step.task}: ${(err as Error).message}`;
      break;
    }
  }
  if (refusal && inputs.started && before[inputs.rootTask] === "started" && ran.includes(`ALTER TASK ${inputs.rootTask} SUSPEND`)) {
    // Put the schedule back as it was; the update fails anyway.
    await sql.execute(`ALTER TASK ${inputs.rootTask} RESUME`).then(
      () => ran.push(`ALTER TASK ${inputs.rootTask} RESUME`),
      () => undefined,
    );
  }
  const { graph: graphAfter, actual: after } = await readGraph(sql, inputs);
  const wrong = mismatches(graphAfter, after);
  if (refusal || wrong.length > 0) {
    const parts = [`${describeGraph(inputs)} is not in its declared state after repair`];
    if (refusal) parts.push(refusal);
    if (wrong.length > 0) parts.push(`tasks not in the declared state: ${wrong.join("; ")}`);
    throw new Error(parts.join(". "));
  }
  return { ...inputs, actual: after, inSync: true, repairs: ran };
}

/** Validation problems of new inputs; unknown (preview) values are not judged. */
export function graphActivationProblems(news: Partial<GraphActivationInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const qualified = (v: unknown) => typeof v === "string" && v.split(".").length === 3 && v.split(".").every((p) => IDENTIFIER.test(p));
  if (!isUnknown(news.rootTask) && !qualified(news.rootTask)) {
    failures.push({ property: "rootTask", reason: `expected a fully qualified unquoted task name DB.SCHEMA.NAME, got ${JSON.stringify(news.rootTask)}` });
  }
  if (!isUnknown(news.started) && typeof news.started !== "boolean") failures.push({ property: "started", reason: "expected true or false" });
  return failures;
}

const INPUT_KEYS = ["rootTask", "started"] as const;

/**
 * Builds the provider. Pulumi uses `graphActivationProvider` (sessions from `configure`); tests pass
 * `openSession` to run the methods against the Snowflake stub.
 */
export function createGraphActivationProvider(openSession?: ProviderSessionOpener): pulumi.dynamic.ResourceProvider<GraphActivationInputs, GraphActivationOutputs> {
  const kit = providerKit("GraphActivation", openSession);
  // Only the current keys: inputs or a state written by an older version (task list, fingerprint)
  // lose the others on the next check or refresh.
  const inputsOf = (p: GraphActivationInputs): GraphActivationInputs => ({ rootTask: p.rootTask, started: p.started });
  return {
    configure: kit.configure,

    async check(_olds: GraphActivationInputs, news: GraphActivationInputs) {
      return kit.checked(inputsOf(news), graphActivationProblems(news));
    },

    async diff(_id: string, olds: GraphActivationOutputs, news: GraphActivationInputs) {
      return graphActivationDiff(olds, news);
    },

    async create(inputs: GraphActivationInputs) {
      const outs = await kit.withSession(describeGraph(inputs), (s) => activate(s, inputs));
      return { id: inputs.rootTask, outs };
    },

    async update(_id: string, _olds: GraphActivationOutputs, news: GraphActivationInputs) {
      return { outs: await kit.withSession(describeGraph(news), (s) => activate(s, news)) };
    },

    async read(id: string, props?: GraphActivationOutputs) {
      if (!props) throw new Error(`GraphActivation ${id}: nothing to read without stored properties (import is not supported)`);
      const inputs = inputsOf(props);
      const { graph, actual } = await kit.withSession(describeGraph(inputs), (s) => readGraph(s, inputs));
      return { id, props: { ...inputs, actual, inSync: mismatches(graph, actual).length === 0, repairs: props.repairs ?? [] } };
    },

    async delete() {
      // Nothing to drop: the tasks are their own resources.
    },
  };
}

/** A change only when an input changed or a refresh recorded drift; a new root task replaces. */
export function graphActivationDiff(olds: GraphActivationOutputs, news: GraphActivationInputs): pulumi.dynamic.DiffResult {
  const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
  const drifted = olds.inSync === false;
  return {
    changes: changed.length > 0 || drifted,
    replaces: changed.includes("rootTask") ? ["rootTask"] : [],
    deleteBeforeReplace: false,
  };
}

/** The one provider object Pulumi serializes for every GraphActivation (cached by identity). */
export const graphActivationProvider = createGraphActivationProvider();

export interface GraphActivationArgs {
  rootTask: pulumi.Input<string>;
  started: pulumi.Input<boolean>;
}

/** Check, repair and refresh of the task graph's started/suspended state (inputs: the root only). */
export class GraphActivation extends pulumi.dynamic.Resource {
  declare readonly rootTask: pulumi.Output<string>;
  declare readonly started: pulumi.Output<boolean>;
  declare readonly actual: pulumi.Output<Record<string, TaskState>>;
  declare readonly inSync: pulumi.Output<boolean>;
  declare readonly repairs: pulumi.Output<string[]>;

  constructor(name: string, args: GraphActivationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      graphActivationProvider,
      name,
      { ...args, actual: undefined, inSync: undefined, repairs: undefined },
      opts,
      "snowflake-ml-pipeline",
      "GraphActivation",
    );
  }
}
