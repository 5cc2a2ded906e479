import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { WarehouseSettings } from "../lib/types";

export interface PlatformArgs {
  /** Database that holds every schema of the pipeline. */
  database: string;
  /** Schema of the tasks and stages. */
  schema: string;
  /** Schema of the source and feature tables. */
  dataSchema: string;
  /** The warehouse: created with `size`, or used by name with `existing: true`. */
  warehouse: WarehouseSettings;
}

/** Database, pipeline schema, data schema and warehouse: what every other part lives in or runs on. */
export class Platform extends pulumi.ComponentResource {
  readonly database: snowflake.Database;
  readonly pipelineSchema: snowflake.Schema;
  readonly dataSchema: snowflake.Schema;
  /** Undefined when the stack uses an existing warehouse by name. */
  readonly warehouse?: snowflake.Warehouse;
  readonly warehouseName: string;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:platform:Platform", name, {}, opts);
    const child = { parent: this };
    this.database = new snowflake.Database(`${name}-database`, { name: args.database, comment: "ML pipeline (snowflake-ml-pipeline)" }, child);
    this.pipelineSchema = new snowflake.Schema(
      `${name}-schema`,
      { database: args.database, name: args.schema, comment: "Pipeline tasks and stages" },
      { ...child, dependsOn: [this.database] },
    );
    this.dataSchema = new snowflake.Schema(
      `${name}-data-schema`,
      { database: args.database, name: args.dataSchema, comment: "Pipeline source and feature data" },
      { ...child, dependsOn: [this.database] },
    );
    this.warehouseName = args.warehouse.name;
    if (!args.warehouse.existing) {
      this.warehouse = new snowflake.Warehouse(
        `${name}-warehouse`,
        {
          name: args.warehouse.name,
          warehouseSize: args.warehouse.size,
          autoSuspend: args.warehouse.autoSuspendSecs,
          autoResume: "true",
          initiallySuspended: true,
          comment: "ML pipeline tasks (snowflake-ml-pipeline)",
        },
        child,
      );
    }
    this.registerOutputs({ database: this.database.name, schema: this.pipelineSchema.name, warehouse: this.warehouseName });
  }
}
