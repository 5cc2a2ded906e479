/**
 * Shared shapes of the pipeline definition (pipeline-code/pipeline.yaml) and of the
 * stack configuration (Pulumi.<stack>.yaml), after YAML parsing and JSON Schema validation.
 * Every module that reads configuration works on these types; nothing reads raw YAML twice.
 */

import type { DataQualitySpec } from "./dataQuality/expectations";
import type { ModelMonitorSettings } from "./monitoring/modelMonitor";

/** A value allowed in the task graph CONFIG (snowflake-core allows str, int, float, bool). */
export type ConfigScalar = string | number | boolean;
export type GraphConfig = Record<string, ConfigScalar>;

/** JSON Schema for one graph-config value (pipeline.yaml configSchema; schemas/pipeline.schema.json). */
export interface ConfigValueSchema {
  type?: "string" | "number" | "integer" | "boolean";
  enum?: ConfigScalar[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** What the value is; with a pattern, the words a problem shows for it. */
  description?: string;
}

/** An ML Job launched by a task: the payload runs on the stack's compute pool. */
export interface JobSpec {
  /** Payload entrypoint, relative to the definition's folder (e.g. jobs/train.py). */
  payload: string;
  /** Instances the job runs on; must not exceed computePool.maxNodes. */
  targetInstances: number;
}

export interface TaskSpec {
  /** Task name as Snowflake stores it (unquoted identifier); the Snowflake task is <PIPELINE>$<name>. */
  name: string;
  /** Predecessor task names; none means "after the root". */
  after?: string[];
  /** Python entrypoint relative to the definition's folder (exclusive with sql). */
  entrypoint?: string;
  /** SQL body (exclusive with entrypoint). */
  sql?: string;
  /** Successors this task routes to by its return value (a branch task). */
  branch?: string[];
  /** The graph's finalizer (runs after every run, success or failure). */
  finalizer?: boolean;
  job?: JobSpec;
  /** Per-task overrides. */
  warehouse?: string;
  timeoutMs?: number;
  /** Extra WHEN condition ANDed after a branch condition. */
  when?: string;
}

export interface PipelineDefinition {
  /** Root task name; children are <name>$<TASK>. */
  name: string;
  /** Python runtime of the task procedures, e.g. "3.11". */
  runtime: string;
  packages: string[];
  config: GraphConfig;
  /** What each config key accepts; a key not declared here is refused in config and graphConfig. */
  configSchema?: Record<string, ConfigValueSchema>;
  /** The table (in the stack's dataSchema) the pipeline reads: graph config `source_table`. None: no such key. */
  sourceTable?: string;
  /** A sample data file, relative to the definition's folder, that a stack may stage (`sampleData`). None: no sample keys. */
  sampleData?: string;
  tasks: TaskSpec[];
  /** Expectations on the source, attached as data metric functions and checked by a gate task (lib/dataQuality). */
  dataQuality?: DataQualitySpec;
}

export interface WarehouseSettings {
  name: string;
  /** Create the warehouse with this size (XSMALL, SMALL, ...). */
  size?: string;
  /** Use an existing warehouse by name (no resource is created). */
  existing: boolean;
  /** Auto-suspend of a created warehouse (default 60 s); undefined for an existing one. */
  autoSuspendSecs?: number;
}

export interface ComputePoolSettings {
  name: string;
  instanceFamily: string;
  minNodes: number;
  maxNodes: number;
  autoSuspendSecs: number;
  autoResume: boolean;
}

/** Stack settings of one pipeline (stack key pipelineSettings.<NAME>), as written; unset values fall back to the stack-wide ones. */
export interface PipelineStackOverrides {
  schedule?: string | number;
  started?: boolean;
  graphConfig?: GraphConfig;
  /** Over the definition's sourceTable. */
  sourceTable?: string;
  /** Stage the definition's sample data (over the stack-wide sampleData). */
  sampleData?: boolean;
}


/** `pipelineRole` after defaults: a string in the stack file means an existing role. */
export interface PipelineRoleSettings {
  name: string;
  /** Create the role (the deployer then needs CREATE ROLE); false: grant to an existing role. */
  create: boolean;
}

/** The stack configuration (namespace snowflake-ml-pipeline), with every default filled in (lib/config/stackSettings withStackDefaults). */
export interface StackSettings {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: WarehouseSettings;
  computePool: ComputePoolSettings;
  /** Pipeline definition files, relative to the project directory. */
  pipelines: string[];
  /** Stack-wide schedule of every pipeline without its own; undefined = manual runs only. */
  schedule?: string | number;
  /** Stack-wide started state of every pipeline without its own. */
  started: boolean;
  /** Graph config values laid over every pipeline's config (each pipeline's own go over these). */
  graphConfig: GraphConfig;
  /** Per-pipeline schedule, started and graphConfig, by pipeline name. */
  pipelineSettings: Record<string, PipelineStackOverrides>;
  /** SEND_ALERT's integration: an email or webhook notification integration (SNOWFLAKE.NOTIFICATION.TEXT_PLAIN). */
  notificationIntegration?: string;
  /** The root's ERROR_INTEGRATION: a queue notification integration (Amazon SNS, Google Pub/Sub, Azure Event Grid). */
  errorIntegration?: string;
  /** The role that runs the pipeline's code; gets every privilege the code needs (lib/pipelineGrants). */
  pipelineRole?: PipelineRoleSettings;
  /** Source table inside dataSchema of every pipeline whose definition names none (a stack-wide default). */
  sourceTable?: string;
  /** Stage the sample data of every pipeline whose definition has some (pipelineSettings.<NAME>.sampleData decides per pipeline). */
  sampleData: boolean;
  /** Root task settings, shared by every pipeline of the stack. */
  taskTimeoutMs?: number;
  taskRetries?: number;
  suspendAfterFailures?: number;
  allowOverlappingExecution: boolean;
  /** The model monitor PROMOTE_MODEL moves to each promoted version (lib/monitoring). */
  modelMonitor?: ModelMonitorSettings;
  /** Stack this one promotes from. */
  promoteFrom?: string;
  allowUnpromotedCode: boolean;
}

/** One validation problem: which file, which key path, what was expected. */
export interface ConfigProblem {
  file: string;
  /** Dotted key path, e.g. tasks[1].after[0] or snowflake-ml-pipeline:computePool.maxNodes */
  path: string;
  message: string;
}
