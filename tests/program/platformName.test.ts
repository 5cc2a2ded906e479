// The platform is the stack's: which pipelines a stack lists, and in what order, changes no platform
// object; a stack deployed when the platform was named after its first pipeline finds its objects
// through aliases. And each pipeline's data settings are its own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { planStack, type Plan } from "../../cli/mockPlan";
import { diffPlans } from "../../lib/plan/diffPlans";
import { churnPipeline, demoPipeline, demoStack, fixtureProject, type FixtureProject } from "../support/fixtureProject";

const DEMO = "flows/demo/pipeline.yaml";
const CHURN = "churn/pipeline.yaml";
const RENAMED = "renamed/pipeline.yaml";
const PLATFORM_TYPE = "snowflake-ml-pipeline:platform:Platform";
const PIPELINE_TYPE = "snowflake-ml-pipeline:pipeline:Pipeline";
const PREFIX = "urn:pulumi:both::snowflake-ml-pipeline::"; // the stack planned as "both"

/** Resources that are not a pipeline's: the platform, under it, and the provider. */
function platformPart(plan: Plan): Plan {
  const pipelineUrns = new Set(plan.resources.filter((r) => r.type === PIPELINE_TYPE).map((r) => r.urn));
  const underPipeline = (urn: string | null): boolean => {
    if (urn === null) return false;
    if (pipelineUrns.has(urn)) return true;
    return underPipeline(plan.resources.find((r) => r.urn === urn)?.parent ?? null);
  };
  return { ...plan, resources: plan.resources.filter((r) => !underPipeline(r.urn)), outputs: {} };
}

describe("the platform's name is the stack's", () => {
  let project: FixtureProject;
  const plans: Record<string, Plan> = {};
  before(async () => {
    const renamed = demoPipeline("DEMO_RENAMED", "renamed");
    project = fixtureProject({
      pipelines: [demoPipeline(), churnPipeline(), renamed],
      stacks: {
        both: demoStack([DEMO, CHURN]),
        reordered: demoStack([CHURN, DEMO]),
        churnOnly: demoStack([CHURN]),
        renamed: demoStack([CHURN, RENAMED]),
      },
    });
    for (const stack of ["both", "reordered", "churnOnly", "renamed"]) plans[stack] = await planStack({ projectDir: project.dir, stack });
  });
  after(() => project.cleanup());

  it("reordering, removing or renaming pipelines adds, removes and changes no platform object", () => {
    const base = platformPart(plans.both);
    assert.ok(base.resources.some((r) => r.type === PLATFORM_TYPE && r.name === "platform"));
    for (const other of ["reordered", "churnOnly", "renamed"]) {
      const diff = diffPlans(base, { ...platformPart(plans[other]), stack: "both" });
      assert.deepEqual({ added: diff.added.length, removed: diff.removed.length, changed: diff.changed.map((c) => c.name) }, { added: 0, removed: 0, changed: [] }, other);
    }
  });

  it("removing a pipeline removes exactly its own resources", () => {
    const diff = diffPlans(plans.both, plans.churnOnly);
    assert.deepEqual(diff.added, []);
    assert.deepEqual(diff.changed, []);
    const removedPipelines = new Set(diff.removed.map((r) => r.name.startsWith("demo-flow")));
    assert.deepEqual([...removedPipelines], [true], "every removed resource is the demo pipeline's");
    assert.equal(diff.removed.length, plans.both.resources.length - plans.churnOnly.resources.length);
  });

  it("the platform and each object under it carry the former URNs of every listed pipeline, as the engine writes them", () => {
    const platform = plans.both.resources.find((r) => r.type === PLATFORM_TYPE)!;
    assert.equal(platform.urn, `${PREFIX}${PLATFORM_TYPE}::platform`);
    assert.deepEqual(platform.aliases, [
      `${PREFIX}${PIPELINE_TYPE}$${PLATFORM_TYPE}::churn-pipeline`,
      `${PREFIX}${PIPELINE_TYPE}$${PLATFORM_TYPE}::demo-flow`,
      `${PREFIX}${PLATFORM_TYPE}::churn-pipeline`,
      `${PREFIX}${PLATFORM_TYPE}::demo-flow`,
    ]);
    // A stage is the platform's grandchild (Platform > Stages > Stage); in the one-pipeline layout the
    // Stages component was the pipeline's child.
    const stage = plans.both.resources.find((r) => r.name === "platform-code-stage")!;
    const stages = "snowflake-ml-pipeline:stages:Stages";
    const stageType = "snowflake:index/stage:Stage";
    assert.deepEqual(
      stage.aliases,
      [
        `${PREFIX}${PIPELINE_TYPE}$${PLATFORM_TYPE}$${stages}$${stageType}::churn-pipeline-code-stage`,
        `${PREFIX}${PIPELINE_TYPE}$${PLATFORM_TYPE}$${stages}$${stageType}::demo-flow-code-stage`,
        `${PREFIX}${PIPELINE_TYPE}$${stages}$${stageType}::churn-pipeline-code-stage`,
        `${PREFIX}${PIPELINE_TYPE}$${stages}$${stageType}::demo-flow-code-stage`,
        `${PREFIX}${PLATFORM_TYPE}$${stages}$${stageType}::churn-pipeline-code-stage`,
        `${PREFIX}${PLATFORM_TYPE}$${stages}$${stageType}::demo-flow-code-stage`,
      ].sort(),
    );
    // The database was never the pipeline's own child: two layouts, two pipelines.
    assert.equal(plans.both.resources.find((r) => r.name === "platform-database")!.aliases!.length, 4);
    // Pipeline resources have no aliases.
    assert.equal(plans.both.resources.filter((r) => r.name.startsWith("demo-flow-") && r.aliases !== undefined).length, 0);
  });

  it("the offline diff from a plan that named the platform after its first pipeline follows the aliases", () => {
    const rename = (text: string) => text.replace(/::platform(?=$|-)/g, "::demo-flow").replace(/:Platform::platform$/, ":Platform::demo-flow");
    const former: Plan = {
      ...plans.both,
      resources: plans.both.resources.map((r) => {
        const { aliases: _aliases, ...rest } = r;
        return { ...rest, urn: rename(r.urn), name: r.name.replace(/^platform/, "demo-flow"), parent: r.parent === null ? null : rename(r.parent), dependsOn: r.dependsOn.map(rename) };
      }),
    };
    const diff = diffPlans(former, plans.both);
    assert.deepEqual({ added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length }, { added: 0, removed: 0, changed: 0 });
    assert.equal(diff.aliased.length, platformPart(plans.both).resources.length - 1, "every platform object but the provider is found under its former name");
  });
});

describe("data settings are each pipeline's", () => {
  let project: FixtureProject;
  const configs: Record<string, Record<string, Record<string, unknown>>> = {};
  before(async () => {
    const bare = churnPipeline("bare");
    bare.definition = { ...bare.definition, name: "BARE_PIPELINE", sourceTable: undefined, sampleData: undefined };
    delete bare.files["data/churn_sample.csv"];
    project = fixtureProject({
      pipelines: [demoPipeline(), churnPipeline(), bare],
      stacks: {
        dev: demoStack([CHURN, "bare/pipeline.yaml", DEMO], { sampleData: true, pipelineSettings: { DEMO_FLOW: { sourceTable: "LOANS_V2", sampleData: false } } }),
      },
    });
    const plan = await planStack({ projectDir: project.dir, stack: "dev" });
    configs.dev = Object.fromEntries(
      plan.resources.filter((r) => r.type === "snowflake:index/task:Task" && typeof r.inputs.config === "string").map((r) => [String(r.inputs.name), JSON.parse(r.inputs.config as string) as Record<string, unknown>]),
    );
  });
  after(() => project.cleanup());

  it("a pipeline gets its own source table and sample file, staged under its own name", () => {
    const churn = configs.dev.CHURN_PIPELINE;
    assert.equal(churn.source_table, "FX_DB.RAW.CUSTOMER_EVENTS");
    assert.equal(churn.sample_data, true);
    assert.match(String(churn.sample_data_file), /^@FX_DB\.PIPE\.DATA_STAGE\/CHURN_PIPELINE\/sample\/[0-9a-f]{64}\/churn_sample\.csv$/);
  });

  it("a pipeline without a source table or sample data gets none of those keys, though the stack stages samples", () => {
    const bare = configs.dev.BARE_PIPELINE;
    for (const key of ["source_table", "sample_data", "sample_data_file"]) assert.equal(key in bare, false, key);
  });

  it("pipelineSettings go over the definition: another table, and no staging", () => {
    const demo = configs.dev.DEMO_FLOW;
    assert.equal(demo.source_table, "FX_DB.RAW.LOANS_V2");
    assert.equal(demo.sample_data, false);
    assert.equal("sample_data_file" in demo, false);
  });
});
