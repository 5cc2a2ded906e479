// A failed `pulumi up` that leaves the root or a child suspended, then a no-change `pulumi up`:
// with `refresh: always`, GraphActivation's read reports the drift, its diff asks for an update,
// and the update repairs the graph, root last. Against the REST stub through snowflake-sdk.
import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { TaskOperationGuard } from "../../components/deploy/taskGuard";
import { openSession as openConnection } from "../../snowflake/session";
import { graphActivationProvider as provider, type GraphActivationInputs, type GraphActivationOutputs } from "../../components/providers/graphActivation";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";
import { playTaskSchema, providerOperation, type TaskSchema } from "../support/taskGraphStub";

const ROOT = "ML_PROD.PIPELINE.MORTGAGE_PIPELINE";
const TRAIN = `${ROOT}$TRAIN_MODEL`;
const CHILDREN = [`${ROOT}$PREPARE_DATA`, TRAIN, `${ROOT}$CLEANUP`];
const declared: GraphActivationInputs = { rootTask: ROOT, started: true };
/** What the state holds after the last successful `up`: in sync. */
const stored: GraphActivationOutputs = { ...declared, actual: {}, inSync: true, repairs: [] };

let stub: SnowflakeStub;
let schema: TaskSchema;
const open = () => openConnection(stubConnectionSettings(stub));

beforeEach(async () => {
  await stub?.close();
  stub = await startSnowflakeStub({ strict: true });
  schema = playTaskSchema(stub, ROOT, { [ROOT]: "started", ...Object.fromEntries(CHILDREN.map((c) => [c, "started" as const])) });
  const config: Record<string, string> = {
    "snowflake:organizationName": "STUBORG",
    "snowflake:accountName": "STUBACCT",
    "snowflake:user": "PULUMI_PROD_DEPLOYER",
    "snowflake:password": "deployer-secret",
    "snowflake:host": new URL(stub.url).hostname,
    "snowflake:port": new URL(stub.url).port,
    "snowflake:protocol": "http",
  };
  await provider.configure!({ config: { get: (key: string) => config[key], require: (key: string) => config[key] } });
});
after(async () => stub?.close());

/** The next `pulumi up` with nothing changed: refresh (read), diff, and the update if asked. */
async function noChangeUp() {
  const refreshed = await provider.read!(ROOT, stored);
  const diff = await provider.diff!(ROOT, refreshed.props!, declared);
  const mark = stub.statements.length;
  const updated = diff.changes ? await provider.update!(ROOT, refreshed.props!, declared) : undefined;
  return { refreshed: refreshed.props!, diff, updated: updated?.outs, statements: stub.statements.slice(mark) };
}

describe("converge after a failed up (refresh: always + GraphActivation read)", () => {
  test("the up died between its suspend and its resume (no after- or error-hook ran): the root stays suspended; the next up resumes it", async () => {
    const guard = new TaskOperationGuard(open, () => undefined);
    guard.declare({ rootTask: ROOT, started: true, tasks: [ROOT, ...CHILDREN].map((t) => t.split(".")[2]) });
    stub.on(`ALTER TASK ${TRAIN} MODIFY AS SELECT 2`, { error: { code: "002003", message: "SQL compilation error: Object does not exist", sqlState: "02000" } });
    const [database, schemaName, name] = TRAIN.split(".");
    await guard.before({ urn: "train", newInputs: { database, schema: schemaName, name } });
    const sql = await open();
    await assert.rejects(providerOperation(sql, ROOT, `ALTER TASK ${TRAIN} MODIFY AS SELECT 2`), /does not exist/);
    await sql.close();
    // The engine was cancelled here: the lease is never released.
    assert.equal(schema.state(ROOT), "suspended");

    const next = await noChangeUp();
    assert.equal(next.refreshed.inSync, false);
    assert.equal(next.refreshed.actual[ROOT], "suspended");
    assert.equal(next.diff.changes, true);
    assert.deepEqual(next.statements, ["SHOW TASKS IN SCHEMA ML_PROD.PIPELINE", `ALTER TASK ${ROOT} RESUME`, "SHOW TASKS IN SCHEMA ML_PROD.PIPELINE"]);
    assert.equal(next.updated!.inSync, true);
    assert.equal(schema.state(ROOT), "started");
  });

  test("a failed update left one child suspended (task.go does not undo its own suspend): the next up resumes it, then the root", async () => {
    schema.tasks.get(TRAIN)!.state = "suspended";
    const next = await noChangeUp();
    assert.equal(next.refreshed.inSync, false);
    assert.deepEqual(next.statements, [
      "SHOW TASKS IN SCHEMA ML_PROD.PIPELINE",
      `ALTER TASK ${ROOT} SUSPEND`,
      `ALTER TASK ${TRAIN} RESUME`,
      `ALTER TASK ${ROOT} RESUME`,
      "SHOW TASKS IN SCHEMA ML_PROD.PIPELINE",
    ]);
    assert.deepEqual([...schema.tasks.values()].map((t) => t.state), ["started", "started", "started", "started"]);
  });

  test("nothing wrong: the refresh finds the graph in sync and the up changes nothing", async () => {
    const next = await noChangeUp();
    assert.equal(next.refreshed.inSync, true);
    assert.equal(next.diff.changes, false);
    assert.deepEqual(next.statements, []);
  });
});
