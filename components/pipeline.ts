import * as pulumi from "@pulumi/pulumi";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { artifactShas, PipelineArtifacts } from "../lib/artifacts";
import { parsePythonSources } from "../build/pythonSources";
import { pythonProblems } from "../lib/bundle/pythonChecks";
import { PythonSources } from "../lib/bundle/pythonImports";
import { graphConfigProblems } from "../lib/config/graphConfigSchema";
import { ConfigurationError, dataQualitySourceProblems, pipelineDataSettings, pipelineSemanticProblems, rootSettingsProblems, sqlTemplateVariables } from "../lib/config/resolveConfiguration";
import { readPipelineDefinition } from "../lib/config/pipelineFile";
import { schemaProblems } from "../lib/config/schemaProblems";
import { identifierProblem } from "../lib/identifiers";
import { PipelineNames, pipelineNamesOn, PlatformNames, sampleDataDirectory, sampleDataLocation } from "../lib/naming";
import { TaskScheduleSpec } from "../lib/schedule";
import { RootSettings, taskGraphDefinition } from "../lib/tasks/taskDefinitions";
import { ConfigProblem, GraphConfig, PipelineDefinition } from "../lib/types";
import { deploySafety, pulumiVersionProblems } from "./deploy/taskHooks";
import { Platform } from "./platform";
import { GraphActivation } from "./providers/graphActivation";
import { DataQualityExpectations } from "./providers/dataQualityExpectations";
import { attachedExpectations, DEFAULT_DMF_SCHEDULE } from "../lib/dataQuality";
import { modelMonitorProblems, monitorGraphConfig, type ModelMonitorSettings } from "../lib/monitoring";
import { buildPipelineCode, buildSampleData } from "./pipelineCode";
import { StagedFiles } from "./providers/stagedFiles";
import { TaskGraph } from "./taskGraph";

export { pipelineLogicalName } from "../lib/naming";

/** Platform objects that exist already, by name (nothing is created for them). */
export interface ExistingPlatform {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: string;
  computePool: string;
  /** Maximum instances of the pool: ML Jobs may not ask for more. */
  computePoolMaxNodes: number;
}

/** The contract of the Pipeline component: one task graph on a platform. */
export interface PipelineArgs {
  /**
   * The pipeline definition: the path of its pipeline.yaml (absolute, or relative to `projectDir`;
   * entrypoints are relative to its folder), or the definition itself (then give `codeRoot`).
   */
  definition: string | PipelineDefinition;
  /** Folder the entrypoints and payloads are relative to. Default: the definition file's folder. */
  codeRoot?: string;
  /**
   * The directory `pulumi` runs the program in (where Pulumi.yaml is). Relative paths are resolved
   * against it, and built bundles are written to its `.build/` and uploaded from there.
   */
  projectDir: string;
  /** The platform the pipeline runs on: a Platform this program creates, or existing objects by name. */
  platform: Platform | ExistingPlatform;
  /** `1d`, `12h`, `30m`, a number of days, or a cron expression with a time zone. None: manual runs only. */
  schedule?: string | number;
  /** Resume the schedule after deploy (needs a schedule). Default false: the graph runs on EXECUTE TASK. */
  started?: boolean;
  /** Values laid over the definition's `config`. */
  graphConfig?: GraphConfig;
  /** The table in the platform's dataSchema the pipeline reads (graph config `source_table`). Default: the definition's `sourceTable`; none, no key. */
  sourceTable?: string;
  /**
   * Stage the definition's `sampleData` file (under `<PIPELINE>/sample/<sha256>/` on the data stage)
   * and tell the code where it is (`sample_data_file`). Default false. A definition without
   * `sampleData` gets no sample keys at all.
   */
  sampleData?: boolean;
  /** Root task settings. */
  taskTimeoutMs?: number;
  taskRetries?: number;
  suspendAfterFailures?: number;
  allowOverlappingExecution?: boolean;
  errorIntegration?: string;
  /** Notification integration a SQL task may use as ${notificationIntegration}; model monitor alerts notify through it. */
  notificationIntegration?: string;
  /** The model monitor PROMOTE_MODEL moves to each promoted version (lib/monitoring); needs notificationIntegration. */
  modelMonitor?: ModelMonitorSettings;
  /** Already built code (bundles and payloads by task), e.g. to compare it before anything is registered; built when absent. */
  code?: Pick<PipelineArtifacts, "bundles" | "payloads">;
}

/** What the component exports, per pipeline. */
export interface PipelineOutputs {
  rootTask: string;
  tasks: Record<string, string>;
  bundleSha256: Record<string, string>;
  payloadSha256: Record<string, string>;
  schedule: string;
  started: boolean;
}

/** A pipeline's args, validated, with defaults filled in. */
export interface ValidatedPipeline {
  definition: PipelineDefinition;
  codeRoot: string;
  names: PipelineNames;
  root: RootSettings;
  scheduleText: string;
  sqlVariables: Record<string, string | undefined>;
  /** The stack's model monitor as root CONFIG keys, when it declares one. */
  monitorConfig?: GraphConfig;
  maxNodes: number;
  /** Present when the definition has sample data; `path` (absolute) when it is staged. */
  sampleData?: { path?: string };
  /** The code folder's Python, parsed; undefined when the code was given already built. */
  python?: PythonSources;
  /** Problems that do not stop the plan (a third-party import no listed package provides). */
  warnings: string[];
}

function isPlatform(platform: Platform | ExistingPlatform): platform is Platform {
  return platform instanceof Platform;
}

/** The platform's names, whether it is created here or exists. */
function platformOf(platform: Platform | ExistingPlatform): { names: PlatformNames; maxNodes: number } {
  if (isPlatform(platform)) return { names: platform.names, maxNodes: platform.maxNodes };
  const fq = (...parts: string[]) => parts.join(".");
  const db = platform.database;
  const stage = (s: string) => fq(db, platform.schema, s);
  return {
    names: {
      database: db,
      schema: platform.schema,
      dataSchema: platform.dataSchema,
      registrySchema: platform.registrySchema,
      warehouse: platform.warehouse,
      computePool: platform.computePool,
      stages: { code: "CODE_STAGE", job: "JOB_STAGE", artifact: "ARTIFACT_STAGE", data: "DATA_STAGE" },
      stageFqn: { code: stage("CODE_STAGE"), job: stage("JOB_STAGE"), artifact: stage("ARTIFACT_STAGE"), data: stage("DATA_STAGE") },
      registrySchemaFqn: fq(db, platform.registrySchema),
      dataSchemaFqn: fq(db, platform.dataSchema),
    },
    maxNodes: platform.computePoolMaxNodes,
  };
}

/**
 * Validates a Pipeline's args with the validators `npm run plan` uses, and fills in the defaults.
 * Throws ConfigurationError (every problem at once) before anything is registered.
 */
export function validatePipelineArgs(name: string, args: PipelineArgs): ValidatedPipeline {
  const label = `Pipeline "${name}"`;
  const problems: ConfigProblem[] = [];
  if (!isAbsolute(args.projectDir)) problems.push({ file: label, path: "projectDir", message: `expected an absolute directory, got "${args.projectDir}"` });
  else problems.push(...pulumiVersionProblems(args.projectDir).map((message) => ({ file: label, path: "projectDir", message })));
  let definition: PipelineDefinition | undefined;
  let codeRoot: string | undefined;
  let file = label;
  if (typeof args.definition === "string") {
    const path = resolve(args.projectDir, args.definition);
    file = args.definition;
    const read = readPipelineDefinition(path, file);
    problems.push(...read.problems);
    definition = read.definition;
    codeRoot = args.codeRoot ?? dirname(path);
  } else {
    const schema = schemaProblems("pipeline.schema.json", args.definition, label, "definition");
    problems.push(...schema);
    if (schema.length === 0) definition = { ...args.definition, config: args.definition.config ?? {} };
    if (args.codeRoot === undefined) problems.push({ file: label, path: "codeRoot", message: "expected the folder the entrypoints are relative to, with a definition object" });
    codeRoot = args.codeRoot === undefined ? undefined : resolve(args.projectDir, args.codeRoot);
  }
  if (!definition || codeRoot === undefined) throw new ConfigurationError(problems);

  const platform = platformOf(args.platform);
  const data = pipelineDataSettings(
    { sourceTable: args.sourceTable, sampleData: args.sampleData ?? false, pipelineSettings: {} },
    args.sourceTable === undefined ? definition : { ...definition, sourceTable: args.sourceTable },
    codeRoot,
    { definition: file, stack: label, shownFrom: args.projectDir },
  );
  problems.push(...data.problems);
  problems.push(...dataQualitySourceProblems(definition, data, file, args.projectDir));
  const tableProblem = args.sourceTable === undefined ? undefined : identifierProblem(args.sourceTable);
  if (tableProblem) problems.push({ file: label, path: "sourceTable", message: tableProblem });
  const names = pipelineNamesOn(platform.names, definition, data.sourceTable);
  const sqlVariables = sqlTemplateVariables({ notificationIntegration: args.notificationIntegration }, names);
  problems.push(...pipelineSemanticProblems(definition, { maxTargetInstances: platform.maxNodes, sqlVariables }, codeRoot, file, args.projectDir));
  const started = args.started ?? false;
  const graphConfig = args.graphConfig ?? {};
  const checked = rootSettingsProblems({ schedule: args.schedule, started }, label, { schedule: "schedule", started: "started" });
  if (args.modelMonitor) problems.push(...modelMonitorProblems(args.modelMonitor, args.notificationIntegration, label, "modelMonitor"));
  problems.push(...checked.problems);
  problems.push(
    ...graphConfigProblems(definition, file, [
      { values: definition.config, file, at: "config", label: "config" },
      { values: graphConfig, file: label, at: "graphConfig", label: "the graphConfig arg" },
    ]),
  );
  // Parsed here only when the component builds the code itself; a caller that gives `code` built
  // it from Python it parsed and checked (program.ts through resolveConfiguration).
  let python: PythonSources | undefined;
  const warnings: string[] = [];
  if (args.code === undefined && problems.length === 0) {
    python = parsePythonSources(codeRoot, definition.runtime);
    const checks = pythonProblems(definition, python, codeRoot, relative(args.projectDir, codeRoot), file);
    problems.push(...checks.problems);
    warnings.push(...checks.warnings);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  const schedule: TaskScheduleSpec | undefined = checked.schedule;
  return {
    definition,
    codeRoot,
    names,
    maxNodes: platform.maxNodes,
    sampleData: data.sampleData,
    sqlVariables,
    monitorConfig: args.modelMonitor && args.notificationIntegration ? monitorGraphConfig(args.modelMonitor, args.notificationIntegration) : undefined,
    python,
    warnings,
    scheduleText: args.schedule === undefined ? "manual" : String(args.schedule),
    root: {
      schedule,
      started,
      graphConfig,
      allowOverlappingExecution: args.allowOverlappingExecution ?? false,
      timeoutMs: args.taskTimeoutMs,
      retries: args.taskRetries,
      suspendAfterFailures: args.suspendAfterFailures,
      errorIntegration: args.errorIntegration,
    },
  };
}

/**
 * One ML pipeline on Snowflake: its task graph (root task with schedule and CONFIG, one task per
 * step, staged bundles and ML Job payloads, the activation check) on a shared Platform.
 *
 * The args are validated at the top of the constructor, so a program gets the same errors as
 * `npm run plan`. Without `code`, the bundles are built asynchronously and the tasks registered
 * once they are; `ready` resolves to the outputs then.
 */
export class Pipeline extends pulumi.ComponentResource {
  readonly definition: PipelineDefinition;
  readonly names: PipelineNames;
  /** Resolves to the outputs once every child is registered. */
  readonly ready: Promise<PipelineOutputs>;
  /** The outputs, as an Output for other resources. */
  readonly outputs: pulumi.Output<PipelineOutputs>;
  /** The task graph; undefined until the code is built when `code` was not given. */
  graph?: TaskGraph;
  /** The post-deploy check of the graph's started/suspended state. */
  activation?: GraphActivation;
  /** The source's data-quality expectations, when the definition declares dataQuality. */
  dataQuality?: DataQualityExpectations;
  /** The staged sample data, when `sampleData` is true. */
  readonly sampleData?: StagedFiles;

  constructor(name: string, args: PipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    const model = validatePipelineArgs(name, args);
    // Deploy safety is the component's own (components/deploy/taskHooks.ts): it throws here, before
    // anything is registered, when the engine cannot run the hooks.
    const safety = deploySafety();
    safety?.registerLegacyNames(name);
    super("snowflake-ml-pipeline:pipeline:Pipeline", name, {}, opts);
    for (const warning of model.warnings) void pulumi.log.warn(warning, this);
    this.definition = model.definition;
    this.names = model.names;
    let sampleDataFile: string | undefined;
    if (model.sampleData?.path !== undefined) {
      const sample = buildSampleData(args.projectDir, model.sampleData.path);
      this.sampleData = new StagedFiles(
        `${name}-sample-data`,
        { stage: model.names.stageFqn.data, directory: sampleDataDirectory(model.names.rootTask, sample.sha256), files: [sample.file] },
        { parent: this, dependsOn: isPlatform(args.platform) ? [args.platform.stages.data] : [] },
      );
      sampleDataFile = sampleDataLocation(model.names, sample.sha256, sample.file.path);
    }
    const register = (code: Pick<PipelineArtifacts, "bundles" | "payloads">): PipelineOutputs => {
      const definition = taskGraphDefinition({
        pipeline: model.definition,
        names: model.names,
        root: model.root,
        artifacts: code,
        sampleData: model.sampleData === undefined ? undefined : { file: sampleDataFile },
        sqlVariables: model.sqlVariables,
        monitorConfig: model.monitorConfig,
      });
      const prerequisites = [...(isPlatform(args.platform) ? args.platform.prerequisites : []), ...(this.sampleData ? [this.sampleData] : [])];
      const quality = model.definition.dataQuality;
      const source = model.names.sourceTableFqn;
      if (quality && source !== undefined) {
        // Custom metrics live in the pipeline's schema, named <PIPELINE>_<EXPECTATION>; validatePipelineArgs
        // refuses dataQuality without a source table (dataQualitySourceProblems).
        this.dataQuality = new DataQualityExpectations(
          `${name}-data-quality`,
          {
            source,
            schedule: quality.schedule ?? DEFAULT_DMF_SCHEDULE,
            expectations: attachedExpectations(quality, model.names.rootTask, `${model.names.database}.${model.names.schema}`),
          },
          { parent: this, dependsOn: prerequisites },
        );
      }
      const graph = new TaskGraph(
        name,
        { database: model.names.database, schema: model.names.schema, definition, prerequisites, operationHooks: safety?.hooks },
        { parent: this },
      );
      this.graph = graph;
      safety?.declare(
        { rootTask: model.names.rootTaskFqn, started: model.root.started, tasks: [definition.root.name, ...definition.tasks.map((t) => t.name)] },
        [graph.root, ...Object.values(graph.tasks)],
      );
      // Inputs are the root and its declared state only, and it depends on the TaskGraph component
      // (which waits for every task in it), so adding or editing a task changes neither its inputs
      // nor its dependencies. The alias keeps the URN it had as the TaskGraph's child.
      this.activation = new GraphActivation(
        `${name}-activation`,
        { rootTask: model.names.rootTaskFqn, started: model.root.started },
        { parent: this, dependsOn: [this.graph], aliases: [{ parent: this.graph }] },
      );
      return {
        rootTask: model.names.rootTaskFqn,
        tasks: Object.fromEntries(model.definition.tasks.map((t) => [t.name, model.names.taskFqn(t.name)])),
        ...artifactShas({ ...code }),
        schedule: model.scheduleText,
        started: model.root.started,
      };
    };
    if (args.code) {
      // Given code: every child is registered now, in the constructor.
      const outputs = register(args.code);
      this.ready = Promise.resolve(outputs);
      this.registerOutputs({ ...outputs });
    } else {
      this.ready = buildPipelineCode({ projectDir: args.projectDir, codeRoot: model.codeRoot, pipeline: model.definition, python: model.python! }).then(register);
      // Registering the outputs as a promise keeps the program running until the tasks are registered.
      this.registerOutputs(this.ready.then((outputs) => ({ ...outputs })));
    }
    this.outputs = pulumi.output(this.ready);
  }
}
