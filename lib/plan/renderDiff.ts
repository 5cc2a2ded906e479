import { diffArrays } from "diff";
import { canonicalJson } from "../canonicalJson";
import { InputChange, PlanDiff, ResourceChange, stacklessUrn } from "./diffPlans";
import { Plan, PlannedResource } from "./plan";

/**
 * The plan diff as a reviewer reads it: changes grouped by pipeline task (a task's definition,
 * bundle and ML Job payload together), each changed input shown before → after down to the
 * changed leaf (`config.database`, `files[prepare_data.zip].sha256`), multi-line SQL as a line
 * diff, then added and removed resources and changed stack outputs.
 */

const TASK_TYPE = "snowflake:index/task:Task";
const STAGED_FILES_TYPE = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles";
export const OTHER_GROUP = "Platform and other resources";

export interface DiffGroup {
  /** "Root task MORTGAGE_PIPELINE", "Task PREPARE_DATA" or OTHER_GROUP. */
  title: string;
  /** The pipeline task, for task groups (the root task's name for the root). */
  task?: string;
  /** The pipeline (root task name) of a task group. */
  pipeline?: string;
  added: PlannedResource[];
  removed: PlannedResource[];
  changed: ResourceChange[];
}

export interface DiffLabels {
  /** What the diff goes from (B), e.g. `stack "dev"` or `plan base-dev.json (stack "dev")`. */
  from: string;
  /** What it goes to (A). */
  to: string;
}

/** The pipeline task a resource belongs to: "$ROOT:<name>" for the root task, undefined for others. */
export function taskOfResource(r: Pick<PlannedResource, "type" | "inputs">): string | undefined {
  if (r.type === TASK_TYPE && typeof r.inputs.name === "string") {
    const name = r.inputs.name;
    const dollar = name.indexOf("$");
    return dollar < 0 ? `$ROOT:${name}` : name.slice(dollar + 1);
  }
  if (r.type === STAGED_FILES_TYPE && typeof r.inputs.directory === "string") {
    // <PIPELINE>/<TASK>/<sha> (bundle) or <PIPELINE>/<TASK>/payload/<sha>; a pipeline's sample data
    // is <PIPELINE>/sample/<sha> (grouped with its root task; task names are upper case).
    const parts = r.inputs.directory.split("/");
    if (parts.length >= 3 && parts[1] === "sample") return `$ROOT:${parts[0]}`;
    return parts.length >= 3 ? parts[1] : undefined;
  }
  return undefined;
}

/** The pipeline (root task name) a task or staged bundle belongs to; undefined for shared resources. */
export function pipelineOfResource(r: Pick<PlannedResource, "type" | "inputs">): string | undefined {
  if (r.type === TASK_TYPE && typeof r.inputs.name === "string") return r.inputs.name.split("$")[0];
  if (r.type === STAGED_FILES_TYPE && typeof r.inputs.directory === "string") {
    const parts = r.inputs.directory.split("/");
    return parts.length >= 3 ? parts[0] : undefined;
  }
  return undefined;
}

/**
 * Groups the diff by task: the roots first, then tasks by name, then everything else. With several
 * pipelines in the plans, groups are per pipeline and titled with the Snowflake name (`Task P$T`).
 */
export function groupDiff(diff: PlanDiff, before: Plan, after: Plan): DiffGroup[] {
  const resourceByUrn = new Map([...before.resources, ...after.resources].map((r) => [r.urn, r]));
  const pipelines = new Set([...before.resources, ...after.resources].filter((r) => r.type === TASK_TYPE).map((r) => pipelineOfResource(r)));
  const several = pipelines.size > 1;
  // A Pipeline component and what it holds besides tasks and bundles (its TaskGraph, its activation
  // check) go with its root task: the component whose descendants include that root.
  const pipelineComponentOf = (r: PlannedResource | undefined): string | undefined => {
    for (let at = r; at !== undefined; at = at.parent === null ? undefined : resourceByUrn.get(at.parent)) {
      if (at.type === PIPELINE_TYPE) return at.urn;
    }
    return undefined;
  };
  const rootOfComponent = new Map<string, string>();
  for (const r of resourceByUrn.values()) {
    const component = r.type === TASK_TYPE && typeof r.inputs.name === "string" && !r.inputs.name.includes("$") ? pipelineComponentOf(r) : undefined;
    if (component !== undefined) rootOfComponent.set(component, r.inputs.name as string);
  }
  const groups = new Map<string, DiffGroup>();
  const groupOf = (r: Pick<PlannedResource, "type" | "inputs"> & Partial<Pick<PlannedResource, "urn">>): DiffGroup => {
    const component = r.urn === undefined ? undefined : pipelineComponentOf(resourceByUrn.get(r.urn));
    const componentRoot = component === undefined ? undefined : rootOfComponent.get(component);
    const taskKey = taskOfResource(r) ?? (componentRoot === undefined ? "" : `$ROOT:${componentRoot}`);
    const pipeline = taskKey === "" ? undefined : pipelineOfResource(r) ?? componentRoot;
    const key = taskKey === "" ? "" : `${taskKey.startsWith("$ROOT:") ? "0" : "1"}\u0000${pipeline}\u0000${taskKey}`;
    let group = groups.get(key);
    if (!group) {
      const task = taskKey === "" ? undefined : taskKey.startsWith("$ROOT:") ? taskKey.slice(6) : taskKey;
      const shown = several && task !== undefined && !taskKey.startsWith("$ROOT:") ? `${pipeline}$${task}` : task;
      const title = taskKey === "" ? OTHER_GROUP : taskKey.startsWith("$ROOT:") ? `Root task ${shown}` : `Task ${shown}`;
      group = { title, task, pipeline, added: [], removed: [], changed: [] };
      groups.set(key, group);
    }
    return group;
  };
  for (const r of diff.added) groupOf(r).added.push(r);
  for (const r of diff.removed) groupOf(r).removed.push(r);
  for (const c of diff.changed) groupOf(resourceByUrn.get(c.urn)!).changed.push(c);
  const rank = (key: string) => (key === "" ? 1 : 0);
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

const PIPELINE_TYPE = "snowflake-ml-pipeline:pipeline:Pipeline";

/** `snowflake:index/task:Task` -> `Task`; `pulumi:providers:snowflake` -> `provider snowflake`. */
export function shortType(type: string): string {
  if (type.startsWith("pulumi:providers:")) return `provider ${type.slice("pulumi:providers:".length)}`;
  return type.slice(type.lastIndexOf(":") + 1);
}

function describe(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return canonicalJson(value);
  } catch {
    return String(value);
  }
}

/** A string holding a JSON object or array (the root task's config, the provider's list inputs), parsed. */
function parsedJson(value: unknown): unknown {
  if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** The key of an array element: `[path]` for files (stable when hashes change), else `[i]`. */
function elementKeys(list: unknown[]): string[] {
  const paths = list.map((e) => (isPlainObject(e) && typeof e.path === "string" ? e.path : undefined));
  const unique = paths.every((p) => p !== undefined) && new Set(paths).size === paths.length;
  return list.map((_, i) => (unique ? `[${paths[i]}]` : `[${i}]`));
}

/** The leaves that differ between two values, as [path suffix, before, after]. */
export function leafChanges(before: unknown, after: unknown, path = ""): [string, unknown, unknown][] {
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null)) return [];
  const [pb, pa] = [parsedJson(before), parsedJson(after)];
  if (pb !== undefined && pa !== undefined) return leafChanges(pb, pa, path);
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => leafChanges(before[k], after[k], `${path}.${k}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const [kb, ka] = [elementKeys(before), elementKeys(after)];
    const mapB = new Map(kb.map((k, i) => [k, before[i]]));
    const mapA = new Map(ka.map((k, i) => [k, after[i]]));
    const keys = [...ka, ...kb.filter((k) => !mapA.has(k))];
    return keys.flatMap((k) => leafChanges(mapB.get(k), mapA.get(k), `${path}${k}`));
  }
  return [[path, before, after]];
}

/** A line diff (jsdiff's diffArrays over the lines): lines prefixed "  ", "- " or "+ ". */
export function lineDiff(before: string, after: string, context = 3): string[] {
  const out: { op: " " | "-" | "+"; line: string }[] = [];
  for (const part of diffArrays(before.split("\n"), after.split("\n"))) {
    const op = part.added ? "+" : part.removed ? "-" : " ";
    for (const line of part.value) out.push({ op, line });
  }
  // Keep `context` unchanged lines around each change; elide longer unchanged runs (of 2 lines or more).
  const near = out.map((_, k) => out.slice(Math.max(0, k - context), k + context + 1).some((o) => o.op !== " "));
  const lines: string[] = [];
  let run: string[] = [];
  const flush = () => {
    lines.push(...(run.length > 1 ? [`  … (${run.length} unchanged lines)`] : run));
    run = [];
  };
  out.forEach((o, k) => {
    if (near[k]) {
      flush();
      lines.push(`${o.op} ${o.line}`);
    } else {
      run.push(`${o.op} ${o.line}`);
    }
  });
  flush();
  return lines;
}

/** Strings longer than this are shown as a line diff rather than on one line. */
const LONG_STRING = 100;

/** The logical name at the end of a URN. */
const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** One changed input, before → after, as text lines (not indented). */
export function renderInputChange(change: InputChange): string[] {
  const { key, before, after } = change;
  if (key === "(dependsOn)" && Array.isArray(before) && Array.isArray(after)) {
    // URNs of two stacks differ in the stack name; show which dependencies come and go, by name.
    const [b, a] = [new Set(before.map((u) => stacklessUrn(String(u)))), new Set(after.map((u) => stacklessUrn(String(u))))];
    return [
      ...[...b].filter((u) => !a.has(u)).map((u) => `dependsOn: - ${urnName(u)}`),
      ...[...a].filter((u) => !b.has(u)).map((u) => `dependsOn: + ${urnName(u)}`),
    ];
  }
  if (typeof before === "string" && typeof after === "string" && parsedJson(before) === undefined) {
    if (before.includes("\n") || after.includes("\n") || before.length > LONG_STRING || after.length > LONG_STRING) {
      return [`${key}:`, ...lineDiff(before, after).map((l) => `    ${l}`)];
    }
  }
  return leafChanges(before, after).map(([path, b, a]) => `${key}${path}: ${describe(b)} → ${describe(a)}`);
}

function resourceLine(mark: string, r: { type: string; name: string }): string {
  return `${mark} ${shortType(r.type)} ${r.name}`;
}

/** The diff as text, `from` (B) → `to` (A). */
export function renderDiffText(diff: PlanDiff, before: Plan, after: Plan, labels: DiffLabels): string {
  const lines = [`Plan diff: what changes from ${labels.from} to ${labels.to} (offline plans: nothing contacted, no credentials used)`, ""];
  const groups = groupDiff(diff, before, after);
  if (groups.length === 0 && diff.outputs.length === 0) lines.push("No changes.", "");
  for (const group of groups) {
    lines.push(group.title);
    for (const r of group.added) lines.push(`  ${resourceLine("+", r)}  (added)`);
    for (const r of group.removed) lines.push(`  ${resourceLine("-", r)}  (removed)`);
    for (const c of group.changed) {
      lines.push(`  ${resourceLine("~", c)}`);
      for (const change of c.changes) lines.push(...renderInputChange(change).map((l) => `      ${l}`));
    }
    lines.push("");
  }
  if (diff.outputs.length > 0) {
    lines.push("Stack outputs");
    for (const change of diff.outputs) lines.push(...renderInputChange(change).map((l) => `  ${l}`));
    lines.push("");
  }
  if (diff.aliased.length > 0) {
    const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
    lines.push(`Found under a former name through its aliases (the same object; Pulumi renames it in the state, nothing in Snowflake): ${diff.aliased.length}`);
    for (const a of diff.aliased) lines.push(`  ${shortType(a.to.slice(a.to.lastIndexOf("::", a.to.lastIndexOf("::") - 1) + 2, a.to.lastIndexOf("::")).split("$").pop()!)} ${name(a.from)} → ${name(a.to)}`);
    lines.push("");
  }
  const unchanged = after.resources.length - diff.added.length - diff.changed.length;
  lines.push(
    `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${unchanged} unchanged ` +
      `(${before.resources.length} resources in ${labels.from}, ${after.resources.length} in ${labels.to})`,
  );
  return `${lines.join("\n")}\n`;
}

/** The diff as one JSON document (for `--json --diff`). */
export function diffJson(diff: PlanDiff, before: Plan, after: Plan, labels: DiffLabels): Record<string, unknown> {
  const brief = (r: PlannedResource) => ({ urn: r.urn, type: r.type, name: r.name, pipeline: pipelineOfResource(r) ?? null, task: groupTask(r), inputs: r.inputs });
  const groupTask = (r: Pick<PlannedResource, "type" | "inputs">) => {
    const t = taskOfResource(r);
    return t === undefined ? null : t.startsWith("$ROOT:") ? t.slice(6) : t;
  };
  const byUrn = new Map([...before.resources, ...after.resources].map((r) => [r.urn, r]));
  return {
    from: labels.from,
    to: labels.to,
    fromStack: before.stack,
    toStack: after.stack,
    summary: {
      added: diff.added.length,
      removed: diff.removed.length,
      changed: diff.changed.length,
      unchanged: after.resources.length - diff.added.length - diff.changed.length,
    },
    added: diff.added.map(brief),
    removed: diff.removed.map(brief),
    changed: diff.changed.map((c) => ({ ...c, pipeline: pipelineOfResource(byUrn.get(c.urn)!) ?? null, task: groupTask(byUrn.get(c.urn)!) })),
    outputs: diff.outputs,
    aliased: diff.aliased,
  };
}
