import { MONITOR_CONFIG_KEYS } from "./monitoring/modelMonitor";
import { PipelineNames } from "./naming";
import { GraphConfig } from "./types";

/** Keys the program writes into the root task's CONFIG; users may not set them (docs/design.md). */
export const PROGRAM_CONFIG_KEYS = [
  "artifact_stage",
  "code_stage",
  "compute_pool",
  "data_quality_expectations",
  "data_schema",
  "data_stage",
  "database",
  "job_stage",
  "pipeline_name",
  "registry_schema",
  "sample_data",
  "sample_data_file",
  "schema",
  "source_table",
  "warehouse",
  ...MONITOR_CONFIG_KEYS,
] as const;

/** Keys EXECUTE TASK ... USING CONFIG adds per run (the operator CLI). */
export const RUN_CONFIG_KEYS = ["run_token"] as const;

/**
 * The graph CONFIG: the pipeline definition's config, overlaid by the stack's graphConfig,
 * plus the environment's names. The result is rendered with canonicalJson, so key order never
 * produces a diff.
 */
export function composeGraphConfig(
  pipelineConfig: GraphConfig,
  stackConfig: GraphConfig,
  names: PipelineNames,
  /** Present when the pipeline has sample data: `file` is where it is staged, when the stack stages it. */
  sampleData: { file?: string } | undefined,
  dataQualityExpectations?: string[],
  monitorConfig?: GraphConfig,
): GraphConfig {
  const environment: GraphConfig = {
    pipeline_name: names.rootTask,
    database: names.database,
    schema: names.schema,
    data_schema: names.dataSchemaFqn,
    registry_schema: names.registrySchemaFqn,
    warehouse: names.warehouse,
    compute_pool: names.computePool,
    code_stage: names.stageFqn.code,
    job_stage: names.stageFqn.job,
    artifact_stage: names.stageFqn.artifact,
    data_stage: names.stageFqn.data,
  };
  // A pipeline gets the data keys of what it has: no source table, no source_table; no sample, no sample keys.
  if (names.sourceTableFqn !== undefined) environment.source_table = names.sourceTableFqn;
  if (sampleData !== undefined) environment.sample_data = sampleData.file !== undefined;
  if (sampleData?.file !== undefined) environment.sample_data_file = sampleData.file;
  // Only a pipeline that declares dataQuality gets the key, so the CONFIG of one without it is unchanged.
  if (dataQualityExpectations !== undefined) environment.data_quality_expectations = dataQualityExpectations.join(",");
  // Likewise only a stack that declares modelMonitor gets its keys (lib/monitoring).
  Object.assign(environment, monitorConfig ?? {});
  return { ...pipelineConfig, ...stackConfig, ...environment };
}
