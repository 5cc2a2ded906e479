// npm run bench -- [--python]
// Measures the offline plan: the dev stack, generated pipelines of 10, 100 and 1,000 tasks, bundle
// build time, and how many resources a change touches. Timings are printed, never asserted.
import { Command } from "commander";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { parsePythonSources } from "../build/pythonSources";
import { buildTaskBundle } from "../lib/bundle/taskBundle";
import { readStackConfigFiles } from "../lib/config/stackFiles";
import { diffPlans, touchedResources } from "../lib/plan/diffPlans";
import { Plan, planStack } from "../lib/plan/mockPlan";
import { PROJECT_DIR } from "../program";
import { scratchProject, withConfig } from "../tests/support/stackConfig";

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/**
 * A graph of `size` tasks counting the root (Snowflake allows 1,000): size - 1 Python tasks sharing
 * one module, in layers of up to 50, each task after one task of the previous layer, so the limit of
 * 100 children per task holds at every size.
 */
function generatePipeline(dir: string, size: number): void {
  const n = size - 1;
  const code = join(dir, "pipeline-code");
  mkdirSync(join(code, "gen"), { recursive: true });
  writeFileSync(join(code, "gen", "__init__.py"), "");
  writeFileSync(join(code, "gen", "common.py"), "def step(session, name):\n    return name\n");
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const name = `T${String(i).padStart(4, "0")}`;
    writeFileSync(join(code, "gen", `${name.toLowerCase()}.py`), `from gen import common\n\n\ndef main(session):\n    return common.step(session, "${name}")\n`);
    const layer = Math.floor(i / 50);
    const after = layer === 0 ? undefined : [`T${String((layer - 1) * 50 + (i % 50)).padStart(4, "0")}`];
    tasks.push({ name, entrypoint: `gen/${name.toLowerCase()}.py`, ...(after ? { after } : {}) });
  }
  writeFileSync(
    join(code, "pipeline.yaml"),
    stringify({ name: "BENCH_PIPELINE", runtime: "3.11", packages: ["snowflake-snowpark-python"], config: { metric_threshold: 0.7 }, configSchema: { metric_threshold: { type: "number", minimum: 0, maximum: 1 } }, tasks }),
  );
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("npm run bench --")
    .option("--python", "also run the training benchmark (pipeline-code/bench_training.py, about a minute)")
    .option("--sizes <list>", "generated pipeline sizes", "10,100,1000")
    .parse(argv, { from: "user" })
    .opts<{ python?: boolean; sizes: string }>();

  const rows: [string, string][] = [];
  const report = (what: string, value: string) => {
    rows.push([what, value]);
    console.log(`${what.padEnd(58)} ${value}`);
  };

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
    const dir = scratchProject();
    generatePipeline(dir, n);
    const [plan, ms] = await timed(() => planStack({ projectDir: dir, stack: "dev" }));
    const growth = previous ? `, x${(ms / previous.ms).toFixed(1)} time for x${(n / previous.n).toFixed(0)} tasks` : "";
    report(`generated graph of ${n} tasks (root + ${n - 1})`, `${ms.toFixed(0)} ms (${plan.resources.length} resources${growth})`);
    previous = { n, ms };
  }

  const [, bundleMs] = await timed(async () => {
    const sources = parsePythonSources(join(PROJECT_DIR, "pipeline-code"), "3.11");
    for (const entry of ["tasks/prepare_data.py", "tasks/train_model.py", "tasks/check_model_quality.py", "tasks/promote_model.py", "tasks/cleanup.py"]) {
      await buildTaskBundle(join(PROJECT_DIR, "pipeline-code"), entry, sources);
    }
  });
  report("parse + bundle build, the 5 dev Python tasks", `${bundleMs.toFixed(0)} ms`);

  const dir = scratchProject();
  const config = readStackConfigFiles(dir, "dev");
  const planWith = (changes: Record<string, unknown> = {}) => planStack({ projectDir: dir, stack: "dev", stackConfig: withConfig(config, changes) });
  const base: Plan = await planWith({ schedule: "1d" });
  const count = (after: Plan) => {
    const touched = touchedResources(diffPlans(base, after));
    return `${touched.length} (${touched.join(", ") || "none"})`;
  };
  report("resources changed: nothing changed", count(await planWith({ schedule: "1d" })));
  appendFileSync(join(dir, "pipeline-code/tasks/check_model_quality.py"), "\n# edited\n");
  const afterEntry = await planWith({ schedule: "1d" });
  report("resources changed: one task's entrypoint edited", count(afterEntry));
  const shared = join(dir, "pipeline-code/mlpipeline/graph_context.py");
  appendFileSync(shared, "\n# edited\n");
  const afterShared = diffPlans(afterEntry, await planWith({ schedule: "1d" }));
  report("resources changed: shared module mlpipeline/graph_context.py edited", `${touchedResources(afterShared).length} (${touchedResources(afterShared).join(", ")})`);
  const fresh = scratchProject();
  const freshBase = await planStack({ projectDir: fresh, stack: "dev", stackConfig: withConfig(readStackConfigFiles(fresh, "dev"), { schedule: "1d" }) });
  const thresholdPlan = await planStack({ projectDir: fresh, stack: "dev", stackConfig: withConfig(readStackConfigFiles(fresh, "dev"), { schedule: "1d", graphConfig: { metric_threshold: 0.8 } }) });
  const t = touchedResources(diffPlans(freshBase, thresholdPlan));
  report("resources changed: threshold changed", `${t.length} (${t.join(", ")})`);
  const schedulePlan = await planStack({ projectDir: fresh, stack: "dev", stackConfig: withConfig(readStackConfigFiles(fresh, "dev"), { schedule: "12h" }) });
  const s = touchedResources(diffPlans(freshBase, schedulePlan));
  report("resources changed: schedule changed", `${s.length} (${s.join(", ")})`);

  if (options.python) {
    const result = spawnSync("/usr/bin/python3", ["bench_training.py"], { cwd: join(PROJECT_DIR, "pipeline-code"), encoding: "utf8" });
    report("training benchmark (pipeline-code/bench_training.py)", result.status === 0 ? result.stdout.trim() : `failed: ${result.stderr.trim().split("\n").pop()}`);
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
