/**
 * The Platform's logical name is the stack's (PLATFORM_NAME), whatever pipelines the stack lists.
 * Stacks deployed before named it after a pipeline, in two layouts:
 *
 *   1. one pipeline per stack: the Platform `<p>` and the stages, compute pool, registry, role
 *      access and sample data were children of the Pipeline `<p>`;
 *   2. several pipelines on a shared platform: the Platform `<p>` at the stack's root, `<p>` being
 *      the logical name of the pipeline listed first (lib/naming pipelineLogicalName).
 *
 * A program cannot read the stack's state, so every resource of the platform gets an alias for each
 * layout and each pipeline the stack lists now; Pulumi takes the alias that exists in the state
 * (https://www.pulumi.com/docs/iac/concepts/resources/options/aliases/). The upgrade rule that
 * follows: the first `pulumi up` with this version must still list the pipeline that was first
 * (README, "Several pipelines in one stack"). Children are named from their parent (`platform-database`
 * under `platform`), so a child's former name is its name with the parent's prefix replaced by the
 * parent's former name, under the parent's former URN, recursively down the tree.
 */
import * as pulumi from "@pulumi/pulumi";

/** The logical name of a stack's one Platform: it names no pipeline, so listing pipelines never renames it. */
export const PLATFORM_NAME = "platform";

export const PIPELINE_TYPE = "snowflake-ml-pipeline:pipeline:Pipeline";
export const PLATFORM_TYPE = "snowflake-ml-pipeline:platform:Platform";

/** Children of the Platform that were the Pipeline's in layout 1. */
const MOVED_TYPES = new Set([
  "snowflake-ml-pipeline:stages:Stages",
  "snowflake-ml-pipeline:access:PipelineRoleAccess",
  "snowflake-ml-pipeline:registry:ModelRegistry",
  "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool",
]);

/** The URN of resource `name` of `type` under the resource `parent` (a URN), or at the stack's root. */
export function urnOf(name: string, type: string, parent?: string): string {
  const prefix = parent === undefined ? `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::` : `${parent.substring(0, parent.lastIndexOf("::"))}$`;
  return `${prefix}${type}::${name}`;
}

interface Former {
  /** The resource's name now. */
  name: string;
  /** Its former names and URNs. */
  olds: { name: string; urn: string }[];
}

/** The former URNs of the platform `name` when the stack lists pipelines with these logical names. */
export function formerPlatformUrns(name: string, pipelineNames: readonly string[]): { name: string; urn: string }[] {
  const current = urnOf(name, PLATFORM_TYPE);
  const olds = [...new Set(pipelineNames)].flatMap((p) => [
    { name: p, urn: urnOf(p, PLATFORM_TYPE) },
    { name: p, urn: urnOf(p, PLATFORM_TYPE, urnOf(p, PIPELINE_TYPE)) },
  ]);
  return olds.filter((o) => o.urn !== current);
}

/**
 * A transformation (applied to the Platform, inherited by its children) that aliases the platform
 * `name` and everything under it to their URNs in layouts 1 and 2, for each of `pipelineNames`
 * (the logical names of the pipelines the stack lists).
 */
export function platformAliases(name: string, pipelineNames: readonly string[]): pulumi.ResourceTransformation {
  const former = new WeakMap<pulumi.Resource, Former>();
  let platform: pulumi.Resource | undefined;
  return (args) => {
    let olds: Former["olds"];
    if (args.type === PLATFORM_TYPE && args.name === name && args.opts.parent === undefined) {
      platform = args.resource;
      olds = formerPlatformUrns(name, pipelineNames);
    } else {
      const parent = args.opts.parent === undefined ? undefined : former.get(args.opts.parent);
      if (parent === undefined) return undefined;
      const rest = args.name.startsWith(parent.name) ? args.name.slice(parent.name.length) : undefined;
      const oldName = (parentName: string) => (rest === undefined ? args.name : `${parentName}${rest}`);
      olds = parent.olds.map((p) => ({ name: oldName(p.name), urn: urnOf(oldName(p.name), args.type, p.urn) }));
      if (args.opts.parent === platform && MOVED_TYPES.has(args.type)) {
        // Layout 1: directly under the pipeline's component.
        for (const p of new Set(parent.olds.map((o) => o.name))) olds.push({ name: oldName(p), urn: urnOf(oldName(p), args.type, urnOf(p, PIPELINE_TYPE)) });
      }
    }
    former.set(args.resource, { name: args.name, olds });
    if (olds.length === 0) return undefined;
    return { props: args.props, opts: pulumi.mergeOptions(args.opts, { aliases: [...new Set(olds.map((o) => o.urn))] }) };
  };
}
