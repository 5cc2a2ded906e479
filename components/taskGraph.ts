import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { PayloadArtifact, TaskBundleArtifact } from "../lib/artifacts";
import { logicalSuffix, taskLogicalName, withBodyHash, withConditionHash } from "../lib/deploy/taskRules";
import { topologicalOrder } from "../lib/graph";
import { bundleDirectory, payloadDirectory, PipelineNames } from "../lib/naming";
import { TaskScheduleSpec } from "../lib/schedule";
import { branchCondition, handlerFor, procedureNameFor, renderPythonTaskBody, ROOT_TASK_BODY } from "../lib/taskSql";
import { PipelineDefinition, TaskSpec } from "../lib/types";
import { StagedFiles } from "./providers/stagedFiles";

/** Settings of the root task, which Snowflake applies to the whole graph. */
export interface RootTaskSettings {
  schedule?: TaskScheduleSpec;
  /** Canonical JSON of the graph config. */
  config: string;
  /** Resume the schedule (root) after deploy. */
  started: boolean;
  allowOverlappingExecution: boolean;
  timeoutMs?: number;
  retries?: number;
  suspendAfterFailures?: number;
  errorIntegration?: string;
}

export interface TaskGraphArgs {
  pipeline: PipelineDefinition;
  names: PipelineNames;
  /** Warehouse of every task without its own. */
  warehouse: string;
  root: RootTaskSettings;
  /** Bundle of each Python task, by task name. */
  bundles: Record<string, TaskBundleArtifact>;
  /** ML Job payload of each task with a job, by task name. */
  payloads: Record<string, PayloadArtifact>;
  /** Rendered bodies of the SQL tasks, by task name. */
  sqlBodies: Record<string, string>;
  /** What the root task needs to exist first: schemas, warehouse, stages, compute pool, registry. */
  prerequisites: pulumi.Resource[];
  /**
   * Hooks bound to every task but the root (components/deploy/taskHooks.ts): they keep a started
   * root suspended while task operations run. Absent under the mock runtime, which cannot run them.
   */
  operationHooks?: pulumi.ResourceHookBinding;
}

export { logicalSuffix };

/** The pieces of one task that decide its Snowflake definition. */
interface TaskPlan {
  spec: TaskSpec;
  sqlStatement: string;
  predecessors: string[];
  when?: string;
}

/**
 * The root task (schedule, config), one Snowflake task per pipeline task with its AFTER edges,
 * branch WHENs and finalizer, each Python task's staged bundle and ML Job payloads. The
 * activation check (GraphActivation) is the Pipeline's: it depends on this whole component.
 */
export class TaskGraph extends pulumi.ComponentResource {
  readonly root: snowflake.Task;
  readonly tasks: Record<string, snowflake.Task> = {};
  readonly bundles: Record<string, StagedFiles> = {};
  readonly payloads: Record<string, StagedFiles> = {};

  constructor(name: string, args: TaskGraphArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:tasks:TaskGraph", name, {}, opts);
    const { pipeline, names } = args;
    const location = { database: names.database, schema: names.schema };

    this.root = new snowflake.Task(
      `${name}-root`,
      {
        ...location,
        name: names.rootTask,
        warehouse: args.warehouse,
        schedule: args.root.schedule,
        config: args.root.config,
        sqlStatement: ROOT_TASK_BODY,
        started: args.root.started,
        // A string in provider 1.3.0: "true" | "false".
        allowOverlappingExecution: String(args.root.allowOverlappingExecution),
        userTaskTimeoutMs: args.root.timeoutMs,
        taskAutoRetryAttempts: args.root.retries,
        suspendTaskAfterNumFailures: args.root.suspendAfterFailures,
        errorIntegration: args.root.errorIntegration,
        comment: `Root of the ${pipeline.name} task graph (snowflake-ml-pipeline)`,
      },
      { parent: this, dependsOn: args.prerequisites },
    );

    const plans = this.planTasks(args);
    for (const taskName of topologicalOrder(pipeline)) {
      const plan = plans.get(taskName)!;
      const { spec } = plan;
      const suffix = logicalSuffix(spec.name);
      const staged: pulumi.Resource[] = [];
      const bundle = args.bundles[spec.name];
      if (bundle) {
        this.bundles[spec.name] = new StagedFiles(
          `${name}-bundle-${suffix}`,
          { stage: names.stageFqn.code, directory: bundleDirectory(pipeline.name, spec.name, bundle.sha256), files: [bundle.file] },
          { parent: this, dependsOn: args.prerequisites },
        );
        staged.push(this.bundles[spec.name]);
      }
      const payload = args.payloads[spec.name];
      if (payload) {
        this.payloads[spec.name] = new StagedFiles(
          `${name}-payload-${suffix}`,
          { stage: names.stageFqn.code, directory: payloadDirectory(pipeline.name, spec.name, payload.sha256), files: payload.files },
          { parent: this, dependsOn: args.prerequisites },
        );
        staged.push(this.payloads[spec.name]);
      }
      const predecessorTasks = plan.predecessors.map((p) => this.tasks[p]);
      const edges = spec.finalizer
        ? { finalize: this.root.fullyQualifiedName }
        : { afters: predecessorTasks.length > 0 ? predecessorTasks.map((t) => t.fullyQualifiedName) : [this.root.fullyQualifiedName] };
      this.tasks[spec.name] = new snowflake.Task(
        taskLogicalName(name, spec),
        {
          ...location,
          name: names.taskName(spec.name),
          warehouse: spec.warehouse ?? args.warehouse,
          sqlStatement: plan.sqlStatement,
          // Children stay resumed: EXECUTE TASK on a suspended root skips suspended children.
          started: true,
          when: plan.when,
          userTaskTimeoutMs: spec.timeoutMs,
          ...edges,
        },
        {
          parent: this,
          dependsOn: [this.root, ...predecessorTasks, ...staged],
          // The finalizer's logical name is stable, so a rename replaces it: drop the old one first,
          // as a root has at most one finalizer.
          ...(spec.finalizer ? { deleteBeforeReplace: true } : {}),
          ...(args.operationHooks ? { hooks: args.operationHooks } : {}),
        },
      );
    }
    this.registerOutputs({ rootTask: this.root.fullyQualifiedName });
  }

  /** Definitions, predecessors and WHEN conditions of every task, from the pipeline definition. */
  private planTasks(args: TaskGraphArgs): Map<string, TaskPlan> {
    const { pipeline } = args;
    const branchOf = new Map<string, string>();
    for (const task of pipeline.tasks) for (const target of task.branch ?? []) branchOf.set(target, task.name);
    const plans = new Map<string, TaskPlan>();
    for (const spec of pipeline.tasks) {
      const branchTask = branchOf.get(spec.name);
      const conditions = [branchTask ? branchCondition(pipeline.name, branchTask, spec.name) : undefined, spec.when].filter(
        (c): c is string => c !== undefined,
      );
      plans.set(spec.name, {
        spec,
        // Python bodies change with any code edit (the IMPORTS path holds the bundle's hash); SQL
        // bodies and WHENs carry their own hash, or a case-only edit would never be applied.
        sqlStatement: spec.entrypoint ? this.pythonBody(args, spec) : withBodyHash(args.sqlBodies[spec.name]),
        predecessors: spec.after ?? [],
        when: conditions.length === 0 ? undefined : withConditionHash(conditions.length === 1 ? conditions[0] : conditions.map((c) => `(${c})`).join(" AND ")),
      });
    }
    return plans;
  }

  private pythonBody(args: TaskGraphArgs, spec: TaskSpec): string {
    const { pipeline, names } = args;
    const bundle = args.bundles[spec.name];
    const payload = args.payloads[spec.name];
    const jobArgs =
      spec.job && payload
        ? [
            { name: "PAYLOAD_LOCATION", type: "VARCHAR" as const, value: `@${names.stageFqn.code}/${payloadDirectory(pipeline.name, spec.name, payload.sha256)}/` },
            { name: "PAYLOAD_ENTRYPOINT", type: "VARCHAR" as const, value: payload.entrypoint },
            { name: "TARGET_INSTANCES", type: "NUMBER" as const, value: spec.job.targetInstances },
          ]
        : [];
    return renderPythonTaskBody({
      procedureName: procedureNameFor(spec.name),
      runtime: pipeline.runtime,
      packages: pipeline.packages,
      importPath: `@${names.stageFqn.code}/${bundleDirectory(pipeline.name, spec.name, bundle.sha256)}/${bundle.fileName}`,
      handler: handlerFor(spec.entrypoint!),
      args: jobArgs,
    });
  }
}
