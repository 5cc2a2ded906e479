import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { StagedDirectory, TaskGraphDefinition } from "../lib/tasks/taskDefinitions";
import { StagedFiles } from "./providers/stagedFiles";

export interface TaskGraphArgs {
  /** Database and schema of every task. */
  database: string;
  schema: string;
  /** The finished definitions of the root and every task (lib/tasks/taskDefinitions). */
  definition: TaskGraphDefinition;
  /** What the root task needs to exist first: schemas, warehouse, stages, compute pool, registry. */
  prerequisites: pulumi.Resource[];
  /**
   * Hooks bound to every task, the root included (components/deploy/taskHooks.ts): they keep the
   * root suspended from the deploy's first task operation to its last. Absent under the mock
   * runtime, which cannot run them.
   */
  operationHooks?: pulumi.ResourceHookBinding;
}

/**
 * The root task (schedule, config), one Snowflake task per pipeline task with its AFTER edges,
 * branch WHENs and finalizer, each Python task's staged bundle and ML Job payloads: the task
 * definitions turned into resources, nothing decided here. The activation check (GraphActivation)
 * is the Pipeline's, after this whole component.
 */
export class TaskGraph extends pulumi.ComponentResource {
  readonly root: snowflake.Task;
  readonly tasks: Record<string, snowflake.Task> = {};
  readonly bundles: Record<string, StagedFiles> = {};
  readonly payloads: Record<string, StagedFiles> = {};

  constructor(name: string, args: TaskGraphArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:tasks:TaskGraph", name, {}, opts);
    const { root, tasks } = args.definition;
    const location = { database: args.database, schema: args.schema };

    this.root = new snowflake.Task(
      `${name}-${root.logicalName}`,
      {
        ...location,
        name: root.name,
        warehouse: root.warehouse,
        schedule: root.schedule,
        config: root.config,
        sqlStatement: root.body,
        started: root.started,
        // A string in provider 1.3.0: "true" | "false".
        allowOverlappingExecution: String(root.allowOverlappingExecution),
        userTaskTimeoutMs: root.timeoutMs,
        taskAutoRetryAttempts: root.retries,
        suspendTaskAfterNumFailures: root.suspendAfterFailures,
        errorIntegration: root.errorIntegration,
        comment: root.comment,
      },
      { parent: this, dependsOn: args.prerequisites, ...(args.operationHooks ? { hooks: args.operationHooks } : {}) },
    );

    const stage = (staged: StagedDirectory) =>
      new StagedFiles(`${name}-${staged.logicalName}`, { stage: staged.stage, directory: staged.directory, files: staged.files }, { parent: this, dependsOn: args.prerequisites });
    for (const task of tasks) {
      const staged: pulumi.Resource[] = [];
      if (task.bundle) staged.push((this.bundles[task.task] = stage(task.bundle)));
      if (task.payload) staged.push((this.payloads[task.task] = stage(task.payload)));
      const predecessors = task.edge.kind === "after" ? task.edge.tasks.map((p) => this.tasks[p]) : [];
      const edges =
        task.edge.kind === "finalize"
          ? { finalize: this.root.fullyQualifiedName }
          : { afters: task.edge.kind === "after" ? predecessors.map((t) => t.fullyQualifiedName) : [this.root.fullyQualifiedName] };
      this.tasks[task.task] = new snowflake.Task(
        `${name}-${task.logicalName}`,
        {
          ...location,
          name: task.name,
          warehouse: task.warehouse,
          sqlStatement: task.body,
          // Children stay resumed: EXECUTE TASK on a suspended root skips suspended children.
          started: true,
          when: task.when,
          userTaskTimeoutMs: task.timeoutMs,
          ...edges,
        },
        {
          parent: this,
          dependsOn: [this.root, ...predecessors, ...staged],
          // The finalizer's logical name is stable (lib/deploy/taskRules.ts), so a rename replaces
          // it: drop the old one first, as a root has at most one finalizer.
          ...(task.finalizer ? { deleteBeforeReplace: true } : {}),
          ...(args.operationHooks ? { hooks: args.operationHooks } : {}),
        },
      );
    }

    this.registerOutputs({ rootTask: this.root.fullyQualifiedName });
  }
}
