import * as pulumi from "@pulumi/pulumi";
import { deploySafety } from "./deploy/taskHooks";
import * as snowflake from "@pulumi/snowflake";
import { ConfigurationError, identifierProblems, platformProblems } from "../lib/config/resolveConfiguration";
import { PlatformNames, platformNames } from "../lib/naming";
import { pipelineGrants } from "../lib/pipelineGrants";
import { ComputePoolSettings, StackSettings, WarehouseSettings } from "../lib/types";
import { ModelRegistry } from "./modelRegistry";
import { PipelineRoleAccess } from "./pipelineRoleAccess";
import { ComputePool } from "./providers/computePool";
import { Stages } from "./stages";

/** The shared platform every pipeline of a stack runs on (all names are unquoted upper-case identifiers). */
export interface PlatformArgs {
  /** Database that holds every schema (created). */
  database: string;
  /** Schema of the tasks and stages. */
  schema: string;
  /** Schema of the source and feature tables. */
  dataSchema: string;
  /** Schema models and datasets are registered into. */
  registrySchema: string;
  /** The warehouse: created with `size` (`autoSuspendSecs` default 60), or used by name with `existing: true`. */
  warehouse: { name: string; size?: string; existing?: boolean; autoSuspendSecs?: number };
  /** The ML Jobs' compute pool (`autoSuspendSecs` default 3600, `autoResume` default true). */
  computePool: { name: string; instanceFamily: string; minNodes: number; maxNodes: number; autoSuspendSecs?: number; autoResume?: boolean };
  /**
   * The role that runs the pipeline's code: a name (an existing role, e.g. another resource's
   * `role.name` output) or `{name, create}`. It gets every privilege the code needs on this
   * platform (lib/pipelineGrants). Only the grants carry the name, so it may be an Output; every
   * other name here goes into the task graph's CONFIG or names an object this platform creates, and
   * is plain (README, "Using the component in your own program").
   */
  pipelineRole?: pulumi.Input<string> | { name: pulumi.Input<string>; create?: boolean };
  /** SEND_ALERT's email or webhook integration: the pipeline role gets USAGE on it. */
  notificationIntegration?: string;
  /** The roots' ERROR_INTEGRATION (a queue integration): the pipeline role gets USAGE on it. */
  errorIntegration?: string;
}

/** The pipeline role with its default (create: false): a name (string or Output) is an existing role. */
export function roleOf(raw: PlatformArgs["pipelineRole"]): { name: pulumi.Input<string>; create: boolean } | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === "string" || pulumi.Output.isInstance(raw) || raw instanceof Promise) return { name: raw as pulumi.Input<string>, create: false };
  const role = raw as { name: pulumi.Input<string>; create?: boolean };
  return { name: role.name, create: role.create ?? false };
}

/** PlatformArgs with the defaults filled in: the one place they are. */
export function platformDefaults(args: PlatformArgs): {
  database: string;
  schema: string;
  dataSchema: string;
  registrySchema: string;
  warehouse: WarehouseSettings;
  computePool: ComputePoolSettings;
} {
  const existing = args.warehouse.existing === true;
  return {
    database: args.database,
    schema: args.schema,
    dataSchema: args.dataSchema,
    registrySchema: args.registrySchema,
    warehouse: existing ? { ...args.warehouse, existing } : { autoSuspendSecs: 60, ...args.warehouse, existing },
    computePool: { ...args.computePool, autoSuspendSecs: args.computePool.autoSuspendSecs ?? 3600, autoResume: args.computePool.autoResume ?? true },
  };
}

/** The problems of a platform's args, as a user's program gets them (`Platform "<name>"`, the arg's key). */
export function platformArgsProblems(name: string, args: PlatformArgs): ReturnType<typeof platformProblems> {
  const settings = platformDefaults(args);
  const file = `Platform "${name}"`;
  // A role name that is an Output is checked by Snowflake, not here.
  const role = roleOf(args.pipelineRole);
  const plainRole = role !== undefined && typeof role.name === "string" ? { name: role.name, create: role.create } : undefined;
  const asStack = { ...settings, pipelineRole: plainRole, notificationIntegration: args.notificationIntegration, errorIntegration: args.errorIntegration } as unknown as StackSettings;
  return [...identifierProblems(asStack, file, (key) => key), ...platformProblems(settings, file, (key) => key)];
}

/**
 * Database, pipeline schema, data schema, warehouse, stages, compute pool, Model Registry schema
 * and the pipeline role's grants: what every pipeline of a stack lives in or runs on. Data a
 * pipeline reads (its source table, its sample data) is the pipeline's (PipelineArgs).
 */
export class Platform extends pulumi.ComponentResource {
  readonly database: snowflake.Database;
  readonly pipelineSchema: snowflake.Schema;
  readonly dataSchema: snowflake.Schema;
  /** Undefined when the platform uses an existing warehouse by name. */
  readonly warehouse?: snowflake.Warehouse;
  readonly warehouseName: string;
  readonly stages: Stages;
  readonly computePool: ComputePool;
  readonly registry: ModelRegistry;
  /** The pipeline role's grants (and the role, when created). */
  readonly access?: PipelineRoleAccess;
  /** Every Snowflake name of the platform. */
  readonly names: PlatformNames;
  /** Maximum instances of an ML Job on the pool. */
  readonly maxNodes: number;
  /** What a task graph needs to exist before its root task. */
  readonly prerequisites: pulumi.Resource[];

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = platformArgsProblems(name, args);
    if (problems.length > 0) throw new ConfigurationError(problems);
    // The task hooks are the stack's: registered here too, so a program that removes its last
    // pipeline can still delete that pipeline's tasks (components/deploy/taskHooks.ts).
    deploySafety();
    super("snowflake-ml-pipeline:platform:Platform", name, {}, opts);
    const settings = platformDefaults(args);
    this.names = platformNames(settings);
    this.maxNodes = settings.computePool.maxNodes;
    const child = { parent: this };
    this.database = new snowflake.Database(`${name}-database`, { name: settings.database, comment: "ML pipeline (snowflake-ml-pipeline)" }, child);
    this.pipelineSchema = new snowflake.Schema(
      `${name}-schema`,
      { database: settings.database, name: settings.schema, comment: "Pipeline tasks and stages" },
      { ...child, dependsOn: [this.database] },
    );
    this.dataSchema = new snowflake.Schema(
      `${name}-data-schema`,
      { database: settings.database, name: settings.dataSchema, comment: "Pipeline source and feature data" },
      { ...child, dependsOn: [this.database] },
    );
    this.warehouseName = settings.warehouse.name;
    if (!settings.warehouse.existing) {
      this.warehouse = new snowflake.Warehouse(
        `${name}-warehouse`,
        {
          name: settings.warehouse.name,
          warehouseSize: settings.warehouse.size,
          autoSuspend: settings.warehouse.autoSuspendSecs,
          autoResume: "true",
          initiallySuspended: true,
          comment: "ML pipeline tasks (snowflake-ml-pipeline)",
        },
        child,
      );
    }
    this.stages = new Stages(name, { database: settings.database, schema: settings.schema }, { parent: this, dependsOn: [this.pipelineSchema] });
    this.computePool = new ComputePool(
      `${name}-compute-pool`,
      {
        name: settings.computePool.name,
        instanceFamily: settings.computePool.instanceFamily,
        minNodes: settings.computePool.minNodes,
        maxNodes: settings.computePool.maxNodes,
        autoSuspendSecs: settings.computePool.autoSuspendSecs,
        autoResume: settings.computePool.autoResume,
        comment: "ML Jobs of the ML pipelines (snowflake-ml-pipeline)",
      },
      { parent: this },
    );
    this.registry = new ModelRegistry(
      name,
      { database: settings.database, registrySchema: settings.registrySchema },
      { parent: this, dependsOn: [this.database] },
    );
    const role = roleOf(args.pipelineRole);
    if (role) {
      this.access = new PipelineRoleAccess(
        name,
        {
          role,
          grants: pipelineGrants({ names: this.names, notificationIntegration: args.notificationIntegration, errorIntegration: args.errorIntegration }),
          grantedObjects: [this.database, this.pipelineSchema, this.dataSchema, ...(this.warehouse ? [this.warehouse] : []), this.stages, this.computePool, this.registry],
        },
        { parent: this },
      );
    }
    // The schemas, warehouse and database are children of this component: depending on it waits for them.
    this.prerequisites = [this, this.stages, this.computePool, this.registry];
    this.registerOutputs({ database: this.database.name, schema: this.pipelineSchema.name, warehouse: this.warehouseName });
  }
}
