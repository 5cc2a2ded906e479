// The program under the mock runtime with the dev stack, in preview and in update mode.
// Expected values are written out from Pulumi.dev.yaml and pipeline-code/pipeline.yaml by hand.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { Plan, planStack, PlannedResource } from "../../lib/plan/mockPlan";
import { PROJECT_DIR } from "../support/stackConfig";

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
  [T.pipeline, "mortgage-pipeline"],
  [T.platform, "mortgage-pipeline"],
  [T.database, "mortgage-pipeline-database"],
  [T.schema, "mortgage-pipeline-schema"],
  [T.schema, "mortgage-pipeline-data-schema"],
  [T.warehouse, "mortgage-pipeline-warehouse"],
  [T.stages, "mortgage-pipeline"],
  [T.stage, "mortgage-pipeline-code-stage"],
  [T.stage, "mortgage-pipeline-job-stage"],
  [T.stage, "mortgage-pipeline-artifact-stage"],
  [T.stage, "mortgage-pipeline-data-stage"],
  [T.pool, "mortgage-pipeline-compute-pool"],
  [T.registry, "mortgage-pipeline"],
  [T.schema, "mortgage-pipeline-registry-schema"],
  [T.access, "mortgage-pipeline"],
  ...["database", "warehouse", "compute-pool", "schema", "data-schema", "registry-schema", "code-stage", "job-stage", "artifact-stage", "data-stage", "notification-integration"].map(
    (key) => [T.grant, `mortgage-pipeline-grant-${key}`],
  ),
  [T.files, "mortgage-pipeline-sample-data"],
  [T.graph, "mortgage-pipeline"],
  [T.task, "mortgage-pipeline-root"],
  [T.task, "mortgage-pipeline-task-prepare-data"],
  [T.task, "mortgage-pipeline-task-train-model"],
  [T.task, "mortgage-pipeline-task-check-model-quality"],
  [T.task, "mortgage-pipeline-task-promote-model"],
  [T.task, "mortgage-pipeline-task-send-alert"],
  [T.task, "mortgage-pipeline-finalizer"],
  [T.files, "mortgage-pipeline-bundle-prepare-data"],
  [T.files, "mortgage-pipeline-bundle-train-model"],
  [T.files, "mortgage-pipeline-bundle-check-model-quality"],
  [T.files, "mortgage-pipeline-bundle-promote-model"],
  [T.files, "mortgage-pipeline-bundle-cleanup"],
  [T.files, "mortgage-pipeline-payload-train-model"],
  [T.activation, "mortgage-pipeline-activation"],
].map(([type, name]) => `${type} ${name}`).sort();

const FQ_ROOT = '"ML_DEV"."PIPELINE"."MORTGAGE_PIPELINE"';
const fqTask = (t: string) => `"ML_DEV"."PIPELINE"."MORTGAGE_PIPELINE$${t}"`;
const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

for (const preview of [true, false]) {
  describe(`dev stack under mocks (${preview ? "preview" : "update"})`, () => {
    let plan: Plan;
    const byName = (name: string): PlannedResource => {
      const found = plan.resources.find((r) => r.name === name && r.type !== T.platform && r.type !== T.stages && r.type !== T.registry && r.type !== T.access && r.type !== T.graph && r.type !== T.pipeline);
      assert.ok(found, `no resource ${name}`);
      return found;
    };
    before(async () => {
      plan = await planStack({ projectDir: PROJECT_DIR, stack: "dev", preview });
    });

    it("registers exactly the expected resources, with unique URNs", () => {
      assert.deepEqual(plan.resources.map((r) => `${r.type} ${r.name}`).sort(), EXPECTED);
      assert.equal(new Set(plan.resources.map((r) => r.urn)).size, plan.resources.length);
    });

    it("names every Snowflake object explicitly (never autonamed)", () => {
      for (const r of plan.resources.filter((r) => r.type.startsWith("snowflake:index/") && r.type !== T.grant)) {
        assert.match(String(r.inputs.name), /^[A-Z_][A-Z0-9_$]*$/, `${r.name} has no explicit upper-case name`);
      }
      assert.equal(byName("mortgage-pipeline-database").inputs.name, "ML_DEV");
      assert.equal(byName("mortgage-pipeline-warehouse").inputs.name, "ML_DEV_WH");
      assert.equal(byName("mortgage-pipeline-registry-schema").inputs.name, "MODELS");
      assert.equal(byName("mortgage-pipeline-job-stage").inputs.encryption, "TYPE = 'SNOWFLAKE_SSE'");
    });

    it("gives every child its component as parent", () => {
      const urnOf = (type: string, name: string) => plan.resources.find((r) => r.type === type && r.name === name)!.urn;
      const pipelineUrn = urnOf(T.pipeline, "mortgage-pipeline");
      const graphUrn = urnOf(T.graph, "mortgage-pipeline");
      assert.equal(urnOf(T.provider, "snowflake").length > 0, true);
      assert.equal(plan.resources.find((r) => r.type === T.provider)!.parent, null);
      assert.equal(plan.resources.find((r) => r.type === T.pipeline)!.parent, null);
      for (const r of plan.resources.filter((r) => r.type === T.task || r.name.includes("-bundle-") || r.name.includes("-payload-"))) {
        assert.equal(r.parent, graphUrn, `${r.name} is not a child of the TaskGraph`);
      }
      assert.equal(byName("mortgage-pipeline-compute-pool").parent, pipelineUrn);
      assert.equal(byName("mortgage-pipeline-activation").parent, pipelineUrn);
      assert.equal(byName("mortgage-pipeline-code-stage").parent, urnOf(T.stages, "mortgage-pipeline"));
      assert.equal(byName("mortgage-pipeline-registry-schema").parent, urnOf(T.registry, "mortgage-pipeline"));
    });

    it("makes the root the scheduled, configured head of the graph", () => {
      const root = byName("mortgage-pipeline-root");
      assert.equal(root.inputs.name, "MORTGAGE_PIPELINE");
      assert.equal(root.inputs.database, "ML_DEV");
      assert.equal(root.inputs.schema, "PIPELINE");
      assert.equal(root.inputs.warehouse, "ML_DEV_WH");
      assert.equal(root.inputs.started, false);
      assert.equal(root.inputs.schedule, undefined, "dev runs manually");
      assert.equal(root.inputs.afters, undefined);
      const sampleSha = sha256File(join(PROJECT_DIR, "pipeline-code/sample_data/mortgage_sample.csv"));
      const expectedConfig =
        '{"artifact_stage":"ML_DEV.PIPELINE.ARTIFACT_STAGE","code_stage":"ML_DEV.PIPELINE.CODE_STAGE","compute_pool":"ML_DEV_POOL",' +
        '"data_schema":"ML_DEV.DATA","data_stage":"ML_DEV.PIPELINE.DATA_STAGE","database":"ML_DEV","dataset_name":"mortgage_dataset",' +
        '"job_stage":"ML_DEV.PIPELINE.JOB_STAGE","metric_name":"test_accuracy","metric_threshold":0.7,"model_name":"mortgage_model",' +
        '"pipeline_name":"MORTGAGE_PIPELINE","registry_schema":"ML_DEV.MODELS","retention_days":30,"sample_data":true,' +
        `"sample_data_file":"@ML_DEV.PIPELINE.DATA_STAGE/sample/${sampleSha}/mortgage_sample.csv","schema":"PIPELINE",` +
        '"source_table":"ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA","warehouse":"ML_DEV_WH"}';
      assert.equal(root.inputs.config, expectedConfig);
    });

    it("wires AFTER edges, branch WHENs and the finalizer", () => {
      const task = (t: string) => byName(`mortgage-pipeline-task-${t}`).inputs;
      assert.deepEqual(task("prepare-data").afters, [FQ_ROOT]);
      assert.deepEqual(task("train-model").afters, [fqTask("PREPARE_DATA")]);
      assert.deepEqual(task("check-model-quality").afters, [fqTask("TRAIN_MODEL")]);
      assert.deepEqual(task("promote-model").afters, [fqTask("CHECK_MODEL_QUALITY")]);
      assert.deepEqual(task("send-alert").afters, [fqTask("CHECK_MODEL_QUALITY")]);
      // WHENs and SQL bodies end with a hash of their text (a case-only edit must show).
      const hash12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
      const promoteWhen = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY') = 'PROMOTE_MODEL'";
      const alertWhen = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY') = 'SEND_ALERT'";
      assert.equal(task("promote-model").when, `${promoteWhen} /* ${hash12(promoteWhen)} */`);
      assert.equal(task("send-alert").when, `${alertWhen} /* ${hash12(alertWhen)} */`);
      assert.equal(task("check-model-quality").when, undefined);
      const finalizer = byName("mortgage-pipeline-finalizer").inputs;
      assert.equal(finalizer.name, "MORTGAGE_PIPELINE$CLEANUP");
      assert.equal(finalizer.finalize, FQ_ROOT);
      assert.equal(finalizer.afters, undefined);
      for (const t of ["prepare-data", "train-model", "check-model-quality", "promote-model", "send-alert"]) {
        assert.equal(task(t).started, true, `${t} stays resumed so a manual run reaches it`);
        assert.equal(task(t).schedule, undefined);
      }
      assert.equal(finalizer.started, true);
      assert.equal(task("train-model").userTaskTimeoutMs, 14400000);
      const alertSql = String(task("send-alert").sqlStatement);
      const [alertBody, alertHash] = alertSql.split("\n-- ");
      assert.match(alertBody, /SNOWFLAKE\.NOTIFICATION\.INTEGRATION\('ML_DEV_ALERTS'\)\)$/);
      assert.equal(alertHash, hash12(alertBody));
    });

    it("references each Python task's staged bundle by its content hash", () => {
      const bundles = plan.outputs.bundleSha256 as Record<string, string>;
      for (const [task, file] of [
        ["PREPARE_DATA", "prepare_data"],
        ["TRAIN_MODEL", "train_model"],
        ["CHECK_MODEL_QUALITY", "check_model_quality"],
        ["PROMOTE_MODEL", "promote_model"],
        ["CLEANUP", "cleanup"],
      ]) {
        const suffix = task.toLowerCase().replace(/_/g, "-");
        const staged = byName(`mortgage-pipeline-bundle-${suffix}`).inputs as { stage: string; directory: string; files: { path: string; sha256: string; source: string }[] };
        const sha = sha256File(join(PROJECT_DIR, staged.files[0].source));
        assert.equal(staged.files[0].sha256, sha);
        assert.equal(bundles[task], sha);
        assert.equal(staged.stage, "ML_DEV.PIPELINE.CODE_STAGE");
        assert.equal(staged.directory, `MORTGAGE_PIPELINE/${task}/${sha}`);
        const taskName = task === "CLEANUP" ? "mortgage-pipeline-finalizer" : `mortgage-pipeline-task-${suffix}`;
        const sql = String(byName(taskName).inputs.sqlStatement);
        assert.ok(sql.includes(`IMPORTS = ('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/${task}/${sha}/${file}.zip')`), sql);
        assert.ok(sql.includes(`HANDLER = 'tasks.${file}.main'`), sql);
        assert.ok(sql.startsWith(`WITH ${task}_HANDLER AS PROCEDURE (`), sql);
        assert.ok(sql.includes("RUNTIME_VERSION = '3.11'"), sql);
        const deps = byName(taskName).dependsOn;
        assert.ok(deps.includes(byName(`mortgage-pipeline-bundle-${suffix}`).urn), `${task} does not depend on its bundle`);
      }
      const train = String(byName("mortgage-pipeline-task-train-model").inputs.sqlStatement);
      const payloadSha = (plan.outputs.payloadSha256 as Record<string, string>).TRAIN_MODEL;
      assert.match(payloadSha, /^[0-9a-f]{64}$/);
      assert.ok(train.includes(`CALL TRAIN_MODEL_HANDLER('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${payloadSha}/', 'jobs/train.py', 2)`), train);
      const payload = byName("mortgage-pipeline-payload-train-model").inputs as { files: { path: string }[] };
      assert.ok(payload.files.some((f) => f.path === "jobs/train.py"));
    });

    it("orders tasks after their predecessors and the platform", () => {
      const urn = (name: string) => byName(name).urn;
      assert.ok(byName("mortgage-pipeline-task-train-model").dependsOn.includes(urn("mortgage-pipeline-task-prepare-data")));
      assert.ok(byName("mortgage-pipeline-finalizer").dependsOn.includes(urn("mortgage-pipeline-root")));
      const activation = byName("mortgage-pipeline-activation");
      // After the whole TaskGraph component (Pulumi waits for every child of a component dependency).
      assert.deepEqual(activation.dependsOn, [plan.resources.find((r) => r.type === T.graph)!.urn]);
      // Only the root and its declared state: editing or adding a task never changes the activation.
      assert.deepEqual(activation.inputs, { rootTask: "ML_DEV.PIPELINE.MORTGAGE_PIPELINE", started: false });
    });

    it("creates the compute pool and enables the preview features it uses", () => {
      const pool = byName("mortgage-pipeline-compute-pool").inputs;
      assert.deepEqual(
        { name: pool.name, instanceFamily: pool.instanceFamily, minNodes: pool.minNodes, maxNodes: pool.maxNodes, autoSuspendSecs: pool.autoSuspendSecs },
        { name: "ML_DEV_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2, autoSuspendSecs: 300 },
      );
      const provider = plan.resources.find((r) => r.type === T.provider)!;
      assert.equal(provider.inputs.previewFeaturesEnabled, '["snowflake_stage_resource"]');
      assert.equal(provider.inputs.organizationName, "MYORG");
      assert.equal(provider.inputs.role, "ML_PIPELINE_DEPLOYER");
    });

    it("exports the stack outputs", () => {
      assert.equal(plan.outputs.rootTask, "ML_DEV.PIPELINE.MORTGAGE_PIPELINE");
      assert.equal(plan.outputs.computePool, "ML_DEV_POOL");
      assert.equal(plan.outputs.registrySchema, "ML_DEV.MODELS");
      assert.deepEqual(plan.outputs.stages, {
        artifact: "@ML_DEV.PIPELINE.ARTIFACT_STAGE",
        code: "@ML_DEV.PIPELINE.CODE_STAGE",
        data: "@ML_DEV.PIPELINE.DATA_STAGE",
        job: "@ML_DEV.PIPELINE.JOB_STAGE",
      });
      assert.deepEqual(Object.keys(plan.outputs.tasks as object).sort(), ["CHECK_MODEL_QUALITY", "CLEANUP", "PREPARE_DATA", "PROMOTE_MODEL", "SEND_ALERT", "TRAIN_MODEL"]);
      assert.deepEqual(Object.keys(plan.outputs.bundleSha256 as object).sort(), ["CHECK_MODEL_QUALITY", "CLEANUP", "PREPARE_DATA", "PROMOTE_MODEL", "TRAIN_MODEL"]);
    });
  });
}
