import { PipelineDefinition } from "./types";

/**
 * Every Snowflake name of the shared platform (database, schemas, warehouse, stages, compute pool,
 * registry schema), derived in one place. Names are explicit unquoted identifiers (never
 * autonamed), so the same configuration always names the same objects.
 */
export interface PlatformNames {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: string;
  computePool: string;
  stages: { code: string; job: string; artifact: string; data: string };
  /** Fully qualified stage names (DB.SCHEMA.STAGE, no @). */
  stageFqn: { code: string; job: string; artifact: string; data: string };
  registrySchemaFqn: string;
  dataSchemaFqn: string;
}

/** The platform's names and one pipeline's: its root task and its tasks. */
export interface PipelineNames extends PlatformNames {
  /** DB.DATA_SCHEMA.TABLE of the pipeline's source table, when it has one. */
  sourceTableFqn?: string;
  rootTask: string;
  rootTaskFqn: string;
  /** Snowflake name of a pipeline task: <PIPELINE>$<TASK>. */
  taskName(task: string): string;
  taskFqn(task: string): string;
}

export const STAGE_NAMES = { code: "CODE_STAGE", job: "JOB_STAGE", artifact: "ARTIFACT_STAGE", data: "DATA_STAGE" } as const;

/** What the platform's names derive from: the stack settings, or the objects a program names. */
export interface PlatformNaming {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: { name: string };
  computePool: { name: string };
}

export function platformNames(platform: PlatformNaming): PlatformNames {
  const db = platform.database;
  const schema = platform.schema;
  const fq = (...parts: string[]) => parts.join(".");
  return {
    database: db,
    schema,
    dataSchema: platform.dataSchema,
    registrySchema: platform.registrySchema,
    warehouse: platform.warehouse.name,
    computePool: platform.computePool.name,
    stages: { ...STAGE_NAMES },
    stageFqn: {
      code: fq(db, schema, STAGE_NAMES.code),
      job: fq(db, schema, STAGE_NAMES.job),
      artifact: fq(db, schema, STAGE_NAMES.artifact),
      data: fq(db, schema, STAGE_NAMES.data),
    },
    registrySchemaFqn: fq(db, platform.registrySchema),
    dataSchemaFqn: fq(db, platform.dataSchema),
  };
}

/** The names of one pipeline on a platform; `sourceTable` is the table in dataSchema it reads, if any. */
export function pipelineNamesOn(platform: PlatformNames, pipeline: Pick<PipelineDefinition, "name">, sourceTable?: string): PipelineNames {
  const taskName = (task: string) => `${pipeline.name}$${task}`;
  const fq = (name: string) => `${platform.database}.${platform.schema}.${name}`;
  return {
    ...platform,
    ...(sourceTable === undefined ? {} : { sourceTableFqn: `${platform.dataSchemaFqn}.${sourceTable}` }),
    rootTask: pipeline.name,
    rootTaskFqn: fq(pipeline.name),
    taskName,
    taskFqn: (task: string) => fq(taskName(task)),
  };
}

/** The names of a pipeline on the platform the stack settings describe. */
export function pipelineNames(settings: PlatformNaming, pipeline: Pick<PipelineDefinition, "name">, sourceTable?: string): PipelineNames {
  return pipelineNamesOn(platformNames(settings), pipeline, sourceTable);
}

/** Stage directory of a task's bundle: <PIPELINE>/<TASK>/<sha256>. */
export function bundleDirectory(pipeline: string, task: string, sha256: string): string {
  return `${pipeline}/${task}/${sha256}`;
}

/** Stage directory of a task's ML Job payload: <PIPELINE>/<TASK>/payload/<sha256>. */
export function payloadDirectory(pipeline: string, task: string, sha256: string): string {
  return `${pipeline}/${task}/payload/${sha256}`;
}

/** Stage directory of a pipeline's sample data: <PIPELINE>/sample/<sha256> (the pipeline's own, like its bundles). */
export function sampleDataDirectory(pipeline: string, sha256: string): string {
  return `${pipeline}/sample/${sha256}`;
}

/** `PREPARE_DATA` -> `prepare-data`: an identifier as a part of a Pulumi logical name. */
export function logicalSuffix(identifier: string): string {
  return identifier.toLowerCase().replace(/[_$]+/g, "-");
}

/** `MORTGAGE_PIPELINE` -> `mortgage-pipeline`: the base of every logical name of a pipeline. */
export function pipelineLogicalName(pipelineName: string): string {
  return logicalSuffix(pipelineName);
}

/** `@DB.SCHEMA.DATA_STAGE/<PIPELINE>/sample/<sha256>/<file>`: where a pipeline's staged sample data is read from. */
export function sampleDataLocation(names: Pick<PipelineNames, "stageFqn" | "rootTask">, sha256: string, fileName: string): string {
  return `@${names.stageFqn.data}/${sampleDataDirectory(names.rootTask, sha256)}/${fileName}`;
}
