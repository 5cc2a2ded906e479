// The exported components used from another Pulumi TypeScript program, under the mock runtime:
// declaring a fixture's pipeline registers the same resources as this project's stack does, and
// bad args fail at the top of the constructor with the messages `npm run plan` gives.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Plan, planProgram, planStack, PlannedResource } from "../../cli/mockPlan";
import { ConfigurationError, Pipeline, PipelineArgs, Platform, PlatformArgs, validatePipelineArgs } from "../../components";
import { demoPipeline, FixtureProject, fixtureProject } from "../support/fixtureProject";

const comparable = (plan: Plan) =>
  plan.resources
    .filter((r) => !r.type.startsWith("pulumi:providers:"))
    .map((r: PlannedResource) => ({ urn: r.urn, parent: r.parent, dependsOn: r.dependsOn, inputs: r.inputs }));

const PLATFORM: PlatformArgs = {
  database: "FX_DB",
  schema: "PIPE",
  dataSchema: "RAW",
  registrySchema: "REGISTRY",
  warehouse: { name: "FX_WH", size: "XSMALL" },
  computePool: { name: "FX_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 3 },
};

describe("the Pipeline component in another program", () => {
  let project: FixtureProject;
  let stack: Plan;
  let own: Plan;
  before(async () => {
    project = fixtureProject();
    stack = await planStack({ projectDir: project.dir, stack: "dev" });
    // What a user writes: no stack settings, no resolveConfiguration; the code is built by the component.
    own = await planProgram({ projectDir: project.dir, stack: "dev" }, async (opts) => {
      const platform = new Platform("platform", PLATFORM, opts);
      const pipeline = new Pipeline(
        "demo-flow",
        { definition: "flows/demo/pipeline.yaml", projectDir: project.dir, platform, notificationIntegration: "FX_ALERTS" },
        opts,
      );
      return { ...(await pipeline.ready) };
    });
  });
  after(() => project.cleanup());

  it("registers the same resources, with the same inputs, as the stack", () => {
    assert.ok(own.resources.length > 20);
    assert.deepEqual(comparable(own), comparable(stack));
  });

  it("exports the pipeline's outputs", () => {
    assert.deepEqual(own.outputs, (stack.outputs.pipelines as Record<string, unknown>).DEMO_FLOW);
  });
});

describe("the Pipeline component's validation", () => {
  const project = fixtureProject();
  after(() => project.cleanup());
  const existing = { database: "D", schema: "S", dataSchema: "DS", registrySchema: "R", warehouse: "W", computePool: "P", computePoolMaxNodes: 1 };
  const args = (overrides: Partial<PipelineArgs>): PipelineArgs => ({ definition: "flows/demo/pipeline.yaml", projectDir: project.dir, platform: existing, ...overrides });
  const problemsOf = (a: PipelineArgs) => {
    try {
      validatePipelineArgs("p", a);
    } catch (error) {
      assert.ok(error instanceof ConfigurationError);
      return error.problems;
    }
    return [];
  };

  it("a valid definition on existing objects passes", () => {
    assert.deepEqual(problemsOf(args({ platform: { ...existing, computePoolMaxNodes: 2 }, notificationIntegration: "N" })), []);
  });

  it("names the arg and says what was expected", () => {
    assert.deepEqual(problemsOf(args({ platform: { ...existing, computePoolMaxNodes: 2 }, notificationIntegration: "N", schedule: "9d", started: true })), [
      { file: 'Pipeline "p"', path: "schedule", message: '"9d" is 12960 minutes; Snowflake allows 1 to 11520 minutes (8 days)' },
    ]);
    assert.deepEqual(problemsOf(args({ projectDir: "relative/dir" }))[0], { file: 'Pipeline "p"', path: "projectDir", message: 'expected an absolute directory, got "relative/dir"' });
    assert.deepEqual(problemsOf(args({ definition: demoPipeline().definition as never }))[0], {
      file: 'Pipeline "p"',
      path: "codeRoot",
      message: "expected the folder the entrypoints are relative to, with a definition object",
    });
  });

  it("the data args: a source table must be an identifier; sampleData needs the definition's sample file", () => {
    const problems = problemsOf(args({ platform: { ...existing, computePoolMaxNodes: 2 }, notificationIntegration: "N", sourceTable: "loans table", sampleData: true }));
    assert.deepEqual(
      problems.map((p) => `${p.file}: ${p.path}`),
      ['flows/demo/pipeline.yaml: sampleData', 'Pipeline "p": sourceTable'],
    );
    assert.match(problems[0].message, /^file not found: .*sample_data\/mortgage_sample\.csv$/);
  });

  it("checks the definition against the platform: an ML Job larger than the pool", () => {
    const problems = problemsOf(args({ notificationIntegration: "N" }));
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, "flows/demo/pipeline.yaml");
    assert.match(problems[0].path, /^tasks\.FIT\.job\.targetInstances$/);
  });

  it("a Platform with a bad name fails in its constructor, before anything is registered", () => {
    assert.throws(
      () => new Platform("x", { ...PLATFORM, database: "fx db" }),
      (error: unknown) => error instanceof ConfigurationError && error.problems[0].file === 'Platform "x"' && error.problems[0].path === "database",
    );
  });

  it("the definition file is found from projectDir, whatever the working directory", () => {
    const cwd = process.cwd();
    process.chdir(join(project.dir, "flows"));
    try {
      assert.deepEqual(problemsOf(args({ platform: { ...existing, computePoolMaxNodes: 2 }, notificationIntegration: "N" })), []);
    } finally {
      process.chdir(cwd);
    }
  });
});
