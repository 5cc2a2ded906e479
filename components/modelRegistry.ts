import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";

export interface ModelRegistryArgs {
  database: string;
  /** Schema the models and datasets are registered into. */
  registrySchema: string;
  /** Role that runs the pipeline and logs models; no grant when it is the owner (undefined). */
  pipelineRole?: pulumi.Input<string>;
}

/**
 * Privileges a role needs to log and manage models and datasets in the registry schema
 * (Snowflake docs: CREATE MODEL on the schema; datasets are schema objects too).
 */
export const REGISTRY_PRIVILEGES = ["USAGE", "CREATE MODEL", "CREATE DATASET", "CREATE TABLE", "CREATE VIEW"];

/** The Model Registry schema and the grants the pipeline's role needs there. */
export class ModelRegistry extends pulumi.ComponentResource {
  readonly schema: snowflake.Schema;
  readonly grant?: snowflake.GrantPrivilegesToAccountRole;
  /** DB.SCHEMA, as the Python registry code addresses it. */
  readonly qualifiedName: string;

  constructor(name: string, args: ModelRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:registry:ModelRegistry", name, {}, opts);
    this.schema = new snowflake.Schema(
      `${name}-registry-schema`,
      { database: args.database, name: args.registrySchema, comment: "Model Registry of the ML pipeline" },
      { parent: this },
    );
    if (args.pipelineRole) {
      this.grant = new snowflake.GrantPrivilegesToAccountRole(
        `${name}-registry-grant`,
        {
          accountRoleName: args.pipelineRole,
          privileges: REGISTRY_PRIVILEGES,
          onSchema: { schemaName: this.schema.fullyQualifiedName },
        },
        { parent: this },
      );
    }
    this.qualifiedName = `${args.database}.${args.registrySchema}`;
    this.registerOutputs({ qualifiedName: this.qualifiedName });
  }
}
