import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { parsePythonSources } from "./build/pythonSources";
import { Pipeline, PipelineOutputs } from "./components/pipeline";
import { buildPipelineCode } from "./components/pipelineCode";
import { Platform } from "./components/platform";
import { PLATFORM_NAME, platformAliases } from "./components/platformAliases";
import { BRIDGED_TYPES_USED, previewFeaturesFor } from "./components/previewFeatures";
import { artifactShas, PipelineArtifacts } from "./lib/artifacts";
import { ConfigurationError, resolveConfiguration, ResolvedConfiguration, ResolvedPipeline } from "./lib/config/resolveConfiguration";
import { PROJECT } from "./lib/config/stackSettings";
import { pipelineLogicalName } from "./lib/naming";
import { deployedPlatform, platformMoveProblems } from "./lib/deploy/platformMove";
import { runsUnderMocks } from "./components/deploy/taskHooks";
import { decidePromotion, OVERRIDE_KEY, PromotionStatus, promotionSourceName, refusedTasks, stackLabel } from "./lib/promotion";
import { snowflakeProviderArgs } from "./snowflake/settings";

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

/** One pipeline's stack outputs (docs/design.md "Stack outputs"). */
export interface PipelineStackOutputs extends PipelineOutputs {
  /** Present when the stack promotes from another (promoteFrom): which tasks run the source's code. */
  promotion?: PromotionStatus;
}

/** What the stack exports: every pipeline by name, the shared platform, and a single pipeline's entries at the top level. */
export interface StackOutputs extends Partial<PipelineStackOutputs> {
  pipelines: Record<string, PipelineStackOutputs>;
  stages: Record<string, string>;
  computePool: string;
  registrySchema: string;
  warehouse: string;
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

type Code = Pick<PipelineArtifacts, "bundles" | "payloads">;

/**
 * Refuses a change of the database or pipeline schema of a deployed stack (lib/deploy/platformMove.ts),
 * before anything is sent. Reads the stack's own last outputs through a StackReference, under a real
 * engine only: the offline plan has no deployed stack.
 */
async function checkPlatformNotMoved(configuration: ResolvedConfiguration): Promise<void> {
  if (runsUnderMocks()) return;
  const self = new pulumi.StackReference("deployed-platform", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
  const [registrySchema, stages] = await Promise.all(["registrySchema", "stages"].map(async (name) => (await self.getOutputDetails(name)).value));
  const { settings } = configuration;
  const problems = platformMoveProblems(deployedPlatform({ registrySchema, stages }), { database: settings.database, schema: settings.schema }, configuration.stackFile, PROJECT);
  if (problems.length > 0) throw new ConfigurationError(problems);
}

/**
 * Reads the source stack's bundle SHAs through a StackReference and compares them with the ones
 * built here, pipeline by pipeline. Awaited before the first resource is registered, so a refusal
 * (PromotionRefusedError, naming the tasks and the override key) fails `pulumi preview` and
 * `pulumi up` with nothing changed.
 */
async function checkPromotion(from: string, built: { pipeline: ResolvedPipeline; code: Code }[], allowUnpromotedCode: boolean): Promise<Map<string, PromotionStatus>> {
  const source = new pulumi.StackReference(from);
  const value = async (name: string) => {
    const details = await source.getOutputDetails(name);
    return details.value ?? details.secretValue;
  };
  const [pipelines, bundles, payloads] = await Promise.all([value("pipelines"), value("bundleSha256"), value("payloadSha256")]);
  const statuses = new Map<string, PromotionStatus>();
  for (const { pipeline, code } of built) {
    const name = pipeline.definition.name;
    // A source from before several pipelines existed exports one pipeline's hashes at the top level.
    const own = (pipelines as Record<string, { bundleSha256?: unknown; payloadSha256?: unknown }> | undefined)?.[name];
    const sourceOutputs = pipelines === undefined ? { bundleSha256: bundles, payloadSha256: payloads } : { bundleSha256: own?.bundleSha256, payloadSha256: own?.payloadSha256 };
    const status = decidePromotion({ from, local: artifactShas({ ...code }), sourceOutputs, allowUnpromotedCode, pipeline: built.length > 1 ? name : undefined });
    if (status.overridden) {
      void pulumi.log.warn(`${OVERRIDE_KEY} is set: deploying code ${stackLabel(from)} has not run for ${name}: ${refusedTasks(status).join(", ")}`);
    }
    statuses.set(name, status);
  }
  return statuses;
}

/**
 * Loads and validates the configuration (throwing, with every problem, before anything is
 * registered), builds the code of every pipeline, checks promotion, then registers the shared
 * platform and the pipelines. `opts` lets the offline plan attach its recorder; `pulumi up` passes
 * nothing.
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
  const { settings } = configuration;
  const promoteFrom = promotionSource(configuration);
  const built: { pipeline: ResolvedPipeline; code: Code }[] = [];
  for (const pipeline of configuration.pipelines) {
    built.push({ pipeline, code: await buildPipelineCode({ projectDir, codeRoot: pipeline.codeRoot, pipeline: pipeline.definition, python: pipeline.python }) });
  }
  const promotion = promoteFrom === undefined ? undefined : await checkPromotion(promoteFrom, built, settings.allowUnpromotedCode);
  await checkPlatformNotMoved(configuration);

  const provider = snowflakeProvider({ transformations: opts.transformations });
  const withProvider = { ...opts, providers: [provider] };
  // The platform is the stack's: its name does not depend on the pipelines listed. Aliases keep the
  // objects of a stack that named it after its first pipeline (components/platformAliases.ts).
  const formerNames = configuration.pipelines.map((p) => pipelineLogicalName(p.definition.name));
  const platform = new Platform(
    PLATFORM_NAME,
    {
      database: settings.database,
      schema: settings.schema,
      dataSchema: settings.dataSchema,
      registrySchema: settings.registrySchema,
      warehouse: settings.warehouse,
      computePool: settings.computePool,
      pipelineRole: settings.pipelineRole,
      notificationIntegration: settings.notificationIntegration,
      errorIntegration: settings.errorIntegration,
    },
    { ...withProvider, transformations: [...(opts.transformations ?? []), platformAliases(PLATFORM_NAME, formerNames)] },
  );
  const pipelines: Record<string, PipelineStackOutputs> = {};
  for (const { pipeline, code } of built) {
    const name = pipeline.definition.name;
    const component = new Pipeline(
      pipelineLogicalName(name),
      {
        definition: pipeline.definition,
        codeRoot: pipeline.codeRoot,
        projectDir,
        platform,
        schedule: settings.pipelineSettings[name]?.schedule ?? settings.schedule,
        started: pipeline.root.started,
        graphConfig: pipeline.root.graphConfig,
        sourceTable: pipeline.sourceTable,
        sampleData: pipeline.sampleData?.path !== undefined,
        taskTimeoutMs: settings.taskTimeoutMs,
        taskRetries: settings.taskRetries,
        suspendAfterFailures: settings.suspendAfterFailures,
        allowOverlappingExecution: settings.allowOverlappingExecution,
        errorIntegration: settings.errorIntegration,
        notificationIntegration: settings.notificationIntegration,
        modelMonitor: settings.modelMonitor,
        code,
      },
      withProvider,
    );
    const status = promotion?.get(name);
    pipelines[name] = { ...(await component.ready), ...(status ? { promotion: status } : {}) };
  }
  const stageUri = (fqn: string) => `@${fqn}`;
  const names = platform.names;
  const only = configuration.pipelines.length === 1 ? pipelines[configuration.pipelines[0].definition.name] : {};
  return {
    ...only,
    pipelines,
    stages: { code: stageUri(names.stageFqn.code), job: stageUri(names.stageFqn.job), artifact: stageUri(names.stageFqn.artifact), data: stageUri(names.stageFqn.data) },
    computePool: names.computePool,
    registrySchema: names.registrySchemaFqn,
    warehouse: names.warehouse,
  };
}
