import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";

export interface ModelRegistryArgs {
  database: string;
  /** Schema the models and datasets are registered into. */
  registrySchema: string;
}

/** The Model Registry schema; the pipeline role's privileges on it are granted by PipelineRoleAccess. */
export class ModelRegistry extends pulumi.ComponentResource {
  readonly schema: snowflake.Schema;
  /** DB.SCHEMA, as the Python registry code addresses it. */
  readonly qualifiedName: string;

  constructor(name: string, args: ModelRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:registry:ModelRegistry", name, {}, opts);
    this.schema = new snowflake.Schema(
      `${name}-registry-schema`,
      { database: args.database, name: args.registrySchema, comment: "Model Registry of the ML pipeline" },
      { parent: this },
    );
    this.qualifiedName = `${args.database}.${args.registrySchema}`;
    this.registerOutputs({ qualifiedName: this.qualifiedName });
  }
}
