// Several pipelines in one stack, on one shared platform; and the problems between them.
// Fixture projects only: the expected names are written out from the fixture definitions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Plan, planStack } from "../../cli/mockPlan";
import { ConfigurationError } from "../../lib/config/resolveConfiguration";
import { diffPlans } from "../../lib/plan/diffPlans";
import { groupDiff } from "../../lib/plan/renderDiff";
import { renderPlanText } from "../../lib/plan/renderPlan";
import { PromotionRefusedError, PromotionStatus } from "../../lib/promotion";
import { demoPipeline, demoStack, FixtureProject, fixtureProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

const TASK = "snowflake:index/task:Task";
const FILES = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles";

describe("two pipelines in one stack", () => {
  const alpha = demoPipeline("ALPHA_FLOW", "flows/alpha");
  const beta = demoPipeline("BETA_FLOW", "flows/beta");
  let project: FixtureProject;
  let plan: Plan;
  before(async () => {
    project = fixtureProject({
      pipelines: [alpha, beta],
      stacks: {
        dev: demoStack([alpha.file, beta.file], {
          schedule: "1d",
          pipelineSettings: { BETA_FLOW: { schedule: "12h", started: true, graphConfig: { metric_threshold: 0.9 } } },
        }),
      },
    });
    plan = await planStack({ projectDir: project.dir, stack: "dev" });
  });
  after(() => project.cleanup());

  it("plans one root per pipeline, with task names of their own", () => {
    const names = plan.resources.filter((r) => r.type === TASK).map((r) => String(r.inputs.name));
    const of = (p: string) => ["", "$LOAD", "$FIT", "$JUDGE", "$PUBLISH", "$WARN", "$TIDY"].map((t) => `${p}${t}`);
    assert.deepEqual(names.sort(), [...of("ALPHA_FLOW"), ...of("BETA_FLOW")].sort());
  });

  it("stages every bundle under its own pipeline's path", () => {
    const dirs = plan.resources.filter((r) => r.type === FILES && r.name.includes("-bundle-")).map((r) => String(r.inputs.directory));
    // Five Python tasks in each (LOAD, FIT, JUDGE, PUBLISH, TIDY), with the same code in both.
    assert.equal(dirs.length, 10);
    assert.equal(new Set(dirs).size, 10);
    assert.equal(dirs.filter((d) => d.startsWith("ALPHA_FLOW/")).length, 5);
    assert.equal(dirs.filter((d) => d.startsWith("BETA_FLOW/")).length, 5);
  });

  it("shares one platform: one database, warehouse, compute pool and set of stages", () => {
    const count = (type: string) => plan.resources.filter((r) => r.type === type).length;
    assert.equal(count("snowflake:index/database:Database"), 1);
    assert.equal(count("snowflake:index/warehouse:Warehouse"), 1);
    assert.equal(count("pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool"), 1);
    assert.equal(count("snowflake:index/stage:Stage"), 4);
    assert.equal(count("snowflake-ml-pipeline:pipeline:Pipeline"), 2);
    assert.equal(count("snowflake-ml-pipeline:platform:Platform"), 1);
  });

  it("applies each pipeline's own settings over the stack-wide ones", () => {
    const root = (name: string) => plan.resources.find((r) => r.type === TASK && r.inputs.name === name)!;
    assert.deepEqual(root("ALPHA_FLOW").inputs.schedule, { minutes: 1440 });
    assert.equal(root("ALPHA_FLOW").inputs.started, false);
    assert.deepEqual(root("BETA_FLOW").inputs.schedule, { minutes: 720 });
    assert.equal(root("BETA_FLOW").inputs.started, true);
    assert.match(String(root("ALPHA_FLOW").inputs.config), /"metric_threshold":0\.5/);
    assert.match(String(root("BETA_FLOW").inputs.config), /"metric_threshold":0\.9/);
  });

  it("exports each pipeline under its name, and no single-pipeline entries", () => {
    const pipelines = plan.outputs.pipelines as Record<string, { rootTask: string; tasks: Record<string, string>; schedule: string }>;
    assert.deepEqual(Object.keys(pipelines), ["ALPHA_FLOW", "BETA_FLOW"]);
    assert.equal(pipelines.ALPHA_FLOW.rootTask, "FX_DB.PIPE.ALPHA_FLOW");
    assert.equal(pipelines.BETA_FLOW.tasks.TIDY, "FX_DB.PIPE.BETA_FLOW$TIDY");
    assert.equal(pipelines.BETA_FLOW.schedule, "12h");
    assert.equal(plan.outputs.rootTask, undefined);
    assert.equal(plan.outputs.computePool, "FX_POOL");
  });
});

describe("problems between pipelines", () => {
  const projects: FixtureProject[] = [];
  after(() => projects.forEach((p) => p.cleanup()));
  const problemsOf = async (pipelines: ReturnType<typeof demoPipeline>[], overrides: Record<string, unknown> = {}) => {
    const project = fixtureProject({ pipelines, stacks: { dev: demoStack(pipelines.map((p) => p.file), overrides) } });
    projects.push(project);
    try {
      await planStack({ projectDir: project.dir, stack: "dev", stackConfig: withConfig(project.stackConfig("dev"), {}) });
    } catch (error) {
      assert.ok(error instanceof ConfigurationError, String(error));
      return error.problems;
    }
    assert.fail("expected a ConfigurationError");
  };

  it("two definitions with one name", async () => {
    const problems = await problemsOf([demoPipeline("SAME_FLOW", "flows/a"), demoPipeline("SAME_FLOW", "flows/b")]);
    assert.deepEqual(problems, [
      {
        file: "Pulumi.dev.yaml",
        path: "snowflake-ml-pipeline:pipelines[1]",
        message: "flows/b/pipeline.yaml names its pipeline SAME_FLOW, as flows/a/pipeline.yaml does; expected a name of its own",
      },
    ]);
  });

  it("a task of one pipeline that is named like another pipeline's task", async () => {
    const a = demoPipeline("A", "flows/a");
    (a.definition.tasks as { name: string }[]).push({ name: "B$LOAD", sql: "SELECT 1", after: ["LOAD"] } as never);
    const problems = await problemsOf([a, demoPipeline("A$B", "flows/b")]);
    assert.deepEqual(problems, [
      { file: "flows/b/pipeline.yaml", path: "name", message: "the Snowflake task A$B$LOAD is also a task of flows/a/pipeline.yaml; expected pipeline and task names that stay apart" },
    ]);
  });

  it("the same file listed twice, and settings for a pipeline the stack does not have", async () => {
    const a = demoPipeline("ALPHA_FLOW", "flows/a");
    const problems = await problemsOf([a], { pipelines: [a.file, `./${a.file}`], pipelineSettings: { ALPHA_FLOWS: { started: false } } });
    assert.deepEqual(problems, [
      { file: "Pulumi.dev.yaml", path: "snowflake-ml-pipeline:pipelines[1]", message: "./flows/a/pipeline.yaml is listed twice (also pipelines[0])" },
      { file: "Pulumi.dev.yaml", path: "snowflake-ml-pipeline:pipelineSettings.ALPHA_FLOWS", message: "no pipeline of this stack is named ALPHA_FLOWS; expected one of ALPHA_FLOW" },
    ]);
  });

  it("a pipeline's own started without a schedule names its own key", async () => {
    const problems = await problemsOf([demoPipeline()], { pipelineSettings: { DEMO_FLOW: { started: true } } });
    assert.deepEqual(problems.map((p) => p.path), ["snowflake-ml-pipeline:pipelineSettings.DEMO_FLOW.started"]);
  });
});

describe("two pipelines: text plan, plan diff and promotion per pipeline", () => {
  const alpha = demoPipeline("ALPHA_FLOW", "flows/alpha");
  const beta = demoPipeline("BETA_FLOW", "flows/beta");
  const files = [alpha.file, beta.file];
  let project: FixtureProject;
  let dev: Plan;
  before(async () => {
    project = fixtureProject({
      pipelines: [alpha, beta],
      stacks: {
        dev: demoStack(files),
        prod: demoStack(files, { database: "FX_PROD", promoteFrom: "dev", schedule: "1d", started: true }),
      },
    });
    dev = await planStack({ projectDir: project.dir, stack: "dev" });
  });
  after(() => project.cleanup());
  const DEV = "organization/snowflake-ml-pipeline/dev";

  it("prints one task graph per pipeline", () => {
    const text = renderPlanText(dev);
    assert.ok(text.includes("Task graph FX_DB.PIPE.ALPHA_FLOW\n"), text);
    assert.ok(text.includes("Task graph FX_DB.PIPE.BETA_FLOW\n"), text);
  });

  it("groups a diff by pipeline and task", async () => {
    project.append("flows/beta/steps/judge.py", "\n# an edit\n");
    try {
      const edited = await planStack({ projectDir: project.dir, stack: "dev" });
      const titles = groupDiff(diffPlans(dev, edited), dev, edited).map((g) => g.title);
      assert.deepEqual(titles, ["Task BETA_FLOW$JUDGE"]);
    } finally {
      project.write("flows/beta/steps/judge.py", beta.files["steps/judge.py"]);
    }
  });

  it("promotes each pipeline against the source's same pipeline", async () => {
    const prod = await planStack({ projectDir: project.dir, stack: "prod", stackOutputs: { [DEV]: dev.outputs } });
    const pipelines = prod.outputs.pipelines as Record<string, { promotion: PromotionStatus }>;
    assert.deepEqual(pipelines.ALPHA_FLOW.promotion.unchanged, ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY"]);
    assert.deepEqual(pipelines.BETA_FLOW.promotion.unchanged, ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY"]);
    assert.equal(prod.outputs.promotion, undefined, "no single-pipeline alias with two pipelines");
    assert.ok(renderPlanText(prod).includes(`Promotion of BETA_FLOW from ${DEV}\n`));
  });

  it("refuses a pipeline whose code differs from the source's, naming the pipeline", async () => {
    const outputs = JSON.parse(JSON.stringify(dev.outputs)) as { pipelines: Record<string, { bundleSha256: Record<string, string> }> };
    outputs.pipelines.BETA_FLOW.bundleSha256.LOAD = "f".repeat(64);
    await assert.rejects(planStack({ projectDir: project.dir, stack: "prod", stackOutputs: { [DEV]: outputs } }), (error: unknown) => {
      assert.ok(error instanceof PromotionRefusedError);
      assert.match(error.message, /^promotion of pipeline BETA_FLOW from stack organization\/snowflake-ml-pipeline\/dev refused: the code built here differs from what dev runs for 1 task: LOAD\n/);
      return true;
    });
  });
});
