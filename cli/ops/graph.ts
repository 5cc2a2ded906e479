/**
 * The deployed task graph as SHOW TASKS describes it, and what a graph run looks like per task.
 *
 * Graph membership follows the naming contract (docs/design.md): the root is <PIPELINE>, its
 * children are <PIPELINE>$<TASK>. Order: topological over the predecessors SHOW TASKS reports,
 * ties by name, the finalizer (task_relations.FinalizedRootTask, or a child without predecessors)
 * last.
 */
import { parseShowTasks, type ShownTask } from "../../snowflake/tasks";
import { fqn, type RootTaskRef, type Row, type TaskRun } from "./queries";

export { lastNamePart } from "../../snowflake/tasks";

export type TaskRole = "root" | "task" | "finalizer";

export interface DeployedTask {
  /** Snowflake task name, e.g. MORTGAGE_PIPELINE$TRAIN_MODEL. */
  name: string;
  /** Name for people: TRAIN_MODEL (the root keeps its name). */
  label: string;
  fullName: string;
  role: TaskRole;
  /** started or suspended (SHOW TASKS `state`). */
  state: string;
  id?: string;
  schedule?: string;
  /** Unqualified names of predecessors inside the graph (the root is left out). */
  predecessors: string[];
  lastSuspendedReason?: string;
  /** The task's CONFIG (the root's graph config), when SHOW TASKS gave one. */
  config?: Record<string, unknown>;
}

export interface DeployedGraph {
  ref: RootTaskRef;
  root: DeployedTask;
  /** Children in run order, finalizer last. */
  children: DeployedTask[];
}

export function allTasks(graph: DeployedGraph): DeployedTask[] {
  return [graph.root, ...graph.children];
}

/** Builds the graph of `ref` from SHOW TASKS IN SCHEMA rows (snowflake/tasks.ts); undefined when the root is absent. */
export function graphFromShowTasks(ref: RootTaskRef, rows: Row[]): DeployedGraph | undefined {
  const prefix = `${ref.name}$`;
  const shown = [...parseShowTasks(rows, ref).values()].filter((t) => t.name === ref.name || t.name.startsWith(prefix));
  const rootTask = shown.find((t) => t.name === ref.name);
  if (!rootTask) return undefined;

  const toTask = (task: ShownTask, role: TaskRole): DeployedTask => ({
    name: task.name,
    label: role === "root" ? task.name : task.name.slice(prefix.length),
    fullName: `${ref.database}.${ref.schema}.${task.name}`,
    role,
    state: task.state,
    id: task.id,
    schedule: task.schedule,
    predecessors: (task.predecessors ?? []).filter((p) => p !== ref.name),
    lastSuspendedReason: task.lastSuspendedReason,
    ...(task.config ? { config: task.config } : {}),
  });

  const root = toTask(rootTask, "root");
  // A finalizer: task_relations names the root it finalizes, or a child without predecessors.
  const children = shown
    .filter((t) => t !== rootTask)
    .map((t) => toTask(t, t.finalizes || (t.predecessors !== undefined && t.predecessors.length === 0) ? "finalizer" : "task"));
  return { ref, root, children: runOrder(children) };
}

/** Kahn's algorithm; ties by name; finalizer(s) last; a cycle (impossible in Snowflake) keeps name order. */
function runOrder(children: DeployedTask[]): DeployedTask[] {
  const regular = children.filter((t) => t.role !== "finalizer").sort((a, b) => a.name.localeCompare(b.name));
  const finalizers = children.filter((t) => t.role === "finalizer").sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(regular.map((t) => t.name));
  const placed = new Set<string>();
  const ordered: DeployedTask[] = [];
  while (ordered.length < regular.length) {
    const ready = regular.find((t) => !placed.has(t.name) && t.predecessors.every((p) => !names.has(p) || placed.has(p)));
    const next = ready ?? regular.find((t) => !placed.has(t.name))!;
    placed.add(next.name);
    ordered.push(next);
  }
  return [...ordered, ...finalizers];
}

// ---------------------------------------------------------------------------------------------
// One graph run, per task

/** What the CLI shows for a task in a run. */
export type TaskRunState = "waiting" | "running" | "succeeded" | "failed" | "skipped" | "cancelled" | "not run";

export const FINAL_STATES: ReadonlySet<TaskRunState> = new Set(["succeeded", "failed", "skipped", "cancelled", "not run"]);

export function taskRunState(snowflakeState: string | undefined): TaskRunState {
  switch ((snowflakeState ?? "").toUpperCase()) {
    case "EXECUTING":
      return "running";
    case "SUCCEEDED":
      return "succeeded";
    case "FAILED":
    case "FAILED_AND_AUTO_SUSPENDED":
      return "failed";
    case "CANCELLED":
      return "cancelled";
    case "SKIPPED":
      return "skipped";
    default:
      return "waiting";
  }
}

export function isActive(run: TaskRun): boolean {
  return run.state === "SCHEDULED" || run.state === "EXECUTING";
}

export interface TaskView {
  name: string;
  label: string;
  role: TaskRole;
  state: TaskRunState;
  startedMs?: number;
  completedMs?: number;
  returnValue?: string;
  error?: { code?: string; message?: string };
}

/** The latest attempt of each task among `runs` (rows of one RUN_ID). */
export function latestByTask(runs: TaskRun[]): Map<string, TaskRun> {
  const latest = new Map<string, TaskRun>();
  for (const run of runs) {
    const seen = latest.get(run.name);
    if (!seen || (run.scheduledMs ?? 0) >= (seen.scheduledMs ?? 0)) latest.set(run.name, run);
  }
  return latest;
}

/**
 * Per-task view of one run. `graphOutcome` is the graph's final state when known: a task with no
 * row in a SUCCEEDED graph was skipped (the branch not taken); in a failed graph it did not run.
 */
export function taskViews(graph: DeployedGraph, runs: TaskRun[], graphOutcome?: string): TaskView[] {
  const latest = latestByTask(runs);
  return allTasks(graph).map((task) => {
    const run = latest.get(task.name);
    let state = taskRunState(run?.state);
    if (!run && graphOutcome) state = graphOutcome === "SUCCEEDED" ? "skipped" : "not run";
    if (run && state === "waiting" && graphOutcome) state = "not run";
    return {
      name: task.name,
      label: task.label,
      role: task.role,
      state,
      startedMs: run?.startedMs,
      completedMs: run?.completedMs,
      returnValue: task.role === "root" ? undefined : run?.returnValue,
      error: run && (run.errorCode || run.errorMessage) ? { code: run.errorCode, message: run.errorMessage } : undefined,
    };
  });
}

/** The outcome of a past run from its task rows alone (COMPLETE_TASK_GRAPHS keeps only 60 minutes). */
export function outcomeFromRows(graph: DeployedGraph, runs: TaskRun[]): "running" | "succeeded" | "failed" | "cancelled" | "skipped" {
  const latest = [...latestByTask(runs).values()];
  if (latest.some(isActive)) return "running";
  const states = latest.map((r) => taskRunState(r.state));
  if (states.includes("failed")) return "failed";
  if (states.includes("cancelled")) return "cancelled";
  const root = latest.find((r) => r.name === graph.root.name);
  if (root && taskRunState(root.state) === "skipped") return "skipped";
  return "succeeded";
}

export { fqn };
