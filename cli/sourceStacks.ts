import { readStackConfigFiles, StackFileError } from "../lib/config/stackFiles";
import { PROJECT } from "../lib/config/stackSettings";
import { promotionSourceName } from "../lib/promotion";
import { DEFAULT_ORGANIZATION, Plan, planStack, PlanOptions } from "./mockPlan";

/**
 * The offline plan of a stack that promotes from another (`promoteFrom`): the program reads the
 * source stack's outputs through a StackReference, which the mock runtime answers from
 * `stackOutputs`. Here those outputs come from planning the source stack offline first, from the
 * same working tree (so every task is promoted unchanged), or from outputs the caller gives, e.g.
 * the deployed dev stack's `pulumi stack output --json`.
 */

export interface SourcePlanOptions extends PlanOptions {
  /** Outputs of the source stack to use instead of planning it offline. */
  sourceOutputs?: Record<string, unknown>;
}

/** The fully qualified source stack of `stack`, or undefined when it promotes from nothing or its promoteFrom is invalid. */
export function sourceStackOf(options: Pick<PlanOptions, "projectDir" | "stack" | "stackConfig" | "organization">): { name: string; stack: string; project: string } | undefined {
  const files = options.stackConfig ?? readStackConfigFiles(options.projectDir, options.stack);
  const promoteFrom = files.config[`${PROJECT}:promoteFrom`];
  if (promoteFrom === undefined) return undefined;
  let name: string;
  try {
    name = promotionSourceName(promoteFrom, { organization: options.organization ?? DEFAULT_ORGANIZATION, project: files.project, stack: options.stack });
  } catch {
    return undefined; // the program reports it, with the file and key
  }
  const [, project, stack] = name.split("/");
  return { name, stack, project };
}

/**
 * planStack, first planning the stack this one promotes from (recursively) unless its outputs are
 * given. A promotion cycle, or a source stack of another project, is a StackFileError.
 */
export async function planWithSourceStacks(options: SourcePlanOptions, visiting: string[] = []): Promise<Plan> {
  const source = sourceStackOf(options);
  if (!source || options.stackOutputs?.[source.name] !== undefined) return planStack(options);
  let outputs = options.sourceOutputs;
  if (outputs === undefined) {
    const chain = [...visiting, options.stack];
    if (chain.includes(source.stack)) {
      throw new StackFileError(`promoteFrom forms a cycle: ${[...chain, source.stack].join(" -> ")}`);
    }
    const project = (options.stackConfig ?? readStackConfigFiles(options.projectDir, options.stack)).project;
    if (source.project !== project) {
      throw new StackFileError(
        `Pulumi.${options.stack}.yaml promotes from ${source.name}, a stack of another project, which cannot be planned offline here; ` +
          `give its outputs (pulumi stack output --json --stack ${source.name} > outputs.json; --source-outputs outputs.json)`,
      );
    }
    const sourcePlan = await planWithSourceStacks(
      { projectDir: options.projectDir, stack: source.stack, preview: options.preview, organization: options.organization },
      chain,
    );
    outputs = sourcePlan.outputs;
  }
  return planStack({ ...options, stackOutputs: { ...options.stackOutputs, [source.name]: outputs } });
}
