// Task operations on a started root, against the REST stub through snowflake-sdk, with the hooks'
// guard driven by the arguments the engine passes (urn, new/old inputs): without the lease
// concurrent operations race; with it none fails, a chain never sees the root resumed between its
// links, and a removed pipeline's tasks are guarded by their own root, found in Snowflake.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { TaskOperationGuard, type HookArgs } from "../../components/deploy/taskGuard";
import { openSession as openConnection, type SqlSession } from "../../snowflake/session";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";
import { playTaskSchema, providerOperation, type PlayedTask, type TaskSchema } from "../support/taskGraphStub";

const DB = "ML_PROD";
const SCHEMA = "PIPELINE";
const ROOT_NAME = "MORTGAGE_PIPELINE";
const ROOT = `${DB}.${SCHEMA}.${ROOT_NAME}`;
const STEPS = ["PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT"].map((t) => `${ROOT_NAME}$${t}`);
const FINALIZER = `${ROOT_NAME}$CLEANUP`;
const NAMES = [ROOT_NAME, ...STEPS, FINALIZER];
const fqn = (name: string) => `${DB}.${SCHEMA}.${name}`;
// What the provider sends for a body change (ALTER TASK … MODIFY AS, tasks_gen.go at v1.2.1).
const ddlFor = (task: string) => `ALTER TASK ${task} MODIFY AS SELECT 1`;
/** The engine's hook arguments for an update of `name` (inputs as the bridged provider names them). */
const update = (name: string): HookArgs => {
  const inputs = { database: DB, schema: SCHEMA, name };
  return { urn: `urn:pulumi:prod::p::snowflake:index/task:Task::${name}`, newInputs: inputs, oldInputs: inputs };
};
const remove = (name: string, database = DB): HookArgs => ({ urn: `urn:old::${database}::${name}`, oldInputs: { database, schema: SCHEMA, name } });

/** The sample's graph: a chain of steps after the root, a branch, and the finalizer, all started. */
function sampleGraph(): Record<string, PlayedTask> {
  const after: Record<string, string[]> = {
    [STEPS[0]]: [ROOT_NAME],
    [STEPS[1]]: [STEPS[0]],
    [STEPS[2]]: [STEPS[1]],
    [STEPS[3]]: [STEPS[2]],
    [STEPS[4]]: [STEPS[2]],
  };
  return {
    [ROOT]: { state: "started" },
    ...Object.fromEntries(STEPS.map((s) => [fqn(s), { state: "started" as const, predecessors: after[s] }])),
    [fqn(FINALIZER)]: { state: "started", finalizes: ROOT_NAME },
  };
}

let stub: SnowflakeStub;
let schema: TaskSchema;
const sessions: SqlSession[] = [];
const open = async () => {
  const s = await openConnection(stubConnectionSettings(stub));
  sessions.push(s);
  return s;
};
const messages: string[] = [];
const newGuard = () => new TaskOperationGuard(open, (m) => messages.push(m));

beforeEach(async () => {
  messages.length = 0;
  stub = await startSnowflakeStub({ strict: true });
  schema = playTaskSchema(stub, ROOT, sampleGraph());
});
// Each test has its own stub; close it and every session opened on it, or the process never exits.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await stub?.close();
});

/** One provider operation wrapped in the hooks as the engine runs them. */
async function operation(guard: TaskOperationGuard | undefined, args: HookArgs, ddl: string, pauseMs = 0): Promise<void> {
  const sql = await open();
  await guard?.before(args);
  try {
    await providerOperation(sql, ROOT, ddl, pauseMs);
  } catch (error) {
    await guard?.failed(args);
    throw error;
  }
  await guard?.after(args);
}

/** Every step updated at once, as Pulumi runs independent steps; operation i pauses i×80 ms before its DDL. */
function updateAllConcurrently(guard?: TaskOperationGuard) {
  return Promise.allSettled(STEPS.map((name, i) => operation(guard, update(name), ddlFor(fqn(name)), i * 80)));
}

describe("task operations on a started root (stub plays the provider's suspend/resume)", () => {
  test("without the lease, concurrent operations fail with Snowflake's refusal", async () => {
    const results = await updateAllConcurrently();
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.ok(failures.length > 0, "expected at least one refused operation");
    for (const f of failures) assert.match(String(f.reason.message), /Unable to update graph with root task .* since that root task is not suspended/);
    assert.equal(schema.refused.length, failures.length);
  });

  test("with the lease, all run concurrently, none fails, the root is suspended once and resumed once, after the registrations", async () => {
    const guard = newGuard();
    const registered = guard.declare({ rootTask: ROOT, started: true, tasks: NAMES });
    const results = await updateAllConcurrently(guard);
    assert.deepEqual(results.map((r) => r.status), STEPS.map(() => "fulfilled"));
    assert.deepEqual(schema.refused, []);
    assert.equal(schema.state(ROOT), "suspended", "still suspended: the engine has not answered every registration");
    await registered();
    assert.equal(schema.state(ROOT), "started");
    const rootEvents = schema.events.filter((e) => e.endsWith(` ${ROOT}`));
    assert.deepEqual(rootEvents, [`SUSPEND ${ROOT}`, `RESUME ${ROOT}`]);
    assert.equal(schema.events.at(-1), `RESUME ${ROOT}`, "the resume comes after every DDL");
    assert.equal(guard.lease(ROOT).holderCount, 0);
  });

  test("a chain (each link after the previous): no resume between the links", async () => {
    const guard = newGuard();
    const registered = guard.declare({ rootTask: ROOT, started: true, tasks: NAMES });
    for (const name of STEPS.slice(0, 3)) await operation(guard, update(name), ddlFor(fqn(name)));
    await registered();
    assert.deepEqual(schema.refused, []);
    assert.deepEqual(schema.events, [`SUSPEND ${ROOT}`, ...STEPS.slice(0, 3).map((n) => ddlFor(fqn(n))), `RESUME ${ROOT}`]);
  });

  test("a failed operation releases through the error hook; the root stays suspended (half-updated) and the log says why", async () => {
    stub.on(ddlFor(fqn(STEPS[2])), { error: { code: "002003", message: "Object does not exist", sqlState: "02000" } });
    const guard = newGuard();
    const registered = guard.declare({ rootTask: ROOT, started: true, tasks: NAMES });
    const results = await updateAllConcurrently(guard);
    assert.deepEqual(results.map((r) => r.status), STEPS.map((_, i) => (i === 2 ? "rejected" : "fulfilled")));
    assert.equal((results[2] as PromiseRejectedResult).reason.message.includes("Object does not exist"), true, "the provider's own error is the one reported");
    assert.deepEqual(schema.refused, []);
    assert.equal(guard.lease(ROOT).holderCount, 0);
    assert.equal(schema.state(ROOT), "suspended");
    assert.match(messages.join("\n"), /ML_PROD\.PIPELINE\.MORTGAGE_PIPELINE stays suspended: a task operation of its graph failed/);
    void registered; // a failed registration never settles: the engine stops the deploy
  });

  test("declared suspended (dev): a suspended root is never resumed", async () => {
    schema.tasks.get(ROOT)!.state = "suspended";
    const guard = newGuard();
    const registered = guard.declare({ rootTask: ROOT, started: false, tasks: NAMES });
    const results = await updateAllConcurrently(guard);
    await registered();
    assert.deepEqual(results.map((r) => r.status), STEPS.map(() => "fulfilled"));
    assert.deepEqual(schema.events.filter((e) => e.endsWith(` ${ROOT}`)), []);
    assert.equal(schema.state(ROOT), "suspended");
  });

  test("a removed task: its delete, after the registrations, finds the root in Snowflake; the root resumes once the task is gone", async () => {
    const guard = newGuard();
    // The program no longer declares SEND_ALERT; its delete comes after every registration.
    const declared = NAMES.filter((n) => n !== STEPS[4]);
    const registered = guard.declare({ rootTask: ROOT, started: true, tasks: declared });
    await operation(guard, update(STEPS[3]), ddlFor(fqn(STEPS[3])));
    await registered();
    assert.equal(schema.state(ROOT), "suspended", "SEND_ALERT is still in the graph: its delete is to come");
    assert.match(messages.join("\n"), /still in the graph but not declared: MORTGAGE_PIPELINE\$SEND_ALERT/);
    await operation(guard, remove(STEPS[4]), `DROP TASK ${fqn(STEPS[4])}`);
    assert.equal(schema.state(ROOT), "started");
    assert.deepEqual(schema.events, [`SUSPEND ${ROOT}`, ddlFor(fqn(STEPS[3])), `DROP TASK ${fqn(STEPS[4])}`, `RESUME ${ROOT}`]);
  });

  test("a removed pipeline: its tasks' deletes suspend their own root, found by walking predecessors, and never resume it", async () => {
    const guard = newGuard(); // the program declares no graph at all
    await operation(guard, remove(STEPS[3]), `DROP TASK ${fqn(STEPS[3])}`);
    assert.deepEqual(schema.refused, []);
    assert.equal(schema.state(ROOT), "suspended");
    assert.deepEqual(schema.events, [`SUSPEND ${ROOT}`, `DROP TASK ${fqn(STEPS[3])}`]);
  });

  test("a task that no longer exists needs no lease: the hook does nothing", async () => {
    const guard = newGuard();
    await guard.before(remove("MORTGAGE_PIPELINE$GONE"));
    await guard.after(remove("MORTGAGE_PIPELINE$GONE"));
    assert.deepEqual(schema.events, []);
  });

  test("the hook arguments name no task: the before-hook fails the operation, saying so", async () => {
    const guard = newGuard();
    await assert.rejects(guard.before({ urn: "urn:x" }), /^Error: urn:x: the hook arguments name no task \(database, schema, name\)$/);
  });
});
