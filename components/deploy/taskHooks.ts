/**
 * Resource hooks that keep a started root suspended while any task operation of its graph runs.
 *
 * Every snowflake.Task of a graph except the root gets these hooks:
 * - beforeCreate / beforeUpdate / beforeDelete: acquire the root's lease (the first operation of a
 *   burst suspends the root, if it is started; later ones join without a statement);
 * - afterCreate / afterUpdate / afterDelete: release it (the last one resumes the root, if the
 *   stack declares it started);
 * - onError: release it too (the failed operation's after-hook never runs), and never retry.
 *
 * The provider's own suspend/resume (SuspendRootTasks) then finds the root suspended and queues no
 * resume of its own, so nothing resumes the root while another operation is between its suspend and
 * its DDL. Why this holds, and why the root task itself is not hooked: docs/design.md "Deploy safety".
 *
 * Hooks run in the program during `pulumi up` and `pulumi destroy --run-program`, never in a
 * preview (onDryRun is off), add no dependency edges and no inputs: the plan is unchanged.
 */
import * as pulumi from "@pulumi/pulumi";
import { RootLease } from "../../lib/deploy/rootLease";
import { rootControl, type OpenSession } from "./rootControl";

/** The graph a set of hooks guards. */
export interface GuardedRoot {
  /** Fully qualified, unquoted root task name: DB.SCHEMA.NAME. */
  rootTask: string;
  /** The stack declares the root started (the last operation resumes it). */
  started: boolean;
}

/** What the hooks do, by URN; exported so tests drive them the way the engine calls them. */
export interface TaskOperationGuard {
  lease: RootLease;
  before(args: Pick<pulumi.ResourceHookArgs, "urn">): Promise<void>;
  after(args: Pick<pulumi.ResourceHookArgs, "urn">): Promise<void>;
}

/**
 * One guard per root and process: acquire on `before`, release on `after`, at most once per URN in
 * flight (an after-hook following an error hook's release does nothing).
 */
export function taskOperationGuard(lease: RootLease): TaskOperationGuard {
  const holding = new Set<string>();
  return {
    lease,
    async before({ urn }) {
      if (holding.has(urn)) return;
      await lease.acquire();
      holding.add(urn);
    },
    async after({ urn }) {
      if (!holding.delete(urn)) return;
      await lease.release();
    },
  };
}

/** Builds guards for any number of roots, sharing one lease per root. */
export function taskOperationGuards(openSession: OpenSession): (root: GuardedRoot) => TaskOperationGuard {
  const guards = new Map<string, TaskOperationGuard>();
  return (root) => {
    let guard = guards.get(root.rootTask);
    if (!guard) {
      guard = taskOperationGuard(new RootLease(rootControl(root.rootTask, openSession), { declaredStarted: root.started }));
      guards.set(root.rootTask, guard);
    }
    return guard;
  };
}

/** The hook binding for every non-root task of one graph. `name` makes the hook names unique. */
export function taskOperationHooks(name: string, guard: TaskOperationGuard): pulumi.ResourceHookBinding {
  const before = new pulumi.ResourceHook(`${name}-root-lease-acquire`, (args) => guard.before(args));
  const after = new pulumi.ResourceHook(`${name}-root-lease-release`, (args) => guard.after(args));
  const onError = new pulumi.ErrorHook(`${name}-root-lease-release-on-error`, async (args) => {
    await guard.after(args);
    return false;
  });
  return {
    beforeCreate: [before],
    beforeUpdate: [before],
    beforeDelete: [before],
    afterCreate: [after],
    afterUpdate: [after],
    afterDelete: [after],
    onError: [onError],
  };
}

/**
 * Whether the engine this program talks to can register hooks. The SDK's mock monitor (the offline
 * plan, unit tests) has no RegisterResourceHook, and a hook it cannot register would fail the
 * resource's registration; hooks never show in a plan, so leaving them out there changes nothing.
 */
export function engineSupportsHooks(): boolean {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResourceHook?: unknown } | undefined;
  return typeof monitor?.registerResourceHook === "function";
}
