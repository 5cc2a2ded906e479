/**
 * Resource types of @pulumi/snowflake 1.3.0 that are preview features and must be enabled
 * explicitly in the provider (an explicit provider ignores snowflake:* stack config), from
 * terraform-provider-snowflake v1.2.1 pkg/provider/previewfeatures. A missing entry fails only
 * at apply time, so tests check every registered type against this table.
 */
export const PREVIEW_FEATURE_BY_TYPE: Record<string, string> = {
  "snowflake:index/stage:Stage": "snowflake_stage_resource",
  "snowflake:index/procedurePython:ProcedurePython": "snowflake_procedure_python_resource",
  "snowflake:index/functionPython:FunctionPython": "snowflake_function_python_resource",
  "snowflake:index/notificationIntegration:NotificationIntegration": "snowflake_notification_integration_resource",
  "snowflake:index/table:Table": "snowflake_table_resource",
  "snowflake:index/fileFormat:FileFormat": "snowflake_file_format_resource",
};

/** The bridged resource types this program registers. */
export const BRIDGED_TYPES_USED = [
  "snowflake:index/database:Database",
  "snowflake:index/schema:Schema",
  "snowflake:index/warehouse:Warehouse",
  "snowflake:index/stage:Stage",
  "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole",
  "snowflake:index/task:Task",
];

/** Sorted feature names for the types used. */
export function previewFeaturesFor(types: readonly string[]): string[] {
  return [...new Set(types.flatMap((t) => (PREVIEW_FEATURE_BY_TYPE[t] ? [PREVIEW_FEATURE_BY_TYPE[t]] : [])))].sort();
}
