/**
 * The longest chain of resource operations a plan forces, and a task graph's depth: the two numbers
 * that show a deploy's critical path grows with the graph's depth, not with its size.
 *
 * Operations are the plan's custom resources (components run nothing). An edge is an explicit
 * dependsOn; a dependency on a component stands for every custom resource under it, as Pulumi waits
 * for all of a component's children. In this program every data-flow reference (AFTER edges, the
 * root's name) is also an explicit dependsOn, so these edges are the deploy's ordering. Resource
 * hooks add none.
 */
import { topologicalOrder } from "../graph";
import type { PipelineDefinition } from "../types";
import type { PlannedResource } from "./mockPlan";

/** This program's components are typed `snowflake-ml-pipeline:<module>:<Name>`; the stack is one too. */
export function isComponent(resource: Pick<PlannedResource, "type">): boolean {
  return resource.type.startsWith("snowflake-ml-pipeline:") || resource.type === "pulumi:pulumi:Stack";
}

export interface DependencyChain {
  /** Operations on the longest chain. */
  length: number;
  /** Their logical names, first to last. */
  names: string[];
}

/** The longest chain of operations in a plan (ties: the first found in URN order). */
export function longestDependencyChain(resources: PlannedResource[]): DependencyChain {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) (children.get(r.parent) ?? children.set(r.parent, []).get(r.parent)!).push(r.urn);
  /** The custom resources a dependency on `urn` waits for. */
  const operationsUnder = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    if (!isComponent(r)) return [urn];
    return (children.get(urn) ?? []).flatMap(operationsUnder);
  };
  const best = new Map<string, string[]>();
  const visiting = new Set<string>();
  const chainTo = (urn: string): string[] => {
    const known = best.get(urn);
    if (known) return known;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let longest: string[] = [];
    for (const dep of byUrn.get(urn)!.dependsOn.flatMap(operationsUnder)) {
      const chain = chainTo(dep);
      if (chain.length > longest.length) longest = chain;
    }
    visiting.delete(urn);
    const chain = [...longest, urn];
    best.set(urn, chain);
    return chain;
  };
  let longest: string[] = [];
  for (const r of resources) {
    if (isComponent(r)) continue;
    const chain = chainTo(r.urn);
    if (chain.length > longest.length) longest = chain;
  }
  return { length: longest.length, names: longest.map((urn) => byUrn.get(urn)!.name) };
}

/** Tasks on the graph's longest path, the root counted: a root with one chain of 3 tasks has depth 4. */
export function graphDepth(pipeline: PipelineDefinition): number {
  const depth = new Map<string, number>();
  const specs = new Map(pipeline.tasks.map((t) => [t.name, t]));
  let deepest = 1;
  for (const name of topologicalOrder(pipeline)) {
    const spec = specs.get(name)!;
    // A finalizer runs after the whole graph: one level below its deepest task.
    const before = spec.finalizer ? [...depth.values()] : (spec.after ?? []).map((p) => depth.get(p)!);
    const d = 1 + Math.max(1, ...before);
    depth.set(name, d);
    deepest = Math.max(deepest, d);
  }
  return deepest;
}
