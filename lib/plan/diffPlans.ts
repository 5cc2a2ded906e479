import { canonicalJson } from "../canonicalJson";
import { Plan, PlannedResource } from "./plan";

export interface InputChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  changes: InputChange[];
}

export interface PlanDiff {
  added: PlannedResource[];
  removed: PlannedResource[];
  changed: ResourceChange[];
  /** Stack outputs whose value differs, by output name. */
  outputs: InputChange[];
}

/**
 * A URN without its stack (`urn:pulumi:dev::proj::type::name` -> `urn:pulumi:::proj::type::name`), so
 * plans of two stacks (dev and prod) compare resource by resource.
 */
export function stacklessUrn(urn: string): string {
  return urn.replace(/^urn:pulumi:[^:]*::/, "urn:pulumi:::");
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): InputChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null))
    .map((k) => ({ key: k, before: before[k], after: after[k] }));
}

/**
 * What changes from `before` to `after`, resource by resource and input by input, sorted by URN.
 * Resources are matched by URN without the stack name, so the plans may be of different stacks.
 */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [stacklessUrn(r.urn), r]));
  const now = new Map(after.resources.map((r) => [stacklessUrn(r.urn), r]));
  const added = after.resources.filter((r) => !old.has(stacklessUrn(r.urn)));
  const removed = before.resources.filter((r) => !now.has(stacklessUrn(r.urn)));
  const changed: ResourceChange[] = [];
  for (const r of after.resources) {
    const previous = old.get(stacklessUrn(r.urn));
    if (!previous) continue;
    const changes = changedKeys(previous.inputs, r.inputs);
    const [depsBefore, depsAfter] = [previous.dependsOn.map(stacklessUrn), r.dependsOn.map(stacklessUrn)];
    if (canonicalJson(depsBefore) !== canonicalJson(depsAfter)) changes.push({ key: "(dependsOn)", before: previous.dependsOn, after: r.dependsOn });
    if (changes.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
  }
  return { added, removed, changed, outputs: changedKeys(before.outputs, after.outputs) };
}

/** Logical names of every resource the diff touches, sorted. */
export function touchedResources(diff: PlanDiff): string[] {
  return [...diff.added, ...diff.removed, ...diff.changed].map((r) => r.name).sort();
}
