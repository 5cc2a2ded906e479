import * as pulumi from "@pulumi/pulumi";
import { artifactShas, PipelineArtifacts } from "../lib/artifacts";
import { ResolvedConfiguration, sqlTemplateVariables } from "../lib/config/resolveConfiguration";
import { sampleDataDirectory, sampleDataLocation } from "../lib/naming";
import { taskGraphDefinition } from "../lib/tasks/taskDefinitions";
import { pipelineGrants } from "../lib/pipelineGrants";
import { ModelRegistry } from "./modelRegistry";
import { PipelineRoleAccess } from "./pipelineRoleAccess";
import { Platform } from "./platform";
import { ComputePool } from "./providers/computePool";
import { GraphActivation } from "./providers/graphActivation";
import { StagedFiles } from "./providers/stagedFiles";
import { Stages } from "./stages";
import { TaskGraph } from "./taskGraph";

export interface PipelineArgs {
  /** Validated stack settings and pipeline definition (lib/config/resolveConfiguration). */
  configuration: ResolvedConfiguration;
  /** Built task bundles, job payloads and sample data (lib/artifacts). */
  artifacts: PipelineArtifacts;
  /**
   * Hooks for the graph's task operations (components/deploy/taskHooks.ts), given the graph's
   * logical name, root and declared state; `pulumi up` passes them, the offline plan cannot.
   */
  taskOperationHooks?: (graph: { name: string; rootTask: string; started: boolean }) => pulumi.ResourceHookBinding;
}

/** What the stack exports. */
export interface PipelineOutputs {
  rootTask: string;
  tasks: Record<string, string>;
  stages: Record<string, string>;
  bundleSha256: Record<string, string>;
  payloadSha256: Record<string, string>;
  computePool: string;
  registrySchema: string;
  warehouse: string;
  schedule: string;
  started: boolean;
}

export { pipelineLogicalName } from "../lib/naming";

/** The whole ML pipeline on Snowflake: platform, stages, compute pool, registry and task graph. */
export class Pipeline extends pulumi.ComponentResource {
  readonly platform: Platform;
  readonly stages: Stages;
  readonly computePool: ComputePool;
  readonly registry: ModelRegistry;
  readonly sampleData?: StagedFiles;
  readonly access?: PipelineRoleAccess;
  readonly graph: TaskGraph;
  readonly activation: GraphActivation;
  readonly outputs: PipelineOutputs;

  constructor(name: string, args: PipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:pipeline:Pipeline", name, {}, opts);
    const { settings, pipeline, names } = args.configuration;
    const { artifacts } = args;

    this.platform = new Platform(
      name,
      { database: names.database, schema: names.schema, dataSchema: names.dataSchema, warehouse: settings.warehouse },
      { parent: this },
    );
    this.stages = new Stages(name, { database: names.database, schema: names.schema }, { parent: this, dependsOn: [this.platform.pipelineSchema] });
    this.computePool = new ComputePool(
      `${name}-compute-pool`,
      {
        name: settings.computePool.name,
        instanceFamily: settings.computePool.instanceFamily,
        minNodes: settings.computePool.minNodes,
        maxNodes: settings.computePool.maxNodes,
        autoSuspendSecs: settings.computePool.autoSuspendSecs,
        autoResume: settings.computePool.autoResume ?? true,
        comment: `ML Jobs of ${pipeline.name} (snowflake-ml-pipeline)`,
      },
      { parent: this },
    );
    this.registry = new ModelRegistry(
      name,
      { database: names.database, registrySchema: names.registrySchema },
      { parent: this, dependsOn: [this.platform.database] },
    );
    if (settings.pipelineRole) {
      this.access = new PipelineRoleAccess(
        name,
        {
          role: settings.pipelineRole,
          grants: pipelineGrants({ names, notificationIntegration: settings.notificationIntegration, errorIntegration: settings.errorIntegration }),
          grantedObjects: [this.platform, this.stages, this.computePool, this.registry],
        },
        { parent: this },
      );
    }

    let sampleDataFile: string | undefined;
    if (artifacts.sampleData) {
      this.sampleData = new StagedFiles(
        `${name}-sample-data`,
        { stage: names.stageFqn.data, directory: sampleDataDirectory(artifacts.sampleData.sha256), files: [artifacts.sampleData.file] },
        { parent: this, dependsOn: [this.stages.data] },
      );
      sampleDataFile = sampleDataLocation(names, artifacts.sampleData.sha256, artifacts.sampleData.file.path);
    }

    const definition = taskGraphDefinition({
      pipeline,
      names,
      root: {
        schedule: args.configuration.schedule,
        started: settings.started,
        allowOverlappingExecution: settings.allowOverlappingExecution ?? false,
        timeoutMs: settings.taskTimeoutMs,
        retries: settings.taskRetries,
        suspendAfterFailures: settings.suspendAfterFailures,
        errorIntegration: settings.errorIntegration,
        graphConfig: settings.graphConfig,
      },
      artifacts,
      sampleDataFile,
      sqlVariables: sqlTemplateVariables(settings, names),
    });
    this.graph = new TaskGraph(
      name,
      {
        database: names.database,
        schema: names.schema,
        definition,
        prerequisites: [this.platform, this.stages, this.computePool, this.registry, ...(this.sampleData ? [this.sampleData] : [])],
        operationHooks: args.taskOperationHooks?.({ name, rootTask: names.rootTaskFqn, started: settings.started }),
      },
      { parent: this },
    );

    // Inputs are the root and its declared state only, and it depends on the TaskGraph component
    // (which waits for every task in it), so adding or editing a task changes neither its inputs
    // nor its dependencies. The alias keeps the URN it had as the TaskGraph's child.
    this.activation = new GraphActivation(
      `${name}-activation`,
      { rootTask: names.rootTaskFqn, started: settings.started },
      { parent: this, dependsOn: [this.graph], aliases: [{ parent: this.graph }] },
    );

    const stageUri = (fqn: string) => `@${fqn}`;
    this.outputs = {
      rootTask: names.rootTaskFqn,
      tasks: Object.fromEntries(pipeline.tasks.map((t) => [t.name, names.taskFqn(t.name)])),
      stages: {
        code: stageUri(names.stageFqn.code),
        job: stageUri(names.stageFqn.job),
        artifact: stageUri(names.stageFqn.artifact),
        data: stageUri(names.stageFqn.data),
      },
      ...artifactShas(artifacts),
      computePool: names.computePool,
      registrySchema: names.registrySchemaFqn,
      warehouse: names.warehouse,
      schedule: settings.schedule === undefined ? "manual" : String(settings.schedule),
      started: settings.started,
    };
    this.registerOutputs({ ...this.outputs });
  }
}
