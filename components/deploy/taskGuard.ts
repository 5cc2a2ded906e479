/**
 * What the task-operation hooks do (components/deploy/taskHooks.ts binds them to the engine).
 *
 * One guard per program process. It knows the graphs the program declares (root, declared state,
 * task names) and keeps one root lease (lib/deploy/rootLease.ts) per root it meets:
 * - before an operation on a task (create, update or delete), it finds the task's root and acquires
 *   that root's lease: the first operation suspends a started root;
 * - after the operation, or when it failed, it releases the lease;
 * - when the engine has answered every registration of a declared graph (every create and update
 *   step of it is done), the lease may resume the root, once Snowflake's graph is the declared one.
 *
 * The root of a task comes from the program when it declares the task, and otherwise from
 * Snowflake, walking predecessors up from the task as it exists now: a removed task, the tasks of a
 * removed or renamed pipeline, or tasks left in the old schema by a `database` change are guarded
 * by their own (old) root, which the lease never resumes because the program no longer declares it.
 *
 * A hook that fails before an operation fails that operation, with the reason (the engine shows it:
 * "before hook … failed"). The hooks after an operation and on its error never throw: an error hook
 * that threw would replace the provider's own error, and the user would never learn why Snowflake
 * refused the DDL (https://github.com/pulumi/pulumi/blob/v3.248.0/pkg/resource/deploy/step.go).
 */
import { RootLease } from "../../lib/deploy/rootLease";
import { findRootTask, rootControl, taskFqn, type OpenSession, type TaskRef } from "./rootControl";

/** A graph as the program declares it. */
export interface GuardedGraph {
  /** The root task, DB.SCHEMA.NAME. */
  rootTask: string;
  /** The stack declares the root started. */
  started: boolean;
  /** Unqualified names of the root and every other task of the graph. */
  tasks: string[];
}

/** The parts of the engine's hook arguments the guard reads. */
export interface HookArgs {
  urn: string;
  newInputs?: Record<string, unknown>;
  oldInputs?: Record<string, unknown>;
  newOutputs?: Record<string, unknown>;
  oldOutputs?: Record<string, unknown>;
}

/**
 * The task an operation is about: its new place for a create or update, its old one for a delete
 * (a task's database, schema and name are ForceNew, so an update never moves it). The bridged
 * provider's inputs and outputs both carry `database`, `schema` and `name`.
 */
export function operatedTask(args: HookArgs): TaskRef | undefined {
  for (const values of [args.newInputs, args.newOutputs, args.oldInputs, args.oldOutputs]) {
    const { database, schema, name } = values ?? {};
    if (typeof database === "string" && typeof schema === "string" && typeof name === "string") return { database, schema, name };
  }
  return undefined;
}

export class TaskOperationGuard {
  private readonly leases = new Map<string, RootLease>();
  /** Declared task (DB.SCHEMA.NAME) -> its root (DB.SCHEMA.NAME). */
  private readonly declaredRoots = new Map<string, string>();
  /** URN of an operation in flight -> the lease it holds, and whether it operates on the root itself. */
  private readonly holding = new Map<string, { lease: RootLease; rootOperation: boolean }>();

  constructor(
    private readonly openSession: OpenSession,
    private readonly log: (message: string) => void,
  ) {}

  /** The lease of `rootTask` (created on first use). */
  lease(rootTask: string): RootLease {
    let lease = this.leases.get(rootTask);
    if (lease === undefined) {
      lease = new RootLease(rootTask, rootControl(rootTask, this.openSession), { log: this.log });
      this.leases.set(rootTask, lease);
    }
    return lease;
  }

  /**
   * Declares a graph whose task registrations are under way; call the returned function when the
   * engine has answered all of them. Must be called before any of its tasks is registered.
   */
  declare(graph: GuardedGraph): () => Promise<void> {
    const [database, schema] = graph.rootTask.split(".");
    for (const name of graph.tasks) this.declaredRoots.set(taskFqn({ database, schema, name }), graph.rootTask);
    const lease = this.lease(graph.rootTask);
    lease.declare({ started: graph.started, tasks: new Set(graph.tasks) });
    lease.expectRegistration();
    return async () => {
      try {
        await lease.registered();
      } catch (error) {
        this.log(`${graph.rootTask}: could not resume the root after its graph was deployed: ${(error as Error).message}`);
        throw error;
      }
    };
  }

  /** Before a task operation: hold the lease of the task's root (suspending it if it is started). */
  async before(args: HookArgs): Promise<void> {
    if (this.holding.has(args.urn)) return;
    const task = operatedTask(args);
    if (task === undefined) throw new Error(`${args.urn}: the hook arguments name no task (database, schema, name)`);
    const rootTask = this.declaredRoots.get(taskFqn(task)) ?? (await findRootTask(task, this.openSession));
    // A task that does not exist (yet, or any more) belongs to no graph: nothing to suspend.
    if (rootTask === undefined) return;
    const lease = this.lease(rootTask);
    await lease.acquire();
    this.holding.set(args.urn, { lease, rootOperation: taskFqn(task) === rootTask });
  }

  /** After a task operation that succeeded. Never throws; a failed resume is logged. */
  async after(args: HookArgs): Promise<void> {
    await this.release(args, true);
  }

  /** When a task operation failed. Never throws, and never asks the engine to retry. */
  async failed(args: HookArgs): Promise<void> {
    await this.release(args, false);
  }

  private async release(args: HookArgs, ok: boolean): Promise<void> {
    const held = this.holding.get(args.urn);
    if (held === undefined) return;
    this.holding.delete(args.urn);
    const { lease, rootOperation } = held;
    try {
      await lease.release(ok, { rootOperation });
    } catch (error) {
      this.log(`${lease.rootTask}: ${(error as Error).message}; it may stay suspended until the next \`pulumi up\``);
    }
  }
}
