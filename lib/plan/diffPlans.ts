import { canonicalJson } from "../canonicalJson";
import { Plan, PlannedResource } from "./mockPlan";

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
}

/** What changes from `before` to `after`, resource by resource and input by input, sorted by URN. */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [r.urn, r]));
  const now = new Map(after.resources.map((r) => [r.urn, r]));
  const added = after.resources.filter((r) => !old.has(r.urn));
  const removed = before.resources.filter((r) => !now.has(r.urn));
  const changed: ResourceChange[] = [];
  for (const r of after.resources) {
    const previous = old.get(r.urn);
    if (!previous) continue;
    const keys = [...new Set([...Object.keys(previous.inputs), ...Object.keys(r.inputs)])].sort();
    const changes = keys
      .filter((k) => canonicalJson(previous.inputs[k] ?? null) !== canonicalJson(r.inputs[k] ?? null))
      .map((k) => ({ key: k, before: previous.inputs[k], after: r.inputs[k] }));
    if (canonicalJson(previous.dependsOn) !== canonicalJson(r.dependsOn)) changes.push({ key: "(dependsOn)", before: previous.dependsOn, after: r.dependsOn });
    if (changes.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
  }
  return { added, removed, changed };
}

/** Logical names of every resource the diff touches, sorted. */
export function touchedResources(diff: PlanDiff): string[] {
  return [...diff.added, ...diff.removed, ...diff.changed].map((r) => r.name).sort();
}
