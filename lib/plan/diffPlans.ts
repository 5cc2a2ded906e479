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
  /**
   * Resources of `after` found under a former URN of `before` through their aliases, as Pulumi
   * finds them: the same object under a new name (compared as one resource, not added and removed).
   */
  aliased: { from: string; to: string }[];
}

/**
 * A URN without its stack (`urn:pulumi:dev::proj::type::name` -> `urn:pulumi:::proj::type::name`), so
 * plans of two stacks (dev and prod) compare resource by resource.
 */
export function stacklessUrn(urn: string): string {
  return urn.replace(/^urn:pulumi:[^:]*::/, "urn:pulumi:::");
}

/**
 * An alias URN in the form the offline plan's URNs have: the SDK's mock monitor qualifies a child's
 * type by its parent's type only (`Parent$Child`), where the engine writes the whole chain
 * (`Grandparent$Parent$Child`); aliases carry the engine's form. Stackless, like stacklessUrn.
 */
function planUrnForm(urn: string): string {
  const parts = stacklessUrn(urn).split("::");
  if (parts.length < 4) return stacklessUrn(urn);
  parts[2] = parts[2].split("$").slice(-2).join("$");
  return parts.join("::");
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
  // A resource whose URN is new but one of whose aliases is a URN of `before` (and not kept by
  // another resource) is that resource renamed, as the engine resolves aliases.
  const previousOf = new Map<string, PlannedResource>();
  const renamed = new Map<string, string>();
  for (const r of after.resources) {
    const key = stacklessUrn(r.urn);
    const same = old.get(key);
    if (same) {
      previousOf.set(key, same);
      continue;
    }
    const alias = (r.aliases ?? []).map(planUrnForm).find((a) => old.has(a) && !now.has(a) && !renamed.has(a));
    if (alias !== undefined) {
      previousOf.set(key, old.get(alias)!);
      renamed.set(alias, key);
    }
  }
  const added = after.resources.filter((r) => !previousOf.has(stacklessUrn(r.urn)));
  const removed = before.resources.filter((r) => !now.has(stacklessUrn(r.urn)) && !renamed.has(stacklessUrn(r.urn)));
  const changed: ResourceChange[] = [];
  const aliased: PlanDiff["aliased"] = [];
  for (const r of after.resources) {
    const previous = previousOf.get(stacklessUrn(r.urn));
    if (!previous) continue;
    if (stacklessUrn(previous.urn) !== stacklessUrn(r.urn)) aliased.push({ from: previous.urn, to: r.urn });
    const changes = changedKeys(previous.inputs, r.inputs);
    const asNow = (urn: string) => renamed.get(stacklessUrn(urn)) ?? stacklessUrn(urn);
    const [depsBefore, depsAfter] = [previous.dependsOn.map(asNow).sort(), r.dependsOn.map(stacklessUrn).sort()];
    if (canonicalJson(depsBefore) !== canonicalJson(depsAfter)) changes.push({ key: "(dependsOn)", before: previous.dependsOn, after: r.dependsOn });
    if (changes.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
  }
  return { added, removed, changed, outputs: changedKeys(before.outputs, after.outputs), aliased };
}

/** Logical names of every resource the diff touches, sorted. */
export function touchedResources(diff: PlanDiff): string[] {
  return [...diff.added, ...diff.removed, ...diff.changed].map((r) => r.name).sort();
}
