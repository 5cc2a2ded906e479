// Task definitions from a small pipeline written here: the expected records are written out by hand
// from the rules in docs/design.md ("Task definitions", "Names in Snowflake"), not computed.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { PipelineArtifacts } from "../../lib/artifacts";
import { pipelineNames } from "../../lib/naming";
import { edgeOf, RootSettings, TaskDefinitionInput, taskGraphDefinition, whenOf } from "../../lib/tasks/taskDefinitions";
import { ROOT_TASK_BODY } from "../../lib/taskSql";
import { PipelineDefinition, StackSettings, TaskSpec } from "../../lib/types";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);
const SHA_P = "c".repeat(64);

const settings = {
  database: "DB1",
  schema: "PIPE",
  dataSchema: "DATA",
  registrySchema: "REG",
  warehouse: { name: "WH1", size: "XSMALL" },
  computePool: { name: "POOL1", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 3, autoSuspendSecs: 60, autoResume: true },
  started: false,
  sampleData: false,
  graphConfig: {},
  pipelines: ["p.yaml"],
  pipelineSettings: {},
  sourceTable: "SRC",
} as unknown as StackSettings;

const pipeline: PipelineDefinition = {
  name: "FLOW",
  runtime: "3.11",
  packages: ["snowflake-snowpark-python"],
  config: { threshold: 0.5, label: "x" },
  tasks: [
    { name: "LOAD", entrypoint: "tasks/load.py" },
    { name: "FIT", entrypoint: "jobs_launcher/fit.py", after: ["LOAD"], job: { payload: "jobs/fit.py", targetInstances: 2 }, timeoutMs: 5000 },
    { name: "DECIDE", entrypoint: "tasks/decide.py", after: ["FIT"], branch: ["OK", "NOTIFY"] },
    { name: "OK", sql: "SELECT '${database}'", after: ["DECIDE"], when: "1 = 1", warehouse: "BIG_WH" },
    { name: "NOTIFY", sql: "  SELECT 2  \n", after: ["DECIDE"] },
    { name: "TIDY", sql: "SELECT 3", finalizer: true },
  ],
};

const file = (path: string, sha: string) => ({ path, sha256: sha, size: 10, source: `.build/${path}` });
const artifacts: Pick<PipelineArtifacts, "bundles" | "payloads"> = {
  bundles: {
    LOAD: { sha256: SHA_A, fileName: "load.zip", modules: ["tasks/load.py"], file: file("load.zip", SHA_A) },
    FIT: { sha256: SHA_B, fileName: "fit.zip", modules: ["jobs_launcher/fit.py"], file: file("fit.zip", SHA_B) },
    DECIDE: { sha256: SHA_A, fileName: "decide.zip", modules: ["tasks/decide.py"], file: file("decide.zip", SHA_A) },
  },
  payloads: { FIT: { sha256: SHA_P, entrypoint: "jobs/fit.py", files: [file("jobs/fit.py", "d".repeat(64))] } },
};

const root: RootSettings = { started: false, allowOverlappingExecution: false, graphConfig: { threshold: 0.9 }, retries: 2 };
const input = (overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => ({
  pipeline,
  names: pipelineNames(settings, pipeline, "SRC"),
  root,
  artifacts,
  sqlVariables: { database: "DB1" },
  ...overrides,
});

/** SQL bodies and WHENs end with the first 12 hex digits of their text's SHA-256 (lib/deploy/taskRules). */
const hash12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
const hashedBody = (sql: string) => `${sql}\n-- ${hash12(sql)}`;
const hashedWhen = (when: string) => `${when} /* ${hash12(when)} */`;

describe("taskGraphDefinition", () => {
  const graph = taskGraphDefinition(input());
  const byTask = new Map(graph.tasks.map((t) => [t.task, t]));

  it("lists every task once, predecessors first and the finalizer last", () => {
    assert.deepEqual(graph.tasks.map((t) => t.task), ["LOAD", "FIT", "DECIDE", "OK", "NOTIFY", "TIDY"]);
  });

  const table: [string, string, string, unknown][] = [
    ["Snowflake name", "LOAD", "name", "FLOW$LOAD"],
    ["logical name", "DECIDE", "logicalName", "task-decide"],
    ["the finalizer's logical name carries its role, not its name", "TIDY", "logicalName", "finalizer"],
    ["a task without after follows the root", "LOAD", "edge", { kind: "afterRoot" }],
    ["a task with after", "FIT", "edge", { kind: "after", tasks: ["LOAD"] }],
    ["the finalizer", "TIDY", "edge", { kind: "finalize" }],
    ["finalizer flag", "TIDY", "finalizer", true],
    ["no finalizer flag on others", "OK", "finalizer", false],
    ["branch target and own WHEN, ANDed", "OK", "when", hashedWhen("(SYSTEM$GET_PREDECESSOR_RETURN_VALUE('FLOW$DECIDE') = 'OK') AND (1 = 1)")],
    ["branch target only", "NOTIFY", "when", hashedWhen("SYSTEM$GET_PREDECESSOR_RETURN_VALUE('FLOW$DECIDE') = 'NOTIFY'")],
    ["no WHEN", "FIT", "when", undefined],
    ["own warehouse", "OK", "warehouse", "BIG_WH"],
    ["the stack's warehouse", "LOAD", "warehouse", "WH1"],
    ["timeout", "FIT", "timeoutMs", 5000],
    ["SQL body with ${database} filled in", "OK", "body", hashedBody("SELECT 'DB1'")],
    ["SQL body trimmed", "NOTIFY", "body", hashedBody("  SELECT 2")],
    ["a SQL task stages nothing", "OK", "bundle", undefined],
    ["bundle directory", "LOAD", "bundle", { logicalName: "bundle-load", stage: "DB1.PIPE.CODE_STAGE", directory: `FLOW/LOAD/${SHA_A}`, files: [file("load.zip", SHA_A)] }],
    ["payload directory", "FIT", "payload", { logicalName: "payload-fit", stage: "DB1.PIPE.CODE_STAGE", directory: `FLOW/FIT/payload/${SHA_P}`, files: [file("jobs/fit.py", "d".repeat(64))] }],
    ["no payload without a job", "DECIDE", "payload", undefined],
  ];
  for (const [what, task, field, expected] of table) {
    it(`${what}: ${task}.${field}`, () => {
      assert.deepEqual((byTask.get(task) as unknown as Record<string, unknown>)[field], expected);
    });
  }

  it("a Python task's body is the anonymous procedure over its bundle", () => {
    assert.equal(
      byTask.get("LOAD")!.body,
      [
        "WITH LOAD_HANDLER AS PROCEDURE ()",
        "RETURNS STRING",
        "LANGUAGE PYTHON",
        "RUNTIME_VERSION = '3.11'",
        "PACKAGES = ('snowflake-snowpark-python')",
        `IMPORTS = ('@DB1.PIPE.CODE_STAGE/FLOW/LOAD/${SHA_A}/load.zip')`,
        "HANDLER = 'tasks.load.main'",
        "CALL LOAD_HANDLER()",
      ].join("\n"),
    );
  });

  it("a task with a job passes its payload location, entrypoint and instances", () => {
    const body = byTask.get("FIT")!.body.split("\n");
    assert.equal(body[0], "WITH FIT_HANDLER AS PROCEDURE (PAYLOAD_LOCATION VARCHAR, PAYLOAD_ENTRYPOINT VARCHAR, TARGET_INSTANCES NUMBER)");
    assert.equal(body[6], "HANDLER = 'jobs_launcher.fit.main'");
    assert.equal(body[7], `CALL FIT_HANDLER('@DB1.PIPE.CODE_STAGE/FLOW/FIT/payload/${SHA_P}/', 'jobs/fit.py', 2)`);
  });

  it("a branch task gets its branch list, in order, as BRANCH_TARGETS", () => {
    const body = byTask.get("DECIDE")!.body.split("\n");
    assert.equal(body[0], "WITH DECIDE_HANDLER AS PROCEDURE (BRANCH_TARGETS VARCHAR)");
    assert.equal(body[7], "CALL DECIDE_HANDLER('OK,NOTIFY')");
  });

  it("a job task that branches gets the job's arguments, then the branch list", () => {
    const tasks = pipeline.tasks.map((t) => (t.name === "FIT" ? { ...t, branch: ["LOAD2", "LOAD3"] } : t));
    tasks.push({ name: "LOAD2", sql: "SELECT 1", after: ["FIT"] }, { name: "LOAD3", sql: "SELECT 1", after: ["FIT"] });
    const fit = taskGraphDefinition(input({ pipeline: { ...pipeline, tasks } })).tasks.find((t) => t.task === "FIT")!;
    const body = fit.body.split("\n");
    assert.equal(body[0], "WITH FIT_HANDLER AS PROCEDURE (PAYLOAD_LOCATION VARCHAR, PAYLOAD_ENTRYPOINT VARCHAR, TARGET_INSTANCES NUMBER, BRANCH_TARGETS VARCHAR)");
    assert.equal(body[7], `CALL FIT_HANDLER('@DB1.PIPE.CODE_STAGE/FLOW/FIT/payload/${SHA_P}/', 'jobs/fit.py', 2, 'LOAD2,LOAD3')`);
  });

  it("the root: name, body, warehouse, settings and the graph config (stack over pipeline, names added)", () => {
    const { config, ...rest } = graph.root;
    assert.deepEqual(rest, {
      name: "FLOW",
      logicalName: "root",
      body: ROOT_TASK_BODY,
      warehouse: "WH1",
      schedule: undefined,
      started: false,
      allowOverlappingExecution: false,
      timeoutMs: undefined,
      retries: 2,
      suspendAfterFailures: undefined,
      errorIntegration: undefined,
      comment: "Root of the FLOW task graph (snowflake-ml-pipeline)",
    });
    const parsed = JSON.parse(config) as Record<string, unknown>;
    assert.equal(parsed.threshold, 0.9);
    assert.equal(parsed.label, "x");
    assert.equal(parsed.pipeline_name, "FLOW");
    assert.equal(parsed.code_stage, "DB1.PIPE.CODE_STAGE");
    assert.equal(parsed.source_table, "DB1.DATA.SRC");
    assert.equal("sample_data" in parsed, false, "a pipeline without sample data gets no sample key");
    assert.equal(Object.keys(parsed).join(","), Object.keys(parsed).sort().join(","), "keys are sorted (canonical JSON)");
  });

  it("the staged sample data is named in the config when there is some", () => {
    const withSample = taskGraphDefinition(input({ sampleData: { file: "@DB1.PIPE.DATA_STAGE/FLOW/sample/x/s.csv" } }));
    const parsed = JSON.parse(withSample.root.config) as Record<string, unknown>;
    assert.equal(parsed.sample_data, true);
    assert.equal(parsed.sample_data_file, "@DB1.PIPE.DATA_STAGE/FLOW/sample/x/s.csv");
  });

  it("a pipeline with sample data the stack does not stage says sample_data false and names no file", () => {
    const parsed = JSON.parse(taskGraphDefinition(input({ sampleData: {} })).root.config) as Record<string, unknown>;
    assert.equal(parsed.sample_data, false);
    assert.equal("sample_data_file" in parsed, false);
  });

  it("a pipeline without a source table gets no source_table key", () => {
    const parsed = JSON.parse(taskGraphDefinition(input({ names: pipelineNames(settings, pipeline) })).root.config) as Record<string, unknown>;
    assert.equal("source_table" in parsed, false);
  });

  it("a Python task without a built bundle is a bug, named", () => {
    assert.throws(() => taskGraphDefinition(input({ artifacts: { bundles: {}, payloads: {} } })), /task LOAD: no bundle was built for its entrypoint tasks\/load.py/);
  });
});

describe("edgeOf and whenOf", () => {
  const cases: [string, TaskSpec, unknown][] = [
    ["empty after is after the root", { name: "A", sql: "x", after: [] }, { kind: "afterRoot" }],
    ["two predecessors kept in order", { name: "A", sql: "x", after: ["C", "B"] }, { kind: "after", tasks: ["C", "B"] }],
    ["finalizer", { name: "A", sql: "x", finalizer: true }, { kind: "finalize" }],
  ];
  for (const [what, spec, expected] of cases) it(what, () => assert.deepEqual(edgeOf(spec), expected));

  it("whenOf: own condition alone is kept as written, with its hash", () => {
    assert.equal(whenOf("P", { name: "A", sql: "x", when: "X > 1" }, undefined), hashedWhen("X > 1"));
  });
});
