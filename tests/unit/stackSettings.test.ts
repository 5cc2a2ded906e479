import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stackSettingsFromConfig, withStackDefaults } from "../../lib/config/stackSettings";
import { StackConfigFiles } from "../../lib/config/stackFiles";
import { withConfig } from "../support/stackConfig";

const FILE = "Pulumi.dev.yaml";
/** A valid stack's configuration as the engine passes it (JSON text for non-strings). */
const BASE: StackConfigFiles = {
  project: "snowflake-ml-pipeline",
  stackFile: FILE,
  secretKeys: [],
  config: {
    "snowflake-ml-pipeline:database": "DB",
    "snowflake-ml-pipeline:schema": "PIPE",
    "snowflake-ml-pipeline:dataSchema": "RAW",
    "snowflake-ml-pipeline:registrySchema": "REG",
    "snowflake-ml-pipeline:warehouse": '{"name":"WH","size":"XSMALL"}',
    "snowflake-ml-pipeline:computePool": '{"name":"POOL","instanceFamily":"CPU_X64_S","minNodes":1,"maxNodes":2}',
    "snowflake-ml-pipeline:pipelineSettings": '{"FLOW":{"started":false,"graphConfig":{"metric_threshold":0.6}}}',
    "snowflake:organizationName": "ORG",
    "snowflake:accountName": "ACCT",
  },
};
const problemsOf = (changes: Record<string, unknown>, secret: string[] = []) => {
  const cfg = withConfig(BASE, changes, secret);
  return stackSettingsFromConfig(cfg.config, new Set(cfg.secretKeys), FILE).problems;
};

describe("withStackDefaults", () => {
  const base = {
    database: "D", schema: "S", dataSchema: "DS", registrySchema: "R",
    warehouse: { name: "W", size: "XSMALL" },
    computePool: { name: "P", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2 },
  };
  const cases: [string, Record<string, unknown>, (s: ReturnType<typeof withStackDefaults>) => unknown, unknown][] = [
    ["started defaults to false", {}, (s) => s.started, false],
    ["sampleData defaults to false", {}, (s) => s.sampleData, false],
    ["pipelines default: the sample definition", {}, (s) => s.pipelines, ["pipeline-code/pipeline.yaml"]],
    ["pipelineSettings defaults to {}", {}, (s) => s.pipelineSettings, {}],
    ["unpromoted code refused by default", {}, (s) => s.allowUnpromotedCode, false],
    ["created warehouse is not existing", {}, (s) => s.warehouse.existing, false],
    ["no stack-wide sourceTable by default: each pipeline names its own", {}, (s) => s.sourceTable, undefined],
    ["graphConfig defaults to {}", {}, (s) => s.graphConfig, {}],
    ["pool auto-suspend default 3600 s", {}, (s) => s.computePool.autoSuspendSecs, 3600],
    ["pool auto-resume default true", {}, (s) => s.computePool.autoResume, true],
    ["pool values kept", { computePool: { ...base.computePool, autoSuspendSecs: 60, autoResume: false } }, (s) => [s.computePool.autoSuspendSecs, s.computePool.autoResume], [60, false]],
    ["created warehouse suspends after 60 s", {}, (s) => s.warehouse.autoSuspendSecs, 60],
    ["existing warehouse gets no auto-suspend", { warehouse: { name: "W", existing: true } }, (s) => s.warehouse.autoSuspendSecs, undefined],
    ["overlap off by default", {}, (s) => s.allowOverlappingExecution, false],
    ["explicit started kept", { started: true }, (s) => s.started, true],
  ];
  for (const [title, overrides, pick, expected] of cases) {
    it(title, () => assert.deepEqual(pick(withStackDefaults({ ...base, ...overrides })), expected));
  }
});

describe("stackSettingsFromConfig", () => {
  it("accepts a valid stack", () => assert.deepEqual(problemsOf({}), []));

  const cases: [string, Record<string, unknown>, { path: string; message: RegExp }][] = [
    ["unknown key (typo)", { databse: "X" }, { path: "snowflake-ml-pipeline:databse", message: /unknown key/ }],
    ["missing required key", { database: undefined }, { path: "snowflake-ml-pipeline:database", message: /is required/ }],
    ["lower-case identifier", { database: "ml_dev" }, { path: "snowflake-ml-pipeline:database", message: /^expected an unquoted upper-case Snowflake identifier .*, got "ml_dev"$/ }],
    ["wrong type", { computePool: { name: "P", instanceFamily: "CPU_X64_S", minNodes: "one", maxNodes: 2 } }, { path: "snowflake-ml-pipeline:computePool.minNodes", message: /expected a whole number, got "one"/ }],
    ["unknown nested key", { computePool: { name: "P", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2, maxnodes: 3 } }, { path: "snowflake-ml-pipeline:computePool.maxnodes", message: /unknown key/ }],
    ["bad warehouse size", { warehouse: { name: "W", size: "HUGE" } }, { path: "snowflake-ml-pipeline:warehouse.size", message: /expected one of "XSMALL"/ }],
    ["graphConfig value of a wrong type", { graphConfig: { metric_threshold: [1] } }, { path: "snowflake-ml-pipeline:graphConfig.metric_threshold", message: /^expected a string, a number or a boolean, got \[1\]$/ }],
    ["graphConfig key not snake_case", { graphConfig: { MetricThreshold: 1 } }, { path: "snowflake-ml-pipeline:graphConfig.MetricThreshold", message: /lower_snake_case/ }],
    ["unknown snowflake key", { "snowflake:acount": "X" }, { path: "snowflake:acount", message: /unknown key; expected one of snowflake:accountName, snowflake:authenticator, snowflake:host/ }],
    ["previewFeaturesEnabled is computed", { "snowflake:previewFeaturesEnabled": ["x"] }, { path: "snowflake:previewFeaturesEnabled", message: /computes it/ }],
    ["plain-text private key", { "snowflake:privateKey": "-----BEGIN PRIVATE KEY-----abc" }, { path: "snowflake:privateKey", message: /must be a secret; set it with: pulumi config set --secret snowflake:privateKey/ }],
    ["unknown namespace", { "aws:region": "x" }, { path: "aws:region", message: /unknown namespace "aws"/ }],
  ];
  for (const [title, changes, expected] of cases) {
    it(`reports ${title}`, () => {
      const problems = problemsOf(changes);
      const match = problems.find((p) => p.path === expected.path);
      assert.ok(match, `no problem at ${expected.path}; got ${JSON.stringify(problems)}`);
      assert.equal(match.file, FILE);
      assert.match(match.message, expected.message);
    });
  }

  it("never echoes a plain-text secret in a problem", () => {
    const problems = problemsOf({ "snowflake:privateKey": "SUPERSECRETKEYMATERIAL" });
    assert.ok(problems.length > 0);
    assert.ok(!JSON.stringify(problems).includes("SUPERSECRETKEYMATERIAL"));
  });

  it("accepts a private key that is a secret", () => {
    assert.deepEqual(problemsOf({ "snowflake:privateKey": "[secret]" }, ["snowflake:privateKey"]), []);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({ databse: "X", schema: "lower", "snowflake:acount": "Y" });
    assert.deepEqual(problems.map((p) => p.path).sort(), ["snowflake-ml-pipeline:databse", "snowflake-ml-pipeline:schema", "snowflake:acount"]);
  });
});

describe("pipelineRole: a name (existing role) or {name, create}", () => {
  const ID_PROBLEM = (value: string) =>
    `expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got ${JSON.stringify(value)}`;
  const settingsOf = (value: unknown) => {
    const cfg = withConfig(BASE, { pipelineRole: value });
    return stackSettingsFromConfig(cfg.config, new Set(cfg.secretKeys), FILE);
  };
  const accepted: [string, unknown, unknown][] = [
    ["a plain name is an existing role", "ML_ENGINEER", { name: "ML_ENGINEER", create: false }],
    ["an object with create: true creates it", { name: "ML_RUNNER", create: true }, { name: "ML_RUNNER", create: true }],
    ["an object without create is an existing role", { name: "ML_RUNNER" }, { name: "ML_RUNNER", create: false }],
  ];
  for (const [title, value, expected] of accepted) {
    it(title, () => assert.deepEqual(settingsOf(value).settings?.pipelineRole, expected));
  }
  const refused: [string, unknown, { path: string; message: string }[]][] = [
    ["a lower-case name", "ml engineer", [{ path: "snowflake-ml-pipeline:pipelineRole", message: ID_PROBLEM("ml engineer") }]],
    ["create that is not a boolean", { name: "X", create: "yes" }, [{ path: "snowflake-ml-pipeline:pipelineRole.create", message: 'expected true or false, got "yes"' }]],
    [
      "an object without name",
      { nam: "X" },
      [
        { path: "snowflake-ml-pipeline:pipelineRole.name", message: "is missing; this key is required" },
        { path: "snowflake-ml-pipeline:pipelineRole.nam", message: 'unknown key (did you mean "name"?); expected one of create, name' },
      ],
    ],
    // The engine hands a YAML number over as text, so it is checked as a name.
    ["a number", 5, [{ path: "snowflake-ml-pipeline:pipelineRole", message: ID_PROBLEM("5") }]],
  ];
  for (const [title, value, expected] of refused) {
    it(`refuses ${title} with exactly one message per problem`, () => {
      const problems = settingsOf(value).problems.map(({ path, message }) => ({ path, message }));
      assert.deepEqual(problems, expected);
    });
  }
});
