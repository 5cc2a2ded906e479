import { PipelineDefinition, StackSettings } from "./types";

/**
 * Every Snowflake name the pipeline uses, derived in one place from the stack settings and the
 * pipeline definition. Names are explicit unquoted identifiers (never autonamed), so the same
 * configuration always names the same objects.
 */
export interface PipelineNames {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: string;
  computePool: string;
  stages: { code: string; job: string; artifact: string; data: string };
  /** Fully qualified stage names (DB.SCHEMA.STAGE, no @). */
  stageFqn: { code: string; job: string; artifact: string; data: string };
  rootTask: string;
  rootTaskFqn: string;
  sourceTableFqn: string;
  registrySchemaFqn: string;
  dataSchemaFqn: string;
  /** Snowflake name of a pipeline task: <PIPELINE>$<TASK>. */
  taskName(task: string): string;
  taskFqn(task: string): string;
}

export const STAGE_NAMES = { code: "CODE_STAGE", job: "JOB_STAGE", artifact: "ARTIFACT_STAGE", data: "DATA_STAGE" } as const;

export function pipelineNames(settings: StackSettings, pipeline: Pick<PipelineDefinition, "name">): PipelineNames {
  const db = settings.database;
  const schema = settings.schema;
  const fq = (...parts: string[]) => parts.join(".");
  const taskName = (task: string) => `${pipeline.name}$${task}`;
  return {
    database: db,
    schema,
    dataSchema: settings.dataSchema,
    registrySchema: settings.registrySchema,
    warehouse: settings.warehouse.name,
    computePool: settings.computePool.name,
    stages: { ...STAGE_NAMES },
    stageFqn: {
      code: fq(db, schema, STAGE_NAMES.code),
      job: fq(db, schema, STAGE_NAMES.job),
      artifact: fq(db, schema, STAGE_NAMES.artifact),
      data: fq(db, schema, STAGE_NAMES.data),
    },
    rootTask: pipeline.name,
    rootTaskFqn: fq(db, schema, pipeline.name),
    sourceTableFqn: fq(db, settings.dataSchema, settings.sourceTable),
    registrySchemaFqn: fq(db, settings.registrySchema),
    dataSchemaFqn: fq(db, settings.dataSchema),
    taskName,
    taskFqn: (task: string) => fq(db, schema, taskName(task)),
  };
}

/** Stage directory of a task's bundle: <PIPELINE>/<TASK>/<sha256>. */
export function bundleDirectory(pipeline: string, task: string, sha256: string): string {
  return `${pipeline}/${task}/${sha256}`;
}

/** Stage directory of a task's ML Job payload: <PIPELINE>/<TASK>/payload/<sha256>. */
export function payloadDirectory(pipeline: string, task: string, sha256: string): string {
  return `${pipeline}/${task}/payload/${sha256}`;
}

export function sampleDataDirectory(sha256: string): string {
  return `sample/${sha256}`;
}

/** `PREPARE_DATA` -> `prepare-data`: an identifier as a part of a Pulumi logical name. */
export function logicalSuffix(identifier: string): string {
  return identifier.toLowerCase().replace(/[_$]+/g, "-");
}

/** `MORTGAGE_PIPELINE` -> `mortgage-pipeline`: the base of every logical name of a pipeline. */
export function pipelineLogicalName(pipelineName: string): string {
  return logicalSuffix(pipelineName);
}

/** `@DB.SCHEMA.DATA_STAGE/sample/<sha256>/<file>`: where the staged sample data is read from. */
export function sampleDataLocation(names: Pick<PipelineNames, "stageFqn">, sha256: string, fileName: string): string {
  return `@${names.stageFqn.data}/${sampleDataDirectory(sha256)}/${fileName}`;
}
