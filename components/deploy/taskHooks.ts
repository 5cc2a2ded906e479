/**
 * Deploy safety as the components' own: the resource hooks that keep a graph's root suspended from
 * a deploy's first task operation to its last (components/deploy/taskGuard.ts), registered with the
 * engine once per program process under names that never change.
 *
 * Why stable names: the engine records a resource's hook names in its state, and a delete step
 * looks them up among the hooks this run registered ("hook %q was not registered",
 * https://github.com/pulumi/pulumi/blob/v3.248.0/pkg/resource/deploy/deployment.go). Hooks named
 * after a pipeline would be gone when that pipeline is removed or renamed, and its tasks could not
 * be deleted. So every task of every graph uses the same three hooks, which any Pipeline or Platform
 * registers (a program that removes its last pipeline still has its Platform). The per-pipeline
 * names of the previous release are registered too, for the deletes of tasks deployed by it.
 *
 * Hooks run in `pulumi up` and `pulumi destroy --run-program` (a destroy without the program is
 * refused by the engine when any resource has delete hooks), never in a preview: they add no
 * inputs and no dependencies, so the plan is unchanged.
 *
 * What the engine must support: resource hooks and error hooks, and error hooks for every failed
 * provider call, which the CLI does from 3.244.0 (https://github.com/pulumi/pulumi/pull/23347);
 * before that a refused DDL never released the lease. The SDK reports the first two; the version
 * itself is enforced by the CLI through `requiredPulumiVersion` in Pulumi.yaml
 * (https://www.pulumi.com/docs/iac/concepts/projects/project-file/), which the program checks is set.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as semver from "semver";
import { parse as parseYaml } from "yaml";
import { connectionSettingsFromConfig, openSession } from "../../snowflake";
import { TaskOperationGuard, type GuardedGraph } from "./taskGuard";

/** The oldest Pulumi CLI whose error hooks see every failed provider call. */
export const MINIMUM_PULUMI_CLI = "3.244.0";

/** The hooks every task of every graph is bound to. */
export const HOOK_NAMES = {
  acquire: "snowflake-ml-pipeline-root-lease-acquire",
  release: "snowflake-ml-pipeline-root-lease-release",
  releaseOnError: "snowflake-ml-pipeline-root-lease-release-on-error",
} as const;

/** The per-pipeline names of the previous release (`<pipeline logical name>-root-lease-…`). */
export function legacyHookNames(pipeline: string): { acquire: string; release: string; releaseOnError: string } {
  return { acquire: `${pipeline}-root-lease-acquire`, release: `${pipeline}-root-lease-release`, releaseOnError: `${pipeline}-root-lease-release-on-error` };
}

/** The SDK's mock runtime (the offline plan and unit tests) runs no hooks. */
export function runsUnderMocks(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (...args: never[]) => unknown };
  const monitor = pulumi.runtime.getMonitor();
  return monitor === undefined || monitor instanceof MockMonitor;
}

/** Whether the engine this program talks to can register resource and error hooks (from its feature answers). */
function engineHookSupport(): { resourceHooks: boolean; errorHooks: boolean } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsResourceHooks?: boolean; supportsErrorHooks?: boolean } }).getStore();
  return { resourceHooks: store.supportsResourceHooks === true, errorHooks: store.supportsErrorHooks === true };
}

/** What the engine lacks for deploy safety, in words (empty: nothing). Pure over its feature answers. */
export function engineProblems(support: { resourceHooks: boolean; errorHooks: boolean }): string[] {
  const missing = [support.resourceHooks ? undefined : "resource hooks", support.errorHooks ? undefined : "error hooks"].filter((x) => x !== undefined);
  if (missing.length === 0) return [];
  return [`this Pulumi CLI cannot run ${missing.join(" or ")}; snowflake-ml-pipeline needs Pulumi CLI ${MINIMUM_PULUMI_CLI} or later (https://www.pulumi.com/docs/iac/download-install/)`];
}

/**
 * What is wrong with the project file's `requiredPulumiVersion` for deploy safety, in words (empty:
 * nothing). Pure over the text of Pulumi.yaml (undefined: there is none) and its path.
 */
export function requiredVersionProblems(pulumiYaml: string | undefined, file: string): string[] {
  if (pulumiYaml === undefined) return [`${file}: not found; expected the project file, with requiredPulumiVersion: ">=${MINIMUM_PULUMI_CLI}"`];
  let required: unknown;
  try {
    required = (parseYaml(pulumiYaml) as Record<string, unknown> | null)?.requiredPulumiVersion;
  } catch (error) {
    return [`${file}: not valid YAML (${(error as Error).message})`];
  }
  const why = "so the CLI refuses versions whose error hooks miss failed provider calls (https://github.com/pulumi/pulumi/pull/23347)";
  if (required === undefined) return [`${file}: requiredPulumiVersion is not set; expected ">=${MINIMUM_PULUMI_CLI}" or a later minimum, ${why}`];
  const minimum = typeof required === "string" && semver.validRange(required) !== null ? semver.minVersion(required) : null;
  if (minimum === null) return [`${file}: requiredPulumiVersion: ${JSON.stringify(required)} is not a version range; expected ">=${MINIMUM_PULUMI_CLI}" or a later minimum`];
  if (semver.lt(minimum, MINIMUM_PULUMI_CLI)) {
    return [`${file}: requiredPulumiVersion: ${JSON.stringify(required)} allows Pulumi CLI ${minimum.version}; expected a minimum of ${MINIMUM_PULUMI_CLI} or later, ${why}`];
  }
  return [];
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The process's deploy safety: one guard, one set of hooks. */
export class DeploySafety {
  readonly guard: TaskOperationGuard;
  /** The binding every snowflake.Task of every graph gets. */
  readonly hooks: pulumi.ResourceHookBinding;
  private readonly legacy = new Set<string>();

  constructor(guard: TaskOperationGuard) {
    this.guard = guard;
    const acquire = new pulumi.ResourceHook(HOOK_NAMES.acquire, (args) => guard.before(args));
    const release = new pulumi.ResourceHook(HOOK_NAMES.release, (args) => guard.after(args));
    const releaseOnError = new pulumi.ErrorHook(HOOK_NAMES.releaseOnError, async (args) => {
      await guard.failed(args);
      return false;
    });
    this.hooks = {
      beforeCreate: [acquire],
      beforeUpdate: [acquire],
      beforeDelete: [acquire],
      afterCreate: [release],
      afterUpdate: [release],
      afterDelete: [release],
      onError: [releaseOnError],
    };
  }

  /** Registers the previous release's hook names of one pipeline (bound to nothing new). */
  registerLegacyNames(pipeline: string): void {
    if (this.legacy.has(pipeline)) return;
    this.legacy.add(pipeline);
    const names = legacyHookNames(pipeline);
    new pulumi.ResourceHook(names.acquire, (args) => this.guard.before(args));
    new pulumi.ResourceHook(names.release, (args) => this.guard.after(args));
    new pulumi.ErrorHook(names.releaseOnError, async (args) => {
      await this.guard.failed(args);
      return false;
    });
  }

  /**
   * Declares a graph whose `tasks` are being registered. The engine answers a registration once its
   * step (hooks included) is done, so when every task's id is known, every create and update of the
   * graph has run and the lease may resume its root. A failed registration never resolves: the
   * deploy fails, the lease stays held, the root suspended. Outside a dry run only (a preview runs
   * no hooks).
   */
  declare(graph: GuardedGraph, tasks: pulumi.CustomResource[]): void {
    if (pulumi.runtime.isDryRun()) return;
    const done = this.guard.declare(graph);
    pulumi.all(tasks.map((t) => t.id)).apply(() => done().catch((error: Error) => void pulumi.log.error(`${graph.rootTask}: ${error.message}`)));
  }
}

let processSafety: DeploySafety | undefined;

/**
 * The process's deploy safety, created (and its hooks registered) on first use; undefined under
 * the SDK's mock runtime, which runs no hooks. Throws, before anything is registered, when the
 * engine cannot run the hooks.
 */
export function deploySafety(): DeploySafety | undefined {
  if (runsUnderMocks()) return undefined;
  const problems = engineProblems(engineHookSupport());
  if (problems.length > 0) throw new Error(`deploy safety: ${problems.join("; ")}`);
  if (processSafety === undefined) {
    const snowflakeConfig = { get: (key: string) => pulumi.runtime.allConfig()[key] };
    const open = () => openSession(connectionSettingsFromConfig(snowflakeConfig, process.env));
    processSafety = new DeploySafety(new TaskOperationGuard(open, (message) => void pulumi.log.warn(message)));
  }
  return processSafety;
}

/**
 * Under a real engine, the problems with `projectDir`'s Pulumi.yaml requiredPulumiVersion (the CLI
 * enforces it before it runs the program, so a program that runs has a CLI that new). Empty under
 * the mock runtime, which has no CLI.
 */
export function pulumiVersionProblems(projectDir: string): string[] {
  if (runsUnderMocks()) return [];
  const file = join(projectDir, "Pulumi.yaml");
  return requiredVersionProblems(readIfExists(file), file);
}
