// npm run bench -- [--python]
// Measures the offline plan: the dev stack, generated pipelines of 10, 100 and 1,000 tasks, bundle
// build time, and how many resources a change touches. Timings are printed, never asserted.
import { Command } from "commander";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parsePythonSources } from "../build/pythonSources";
import { buildTaskBundle } from "../lib/bundle/taskBundle";
import { readPipelineDefinition } from "../lib/config/pipelineFile";
import { readStackConfigFiles } from "../lib/config/stackFiles";
import { diffPlans, touchedResources, type PlanDiff } from "../lib/plan/diffPlans";
import { graphDepth, longestDependencyChain } from "../lib/plan/dependencyChain";
import { Plan, planStack } from "./mockPlan";
import { PROJECT_DIR } from "../program";
import { GENERATED_STACK_CONFIG, writeGeneratedProject } from "./generatedProject";

const scratchDirs: string[] = [];
/** A temporary directory, removed when the bench ends. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "mlpipe-bench-"));
  scratchDirs.push(dir);
  return dir;
}
process.on("exit", () => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** Stack keys as the engine passes them: namespaced, non-strings as JSON text. */
function configText(changes: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [`snowflake-ml-pipeline:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("npm run bench --")
    .option("--python", "also run the training benchmark (pipeline-code/bench_training.py, about a minute)")
    .option("--sizes <list>", "generated pipeline sizes", "10,100,1000")
    .option("--engine-only", "only the real-engine measurements")
    .option("--engine-minutes <n>", "stop the real-engine up after this many minutes and report how far it got", "20")
    .option("--engine-skip-checkpoints", "PULUMI_SKIP_CHECKPOINTS=true: the backend writes the state once at the end instead of after every step")
    .option("--engine-size <n>", "tasks of the generated graph previewed and deployed on the real engine (needs pulumi on PATH)", "1000")
    .parse(argv, { from: "user" })
    .opts<{ python?: boolean; sizes: string; engineSize: string; engineOnly?: boolean; engineMinutes: string; engineSkipCheckpoints?: boolean }>();

  const rows: [string, string][] = [];
  const report = (what: string, value: string) => {
    rows.push([what, value]);
    console.log(`${what.padEnd(58)} ${value}`);
  };

  const engine = { size: Number(options.engineSize), minutes: Number(options.engineMinutes), skipCheckpoints: options.engineSkipCheckpoints === true };
  if (options.engineOnly) return engineBench(engine, report);

  // Warm-up: the first plan in a process pays for loading the SDK and serializing the dynamic providers.
  const [, warm] = await timed(() => planStack({ projectDir: PROJECT_DIR, stack: "dev" }));
  report("dev plan, first in process (load + serialize providers)", `${warm.toFixed(0)} ms`);
  const [devPlan, dev] = await timed(() => planStack({ projectDir: PROJECT_DIR, stack: "dev" }));
  report("dev plan", `${dev.toFixed(0)} ms (${devPlan.resources.length} resources)`);
  // The command as a user runs it: a new process each time (one untimed run first fills tsx's cache).
  const planCommand = () => spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_DIR, "cli/plan.ts"), "--json"], { cwd: PROJECT_DIR, encoding: "utf8" });
  planCommand();
  const commandStart = performance.now();
  const command = planCommand();
  report("dev plan, whole `npm run plan -- --json` process", `${(performance.now() - commandStart).toFixed(0)} ms${command.status === 0 ? "" : " (FAILED)"}`);

  const sizes = options.sizes.split(",").map(Number);
  let previous: { n: number; ms: number } | undefined;
  for (const n of sizes) {
    const dir = scratch();
    writeGeneratedProject(dir, n);
    const [plan, ms] = await timed(() => planStack({ projectDir: dir, stack: "dev" }));
    const growth = previous ? `, x${(ms / previous.ms).toFixed(1)} time for x${(n / previous.n).toFixed(0)} tasks` : "";
    report(`generated graph of ${n} tasks (root + ${n - 1})`, `${ms.toFixed(0)} ms (${plan.resources.length} resources${growth})`);
    // The deploy's critical path: operations on the longest dependency chain of the plan, against
    // the task graph's depth (root counted). Hooks serialize nothing, so this is the chain.
    const generated = readPipelineDefinition(join(dir, "pipeline-code/pipeline.yaml"), "pipeline-code/pipeline.yaml").definition!;
    const chain = longestDependencyChain(plan.resources);
    const depth = graphDepth(generated);
    report(
      `  longest dependency chain in the plan / graph depth`,
      `${chain.length} operations / depth ${depth} (chain - depth = ${chain.length - depth}, limit 10: ${chain.length <= depth + 10 ? "ok" : "EXCEEDED"})`,
    );
    previous = { n, ms };
  }

  const definition = readPipelineDefinition(join(PROJECT_DIR, "pipeline-code/pipeline.yaml"), "pipeline-code/pipeline.yaml").definition;
  const entrypoints = (definition?.tasks ?? []).flatMap((t) => (t.entrypoint ? [t.entrypoint] : []));
  const [, bundleMs] = await timed(async () => {
    // Parsing (one python3 process for the whole code folder) is part of building bundles.
    const sources = parsePythonSources(join(PROJECT_DIR, "pipeline-code"), definition?.runtime ?? "3.11");
    for (const entry of entrypoints) await buildTaskBundle(join(PROJECT_DIR, "pipeline-code"), entry, sources);
  });
  report(`parse + bundle build, the ${entrypoints.length} Python tasks of pipeline-code/pipeline.yaml`, `${bundleMs.toFixed(0)} ms`);

  // What a change touches, on a generated graph of 10 tasks sharing one module.
  const dir = scratch();
  writeGeneratedProject(dir, 10);
  const config = readStackConfigFiles(dir, "dev");
  const planWith = (changes: Record<string, unknown> = {}) =>
    planStack({ projectDir: dir, stack: "dev", stackConfig: { ...config, config: { ...config.config, ...configText(changes) } } });
  const base: Plan = await planWith({ schedule: "1d" });
  const names = (list: { name: string }[]) => list.map((r) => r.name).join(", ");
  const count = (before: Plan, after: Plan) => {
    const touched = touchedResources(diffPlans(before, after));
    return `${touched.length} (${touched.join(", ") || "none"})`;
  };
  const addedAndChanged = (diff: PlanDiff) =>
    `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed (added: ${names(diff.added) || "none"}; changed: ${names(diff.changed) || "none"})`;
  report("resources changed: nothing changed", count(base, await planWith({ schedule: "1d" })));
  appendFileSync(join(dir, "pipeline-code/gen/t0003.py"), "\n# edited\n");
  const afterEntry = await planWith({ schedule: "1d" });
  report("resources changed: one task's entrypoint edited", count(base, afterEntry));
  appendFileSync(join(dir, "pipeline-code/gen/common.py"), "\n# edited\n");
  const afterShared = await planWith({ schedule: "1d" });
  const importing = readPipelineDefinition(join(dir, "pipeline-code/pipeline.yaml"), "pipeline-code/pipeline.yaml").definition!.tasks.length;
  const sharedTouched = touchedResources(diffPlans(afterEntry, afterShared)).length;
  report(
    "resources changed: the module every task imports edited",
    `${sharedTouched} for ${importing} importing tasks (${(sharedTouched / importing).toFixed(1)} per importing task)`,
  );
  const edited = await planWith({ schedule: "1d" });
  report("resources changed: threshold changed", count(edited, await planWith({ schedule: "1d", graphConfig: { metric_threshold: 0.8 } })));
  report("resources changed: schedule changed", count(edited, await planWith({ schedule: "12h" })));
  writeFileSync(join(dir, "pipeline-code/gen/added.py"), "from gen import common\n\n\ndef main(session):\n    return common.step(session, 'ADDED')\n");
  appendFileSync(join(dir, "pipeline-code/pipeline.yaml"), "  - name: ADDED\n    after: [T0008]\n    entrypoint: gen/added.py\n");
  report("resources: a task added", addedAndChanged(diffPlans(edited, await planWith({ schedule: "1d" }))));
  rmSync(dir, { recursive: true, force: true });

  await engineBench(engine, report);

  if (options.python) {
    // The pipeline code's pinned environment (.venv-pipeline/), provisioned as npm test does.
    const { ensurePythonEnv } = require("../tests/python-env") as { ensurePythonEnv: () => { python: string } };
    const { python } = ensurePythonEnv();
    const result = spawnSync(python, ["bench_training.py"], { cwd: join(PROJECT_DIR, "pipeline-code"), encoding: "utf8" });
    report("training benchmark (pipeline-code/bench_training.py)", result.status === 0 ? result.stdout.trim() : `failed: ${result.stderr.trim().split("\n").pop()}`);
  }
}

/**
 * The generated graph previewed and deployed by the real Pulumi engine (CLI, Node.js host,
 * pulumi-resource-snowflake) against the Snowflake stand-in (tests/support), when `pulumi` is on
 * PATH: the times of `pulumi preview` and `pulumi up` from nothing, and of a no-change `up`. An up
 * that outlasts `minutes` is cancelled and reported with how far it got and the state's size.
 */
async function engineBench(options: { size: number; minutes: number; skipCheckpoints: boolean }, report: (what: string, value: string) => void): Promise<void> {
  const { engineAvailability, engineProject, describeRun } = await import("../tests/support/engineStack");
  const { size } = options;
  const availability = engineAvailability();
  if (!availability.ok) {
    report(`real engine, generated graph of ${size} tasks`, `skipped: ${availability.reason}`);
    return;
  }
  const stackConfig = {
    ...GENERATED_STACK_CONFIG,
    "snowflake:organizationName": "BENCHORG",
    "snowflake:accountName": "BENCHACCOUNT",
    "snowflake:user": "BENCH_DEPLOYER",
  };
  const label = options.skipCheckpoints ? " (PULUMI_SKIP_CHECKPOINTS)" : "";
  const project = await engineProject({
    populate: (dir) => writeGeneratedProject(dir, size),
    stacks: { dev: stackConfig },
    users: ["BENCH_DEPLOYER"],
    env: options.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {},
  });
  try {
    const dev = await project.stack("dev");
    const preview = await dev.preview();
    report(`real engine: preview, empty stack, graph of ${size} tasks${label}`, `${(preview.ms / 1000).toFixed(1)} s (${describeRun(preview).split(";")[0]}, ${preview.steps.length} steps)`);
    const signal = AbortSignal.timeout(options.minutes * 60_000);
    const up = await dev.up({ signal });
    const statements = up.toSeq - up.fromSeq + 1;
    const tasks = project.stub.catalog!.tasks.size;
    if (!up.ok && signal.aborted) {
      const { statSync, readdirSync } = await import("node:fs");
      const stateDir = join(project.dir, "..", "state", ".pulumi", "stacks", "snowflake-ml-pipeline");
      const bytes = readdirSync(stateDir).filter((f) => f === "dev.json").map((f) => statSync(join(stateDir, f)).size)[0] ?? 0;
      report(
        `real engine: up from nothing, graph of ${size} tasks${label}`,
        `NOT FINISHED after ${options.minutes} min: ${up.steps.length} of ${preview.steps.length} steps started, ${tasks} tasks created, state file ${(bytes / 1e6).toFixed(0)} MB (rewritten after every step)`,
      );
      return;
    }
    report(`real engine: up from nothing, graph of ${size} tasks${label}`, `${(up.ms / 1000).toFixed(1)} s (${describeRun(up).split("\n")[0]}; ${statements} statements, ${tasks} tasks)`);
    const again = await dev.up();
    report(`real engine: no-change up (refresh included), graph of ${size} tasks${label}`, `${(again.ms / 1000).toFixed(1)} s (${describeRun(again).split("\n")[0]})`);
  } finally {
    await project.cleanup();
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
