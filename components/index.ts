// The components of snowflake-ml-pipeline, for this project's program and for any other Pulumi
// TypeScript program (README, "Using the component in your own program").
export { ExistingPlatform, Pipeline, PipelineArgs, PipelineOutputs, validatePipelineArgs } from "./pipeline";
export { buildPipelineCode, buildSampleData } from "./pipelineCode";
export { Platform, PlatformArgs, platformArgsProblems } from "./platform";
export { ModelRegistry, ModelRegistryArgs } from "./modelRegistry";
export { PipelineRoleAccess, PipelineRoleAccessArgs } from "./pipelineRoleAccess";
export { Stages, StagesArgs } from "./stages";
export { TaskGraph, TaskGraphArgs } from "./taskGraph";
export { DataQualityExpectations, DataQualityExpectationsArgs } from "./providers/dataQualityExpectations";
export { BRIDGED_TYPES_USED, previewFeaturesFor } from "./previewFeatures";
export { ConfigurationError } from "../lib/config/resolveConfiguration";
export { GraphConfig, PipelineDefinition, TaskSpec } from "../lib/types";
