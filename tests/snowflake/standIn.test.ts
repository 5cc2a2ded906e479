// The Snowflake stand-in's catalog mode (tests/support/snowflakeCatalog.ts) through the real
// snowflake-sdk with key-pair login: what it keeps, what it answers, and the rules it enforces.
// Expected values come from the Snowflake documentation cited at each rule in the catalog.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { openSession, type ConnectionSettings, type SqlSession } from "../../snowflake";
import { startSnowflakeStub, stubEndpoint, type SnowflakeStub } from "../support/snowflakeStub";

const keyPair = () =>
  crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const DEPLOYER = keyPair();
const STRANGER = keyPair();

let stub: SnowflakeStub;
let sql: SqlSession;
const settings = (privateKey: string, user = "DEPLOYER"): ConnectionSettings => ({
  ...stubEndpoint(stub),
  account: "TESTORG-TESTACCT",
  user,
  privateKey,
  loginRetries: 0,
  requestTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
});
const refusal = async (statement: string) => {
  const error = await sql.execute(statement).then(() => undefined, (e: Error) => e);
  assert.ok(error, `expected ${statement} to be refused`);
  return error.message;
};

before(async () => {
  stub = await startSnowflakeStub({ catalog: { roles: ["ENGINEER"], integrations: ["ALERTS"] }, users: { DEPLOYER: DEPLOYER.publicKey } });
  sql = await openSession(settings(DEPLOYER.privateKey));
});
after(async () => {
  await sql?.close();
  await stub?.close();
});

describe("stand-in login", () => {
  test("accepts a key-pair login signed by the user's key and refuses another key or user", async () => {
    assert.equal(stub.logins[0].data.AUTHENTICATOR, "SNOWFLAKE_JWT");
    await assert.rejects(openSession(settings(STRANGER.privateKey)), /390144.*JWT token is invalid.*does not verify/s);
    await assert.rejects(openSession(settings(DEPLOYER.privateKey, "SOMEONE")), /390100.*Incorrect username or password/s);
  });
});

describe("stand-in catalog", () => {
  const catalog = () => stub.catalog!;
  beforeEach(async () => {
    for (const db of [...catalog().databases.keys()]) await sql.execute(`DROP DATABASE ${db}`);
    await sql.execute("CREATE DATABASE DB");
    await sql.execute('CREATE SCHEMA "DB"."S"');
  });

  test("keeps objects and answers SHOW with the provider's columns; LIKE treats _ as a wildcard", async () => {
    await sql.execute(`CREATE TASK DB.S.A_B WAREHOUSE = WH SCHEDULE = 'USING CRON 0 3 * * * UTC' CONFIG = \$\${"k":"v"}\$\$ USER_TASK_TIMEOUT_MS = 5000 AS SELECT 'x AS y'`);
    await sql.execute("CREATE TASK DB.S.AXB AS SELECT 1");
    const rows = await sql.execute("SHOW TASKS LIKE 'A_B' IN SCHEMA DB.S");
    assert.deepEqual(rows.map((r) => r.name).sort(), ["AXB", "A_B"]);
    const row = rows.find((r) => r.name === "A_B")!;
    assert.equal(row.state, "suspended", "tasks are created suspended");
    assert.equal(row.schedule, "USING CRON 0 3 * * * UTC");
    assert.equal(row.config, '{"k":"v"}');
    assert.equal(row.definition, "SELECT 'x AS y'");
    assert.equal(row.warehouse, "WH");
    assert.deepEqual(JSON.parse(String(row.predecessors)), []);
    const params = await sql.execute('SHOW PARAMETERS IN TASK "DB"."S"."A_B"');
    assert.deepEqual(params.map((p) => [p.key, p.value, p.level]), [["USER_TASK_TIMEOUT_MS", "5000", "TASK"]]);
  });

  test("AFTER, WHEN, FINALIZE show in predecessors, condition and task_relations", async () => {
    await sql.execute("CREATE TASK DB.S.ROOT AS SELECT 1");
    await sql.execute(`CREATE TASK DB.S."ROOT$A" AFTER "DB"."S"."ROOT" WHEN SYSTEM$GET_PREDECESSOR_RETURN_VALUE('ROOT') = 'A' AS SELECT 2`);
    await sql.execute('CREATE TASK DB.S."ROOT$FIN" FINALIZE = "DB"."S"."ROOT" AS SELECT 3');
    const rows = await sql.execute("SHOW TASKS IN SCHEMA DB.S");
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.deepEqual(JSON.parse(String(byName["ROOT$A"].predecessors)), ['"DB"."S"."ROOT"']);
    assert.equal(byName["ROOT$A"].condition, "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('ROOT') = 'A'");
    assert.deepEqual(JSON.parse(String(byName.ROOT.task_relations)), { Predecessors: [], FinalizerTask: '"DB"."S"."ROOT$FIN"' });
    assert.deepEqual(JSON.parse(String(byName["ROOT$FIN"].task_relations)), { Predecessors: [], FinalizedRootTask: '"DB"."S"."ROOT"' });
  });

  test("refuses DDL on any task of a graph whose root is started, and records the root's state at every task DDL", async () => {
    const mark = catalog().nextSeq;
    await sql.execute("CREATE TASK DB.S.ROOT SCHEDULE = '5 MINUTE' AS SELECT 1");
    await sql.execute("CREATE TASK DB.S.CHILD AFTER DB.S.ROOT AS SELECT 2");
    await sql.execute("ALTER TASK DB.S.ROOT RESUME");
    const message = "Unable to update graph with root task DB.S.ROOT since that root task is not suspended.";
    assert.match(await refusal("ALTER TASK DB.S.CHILD MODIFY AS SELECT 3"), new RegExp(message.replace(/[.$]/g, "\\$&")));
    assert.match(await refusal("CREATE TASK DB.S.NEW AFTER DB.S.CHILD AS SELECT 4"), /not suspended/);
    assert.match(await refusal("DROP TASK DB.S.CHILD"), /not suspended/);
    await sql.execute("ALTER TASK DB.S.ROOT SUSPEND");
    await sql.execute("ALTER TASK DB.S.CHILD MODIFY AS SELECT 3");
    const ddl = catalog().taskDdl.slice(-4).map((d) => [d.task, d.rootState, d.refused]);
    assert.deepEqual(ddl, [["DB.S.CHILD", "started", true], ["DB.S.NEW", "started", true], ["DB.S.CHILD", "started", true], ["DB.S.CHILD", "suspended", false]]);
    assert.equal(catalog().tasks.get("DB.S.CHILD")!.definition, "SELECT 3");
    assert.deepEqual(catalog().transitions.filter((t) => t.task === "DB.S.ROOT" && t.seq >= mark).map((t) => t.to), ["created", "started", "suspended"]);
  });

  test("AFTER targets must exist; one finalizer per root; a finalizer has no children", async () => {
    assert.match(await refusal("CREATE TASK DB.S.X AFTER DB.S.NOPE AS SELECT 1"), /002003.*Task 'NOPE' does not exist or not authorized/s);
    await sql.execute("CREATE TASK DB.S.ROOT AS SELECT 1");
    await sql.execute("CREATE TASK DB.S.F1 FINALIZE = DB.S.ROOT AS SELECT 1");
    assert.match(await refusal("CREATE TASK DB.S.F2 FINALIZE = DB.S.ROOT AS SELECT 1"), /only one finalizer/);
    assert.match(await refusal("CREATE TASK DB.S.C AFTER DB.S.F1 AS SELECT 1"), /cannot have child tasks/);
    assert.match(await refusal("CREATE TASK DB.S.ROOT AS SELECT 1"), /002002.*already exists/s);
  });

  test("dropping a predecessor leaves its child standalone; DROP DATABASE drops what is in it", async () => {
    await sql.execute("CREATE TASK DB.S.ROOT AS SELECT 1");
    await sql.execute("CREATE TASK DB.S.C AFTER DB.S.ROOT AS SELECT 1");
    await sql.execute("DROP TASK DB.S.ROOT");
    assert.deepEqual(catalog().tasks.get("DB.S.C")!.predecessors, []);
    await sql.execute("CREATE STAGE DB.S.ST COMMENT = 'files'");
    await sql.execute("DROP DATABASE DB");
    assert.deepEqual([catalog().tasks.size, catalog().stages.size, catalog().schemas.size], [0, 0, 0]);
  });

  test("renaming a database moves its schemas, stages, tasks and the references between tasks", async () => {
    await sql.execute("CREATE TASK DB.S.ROOT AS SELECT 1");
    await sql.execute("CREATE TASK DB.S.C AFTER DB.S.ROOT AS SELECT 1");
    await sql.execute("CREATE STAGE DB.S.ST");
    await sql.execute('ALTER DATABASE "DB" RENAME TO "DB2"');
    assert.deepEqual([...catalog().schemas.keys()].sort(), ["DB2.PUBLIC", "DB2.S"]);
    assert.deepEqual([...catalog().stages.keys()], ["DB2.S.ST"]);
    assert.deepEqual(catalog().tasks.get("DB2.S.C")!.predecessors, ["DB2.S.ROOT"]);
    await sql.execute('ALTER DATABASE "DB2" RENAME TO "DB"');
  });

  test("grants need the role and the object; SHOW GRANTS ON lists them as the provider reads them", async () => {
    assert.match(await refusal('GRANT USAGE ON DATABASE "DB" TO ROLE "NOBODY"'), /Role 'NOBODY' does not exist/);
    assert.match(await refusal('GRANT USAGE ON INTEGRATION "OTHER" TO ROLE "ENGINEER"'), /does not exist/);
    await sql.execute('GRANT USAGE, CREATE TABLE ON SCHEMA "DB"."S" TO ROLE "ENGINEER"');
    const rows = await sql.execute('SHOW GRANTS ON SCHEMA "DB"."S"');
    assert.deepEqual(rows.map((r) => [r.privilege, r.granted_on, r.name, r.granted_to, r.grantee_name]), [
      ["USAGE", "SCHEMA", "DB.S", "ROLE", "ENGINEER"],
      ["CREATE TABLE", "SCHEMA", "DB.S", "ROLE", "ENGINEER"],
    ]);
    await sql.execute('REVOKE CREATE TABLE ON SCHEMA "DB"."S" FROM ROLE "ENGINEER"');
    assert.deepEqual(catalog().grants.map((g) => g.privilege), ["USAGE"]);
  });

  test("PUT needs an existing stage; an injected failure is Snowflake's error and is logged", async () => {
    assert.match(await refusal("LIST '@DB.S.NOSTAGE/'"), /Stage 'DB.S.NOSTAGE' does not exist/);
    const mark = catalog().nextSeq;
    stub.failOn(/^CREATE STAGE/, { message: "Injected: warehouse quota exceeded", times: 1 });
    assert.match(await refusal("CREATE STAGE DB.S.ST"), /Injected: warehouse quota exceeded/);
    await sql.execute("CREATE STAGE DB.S.ST");
    const entries = catalog().log.filter((e) => e.sql === "CREATE STAGE DB.S.ST" && e.seq >= mark);
    assert.deepEqual(entries.map((e) => e.error), ["Injected: warehouse quota exceeded", undefined]);
  });

  test("a failure injected after a delay spares the statements before it", async () => {
    stub.failOn(/^CREATE SCHEMA DB\.LATE/, { message: "Injected later", afterMs: 400, times: 1 });
    await sql.execute("CREATE SCHEMA DB.LATE1");
    await new Promise((r) => setTimeout(r, 450));
    assert.match(await refusal("CREATE SCHEMA DB.LATE2"), /Injected later/);
    await sql.execute("CREATE SCHEMA DB.LATE2");
    assert.ok(catalog().schemas.has("DB.LATE1") && catalog().schemas.has("DB.LATE2"));
  });
});
