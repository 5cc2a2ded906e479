import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { engineSupportsHooks, taskOperationGuards, taskOperationHooks } from "./components/deploy/taskHooks";
import { Pipeline, PipelineArgs, pipelineLogicalName, PipelineOutputs } from "./components/pipeline";
import { connectionSettingsFromConfig, openSession } from "./snowflake";
import { BRIDGED_TYPES_USED, previewFeaturesFor } from "./components/previewFeatures";
import { parsePythonSources } from "./build/pythonSources";
import { artifactShas, buildPipelineArtifacts } from "./lib/artifacts";
import { ConfigurationError, resolveConfiguration, ResolvedConfiguration } from "./lib/config/resolveConfiguration";
import { PROJECT } from "./lib/config/stackSettings";
import { snowflakeProviderArgs } from "./snowflake/settings";
import { ArtifactShas, decidePromotion, OVERRIDE_KEY, PromotionStatus, promotionSourceName, refusedTasks, stackLabel } from "./lib/promotion";

/** The project directory: where Pulumi.yaml is, and where `pulumi` runs the program. */
export const PROJECT_DIR = __dirname;

/** Which config keys the engine marked secret (the SDK keeps this check internal). */
function secretConfigKeys(keys: string[]): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internal = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return new Set(keys.filter((k) => internal.isConfigSecret?.(k) === true));
}

/**
 * The explicit Snowflake provider. Credentials come from the `snowflake:` stack config through the
 * one settings table (snowflake/settings.ts; secrets stay Outputs marked secret) or, when absent
 * there, from the provider's own SNOWFLAKE_* environment variables. An explicit provider ignores snowflake:* config such as
 * previewFeaturesEnabled, so the preview features are passed here, computed from the types used.
 */
function snowflakeProvider(opts: pulumi.CustomResourceOptions): snowflake.Provider {
  const args = snowflakeProviderArgs(new pulumi.Config("snowflake"));
  return new snowflake.Provider("snowflake", { ...args, previewFeaturesEnabled: previewFeaturesFor(BRIDGED_TYPES_USED) }, opts);
}

/**
 * The task-operation hooks (components/deploy/taskHooks.ts), or none when the engine cannot run
 * hooks (the SDK's mock runtime of the offline plan and unit tests). They reach Snowflake through
 * snowflake-sdk with the `snowflake:*` stack config (secrets decrypted in this process only, never
 * in an input, the state or a log) and SNOWFLAKE_* variables as fallbacks.
 */
function taskOperationHooksFor(config: Record<string, string>): PipelineArgs["taskOperationHooks"] {
  if (!engineSupportsHooks()) return undefined;
  const settings = () => connectionSettingsFromConfig({ get: (key: string) => config[key] }, process.env);
  const guards = taskOperationGuards(() => openSession(settings()));
  return (graph) => taskOperationHooks(graph.name, guards(graph));
}

/** What the stack exports: the pipeline's outputs, plus the promotion status when it promotes. */
export interface StackOutputs extends PipelineOutputs {
  /** Present when the stack promotes from another (promoteFrom): which tasks run the source's code. */
  promotion?: PromotionStatus;
}

/** The fully qualified stack to promote from, checked before anything is built or registered. */
function promotionSource(configuration: ResolvedConfiguration): string | undefined {
  const promoteFrom = configuration.settings.promoteFrom;
  if (promoteFrom === undefined) return undefined;
  try {
    return promotionSourceName(promoteFrom, { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() });
  } catch (error) {
    throw new ConfigurationError([{ file: configuration.stackFile, path: `${PROJECT}:promoteFrom`, message: (error as Error).message }]);
  }
}

/**
 * Reads the source stack's bundle SHAs through a StackReference and compares them with the ones
 * built here. Awaited before the first pipeline resource is registered, so a refusal
 * (PromotionRefusedError, naming the tasks and the override key) fails `pulumi preview` and
 * `pulumi up` with nothing changed.
 */
async function checkPromotion(from: string, local: ArtifactShas, allowUnpromotedCode: boolean): Promise<PromotionStatus> {
  const source = new pulumi.StackReference(from);
  const [bundles, payloads] = await Promise.all([source.getOutputDetails("bundleSha256"), source.getOutputDetails("payloadSha256")]);
  const status = decidePromotion({
    from,
    local,
    sourceOutputs: { bundleSha256: bundles.value ?? bundles.secretValue, payloadSha256: payloads.value ?? payloads.secretValue },
    allowUnpromotedCode,
  });
  if (status.overridden) {
    const tasks = refusedTasks(status);
    void pulumi.log.warn(`${OVERRIDE_KEY} is set: deploying code ${stackLabel(from)} has not run for ${tasks.join(", ")}`);
  }
  return status;
}

/**
 * Loads and validates the configuration (throwing, with every problem, before anything is
 * registered), builds the code artifacts, then registers the pipeline. `opts` lets the offline
 * plan attach its recorder; `pulumi up` passes nothing.
 */
export async function buildStack(opts: pulumi.ComponentResourceOptions = {}, projectDir: string = PROJECT_DIR): Promise<StackOutputs> {
  const config = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).filter(([k]) => k.includes(":")));
  const configuration = resolveConfiguration({
    projectDir,
    stack: pulumi.getStack(),
    config,
    secretKeys: secretConfigKeys(Object.keys(config)),
    parsePython: parsePythonSources,
  });
  for (const warning of configuration.warnings) void pulumi.log.warn(warning);
  const promoteFrom = promotionSource(configuration);
  const artifacts = await buildPipelineArtifacts({
    projectDir,
    codeRoot: configuration.codeRoot,
    pipeline: configuration.pipeline,
    sampleData: configuration.settings.sampleData,
    python: configuration.python,
  });
  const promotion =
    promoteFrom === undefined
      ? undefined
      : await checkPromotion(
          promoteFrom,
          artifactShas(artifacts),
          configuration.settings.allowUnpromotedCode === true,
        );
  const provider = snowflakeProvider({ transformations: opts.transformations });
  const pipeline = new Pipeline(pipelineLogicalName(configuration.pipeline.name), { configuration, artifacts, taskOperationHooks: taskOperationHooksFor(config) }, {
    ...opts,
    providers: [provider],
  });
  return promotion ? { ...pipeline.outputs, promotion } : pipeline.outputs;
}
