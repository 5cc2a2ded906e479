// Concurrent task operations on a started root, against the REST stub through snowflake-sdk:
// without the root lease they race (a resume by one lands between another's suspend and DDL); with
// the hooks' guard around each, none fails and the root ends started.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { taskOperationGuard, taskOperationGuards } from "../../components/deploy/taskHooks";
import { rootControl } from "../../components/deploy/rootControl";
import { openSession as openConnection, type SqlSession } from "../../snowflake/session";
import { RootLease } from "../../lib/deploy/rootLease";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";
import { playTaskSchema, providerOperation, type TaskSchema } from "../support/taskGraphStub";

const ROOT = "ML_PROD.PIPELINE.MORTGAGE_PIPELINE";
const CHILDREN = ["PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"].map((t) => `${ROOT}$${t}`);
// What the provider sends for a body change (ALTER TASK … MODIFY AS, tasks_gen.go at v1.2.1).
const ddlFor = (task: string) => `ALTER TASK ${task} MODIFY AS SELECT 1`;

let stub: SnowflakeStub;
let schema: TaskSchema;
const sessions: SqlSession[] = [];
const open = async () => {
  const s = await openConnection(stubConnectionSettings(stub));
  sessions.push(s);
  return s;
};

beforeEach(async () => {
  stub = await startSnowflakeStub({ strict: true });
  schema = playTaskSchema(stub, ROOT, { [ROOT]: "started", ...Object.fromEntries(CHILDREN.map((c) => [c, "started" as const])) });
});
// Each test has its own stub; close it and every session opened on it, or the process never exits.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await stub?.close();
});

/**
 * Every child updated at once, as Pulumi runs independent steps; operation i spends i×80 ms
 * between its suspend and its DDL, so the quick ones finish (and resume) while the slow ones wait.
 */
async function updateAllConcurrently(guard?: ReturnType<typeof taskOperationGuard>) {
  const ops = CHILDREN.map(async (task, i) => {
    const urn = `urn:pulumi:prod::snowflake-ml-pipeline::snowflake:index/task:Task::${task}`;
    const sql = await open();
    await guard?.before({ urn });
    try {
      await providerOperation(sql, ROOT, ddlFor(task), i * 80);
    } finally {
      await guard?.after({ urn });
      await sql.close();
    }
  });
  return Promise.allSettled(ops);
}

describe("task operations on a started root (stub plays the provider's suspend/resume)", () => {
  test("without the lease, concurrent operations fail with Snowflake's refusal", async () => {
    const results = await updateAllConcurrently();
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.ok(failures.length > 0, "expected at least one refused operation");
    for (const f of failures) assert.match(String(f.reason.message), /Unable to update graph with root task .* since that root task is not suspended/);
    assert.equal(schema.refused.length, failures.length);
  });

  test("with the lease, all six run concurrently, none fails, the root is suspended once and ends started", async () => {
    const guard = taskOperationGuards(open)({ rootTask: ROOT, started: true });
    const results = await updateAllConcurrently(guard);
    assert.deepEqual(results.map((r) => r.status), CHILDREN.map(() => "fulfilled"));
    assert.deepEqual(schema.refused, []);
    assert.deepEqual(schema.applied.sort(), CHILDREN.map(ddlFor).sort());
    assert.equal(schema.states.get(ROOT), "started");
    // One suspend and one resume of the root for the whole burst: the provider's own
    // SuspendRootTasks always found it suspended, so it queued nothing.
    assert.equal(stub.statements.filter((s) => s === `ALTER TASK ${ROOT} SUSPEND`).length, 1);
    assert.equal(stub.statements.filter((s) => s === `ALTER TASK ${ROOT} RESUME`).length, 1);
    assert.equal(guard.lease.holderCount, 0);
  });

  test("a failed operation still releases (the error hook calls the same release): the root is resumed", async () => {
    stub.on(ddlFor(CHILDREN[2]), { error: { code: "002003", message: "Object does not exist", sqlState: "02000" } });
    const guard = taskOperationGuard(new RootLease(rootControl(ROOT, open), { declaredStarted: true }));
    const results = await updateAllConcurrently(guard);
    assert.deepEqual(results.map((r) => r.status), CHILDREN.map((_, i) => (i === 2 ? "rejected" : "fulfilled")));
    assert.deepEqual(schema.refused, []);
    assert.equal(schema.states.get(ROOT), "started");
  });

  test("declared suspended (dev): a suspended root is never touched", async () => {
    schema.states.set(ROOT, "suspended");
    const guard = taskOperationGuard(new RootLease(rootControl(ROOT, open), { declaredStarted: false }));
    const results = await updateAllConcurrently(guard);
    assert.deepEqual(results.map((r) => r.status), CHILDREN.map(() => "fulfilled"));
    assert.deepEqual(stub.statements.filter((s) => s.startsWith(`ALTER TASK ${ROOT} `)), []);
    assert.equal(schema.states.get(ROOT), "suspended");
  });

  test("operations in a chain (each after the previous): the root is resumed between them, never during one", async () => {
    const guard = taskOperationGuard(new RootLease(rootControl(ROOT, open), { declaredStarted: true }));
    const sql = await open();
    for (const task of CHILDREN.slice(0, 3)) {
      const urn = `urn:${task}`;
      await guard.before({ urn });
      await providerOperation(sql, ROOT, ddlFor(task));
      await guard.after({ urn });
    }
    assert.deepEqual(schema.refused, []);
    assert.equal(schema.applied.length, 3);
    assert.equal(schema.states.get(ROOT), "started");
    assert.deepEqual(
      stub.statements.filter((s) => s.startsWith(`ALTER TASK ${ROOT} `) || s.includes("MODIFY AS")),
      CHILDREN.slice(0, 3).flatMap((t) => [`ALTER TASK ${ROOT} SUSPEND`, ddlFor(t), `ALTER TASK ${ROOT} RESUME`]),
    );
  });
});
