/**
 * Task definitions: the one pure step that finishes every task of a pipeline (docs/design.md,
 * "Data flow"). From the validated model (pipeline definition, names, root settings) and the built
 * artifacts it derives, for the root and for each task, everything Snowflake stores: the name, the
 * logical (Pulumi) name, the body, the edges, the WHEN, the finalizer flag and what is staged for it.
 * components/taskGraph.ts only turns these records into resources.
 *
 * The records are plain data: add a field here (and to its table test) rather than finishing a
 * definition anywhere else.
 */
import { createHash } from "node:crypto";
import { PayloadArtifact, PipelineArtifacts, StagedFileSpec, TaskBundleArtifact } from "../artifacts";
import { canonicalJson } from "../canonicalJson";
import { topologicalOrder } from "../graph";
import { composeGraphConfig } from "../graphConfig";
import { bundleDirectory, logicalSuffix, payloadDirectory, PipelineNames } from "../naming";
import { TaskScheduleSpec } from "../schedule";
import { taskLogicalName, withBodyHash, withConditionHash } from "../deploy/taskRules";
import { branchCondition, branchTargetsArgument, handlerFor, ProcedureArgument, procedureNameFor, renderPythonTaskBody, renderSqlTaskBody, ROOT_TASK_BODY } from "../taskSql";
import { GraphConfig, PipelineDefinition, TaskSpec } from "../types";

/** Settings of the root task, which Snowflake applies to the whole graph (stack settings, defaults filled in). */
export interface RootSettings {
  schedule?: TaskScheduleSpec;
  /** Resume the schedule (root) after deploy. */
  started: boolean;
  allowOverlappingExecution: boolean;
  timeoutMs?: number;
  retries?: number;
  suspendAfterFailures?: number;
  errorIntegration?: string;
  /** The stack's graphConfig values, laid over the pipeline definition's config. */
  graphConfig: GraphConfig;
}

export interface TaskDefinitionInput {
  pipeline: PipelineDefinition;
  names: PipelineNames;
  root: RootSettings;
  /** Built bundles and payloads (by task name) of this pipeline. */
  artifacts: Pick<PipelineArtifacts, "bundles" | "payloads">;
  /** Present when the pipeline has sample data; `file` (`@stage/path/file`) when the stack stages it. */
  sampleData?: { file?: string };
  /** The stack's model monitor as root CONFIG keys (lib/monitoring), when it declares one. */
  monitorConfig?: GraphConfig;
  /** Values a SQL task may reference as ${name} (lib/config/resolveConfiguration sqlTemplateVariables). */
  sqlVariables: Record<string, string | undefined>;
}

/** Files staged for a task: a directory of the code stage and what goes in it. */
export interface StagedDirectory {
  /** Logical name of the StagedFiles resource, relative to the component's name (e.g. `bundle-prepare-data`). */
  logicalName: string;
  /** Fully qualified stage, without `@`. */
  stage: string;
  /** Directory inside the stage. */
  directory: string;
  files: StagedFileSpec[];
}

/** How a task hangs in the graph. */
export type TaskEdge =
  /** Runs after these tasks (names as in pipeline.yaml). */
  | { kind: "after"; tasks: string[] }
  /** Has no predecessor in pipeline.yaml: runs after the root. */
  | { kind: "afterRoot" }
  /** The graph's finalizer: runs after every run of the root's graph. */
  | { kind: "finalize" };

export interface TaskDefinition {
  /** The task's name in pipeline.yaml, e.g. PREPARE_DATA. */
  task: string;
  /** The Snowflake task name, <PIPELINE>$<TASK>. */
  name: string;
  /** Logical name of the Task resource, relative to the component's name (e.g. `task-prepare-data`). */
  logicalName: string;
  /** The task body (sqlStatement). */
  body: string;
  edge: TaskEdge;
  /** The task's WHEN: its branch condition and its own `when`, ANDed. */
  when?: string;
  finalizer: boolean;
  /** Its own warehouse, or the stack's. */
  warehouse: string;
  timeoutMs?: number;
  /** The Python bundle it IMPORTS. */
  bundle?: StagedDirectory;
  /** The ML Job payload it launches. */
  payload?: StagedDirectory;
}

/** The root task: its settings as the stack gives them, with the graph config rendered as CONFIG. */
export interface RootTaskDefinition extends Omit<RootSettings, "graphConfig"> {
  /** The Snowflake task name: the pipeline's name. */
  name: string;
  logicalName: string;
  body: string;
  warehouse: string;
  /** Canonical JSON of the graph config (root CONFIG). */
  config: string;
  comment: string;
}

export interface TaskGraphDefinition {
  root: RootTaskDefinition;
  /** Every task once, each after its predecessors, the finalizer last. */
  tasks: TaskDefinition[];
}

/** The successor → branch task map of a pipeline. */
function branchTasks(pipeline: PipelineDefinition): Map<string, string> {
  const branchOf = new Map<string, string>();
  for (const task of pipeline.tasks) for (const target of task.branch ?? []) branchOf.set(target, task.name);
  return branchOf;
}

/** The WHEN of a task: its branch condition, then its own condition, ANDed when both exist. */
export function whenOf(pipelineName: string, spec: TaskSpec, branchTask: string | undefined): string | undefined {
  const conditions = [branchTask ? branchCondition(pipelineName, branchTask, spec.name) : undefined, spec.when].filter((c): c is string => c !== undefined);
  if (conditions.length === 0) return undefined;
  // The hash makes a case- or space-only edit visible to the provider (lib/deploy/taskRules.ts).
  return withConditionHash(conditions.length === 1 ? conditions[0] : conditions.map((c) => `(${c})`).join(" AND "));
}

/** The edge of a task: finalizer, after its predecessors, or after the root. */
export function edgeOf(spec: TaskSpec): TaskEdge {
  if (spec.finalizer === true) return { kind: "finalize" };
  const after = spec.after ?? [];
  return after.length > 0 ? { kind: "after", tasks: [...after] } : { kind: "afterRoot" };
}

/** The procedure arguments of a task that launches an ML Job: where its payload is, its entrypoint, its instances. */
export function jobArguments(spec: TaskSpec, payloadLocation: string | undefined, payload: PayloadArtifact | undefined): ProcedureArgument[] {
  if (!spec.job || !payload || payloadLocation === undefined) return [];
  return [
    { name: "PAYLOAD_LOCATION", type: "VARCHAR", value: payloadLocation },
    { name: "PAYLOAD_ENTRYPOINT", type: "VARCHAR", value: payload.entrypoint },
    { name: "TARGET_INSTANCES", type: "NUMBER", value: spec.job.targetInstances },
  ];
}

/**
 * The procedure arguments of a branch task: its branch list, in order (first = pass for the quality
 * gate). The graph tells a task its successors but not which one means what.
 */
export function branchArguments(spec: TaskSpec): ProcedureArgument[] {
  return spec.branch ? [branchTargetsArgument(spec.branch)] : [];
}

function stagedBundle(names: PipelineNames, pipelineName: string, task: string, bundle: TaskBundleArtifact): StagedDirectory {
  return { logicalName: `bundle-${logicalSuffix(task)}`, stage: names.stageFqn.code, directory: bundleDirectory(pipelineName, task, bundle.sha256), files: [bundle.file] };
}

function stagedPayload(names: PipelineNames, pipelineName: string, task: string, payload: PayloadArtifact): StagedDirectory {
  return { logicalName: `payload-${logicalSuffix(task)}`, stage: names.stageFqn.code, directory: payloadDirectory(pipelineName, task, payload.sha256), files: payload.files };
}

/** The body of a task: the anonymous Python procedure over its bundle, or its SQL with ${…} filled in. */
function bodyOf(input: TaskDefinitionInput, spec: TaskSpec, bundle: StagedDirectory | undefined, payload: StagedDirectory | undefined): string {
  const { pipeline } = input;
  // Python bodies change with any code edit (IMPORTS holds the bundle's hash); a SQL body carries
  // its own hash, or a case- or space-only edit would never be applied (lib/deploy/taskRules.ts).
  if (spec.sql !== undefined) return withBodyHash(renderSqlTaskBody(spec.sql, input.sqlVariables));
  const built = input.artifacts.bundles[spec.name];
  if (!built || !bundle) throw new Error(`task ${spec.name}: no bundle was built for its entrypoint ${spec.entrypoint ?? "(none)"}`);
  const payloadLocation = payload ? `@${payload.stage}/${payload.directory}/` : undefined;
  return renderPythonTaskBody({
    procedureName: procedureNameFor(spec.name),
    runtime: pipeline.runtime,
    packages: pipeline.packages,
    importPath: `@${bundle.stage}/${bundle.directory}/${built.fileName}`,
    handler: handlerFor(spec.entrypoint!),
    // In this order (docs/design.md "Task definitions"): the job's arguments, then the branch list.
    args: [...jobArguments(spec, payloadLocation, input.artifacts.payloads[spec.name]), ...branchArguments(spec)],
  });
}

/** One task's definition. */
export function taskDefinition(input: TaskDefinitionInput, spec: TaskSpec, branchTask?: string): TaskDefinition {
  const { pipeline, names } = input;
  const built = input.artifacts.bundles[spec.name];
  const builtPayload = input.artifacts.payloads[spec.name];
  const bundle = built ? stagedBundle(names, pipeline.name, spec.name, built) : undefined;
  const payload = builtPayload && spec.job ? stagedPayload(names, pipeline.name, spec.name, builtPayload) : undefined;
  return {
    task: spec.name,
    name: names.taskName(spec.name),
    logicalName: taskLogicalName(spec),
    body: bodyOf(input, spec, bundle, payload),
    edge: edgeOf(spec),
    when: whenOf(pipeline.name, spec, branchTask),
    finalizer: spec.finalizer === true,
    warehouse: spec.warehouse ?? names.warehouse,
    timeoutMs: spec.timeoutMs,
    bundle,
    payload,
  };
}

/** The root task's definition: schedule, graph CONFIG and the graph-wide settings. */
export function rootTaskDefinition(input: TaskDefinitionInput): RootTaskDefinition {
  const { pipeline, names, root } = input;
  return {
    name: names.rootTask,
    logicalName: "root",
    body: ROOT_TASK_BODY,
    warehouse: names.warehouse,
    schedule: root.schedule,
    config: canonicalJson(composeGraphConfig(pipeline.config, root.graphConfig, names, input.sampleData, pipeline.dataQuality?.expectations.map((e) => e.name), input.monitorConfig)),
    started: root.started,
    allowOverlappingExecution: root.allowOverlappingExecution,
    timeoutMs: root.timeoutMs,
    retries: root.retries,
    suspendAfterFailures: root.suspendAfterFailures,
    errorIntegration: root.errorIntegration,
    comment: `Root of the ${pipeline.name} task graph (snowflake-ml-pipeline)`,
  };
}

/** Every task of a pipeline, finished: the root, then the tasks in topological order. */
export function taskGraphDefinition(input: TaskDefinitionInput): TaskGraphDefinition {
  const branchOf = branchTasks(input.pipeline);
  const specs = new Map(input.pipeline.tasks.map((t) => [t.name, t]));
  const root = rootTaskDefinition(input);
  const tasks = topologicalOrder(input.pipeline).map((name) => taskDefinition(input, specs.get(name)!, branchOf.get(name)));
  return { root, tasks };
}
