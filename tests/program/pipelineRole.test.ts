// The pipeline role's grants and the two integrations, planned from a production-like fixture
// written out here (never the live Pulumi.prod.yaml). Expected grants are worked out by hand from
// the fixture's names and the statements the pipeline code runs (docs/operations.md).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { StackConfigFiles } from "../../lib/config/stackFiles";
import { Plan, planStack, PlannedResource } from "../../cli/mockPlan";
import { fixtureProject } from "../support/fixtureProject";

// A project of its own (the demo pipeline), not the sample: tests never read pipeline-code/.
const PROJECT = fixtureProject();
const PROJECT_DIR = PROJECT.dir;
after(() => PROJECT.cleanup());

const GRANT = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole";
const ROLE = "snowflake:index/accountRole:AccountRole";
const TASK = "snowflake:index/task:Task";

/** The fixture's config, with keys replaced or (undefined) removed. */
function fixture(overrides: Record<string, string | undefined> = {}): StackConfigFiles {
  const p = (key: string) => `snowflake-ml-pipeline:${key}`;
  const all: Record<string, string | undefined> = {
    [p("database")]: "ACME_ML",
    [p("schema")]: "FLOW",
    [p("dataSchema")]: "RAW",
    [p("registrySchema")]: "REGISTRY",
    [p("warehouse")]: JSON.stringify({ name: "ACME_WH", size: "SMALL" }),
    [p("computePool")]: JSON.stringify({ name: "ACME_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2 }),
    [p("pipelines")]: JSON.stringify(["flows/demo/pipeline.yaml"]),
    [p("schedule")]: "0 4 * * * UTC",
    [p("started")]: "true",
    [p("notificationIntegration")]: "ACME_EMAIL",
    [p("errorIntegration")]: "ACME_SNS",
    [p("taskRetries")]: "1",
    [p("taskTimeoutMs")]: "3600000",
    [p("pipelineRole")]: JSON.stringify({ name: "ACME_RUNNER", create: true }),
    "snowflake:organizationName": "ORG",
    "snowflake:accountName": "ACC",
    ...overrides,
  };
  const config = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  return { project: "snowflake-ml-pipeline", config, secretKeys: [], stackFile: "Pulumi.fixture.yaml" };
}

type GrantShape = { on: string; privileges: string[] };

/** What a grant is on, as "<kind> <type> <name>", with its privileges; the role must be ACME_RUNNER. */
function grantShape(r: PlannedResource, role: string): GrantShape {
  assert.equal(r.inputs.accountRoleName, role, `${r.name} grants to ${String(r.inputs.accountRoleName)}`);
  const i = r.inputs as Record<string, Record<string, string> | undefined>;
  const on = i.onAccountObject
    ? `${i.onAccountObject.objectType} ${i.onAccountObject.objectName}`
    : i.onSchema
      ? `SCHEMA ${i.onSchema.schemaName}`
      : `${i.onSchemaObject!.objectType} ${i.onSchemaObject!.objectName}`;
  return { on, privileges: [...(r.inputs.privileges as string[])].sort() };
}

const EXPECTED_GRANTS: GrantShape[] = [
  { on: "DATABASE ACME_ML", privileges: ["USAGE"] },
  { on: "WAREHOUSE ACME_WH", privileges: ["USAGE"] },
  { on: "COMPUTE POOL ACME_POOL", privileges: ["USAGE"] },
  { on: "SCHEMA ACME_ML.FLOW", privileges: ["CREATE SERVICE", "USAGE"] },
  { on: "SCHEMA ACME_ML.RAW", privileges: ["CREATE TABLE", "USAGE"] },
  { on: "SCHEMA ACME_ML.REGISTRY", privileges: ["CREATE DATASET", "CREATE MODEL", "CREATE TABLE", "CREATE VIEW", "USAGE"] },
  { on: "STAGE ACME_ML.FLOW.CODE_STAGE", privileges: ["READ"] },
  { on: "STAGE ACME_ML.FLOW.JOB_STAGE", privileges: ["READ", "WRITE"] },
  { on: "STAGE ACME_ML.FLOW.ARTIFACT_STAGE", privileges: ["READ", "WRITE"] },
  { on: "STAGE ACME_ML.FLOW.DATA_STAGE", privileges: ["READ"] },
  { on: "INTEGRATION ACME_EMAIL", privileges: ["USAGE"] },
  { on: "INTEGRATION ACME_SNS", privileges: ["USAGE"] },
];
const byOn = (a: GrantShape, b: GrantShape) => (a.on < b.on ? -1 : 1);

describe("pipeline role and integrations (production-like fixture)", () => {
  let plan: Plan;
  before(async () => {
    plan = await planStack({ projectDir: PROJECT_DIR, stack: "fixture", stackConfig: fixture(), preview: true });
  });

  it("creates the role and grants it exactly what the pipeline code needs", () => {
    const roles = plan.resources.filter((r) => r.type === ROLE);
    assert.deepEqual(roles.map((r) => r.inputs.name), ["ACME_RUNNER"]);
    const grants = plan.resources.filter((r) => r.type === GRANT).map((r) => grantShape(r, "ACME_RUNNER"));
    assert.deepEqual(grants.sort(byOn), [...EXPECTED_GRANTS].sort(byOn));
  });

  it("grants USAGE on the database and on every schema of the pipeline", () => {
    const usage = plan.resources
      .filter((r) => r.type === GRANT)
      .map((r) => grantShape(r, "ACME_RUNNER"))
      .filter((g) => g.privileges.includes("USAGE") && /^(DATABASE|SCHEMA) /.test(g.on))
      .map((g) => g.on)
      .sort();
    assert.deepEqual(usage, ["DATABASE ACME_ML", "SCHEMA ACME_ML.FLOW", "SCHEMA ACME_ML.RAW", "SCHEMA ACME_ML.REGISTRY"]);
  });

  it("every grant waits for the role it is given to", () => {
    const roleUrn = plan.resources.find((r) => r.type === ROLE)!.urn;
    for (const r of plan.resources.filter((r) => r.type === GRANT)) assert.ok(r.dependsOn.includes(roleUrn), `${r.name} does not wait for the role`);
  });

  it("uses two different integrations: the queue one as ERROR_INTEGRATION, the email one in the alert task", () => {
    const root = plan.resources.find((r) => r.type === TASK && r.inputs.name === "DEMO_FLOW")!;
    assert.equal(root.inputs.errorIntegration, "ACME_SNS");
    const alert = plan.resources.find((r) => r.type === TASK && r.inputs.name === "DEMO_FLOW$WARN")!;
    assert.match(String(alert.inputs.sqlStatement), /SNOWFLAKE\.NOTIFICATION\.INTEGRATION\('ACME_EMAIL'\)/);
    assert.doesNotMatch(String(alert.inputs.sqlStatement), /ACME_SNS/);
  });

  it("an existing role (a plain name) is granted to, not created", async () => {
    const existing = await planStack({
      projectDir: PROJECT_DIR,
      stack: "fixture",
      stackConfig: fixture({ "snowflake-ml-pipeline:pipelineRole": "ML_ENGINEER" }),
    });
    assert.equal(existing.resources.filter((r) => r.type === ROLE).length, 0);
    const grants = existing.resources.filter((r) => r.type === GRANT).map((r) => grantShape(r, "ML_ENGINEER"));
    assert.equal(grants.length, EXPECTED_GRANTS.length);
  });

  it("no pipelineRole: no role and no grants", async () => {
    const none = await planStack({ projectDir: PROJECT_DIR, stack: "fixture", stackConfig: fixture({ "snowflake-ml-pipeline:pipelineRole": undefined }) });
    assert.equal(none.resources.filter((r) => r.type === ROLE || r.type === GRANT).length, 0);
  });

  it("refuses one integration for both jobs, before anything is registered", async () => {
    await assert.rejects(
      planStack({ projectDir: PROJECT_DIR, stack: "fixture", stackConfig: fixture({ "snowflake-ml-pipeline:errorIntegration": "ACME_EMAIL" }) }),
      (error: Error) => {
        assert.match(
          error.message,
          /Pulumi\.fixture\.yaml: snowflake-ml-pipeline:errorIntegration: ACME_EMAIL is also notificationIntegration; expected two integrations: errorIntegration a queue notification integration \(Amazon SNS, Google Pub\/Sub or Azure Event Grid\)/,
        );
        assert.match(error.message, /nothing was registered/);
        return true;
      },
    );
  });
});
