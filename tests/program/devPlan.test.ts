// The program under the mock runtime with a fixture project's dev stack, in preview and in update
// mode. Expected values are written out by hand from the fixture (tests/support/fixtureProject.ts).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Plan, planStack, PlannedResource } from "../../cli/mockPlan";
import { demoPipeline, demoStack, FixtureProject, fixtureProject } from "../support/fixtureProject";

const SAMPLE_CSV = "a,b\n1,2\n";

const T = {
  provider: "pulumi:providers:snowflake",
  pipeline: "snowflake-ml-pipeline:pipeline:Pipeline",
  platform: "snowflake-ml-pipeline:platform:Platform",
  stages: "snowflake-ml-pipeline:stages:Stages",
  registry: "snowflake-ml-pipeline:registry:ModelRegistry",
  access: "snowflake-ml-pipeline:access:PipelineRoleAccess",
  graph: "snowflake-ml-pipeline:tasks:TaskGraph",
  database: "snowflake:index/database:Database",
  schema: "snowflake:index/schema:Schema",
  warehouse: "snowflake:index/warehouse:Warehouse",
  stage: "snowflake:index/stage:Stage",
  grant: "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole",
  task: "snowflake:index/task:Task",
  pool: "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool",
  files: "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles",
  activation: "pulumi-nodejs:dynamic/snowflake-ml-pipeline:GraphActivation",
};

const EXPECTED = [
  [T.provider, "snowflake"],
  [T.pipeline, "demo-flow"],
  [T.platform, "platform"],
  [T.database, "platform-database"],
  [T.schema, "platform-schema"],
  [T.schema, "platform-data-schema"],
  [T.warehouse, "platform-warehouse"],
  [T.stages, "platform"],
  [T.stage, "platform-code-stage"],
  [T.stage, "platform-job-stage"],
  [T.stage, "platform-artifact-stage"],
  [T.stage, "platform-data-stage"],
  [T.pool, "platform-compute-pool"],
  [T.registry, "platform"],
  [T.schema, "platform-registry-schema"],
  [T.access, "platform"],
  [T.grant, "platform-grant-artifact-stage"],
  [T.grant, "platform-grant-code-stage"],
  [T.grant, "platform-grant-compute-pool"],
  [T.grant, "platform-grant-data-schema"],
  [T.grant, "platform-grant-data-stage"],
  [T.grant, "platform-grant-database"],
  [T.grant, "platform-grant-job-stage"],
  [T.grant, "platform-grant-notification-integration"],
  [T.grant, "platform-grant-registry-schema"],
  [T.grant, "platform-grant-schema"],
  [T.grant, "platform-grant-warehouse"],
  [T.files, "demo-flow-sample-data"],
  [T.graph, "demo-flow"],
  [T.task, "demo-flow-root"],
  [T.task, "demo-flow-task-load"],
  [T.task, "demo-flow-task-fit"],
  [T.task, "demo-flow-task-judge"],
  [T.task, "demo-flow-task-publish"],
  [T.task, "demo-flow-task-warn"],
  [T.task, "demo-flow-finalizer"],
  [T.files, "demo-flow-bundle-load"],
  [T.files, "demo-flow-bundle-fit"],
  [T.files, "demo-flow-bundle-judge"],
  [T.files, "demo-flow-bundle-publish"],
  [T.files, "demo-flow-bundle-tidy"],
  [T.files, "demo-flow-payload-fit"],
  [T.activation, "demo-flow-activation"],
].map(([type, name]) => `${type} ${name}`).sort();

const FQ_ROOT = '"FX_DB"."PIPE"."DEMO_FLOW"';
const fqTask = (t: string) => `"FX_DB"."PIPE"."DEMO_FLOW$${t}"`;
const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

for (const preview of [true, false]) {
  describe(`dev stack under mocks (${preview ? "preview" : "update"})`, () => {
    let plan: Plan;
    const byName = (name: string): PlannedResource => {
      const found = plan.resources.find((r) => r.name === name && r.type !== T.platform && r.type !== T.stages && r.type !== T.registry && r.type !== T.access && r.type !== T.graph && r.type !== T.pipeline);
      assert.ok(found, `no resource ${name}`);
      return found;
    };
    let project: FixtureProject;
    before(async () => {
      const pipeline = demoPipeline();
      pipeline.files["sample_data/mortgage_sample.csv"] = SAMPLE_CSV;
      project = fixtureProject({
        pipelines: [pipeline],
        stacks: { dev: demoStack([pipeline.file], { sampleData: true, pipelineRole: "FX_ENGINEER", pipelineSettings: { DEMO_FLOW: { graphConfig: { metric_threshold: 0.65 } } } }) },
      });
      plan = await planStack({ projectDir: project.dir, stack: "dev", preview });
    });
    after(() => project.cleanup());

    it("registers exactly the expected resources, with unique URNs", () => {
      assert.deepEqual(plan.resources.map((r) => `${r.type} ${r.name}`).sort(), EXPECTED);
      assert.equal(new Set(plan.resources.map((r) => r.urn)).size, plan.resources.length);
    });

    it("names every Snowflake object explicitly (never autonamed)", () => {
      for (const r of plan.resources.filter((r) => r.type.startsWith("snowflake:index/") && r.type !== T.grant)) {
        assert.match(String(r.inputs.name), /^[A-Z_][A-Z0-9_$]*$/, `${r.name} has no explicit upper-case name`);
      }
      assert.equal(byName("platform-database").inputs.name, "FX_DB");
      assert.equal(byName("platform-warehouse").inputs.name, "FX_WH");
      assert.equal(byName("platform-registry-schema").inputs.name, "REGISTRY");
      assert.equal(byName("platform-job-stage").inputs.encryption, "TYPE = 'SNOWFLAKE_SSE'");
    });

    it("gives every child its component as parent", () => {
      const urnOf = (type: string, name: string) => plan.resources.find((r) => r.type === type && r.name === name)!.urn;
      const pipelineUrn = urnOf(T.pipeline, "demo-flow");
      const graphUrn = urnOf(T.graph, "demo-flow");
      assert.equal(urnOf(T.provider, "snowflake").length > 0, true);
      assert.equal(plan.resources.find((r) => r.type === T.provider)!.parent, null);
      assert.equal(plan.resources.find((r) => r.type === T.pipeline)!.parent, null);
      for (const r of plan.resources.filter((r) => r.type === T.task || r.name.includes("-bundle-") || r.name.includes("-payload-"))) {
        assert.equal(r.parent, graphUrn, `${r.name} is not a child of the TaskGraph`);
      }
      const platformUrn = urnOf(T.platform, "platform");
      assert.equal(plan.resources.find((r) => r.type === T.platform)!.parent, null, "the platform is shared, not a pipeline's child");
      assert.equal(byName("platform-compute-pool").parent, platformUrn);
      assert.equal(urnOf(T.graph, "demo-flow") !== "" && plan.resources.find((r) => r.type === T.graph)!.parent, pipelineUrn);
      assert.equal(byName("platform-code-stage").parent, urnOf(T.stages, "platform"));
      assert.equal(byName("platform-registry-schema").parent, urnOf(T.registry, "platform"));
      assert.equal(byName("demo-flow-sample-data").parent, pipelineUrn, "the sample data is the pipeline's");
    });

    it("makes the root the scheduled, configured head of the graph", () => {
      const root = byName("demo-flow-root");
      assert.equal(root.inputs.name, "DEMO_FLOW");
      assert.equal(root.inputs.database, "FX_DB");
      assert.equal(root.inputs.schema, "PIPE");
      assert.equal(root.inputs.warehouse, "FX_WH");
      assert.equal(root.inputs.started, false);
      assert.equal(root.inputs.schedule, undefined, "dev runs manually");
      assert.equal(root.inputs.afters, undefined);
      const sampleSha = createHash("sha256").update(SAMPLE_CSV).digest("hex");
      const expectedConfig =
        '{"artifact_stage":"FX_DB.PIPE.ARTIFACT_STAGE","code_stage":"FX_DB.PIPE.CODE_STAGE","compute_pool":"FX_POOL",' +
        '"data_schema":"FX_DB.RAW","data_stage":"FX_DB.PIPE.DATA_STAGE","database":"FX_DB",' +
        '"job_stage":"FX_DB.PIPE.JOB_STAGE","metric_name":"accuracy","metric_threshold":0.65,"model_name":"demo_model",' +
        '"pipeline_name":"DEMO_FLOW","registry_schema":"FX_DB.REGISTRY","sample_data":true,' +
        `"sample_data_file":"@FX_DB.PIPE.DATA_STAGE/DEMO_FLOW/sample/${sampleSha}/mortgage_sample.csv","schema":"PIPE",` +
        '"source_table":"FX_DB.RAW.MORTGAGE_LENDING_DEMO_DATA","warehouse":"FX_WH"}';
      assert.equal(root.inputs.config, expectedConfig);
    });

    it("wires AFTER edges, branch WHENs and the finalizer", () => {
      const task = (t: string) => byName(`demo-flow-task-${t}`).inputs;
      assert.deepEqual(task("load").afters, [FQ_ROOT]);
      assert.deepEqual(task("fit").afters, [fqTask("LOAD")]);
      assert.deepEqual(task("judge").afters, [fqTask("FIT")]);
      assert.deepEqual(task("publish").afters, [fqTask("JUDGE")]);
      assert.deepEqual(task("warn").afters, [fqTask("JUDGE")]);
      // WHENs and SQL bodies end with a hash of their text (a case-only edit must show).
      const hash12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
      const publishWhen = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('DEMO_FLOW$JUDGE') = 'PUBLISH'";
      const warnWhen = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('DEMO_FLOW$JUDGE') = 'WARN'";
      assert.equal(task("publish").when, `${publishWhen} /* ${hash12(publishWhen)} */`);
      assert.equal(task("warn").when, `${warnWhen} /* ${hash12(warnWhen)} */`);
      assert.equal(task("judge").when, undefined);
      const finalizer = byName("demo-flow-finalizer").inputs;
      assert.equal(finalizer.name, "DEMO_FLOW$TIDY");
      assert.equal(finalizer.finalize, FQ_ROOT);
      assert.equal(finalizer.afters, undefined);
      assert.equal(finalizer.started, true);
      for (const t of ["load", "fit", "judge", "publish", "warn"]) {
        assert.equal(task(t).started, true, `${t} stays resumed so a manual run reaches it`);
        assert.equal(task(t).schedule, undefined);
      }
      assert.equal(task("fit").userTaskTimeoutMs, 7200000);
      const warnSql = String(task("warn").sqlStatement);
      const [warnBody, warnHash] = warnSql.split("\n-- ");
      assert.match(warnBody, /SNOWFLAKE\.NOTIFICATION\.INTEGRATION\('FX_ALERTS'\)\)$/);
      assert.equal(warnHash, hash12(warnBody));
    });

    it("references each Python task's staged bundle by its content hash", () => {
      const bundles = plan.outputs.bundleSha256 as Record<string, string>;
      for (const [task, file] of [
        ["LOAD", "load"],
        ["FIT", "fit"],
        ["JUDGE", "judge"],
        ["PUBLISH", "publish"],
        ["TIDY", "tidy"],
      ]) {
        const suffix = task.toLowerCase().replace(/_/g, "-");
        const staged = byName(`demo-flow-bundle-${suffix}`).inputs as { stage: string; directory: string; files: { path: string; sha256: string; source: string }[] };
        const sha = sha256File(join(project.dir, staged.files[0].source));
        assert.equal(staged.files[0].sha256, sha);
        assert.equal(bundles[task], sha);
        assert.equal(staged.stage, "FX_DB.PIPE.CODE_STAGE");
        assert.equal(staged.directory, `DEMO_FLOW/${task}/${sha}`);
        const taskName = task === "TIDY" ? "demo-flow-finalizer" : `demo-flow-task-${suffix}`;
        const sql = String(byName(taskName).inputs.sqlStatement);
        assert.ok(sql.includes(`IMPORTS = ('@FX_DB.PIPE.CODE_STAGE/DEMO_FLOW/${task}/${sha}/${file}.zip')`), sql);
        assert.ok(sql.includes(`HANDLER = 'steps.${file}.main'`), sql);
        assert.ok(sql.startsWith(`WITH ${task}_HANDLER AS PROCEDURE (`), sql);
        assert.ok(sql.includes("RUNTIME_VERSION = '3.11'"), sql);
        const deps = byName(taskName).dependsOn;
        assert.ok(deps.includes(byName(`demo-flow-bundle-${suffix}`).urn), `${task} does not depend on its bundle`);
      }
      const train = String(byName("demo-flow-task-fit").inputs.sqlStatement);
      const payloadSha = (plan.outputs.payloadSha256 as Record<string, string>).FIT;
      assert.match(payloadSha, /^[0-9a-f]{64}$/);
      assert.ok(train.includes(`CALL FIT_HANDLER('@FX_DB.PIPE.CODE_STAGE/DEMO_FLOW/FIT/payload/${payloadSha}/', 'jobs/fit_job.py', 2)`), train);
      const payload = byName("demo-flow-payload-fit").inputs as { files: { path: string }[] };
      assert.ok(payload.files.some((f) => f.path === "jobs/fit_job.py"));
    });

    it("orders tasks after their predecessors and the platform", () => {
      const urn = (name: string) => byName(name).urn;
      assert.ok(byName("demo-flow-task-fit").dependsOn.includes(urn("demo-flow-task-load")));
      assert.ok(byName("demo-flow-finalizer").dependsOn.includes(urn("demo-flow-root")));
      const activation = byName("demo-flow-activation");
      // After the whole TaskGraph component (Pulumi waits for every child of a component dependency).
      assert.deepEqual(activation.dependsOn, [plan.resources.find((r) => r.type === T.graph)!.urn]);
      // Only the root and its declared state: editing or adding a task never changes the activation.
      assert.deepEqual(activation.inputs, { rootTask: "FX_DB.PIPE.DEMO_FLOW", started: false });
    });

    it("creates the compute pool and enables the preview features it uses", () => {
      const pool = byName("platform-compute-pool").inputs;
      assert.deepEqual(
        { name: pool.name, instanceFamily: pool.instanceFamily, minNodes: pool.minNodes, maxNodes: pool.maxNodes, autoSuspendSecs: pool.autoSuspendSecs },
        { name: "FX_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 3, autoSuspendSecs: 3600 },
      );
      const provider = plan.resources.find((r) => r.type === T.provider)!;
      assert.equal(provider.inputs.previewFeaturesEnabled, '["snowflake_stage_resource"]');
      assert.equal(provider.inputs.organizationName, "FXORG");
      assert.equal(provider.inputs.role, "FX_ROLE");
      assert.equal(provider.inputs.privateKey, "[secret]", "the stack file's secure: value stays a secret");
    });

    it("exports the stack outputs", () => {
      assert.equal(plan.outputs.rootTask, "FX_DB.PIPE.DEMO_FLOW");
      assert.equal(plan.outputs.computePool, "FX_POOL");
      assert.equal(plan.outputs.registrySchema, "FX_DB.REGISTRY");
      assert.deepEqual(plan.outputs.stages, {
        artifact: "@FX_DB.PIPE.ARTIFACT_STAGE",
        code: "@FX_DB.PIPE.CODE_STAGE",
        data: "@FX_DB.PIPE.DATA_STAGE",
        job: "@FX_DB.PIPE.JOB_STAGE",
      });
      assert.deepEqual(Object.keys(plan.outputs.tasks as object).sort(), ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY", "WARN"]);
      assert.deepEqual(Object.keys(plan.outputs.bundleSha256 as object).sort(), ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY"]);
    });
  });
}
