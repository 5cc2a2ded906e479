import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { STAGE_NAMES } from "../lib/naming";

export interface StagesArgs {
  database: string;
  schema: string;
}

/** Internal stages of the pipeline schema. */
export class Stages extends pulumi.ComponentResource {
  /** Task bundles and ML Job payloads, under content-addressed paths. */
  readonly code: snowflake.Stage;
  /** ML Jobs working area; server-side encryption as snowflake-ml creates it. */
  readonly job: snowflake.Stage;
  /** Run artefacts: models and metrics. */
  readonly artifact: snowflake.Stage;
  /** Data files such as the generated sample table. */
  readonly data: snowflake.Stage;

  constructor(name: string, args: StagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:stages:Stages", name, {}, opts);
    const stage = (suffix: string, stageName: string, comment: string, extra: Partial<snowflake.StageArgs> = {}) =>
      new snowflake.Stage(
        `${name}-${suffix}`,
        { database: args.database, schema: args.schema, name: stageName, comment, ...extra },
        { parent: this },
      );
    this.code = stage("code-stage", STAGE_NAMES.code, "Task bundles and ML Job payloads by content hash");
    // snowflake-ml creates its job stages with SNOWFLAKE_SSE; the ML Job container mounts it.
    this.job = stage("job-stage", STAGE_NAMES.job, "ML Jobs", { encryption: "TYPE = 'SNOWFLAKE_SSE'" });
    this.artifact = stage("artifact-stage", STAGE_NAMES.artifact, "Run artefacts (models, metrics)");
    this.data = stage("data-stage", STAGE_NAMES.data, "Data files (sample data)");
    this.registerOutputs({});
  }
}
