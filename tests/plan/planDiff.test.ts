// The plan diff on known pairs of real plans (the program under mocks): dev against itself, prod
// against dev, a PR's code edit against the base's saved plan, config changes, a task added and
// removed; and `npm run plan -- --diff` (exit 0 either way, --json, saved plans).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readStackConfigFiles } from "../../lib/config/stackFiles";
import { diffPlans, PlanDiff } from "../../lib/plan/diffPlans";
import { Plan, planStack } from "../../cli/mockPlan";
import { looksLikePlanFile, PlanFileError, readPlanFile } from "../../lib/plan/planFile";
import { groupDiff, renderDiffText } from "../../lib/plan/renderDiff";
import { planWithSourceStacks } from "../../cli/sourceStacks";
import { devAndProdProject, FixtureProject, fixtureProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

const LABELS = { from: "B", to: "A" };
const REPO = join(__dirname, "..", "..");
const projects: FixtureProject[] = [];
/** A dev and prod fixture project (tests/support/fixtureProject.ts devAndProdProject): expected values below come from it. */
function project(): FixtureProject {
  const p = devAndProdProject();
  projects.push(p);
  return p;
}
after(() => projects.forEach((p) => p.cleanup()));
const PROJECT_DIR = project().dir;
const scratchProject = () => project().dir;

const planDev = (dir: string, changes: Record<string, unknown> = {}) =>
  planStack({ projectDir: dir, stack: "dev", stackConfig: withConfig(readStackConfigFiles(dir, "dev"), changes) });

/** {resource name: changed input keys} of a diff. */
const changedKeys = (diff: PlanDiff) => Object.fromEntries(diff.changed.map((c) => [c.name, c.changes.map((x) => x.key)]));

function runPlanCli(args: string[], cwd = REPO) {
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO, "cli/plan.ts"), ...(args.includes("--project") ? [] : ["--project", PROJECT_DIR]), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

describe("plan diff on known pairs", () => {
  let dev: Plan;
  let prod: Plan;
  before(async () => {
    dev = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
    prod = await planWithSourceStacks({ projectDir: PROJECT_DIR, stack: "prod" });
  });

  it("dev against dev: no changes", () => {
    const diff = diffPlans(dev, dev);
    assert.deepEqual(diff, { added: [], removed: [], changed: [], outputs: [], aliased: [] });
    assert.match(renderDiffText(diff, dev, dev, LABELS), /\n\nNo changes\.\n\n0 added, 0 removed, 0 changed, 43 unchanged/);
  });

  it("prod against dev: configuration only, with the same bundles", () => {
    const diff = diffPlans(dev, prod);
    // prod has a separate (queue) integration for task errors; dev has none.
    assert.deepEqual(diff.added.map((r) => r.name), ["platform-grant-error-integration"]);
    assert.deepEqual(diff.removed.map((r) => r.name), ["demo-flow-sample-data"]);
    const keys = changedKeys(diff);
    assert.deepEqual(keys["demo-flow-root"], [
      "config",
      "database",
      "errorIntegration",
      "schedule",
      "started",
      "suspendTaskAfterNumFailures",
      "taskAutoRetryAttempts",
      "userTaskTimeoutMs",
      "warehouse",
      "(dependsOn)",
    ]);
    assert.deepEqual(keys["platform-warehouse"], ["name", "warehouseSize"]);
    assert.deepEqual(keys["platform-compute-pool"], ["autoSuspendSecs", "name"]);
    assert.deepEqual(keys["demo-flow-bundle-load"], ["stage", "(dependsOn)"], "same directory: the same bundle hash");
    assert.deepEqual(keys["demo-flow-task-fit"], ["afters", "database", "sqlStatement", "warehouse"]);
    assert.deepEqual(keys["snowflake"], ["user"]);
    // The bundle hashes are the same in both: promotion by artifact.
    assert.ok(!diff.outputs.some((o) => o.key === "bundleSha256" || o.key === "payloadSha256"));
    assert.deepEqual(diff.outputs.find((o) => o.key === "promotion")?.before, undefined);

    const text = renderDiffText(diff, dev, prod, { from: 'stack "dev"', to: 'stack "prod"' });
    const root = text.slice(text.indexOf("Root task DEMO_FLOW\n"), text.indexOf("\n\nTask FIT"));
    for (const line of [
      '      config.database: "FX_DB" → "FX_PROD"',
      "      config.sample_data: true → false",
      '      errorIntegration: (none) → "FX_PROD_TASK_ERRORS"',
      '      schedule: (none) → {"usingCron":"0 3 * * * UTC"}',
      "      started: false → true",
      "      taskAutoRetryAttempts: (none) → 2",
      "      dependsOn: - demo-flow-sample-data",
    ]) {
      assert.ok(root.split("\n").includes(line), `root group lacks ${line}:\n${root}`);
    }
    const groups = groupDiff(diff, dev, prod).map((g) => g.title);
    assert.deepEqual(groups, [
      "Root task DEMO_FLOW",
      "Task FIT",
      "Task JUDGE",
      "Task LOAD",
      "Task PUBLISH",
      "Task TIDY",
      "Task WARN",
      "Platform and other resources",
    ]);
    assert.match(text, /Task WARN\n {2}~ Task demo-flow-task-warn\n[\s\S]*? {6}sqlStatement:\n {10}- .*'FX_ALERTS'\)\)\n {10}- -- [0-9a-f]{12}\n {10}\+ .*'FX_PROD_ALERTS'\)\)\n {10}\+ -- [0-9a-f]{12}\n/);
    assert.match(text, /\n1 added, 1 removed, 36 changed, 6 unchanged \(43 resources in stack "dev", 43 in stack "prod"\)\n$/);
  });

  it("a PR's edit of one task against the base's plan: that task's bundle and definition, and its output", async () => {
    const dir = scratchProject();
    const base = await planDev(dir);
    appendFileSync(join(dir, "flows/demo/steps/publish.py"), "\n# a PR edit\n");
    const pr = await planDev(dir);
    const diff = diffPlans(base, pr);
    assert.deepEqual(changedKeys(diff), {
      "demo-flow-bundle-publish": ["directory", "files"],
      "demo-flow-task-publish": ["sqlStatement"],
    });
    assert.deepEqual(diff.outputs.map((o) => o.key), ["bundleSha256", "pipelines"]);
    const [oldSha, newSha] = [base, pr].map((p) => (p.outputs.bundleSha256 as Record<string, string>).PUBLISH);
    const text = renderDiffText(diff, base, pr, LABELS);
    const group = text.slice(text.indexOf("Task PUBLISH\n"), text.indexOf("\n\nPlatform and other resources")).split("\n");
    assert.deepEqual(
      group.filter((l) => /^ {2}[~+-] /.test(l)),
      ["  ~ StagedFiles demo-flow-bundle-publish", "  ~ Task demo-flow-task-publish"],
    );
    assert.ok(group.includes(`      directory: "DEMO_FLOW/PUBLISH/${oldSha}" → "DEMO_FLOW/PUBLISH/${newSha}"`), group.join("\n"));
    assert.ok(group.includes(`      files[publish.zip].sha256: "${oldSha}" → "${newSha}"`), group.join("\n"));
    assert.deepEqual(
      group.filter((l) => /^ {10}[-+] /.test(l)),
      [
        `          - IMPORTS = ('@FX_DB.PIPE.CODE_STAGE/DEMO_FLOW/PUBLISH/${oldSha}/publish.zip')`,
        `          + IMPORTS = ('@FX_DB.PIPE.CODE_STAGE/DEMO_FLOW/PUBLISH/${newSha}/publish.zip')`,
      ],
      "the task body changes in its IMPORTS line only",
    );
    assert.match(text, new RegExp(`Stack outputs\\n {2}bundleSha256\\.PUBLISH: "${oldSha}" → "${newSha}"\\n`));
  });

  it("the threshold: one config value of the root task", async () => {
    const fixture = fixtureProject();
    try {
      const planFixture = (changes: Record<string, unknown>) => planStack({ projectDir: fixture.dir, stack: "dev", stackConfig: withConfig(fixture.stackConfig("dev"), changes) });
      const [before, after] = [await planFixture({}), await planFixture({ graphConfig: { metric_threshold: 0.8 } })];
      const diff = diffPlans(before, after);
      const text = renderDiffText(diff, before, after, LABELS);
      assert.match(text, /^Root task DEMO_FLOW\n {2}~ Task demo-flow-root\n {6}config\.metric_threshold: 0\.5 → 0\.8\n\n/m);
      assert.deepEqual(Object.keys(changedKeys(diff)), ["demo-flow-root"]);
    } finally {
      fixture.cleanup();
    }
  });

  it("the schedule: before and after of the root task's schedule", async () => {
    const dir = scratchProject();
    const diff = diffPlans(await planDev(dir, { schedule: "1d" }), await planDev(dir, { schedule: "12h" }));
    assert.match(renderDiffText(diff, dev, dev, LABELS), /\n {2}~ Task demo-flow-root\n {6}schedule\.minutes: 1440 → 720\n/);
    assert.deepEqual(diff.outputs.map((o) => o.key), ["pipelines", "schedule"]);
    assert.deepEqual(diff.outputs[1], { key: "schedule", before: "1d", after: "12h" });
  });

  it("a task added, and the same pair reversed: removed", async () => {
    const dir = scratchProject();
    const without = await planDev(dir);
    writeFileSync(join(dir, "flows/demo/steps/score.py"), "def main(session):\n    return None\n");
    appendFileSync(join(dir, "flows/demo/pipeline.yaml"), "  - {name: SCORE, after: [PUBLISH], entrypoint: steps/score.py}\n");
    const withTask = await planDev(dir);
    const added = groupDiff(diffPlans(without, withTask), without, withTask).find((g) => g.task === "SCORE")!;
    assert.deepEqual(added.added.map((r) => r.name), ["demo-flow-bundle-score", "demo-flow-task-score"]);
    assert.deepEqual([added.removed, added.changed], [[], []]);
    const text = renderDiffText(diffPlans(withTask, without), withTask, without, LABELS);
    assert.match(text, /\nTask SCORE\n {2}- StagedFiles demo-flow-bundle-score {2}\(removed\)\n {2}- Task demo-flow-task-score {2}\(removed\)\n/);
  });
});

describe("npm run plan -- --diff", () => {
  it("prints what changes from B to A, exit 0 when nothing changes", () => {
    const result = runPlanCli(["--stack", "dev", "--diff", "dev"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Plan diff: what changes from stack "dev" to stack "dev" \(offline plans: nothing contacted, no credentials used\)\n\nNo changes\.\n/);
  });

  it("diffs against a saved --json plan (the base branch's), exit 0 when things change, --json prints the diff", () => {
    const dir = scratchProject();
    const saved = runPlanCli(["--project", dir, "--stack", "dev", "--json"]);
    assert.equal(saved.status, 0, saved.stderr);
    writeFileSync(join(dir, "base-dev.json"), saved.stdout);
    appendFileSync(join(dir, "flows/demo/steps/tidy.py"), "\n# a PR edit\n");

    const text = runPlanCli(["--project", dir, "--stack", "dev", "--diff", join(dir, "base-dev.json")]);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(text.stdout.startsWith(`Plan diff: what changes from plan ${join(dir, "base-dev.json")} (stack "dev") to stack "dev"`), text.stdout);
    assert.match(text.stdout, /\nTask TIDY\n {2}~ StagedFiles demo-flow-bundle-tidy\n/);
    assert.match(text.stdout, /\n0 added, 0 removed, 2 changed, 41 unchanged /);

    const json = runPlanCli(["--project", dir, "--stack", "prod", "--diff", join(dir, "base-dev.json"), "--json"]);
    assert.equal(json.status, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.fromStack, "dev");
    assert.equal(doc.toStack, "prod");
    assert.deepEqual(doc.summary, { added: 1, removed: 1, changed: 36, unchanged: 6 });
    assert.deepEqual(doc.removed.map((r: { name: string }) => r.name), ["demo-flow-sample-data"]);
    const cleanup = doc.changed.filter((c: { task: string }) => c.task === "TIDY").map((c: { name: string }) => c.name);
    assert.deepEqual(cleanup, ["demo-flow-bundle-tidy", "demo-flow-finalizer"]);
    const bundleChange = doc.outputs.find((o: { key: string }) => o.key === "bundleSha256");
    assert.notEqual(bundleChange.before.TIDY, bundleChange.after.TIDY, "the edited bundle differs from the base's");
  });

  it("reports a missing or malformed saved plan: exit 1, nothing on stdout", () => {
    const dir = scratchProject();
    writeFileSync(join(dir, "bad.json"), '{"stack": "dev"}');
    writeFileSync(join(dir, "not-json.json"), "{");
    assert.throws(() => readPlanFile(join(dir, "missing.json")), /missing\.json: no such plan file \(save one with: npm run -s plan -- --stack <name> --json > .*missing\.json; -s keeps npm's banner out of the file\)/);
    assert.throws(() => readPlanFile(join(dir, "not-json.json")), /not-json\.json: not JSON: [^;]*$/);
    writeFileSync(join(dir, "banner.json"), '\n> snowflake-ml-pipeline@0.1.0 plan\n> node --import tsx cli/plan.ts --json\n\n{"stack": "dev"}\n');
    assert.throws(() => readPlanFile(join(dir, "banner.json")), /banner\.json: not JSON: [\s\S]*; it starts with npm's banner: save it with npm run -s plan -- --json$/);
    assert.throws(() => readPlanFile(join(dir, "bad.json")), PlanFileError);
    const result = runPlanCli(["--stack", "dev", "--diff", join(dir, "bad.json")]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /bad\.json: not a plan saved with npm run -s plan -- --json \(expected \{stack, resources: /);
  });

  it("takes a value ending in .json or containing / as a saved plan, anything else as a stack", () => {
    assert.deepEqual(["base.json", "/tmp/x", "./dev", "dev", "prod", "my-stack.v2"].map(looksLikePlanFile), [true, true, true, false, false, false]);
  });
});
