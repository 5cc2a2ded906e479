/**
 * Semantic checks of the task graph in pipeline.yaml, after JSON Schema validation, and the graph
 * orderings the program needs. Every problem is reported at once, each with its key path, so one
 * run of `plan` shows everything to fix.
 *
 * Snowflake rules encoded here (https://docs.snowflake.com/en/user-guide/tasks-graphs):
 * - tasks without `after` follow the root task; the finalizer is attached to the root (FINALIZE),
 *   has no AFTER, and no task may follow it;
 * - a branch is a WHEN on each target comparing the branch task's return value, so a target must be a
 *   direct successor of the branch task, and its only predecessor (the WHEN reads that one value);
 * - at most 1,000 tasks per graph counting the root, at most 100 predecessors and 100 children per task.
 */
import { describeValue, identifierProblem, MAX_IDENTIFIER_LENGTH } from "./identifiers";
import { ConfigProblem, PipelineDefinition, TaskSpec } from "./types";

export const MAX_GRAPH_TASKS = 1000;
export const MAX_PREDECESSORS = 100;
export const MAX_CHILDREN = 100;
/** USER_TASK_TIMEOUT_MS upper bound used here: 7 days. */
export const MAX_TASK_TIMEOUT_MS = 86_400_000 * 7;

export interface GraphValidationOptions {
  /** The compute pool's maxNodes: an ML Job cannot run on more instances. */
  maxTargetInstances?: number;
}

/** The graph's edges after dropping invalid `after` entries (unknown, self, repeated, the finalizer). */
interface Edges {
  /** First definition index of each task name. */
  index: Map<string, number>;
  names: string[];
  predecessors: Map<string, string[]>;
  successors: Map<string, string[]>;
  finalizers: Set<string>;
}

const TASK_NAME = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * How a problem names the task at `index`: `tasks.TRAIN_MODEL` when the task has a well-formed name
 * no other task has, else `tasks[4]` (a malformed or repeated name does not find the task by itself).
 */
export function taskKey(tasks: unknown, index: number): string {
  const list = Array.isArray(tasks) ? (tasks as unknown[]) : [];
  const nameOf = (t: unknown) => (t && typeof t === "object" ? (t as { name?: unknown }).name : undefined);
  const name = nameOf(list[index]);
  if (typeof name === "string" && TASK_NAME.test(name) && list.filter((t) => nameOf(t) === name).length === 1) return `tasks.${name}`;
  return `tasks[${index}]`;
}

function tasksOf(def: PipelineDefinition): TaskSpec[] {
  return Array.isArray(def.tasks) ? def.tasks : [];
}

function buildEdges(def: PipelineDefinition): Edges {
  const tasks = tasksOf(def);
  const index = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (!index.has(task.name)) index.set(task.name, i);
  });
  const names = [...index.keys()];
  const finalizers = new Set(tasks.filter((t) => t.finalizer === true).map((t) => t.name));
  const predecessors = new Map<string, string[]>(names.map((n) => [n, []]));
  const successors = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const name of names) {
    const task = tasks[index.get(name)!];
    if (finalizers.has(name)) continue;
    for (const before of task.after ?? []) {
      if (before === name || !index.has(before) || finalizers.has(before)) continue;
      const preds = predecessors.get(name)!;
      if (preds.includes(before)) continue;
      preds.push(before);
      successors.get(before)!.push(name);
    }
  }
  // Successors in definition order, whatever order the `after` lists were walked in.
  for (const list of successors.values()) list.sort((a, b) => index.get(a)! - index.get(b)!);
  return { index, names, predecessors, successors, finalizers };
}

/** Successors of every task (tasks listing it in `after`), in definition order; the root is not a key. */
export function successorsOf(def: PipelineDefinition): Map<string, string[]> {
  return buildEdges(def).successors;
}

/** The root task's children: tasks without `after`, except the finalizer, in definition order. */
export function rootChildren(def: PipelineDefinition): string[] {
  return tasksOf(def)
    .filter((t) => t.finalizer !== true && (t.after ?? []).length === 0)
    .map((t) => t.name)
    .filter((name, i, all) => all.indexOf(name) === i);
}

/**
 * Every task once, each after all its predecessors; ties broken by definition order, and the
 * finalizer(s) last (Snowflake runs the finalizer after everything else). Throws on a cycle.
 */
export function topologicalOrder(def: PipelineDefinition): string[] {
  const edges = buildEdges(def);
  const pending = new Map(edges.names.map((n) => [n, edges.predecessors.get(n)!.length]));
  const order: string[] = [];
  const regular = edges.names.filter((n) => !edges.finalizers.has(n));
  while (order.length < regular.length) {
    // O(n²) over at most 1,000 tasks: simple and plainly stable.
    const next = regular.find((n) => pending.get(n) === 0);
    if (next === undefined) {
      const [cycle] = findCycles(edges);
      throw new Error(`the task graph has a dependency cycle: ${cycle.path.join(" → ")}`);
    }
    pending.set(next, -1);
    order.push(next);
    for (const s of edges.successors.get(next)!) pending.set(s, pending.get(s)! - 1);
  }
  return [...order, ...edges.names.filter((n) => edges.finalizers.has(n))];
}

interface Cycle {
  /** Execution order, first task repeated at the end: A → B → A. */
  path: string[];
}

/**
 * One cycle per strongly connected component (Tarjan), starting at the component's first-defined
 * task and following the shortest way back to it; components ordered by that task.
 */
function findCycles(edges: Edges): Cycle[] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (root: string) => {
    // Iterative Tarjan: a graph of 1,000 tasks in a chain must not overflow the call stack.
    const work: [string, number][] = [[root, 0]];
    order.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, i] = frame;
      const next = edges.successors.get(node)!;
      if (i < next.length) {
        frame[1]++;
        const s = next[i];
        if (!order.has(s)) {
          order.set(s, counter);
          low.set(s, counter++);
          stack.push(s);
          onStack.add(s);
          work.push([s, 0]);
        } else if (onStack.has(s)) {
          low.set(node, Math.min(low.get(node)!, order.get(s)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) === order.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1) components.push(component);
      }
    }
  };
  for (const name of edges.names) if (!order.has(name)) visit(name);

  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = component.reduce((a, b) => (edges.index.get(a)! < edges.index.get(b)! ? a : b));
    // Breadth-first from start inside the component, back to start: the shortest cycle through it.
    const parent = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    while (queue.length > 0 && last === undefined) {
      const node = queue.shift()!;
      for (const s of edges.successors.get(node)!) {
        if (!members.has(s)) continue;
        if (s === start) {
          last = node;
          break;
        }
        if (!parent.has(s)) {
          parent.set(s, node);
          queue.push(s);
        }
      }
    }
    const path = [start];
    for (let node = last!; node !== start; node = parent.get(node)!) path.splice(1, 0, node);
    path.push(start);
    return { path };
  });
  return cycles.sort((a, b) => edges.index.get(a.path[0])! - edges.index.get(b.path[0])!);
}

/** 1 -> "1st", 2 -> "2nd", 11 -> "11th". */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

export function validateGraph(def: PipelineDefinition, file: string, opts: GraphValidationOptions = {}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  const tasks = tasksOf(def);
  const edges = buildEdges(def);
  const quoted = (name: string) => JSON.stringify(name);
  const known = edges.names.map(quoted).join(", ");

  const pipelineProblem = identifierProblem(def.name);
  if (pipelineProblem) add("name", pipelineProblem);

  const firstFinalizer = tasks.findIndex((t) => t.finalizer === true);

  tasks.forEach((task, i) => {
    const at = taskKey(tasks, i);
    const name = task.name;

    const nameProblem = identifierProblem(name);
    if (nameProblem) {
      add(`${at}.name`, nameProblem);
    } else if (!pipelineProblem) {
      const full = `${def.name}$${name}`;
      if (full.length > MAX_IDENTIFIER_LENGTH) {
        add(`${at}.name`, `the Snowflake task name ${full} is ${full.length} characters long; Snowflake identifiers are at most ${MAX_IDENTIFIER_LENGTH}`);
      }
    }
    const first = edges.index.get(name)!;
    if (first !== i) add(`${at}.name`, `${quoted(name)} names two tasks (the ${ordinal(first + 1)} and the ${ordinal(i + 1)}); expected each task name once`);

    const hasEntrypoint = task.entrypoint !== undefined;
    const hasSql = task.sql !== undefined;
    if (hasEntrypoint === hasSql) {
      add(at, `expected exactly one of "entrypoint" (a Python file) or "sql"; the task has ${hasSql ? "both" : "neither"}`);
    }

    if (task.job !== undefined) {
      if (hasSql && !hasEntrypoint) add(`${at}.job`, '"job" needs a Python task (entrypoint); this task runs SQL');
      const n = task.job.targetInstances;
      if (!Number.isInteger(n) || n < 1) {
        add(`${at}.job.targetInstances`, `expected a whole number of instances, at least 1; got ${describeValue(n)}`);
      } else if (opts.maxTargetInstances !== undefined && n > opts.maxTargetInstances) {
        add(
          `${at}.job.targetInstances`,
          `${n} instances exceed the compute pool's maxNodes (${opts.maxTargetInstances}); an ML Job cannot run on more instances than the pool has nodes`,
        );
      }
    }

    if (task.timeoutMs !== undefined && !(Number.isInteger(task.timeoutMs) && task.timeoutMs >= 1 && task.timeoutMs <= MAX_TASK_TIMEOUT_MS)) {
      add(`${at}.timeoutMs`, `expected whole milliseconds from 1 to ${MAX_TASK_TIMEOUT_MS} (7 days); got ${describeValue(task.timeoutMs)}`);
    }
    if (task.warehouse !== undefined) {
      const problem = identifierProblem(task.warehouse);
      if (problem) add(`${at}.warehouse`, problem);
    }

    const after = task.after ?? [];
    if (task.finalizer === true) {
      if (i !== firstFinalizer) {
        add(`${at}.finalizer`, `expected one finalizer per graph; ${quoted(tasks[firstFinalizer].name)} is already the finalizer`);
      }
      if (after.length > 0) add(`${at}.after`, 'the finalizer runs after all other tasks by itself; it cannot have "after"');
    } else {
      after.forEach((before, k) => {
        const seen = after.indexOf(before);
        if (before === name) add(`${at}.after[${k}]`, `task ${quoted(name)} cannot run after itself`);
        else if (seen !== k) add(`${at}.after[${k}]`, `${quoted(before)} is listed twice (also after[${seen}])`);
        else if (!edges.index.has(before)) {
          add(
            `${at}.after[${k}]`,
            before === def.name
              ? `${quoted(before)} is the root task; leave "after" out to run a task right after the root`
              : `unknown task ${describeValue(before)}; expected one of ${known}`,
          );
        } else if (edges.finalizers.has(before)) add(`${at}.after[${k}]`, `${quoted(before)} is the finalizer; no task can run after it`);
      });
      const count = first === i ? edges.predecessors.get(name)!.length : 0;
      if (count > MAX_PREDECESSORS) {
        add(`${at}.after`, `task ${quoted(name)} has ${count} predecessors; Snowflake allows at most ${MAX_PREDECESSORS} per task`);
      }
    }

    if (task.branch !== undefined) {
      const branch = task.branch;
      if (task.finalizer === true) add(`${at}.branch`, "the finalizer cannot branch: no task runs after it");
      else if (branch.length === 0) add(`${at}.branch`, 'lists no successors; name the successors this task routes to, or leave "branch" out');
      else {
        branch.forEach((target, k) => {
          const path = `${at}.branch[${k}]`;
          const seen = branch.indexOf(target);
          const j = edges.index.get(target);
          if (target === name) add(path, `task ${quoted(name)} cannot branch to itself`);
          else if (seen !== k) add(path, `${quoted(target)} is listed twice (also branch[${seen}])`);
          else if (j === undefined) {
            add(path, `unknown task ${describeValue(target)}; a branch names successors of ${quoted(name)} (tasks with ${quoted(name)} in "after")`);
          } else if (edges.finalizers.has(target)) add(path, `${quoted(target)} is the finalizer; it cannot be a branch target`);
          else {
            const targetAfter = tasks[j].after ?? [];
            const others = targetAfter.filter((p, m) => p !== name && targetAfter.indexOf(p) === m);
            if (!targetAfter.includes(name)) {
              add(path, `branch target ${quoted(target)} must run after ${quoted(name)}; add ${quoted(name)} to ${taskKey(tasks, j)}.after`);
            } else if (others.length > 0) {
              add(
                path,
                `branch target ${quoted(target)} must have ${quoted(name)} as its only predecessor; it also runs after ${others.map(quoted).join(", ")}`,
              );
            }
          }
        });
      }
    }
  });

  // Graph-wide rules.
  // Reachability from the root needs no check of its own: the root precedes every task without
  // "after" and the finalizer, so once every "after" entry names an existing non-finalizer task
  // (checked above) and there is no cycle (checked here), every task is reachable. A task stranded
  // behind a cycle or an unknown predecessor is covered by that problem; reporting it again for
  // each task downstream would only bury the cause.
  for (const { path } of findCycles(edges)) {
    const start = path[0];
    const closing = path[path.length - 2];
    const i = edges.index.get(start)!;
    add(`${taskKey(tasks, i)}.after[${(tasks[i].after ?? []).indexOf(closing)}]`, `dependency cycle: ${path.join(" → ")}`);
  }

  for (const name of edges.names) {
    const count = edges.successors.get(name)!.length;
    if (count > MAX_CHILDREN) {
      add(taskKey(tasks, edges.index.get(name)!), `task ${quoted(name)} has ${count} successors; Snowflake allows at most ${MAX_CHILDREN} children per task`);
    }
  }
  const rootCount = rootChildren(def).length;
  if (rootCount > MAX_CHILDREN) {
    add("tasks", `the root task has ${rootCount} children (tasks without "after"); Snowflake allows at most ${MAX_CHILDREN} children per task`);
  }
  const total = tasks.length + 1;
  if (total > MAX_GRAPH_TASKS) {
    add("tasks", `the graph has ${total} tasks counting the root; Snowflake allows at most ${MAX_GRAPH_TASKS} per graph`);
  }
  return problems;
}
