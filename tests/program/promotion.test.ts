// Promotion by artifact under the mock runtime: prod reads dev's bundle SHAs through a
// StackReference (answered by the mocks) and deploys only the code dev runs, refusing before
// anything is registered, unless allowUnpromotedCode is set.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigurationError } from "../../lib/config/resolveConfiguration";
import { readStackConfigFiles, StackFileError } from "../../lib/config/stackFiles";
import { Plan, planStack, PlanOptions } from "../../cli/mockPlan";
import { renderPlanText } from "../../lib/plan/renderPlan";
import { planWithSourceStacks } from "../../cli/sourceStacks";
import { PromotionRefusedError, PromotionStatus } from "../../lib/promotion";
import { demoPipeline, demoStack, FixtureProject, fixtureProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

const DEV = "organization/snowflake-ml-pipeline/dev";
/** The fixture's Python tasks (tests/support/fixtureProject.ts demoPipeline), sorted. */
const BUNDLED = ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY"];
const OTHER = "f".repeat(64);
const REPO = join(__dirname, "..", "..");
const PIPELINE_FILE = demoPipeline().file;
/** A prod stack of the fixture: its own names, a schedule, promoted from dev. */
const prodStack = (overrides: Record<string, unknown> = {}) =>
  demoStack([PIPELINE_FILE], { database: "FX_PROD", warehouse: { name: "FX_PROD_WH", size: "SMALL" }, schedule: "0 3 * * * UTC", started: true, promoteFrom: "dev", ...overrides });

const projects: FixtureProject[] = [];
/** A fixture project with a dev and a prod stack (or the stacks given). */
function project(stacks: Record<string, Record<string, unknown>> = { dev: demoStack([PIPELINE_FILE]), prod: prodStack() }): FixtureProject {
  const p = fixtureProject({ stacks });
  projects.push(p);
  return p;
}
after(() => projects.forEach((p) => p.cleanup()));
const P = project();
const PROJECT_DIR = P.dir;

type Observed = { urn: string; type: string; name: string; read: boolean }[];

/** planStack recording every registration and read, in order. */
async function observedPlan(options: PlanOptions): Promise<{ plan?: Plan; error?: unknown; observed: Observed }> {
  const observed: Observed = [];
  try {
    return { plan: await planStack({ ...options, observe: (e) => observed.push(e) }), observed };
  } catch (error) {
    return { error, observed };
  }
}

function runPlanCli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO, "cli/plan.ts"), "--project", PROJECT_DIR, ...args], {
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

for (const preview of [true, false]) {
  describe(`promotion from dev to prod (${preview ? "preview" : "update"})`, () => {
    let dev: Plan;
    // The source's hashes, as it exports them per pipeline (and, for its only pipeline, at the top level).
    const tampered = (): Record<string, unknown> => {
      const change = (o: Record<string, unknown>) => ({
        ...o,
        bundleSha256: { ...(o.bundleSha256 as Record<string, string>), LOAD: OTHER },
        payloadSha256: { FIT: OTHER },
      });
      const pipelines = dev.outputs.pipelines as Record<string, Record<string, unknown>>;
      return { ...change(dev.outputs), pipelines: Object.fromEntries(Object.entries(pipelines).map(([name, o]) => [name, change(o)])) };
    };
    before(async () => {
      dev = await planStack({ projectDir: PROJECT_DIR, stack: "dev", preview });
    });

    it("accepts the same code: every Python task promoted unchanged, read through a StackReference to dev", async () => {
      const { plan, error, observed } = await observedPlan({ projectDir: PROJECT_DIR, stack: "prod", preview, stackOutputs: { [DEV]: dev.outputs } });
      assert.equal(error, undefined);
      const promotion = plan!.outputs.promotion as PromotionStatus;
      assert.deepEqual(promotion, { from: DEV, unchanged: BUNDLED, differing: [], missing: [], sourceOnly: [], overridden: false });
      assert.deepEqual(observed[0], { urn: `urn:pulumi:prod::snowflake-ml-pipeline::pulumi:pulumi:StackReference::${DEV}`, type: "pulumi:pulumi:StackReference", name: DEV, read: true, aliases: [] });
      assert.deepEqual(plan!.outputs.bundleSha256, dev.outputs.bundleSha256);
      assert.deepEqual(plan!.outputs.payloadSha256, dev.outputs.payloadSha256);
      const text = renderPlanText(plan!);
      assert.ok(text.includes(`Promotion from ${DEV}\n  promoted unchanged (the bundles dev runs): ${BUNDLED.join(", ")}\n  differing from dev: none\n`), text);
      assert.match(text, /SQL tasks \(no bundle; defined by this commit's pipeline\.yaml\): WARN/);
    });

    it("refuses differing code before registering anything, naming exactly those tasks and the override key", async () => {
      const { plan, error, observed } = await observedPlan({ projectDir: PROJECT_DIR, stack: "prod", preview, stackOutputs: { [DEV]: tampered() } });
      assert.equal(plan, undefined);
      assert.ok(error instanceof PromotionRefusedError, String(error));
      assert.deepEqual(error.tasks, ["FIT", "LOAD"]);
      assert.match(error.message, /^promotion from stack organization\/snowflake-ml-pipeline\/dev refused: the code built here differs from what dev runs for 2 tasks: FIT, LOAD\n/);
      assert.match(error.message, /\n {2}FIT: payload [0-9a-f]{12} here, ffffffffffff in dev\n {2}LOAD: bundle [0-9a-f]{12} here, ffffffffffff in dev\n/);
      assert.match(error.message, /snowflake-ml-pipeline:allowUnpromotedCode: true/);
      assert.deepEqual(
        observed.map((o) => `${o.read ? "read" : "register"} ${o.type}`),
        ["read pulumi:pulumi:StackReference"],
        "nothing but the StackReference may be touched before the refusal",
      );
    });

    it("overrides with allowUnpromotedCode: deploys the local code and shows which tasks differ", async () => {
      const stackConfig = withConfig(readStackConfigFiles(PROJECT_DIR, "prod"), { allowUnpromotedCode: true });
      const { plan, error } = await observedPlan({ projectDir: PROJECT_DIR, stack: "prod", preview, stackConfig, stackOutputs: { [DEV]: tampered() } });
      assert.equal(error, undefined);
      const promotion = plan!.outputs.promotion as PromotionStatus;
      assert.deepEqual(promotion.unchanged, ["JUDGE", "PUBLISH", "TIDY"]);
      assert.deepEqual(
        promotion.differing.map((d) => [d.task, d.artifact, d.source]),
        [
          ["FIT", "payload", OTHER],
          ["LOAD", "bundle", OTHER],
        ],
      );
      assert.equal(promotion.overridden, true);
      const local = (plan!.outputs.bundleSha256 as Record<string, string>).LOAD;
      const task = plan!.resources.find((r) => r.name === "demo-flow-task-load")!;
      assert.ok(String(task.inputs.sqlStatement).includes(`/LOAD/${local}/load.zip`), "the locally built bundle is deployed");
      const text = renderPlanText(plan!);
      assert.match(text, /differing from dev: FIT, LOAD \(deployed anyway: allowUnpromotedCode is set\)\n {4}FIT: payload [0-9a-f]{12} here, ffffffffffff in dev\n {4}LOAD: bundle/);
    });
  });
}

describe("promotion edge cases", () => {
  it("refuses when dev was never deployed (no bundleSha256), naming every Python task", async () => {
    await assert.rejects(planStack({ projectDir: PROJECT_DIR, stack: "prod", stackOutputs: { [DEV]: { rootTask: "X" } } }), (error: unknown) => {
      assert.ok(error instanceof PromotionRefusedError);
      assert.deepEqual(error.tasks, BUNDLED);
      assert.match(error.message, /exports no bundleSha256/);
      return true;
    });
  });

  it("a stack that promotes from itself is a configuration error, before the StackReference is read", async () => {
    const stackConfig = withConfig(readStackConfigFiles(PROJECT_DIR, "prod"), { promoteFrom: "prod" });
    const { error, observed } = await observedPlan({ projectDir: PROJECT_DIR, stack: "prod", stackConfig });
    assert.ok(error instanceof ConfigurationError, String(error));
    assert.deepEqual(error.problems, [{ file: "Pulumi.prod.yaml", path: "snowflake-ml-pipeline:promoteFrom", message: '"prod" is this stack; a stack cannot promote from itself' }]);
    assert.deepEqual(observed, []);
  });

  it("accepts a fully qualified promoteFrom and an organization other than the default", async () => {
    const dev = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
    const stackConfig = withConfig(readStackConfigFiles(PROJECT_DIR, "prod"), { promoteFrom: "acme/snowflake-ml-pipeline/dev" });
    const plan = await planStack({ projectDir: PROJECT_DIR, stack: "prod", organization: "acme", stackConfig, stackOutputs: { "acme/snowflake-ml-pipeline/dev": dev.outputs } });
    assert.equal((plan.outputs.promotion as PromotionStatus).from, "acme/snowflake-ml-pipeline/dev");
    assert.deepEqual((plan.outputs.promotion as PromotionStatus).unchanged, BUNDLED);
  });

  it("a task edited since dev was deployed is refused, and only that task", async () => {
    const dir = project().dir;
    const deployedDev = await planStack({ projectDir: dir, stack: "dev" });
    appendFileSync(join(dir, "flows/demo/steps/judge.py"), "\n# changed after dev was deployed\n");
    await assert.rejects(planWithSourceStacks({ projectDir: dir, stack: "prod", sourceOutputs: deployedDev.outputs }), (error: unknown) => {
      assert.ok(error instanceof PromotionRefusedError);
      assert.deepEqual(error.tasks, ["JUDGE"]);
      return true;
    });
    // Planned from the same working tree, dev has the edit too, so the promotion is accepted.
    const plan = await planWithSourceStacks({ projectDir: dir, stack: "prod" });
    assert.deepEqual((plan.outputs.promotion as PromotionStatus).unchanged, BUNDLED);
  });

  it("dev itself does not promote and exports no promotion status", async () => {
    const plan = await planWithSourceStacks({ projectDir: PROJECT_DIR, stack: "dev" });
    assert.equal(plan.outputs.promotion, undefined);
    assert.ok(!renderPlanText(plan).includes("Promotion from"));
  });

  it("a promotion cycle is reported instead of planned forever", async () => {
    const dir = project({ dev: demoStack([PIPELINE_FILE], { promoteFrom: "prod" }), prod: prodStack() }).dir;
    await assert.rejects(planWithSourceStacks({ projectDir: dir, stack: "prod" }), (error: unknown) => {
      assert.ok(error instanceof StackFileError);
      assert.equal(error.message, "promoteFrom forms a cycle: prod -> dev -> prod");
      return true;
    });
  });

  it("a source stack of another project needs its outputs given", async () => {
    const dir = project({ dev: demoStack([PIPELINE_FILE]), prod: prodStack({ promoteFrom: "organization/other-project/dev" }) }).dir;
    await assert.rejects(planWithSourceStacks({ projectDir: dir, stack: "prod" }), /a stack of another project, which cannot be planned offline here; give its outputs/);
  });
});

describe("npm run plan -- --stack prod", () => {
  it("plans prod offline, dev planned first as the promotion source: every task promoted unchanged", () => {
    const result = runPlanCli(["--stack", "prod"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Offline plan of stack "prod"/);
    assert.match(result.stdout, /schedule: USING CRON 0 3 \* \* \* UTC; started: true; warehouse: FX_PROD_WH/);
    assert.ok(result.stdout.includes(`Promotion from ${DEV}\n  promoted unchanged (the bundles dev runs): ${BUNDLED.join(", ")}\n  differing from dev: none\n`), result.stdout);
  });

  it("refuses with the deployed dev's outputs when they differ: exit 1, the tasks on stderr, nothing on stdout", () => {
    const dir = project().dir;
    const outputs = JSON.parse(runPlanCli(["--stack", "dev", "--json"]).stdout).outputs;
    outputs.bundleSha256.TIDY = OTHER;
    for (const pipeline of Object.values(outputs.pipelines as Record<string, { bundleSha256: Record<string, string> }>)) pipeline.bundleSha256.TIDY = OTHER;
    writeFileSync(join(dir, "dev-outputs.json"), JSON.stringify(outputs));
    const result = runPlanCli(["--stack", "prod", "--source-outputs", join(dir, "dev-outputs.json")]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^promotion from stack organization\/snowflake-ml-pipeline\/dev refused: .* 1 task: TIDY\n {2}TIDY: bundle [0-9a-f]{12} here, ffffffffffff in dev\n/);
  });
});
