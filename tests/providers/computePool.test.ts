// ComputePool dynamic provider: every method against the real snowflake-sdk talking to the stub.
// Expected SQL is written out from Snowflake's CREATE/ALTER/SHOW/DROP COMPUTE POOL syntax.
import assert from "node:assert/strict";
import Module from "node:module";
import { after, before, beforeEach, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { openSession } from "../../snowflake";
import { ComputePool, createComputePoolProvider } from "../../components/providers/computePool";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";
import { registerUnderMocks } from "../support/registerUnderMocks";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const POOL = {
  name: "ML_DEV_POOL",
  instanceFamily: "CPU_X64_S",
  minNodes: 1,
  maxNodes: 2,
  autoSuspendSecs: 3600,
  autoResume: true,
  comment: "ML Jobs of MORTGAGE_PIPELINE",
};
const SHOW_COLUMNS = [
  "name", "state", "min_nodes", "max_nodes", "instance_family", "num_services", "num_jobs", "auto_suspend_secs",
  "auto_resume", "active_nodes", "idle_nodes", "target_nodes", "created_on", "resumed_on", "updated_on", "owner",
  "comment", "is_exclusive", "application",
].map((name) => ({ name, type: /nodes|num_|secs/.test(name) ? "fixed" : "text" }));
const showRow = (name: string, min: number, max: number, family: string, secs: number, resume: string, comment: string | null) => [
  name, "IDLE", min, max, family, 0, 0, secs, resume, 0, 0, min, "2026-11-01 10:00:00.000 -0700", null, null,
  "ML_DEPLOYER", comment, "false", null,
];

let stub: SnowflakeStub;
let provider: ReturnType<typeof createComputePoolProvider>;
before(async () => {
  stub = await startSnowflakeStub();
  provider = createComputePoolProvider(() => openSession(stubConnectionSettings(stub)));
});
after(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.statements.length = 0;
});

describe("check", () => {
  test("applies defaults (autoResume true, empty comment dropped) and reports nothing for valid inputs", async () => {
    const { autoResume: _, ...withoutResume } = POOL;
    assert.deepEqual(await provider.check({}, { ...withoutResume, comment: "" }), {
      inputs: { name: "ML_DEV_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2, autoSuspendSecs: 3600, autoResume: true },
      failures: [],
    });
    assert.deepEqual(stub.statements, []);
  });

  test("reports each invalid property", async () => {
    const { failures } = await provider.check({}, {
      name: "ml_dev_pool", instanceFamily: "cpu x64", minNodes: 3, maxNodes: 2, autoSuspendSecs: -1, autoResume: "yes", comment: 5,
    });
    assert.deepEqual(failures.map((f) => f.property), ["name", "instanceFamily", "maxNodes", "autoSuspendSecs", "autoResume", "comment"]);
    assert.match(failures[0].reason, /unquoted upper-case identifier.*"ml_dev_pool"/);
    assert.equal(failures[2].reason, "maxNodes (2) must be at least minNodes (3)");
    const zero = await provider.check({}, { ...POOL, minNodes: 0, maxNodes: 1.5 });
    assert.deepEqual(zero.failures.map((f) => `${f.property}: ${f.reason}`), [
      "minNodes: expected an integer >= 1, got 0",
      "maxNodes: expected an integer >= 1, got 1.5",
    ]);
  });

  test("tolerates unknown values during preview", async () => {
    const news = { ...POOL, name: UNKNOWN, minNodes: UNKNOWN, maxNodes: 2, autoSuspendSecs: UNKNOWN, comment: UNKNOWN };
    const { inputs, failures } = await provider.check({}, news);
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, news);
  });
});

describe("diff", () => {
  test("no change is no diff", async () => {
    assert.deepEqual(await provider.diff("ML_DEV_POOL", POOL, { ...POOL }), { changes: false });
    const { autoResume: _, comment: __, ...old } = POOL;
    assert.deepEqual(await provider.diff("ML_DEV_POOL", old, { ...old, autoResume: true, comment: "" }), { changes: false });
  });

  test("nodes, auto-suspend, auto-resume and comment change in place", async () => {
    for (const change of [{ minNodes: 2, maxNodes: 3 }, { autoSuspendSecs: 0 }, { autoResume: false }, { comment: "new" }, { comment: undefined }]) {
      assert.deepEqual(await provider.diff("ML_DEV_POOL", POOL, { ...POOL, ...change }), { changes: true }, JSON.stringify(change));
    }
  });

  test("a new instance family or name replaces, deleting first", async () => {
    assert.deepEqual(await provider.diff("ML_DEV_POOL", POOL, { ...POOL, instanceFamily: "HIGHMEM_X64_S", maxNodes: 3 }), {
      changes: true, replaces: ["instanceFamily"], deleteBeforeReplace: true,
    });
    assert.deepEqual(await provider.diff("ML_DEV_POOL", POOL, { ...POOL, name: "ML_PROD_POOL" }), {
      changes: true, replaces: ["name"], deleteBeforeReplace: true,
    });
    assert.deepEqual(await provider.diff("ML_DEV_POOL", POOL, { ...POOL, name: UNKNOWN }), {
      changes: true, replaces: ["name"], deleteBeforeReplace: true,
    });
    assert.deepEqual(stub.statements, []);
  });
});

describe("create", () => {
  test("sends CREATE COMPUTE POOL with every property and returns the full outputs", async () => {
    const result = await provider.create(POOL);
    assert.deepEqual(stub.statements, [
      "CREATE COMPUTE POOL ML_DEV_POOL MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_S AUTO_RESUME = TRUE AUTO_SUSPEND_SECS = 3600 COMMENT = 'ML Jobs of MORTGAGE_PIPELINE'",
    ]);
    assert.deepEqual(result, { id: "ML_DEV_POOL", outs: POOL });
  });

  test("without a comment, with auto-resume off, and with quotes and backslashes in the comment", async () => {
    await provider.create({ ...POOL, comment: undefined, autoResume: false, autoSuspendSecs: 0 });
    await provider.create({ ...POOL, comment: "it's C:\\pool" });
    assert.deepEqual(stub.statements, [
      "CREATE COMPUTE POOL ML_DEV_POOL MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_S AUTO_RESUME = FALSE AUTO_SUSPEND_SECS = 0",
      "CREATE COMPUTE POOL ML_DEV_POOL MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_S AUTO_RESUME = TRUE AUTO_SUSPEND_SECS = 3600 COMMENT = 'it''s C:\\\\pool'",
    ]);
  });

  test("a SQL error surfaces code and message and is not retried", async () => {
    stub.on(/^CREATE COMPUTE POOL ML_FAIL_POOL /, {
      error: { code: "003001", message: "SQL access control error: Insufficient privileges to operate on account 'X'", sqlState: "42501" },
    });
    await assert.rejects(provider.create({ ...POOL, name: "ML_FAIL_POOL" }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "003001");
      assert.match(err.message, /003001 \(42501\) SQL access control error: Insufficient privileges/);
      return true;
    });
    assert.equal(stub.statements.length, 1);
  });

  test("a transient 503 is retried and the create succeeds", async () => {
    stub.on(/^CREATE COMPUTE POOL ML_FLAKY_POOL /, { httpStatus: 503, times: 1 });
    const result = await provider.create({ ...POOL, name: "ML_FLAKY_POOL" });
    assert.equal(result.id, "ML_FLAKY_POOL");
    assert.equal(stub.statements.length, 2);
    assert.equal(stub.statements[0], stub.statements[1]);
  });
});

describe("update", () => {
  test("one ALTER … SET with only the changed properties; full outputs back", async () => {
    const news = { ...POOL, minNodes: 2, maxNodes: 4, autoSuspendSecs: 600 };
    assert.deepEqual(await provider.update("ML_DEV_POOL", POOL, news), { outs: news });
    assert.deepEqual(stub.statements, ["ALTER COMPUTE POOL ML_DEV_POOL SET MIN_NODES = 2 MAX_NODES = 4 AUTO_SUSPEND_SECS = 600"]);
  });

  test("auto-resume and comment", async () => {
    await provider.update("ML_DEV_POOL", POOL, { ...POOL, autoResume: false, comment: "nightly" });
    assert.deepEqual(stub.statements, ["ALTER COMPUTE POOL ML_DEV_POOL SET AUTO_RESUME = FALSE COMMENT = 'nightly'"]);
  });

  test("removing the comment unsets it, after any SET", async () => {
    const { comment: _, ...noComment } = POOL;
    assert.deepEqual(await provider.update("ML_DEV_POOL", POOL, noComment), { outs: noComment });
    await provider.update("ML_DEV_POOL", POOL, { ...noComment, maxNodes: 3 });
    assert.deepEqual(stub.statements, [
      "ALTER COMPUTE POOL ML_DEV_POOL UNSET COMMENT",
      "ALTER COMPUTE POOL ML_DEV_POOL SET MAX_NODES = 3",
      "ALTER COMPUTE POOL ML_DEV_POOL UNSET COMMENT",
    ]);
  });

  test("no change sends nothing", async () => {
    assert.deepEqual(await provider.update("ML_DEV_POOL", POOL, { ...POOL }), { outs: POOL });
    assert.deepEqual(stub.statements, []);
  });
});

describe("read", () => {
  test("maps SHOW COMPUTE POOLS columns back to the properties, ignoring LIKE's wildcard matches", async () => {
    stub.on("SHOW COMPUTE POOLS LIKE 'ML_DEV_POOL'", {
      columns: SHOW_COLUMNS,
      rows: [
        showRow("ML_DEVXPOOL", 1, 1, "CPU_X64_XS", 60, "false", null),
        showRow("ML_DEV_POOL", 1, 5, "CPU_X64_S", 1800, "true", "changed by hand"),
      ],
    });
    assert.deepEqual(await provider.read("ML_DEV_POOL", POOL), {
      id: "ML_DEV_POOL",
      props: { ...POOL, maxNodes: 5, autoSuspendSecs: 1800, comment: "changed by hand" },
    });
    assert.deepEqual(stub.statements, ["SHOW COMPUTE POOLS LIKE 'ML_DEV_POOL'"]);
  });

  test("an empty comment and auto_resume false read back as no comment and false", async () => {
    stub.on("SHOW COMPUTE POOLS LIKE 'ML_QUIET_POOL'", {
      columns: SHOW_COLUMNS,
      rows: [showRow("ML_QUIET_POOL", 1, 2, "CPU_X64_S", 3600, "false", "")],
    });
    const { comment: _, ...noComment } = POOL;
    assert.deepEqual(await provider.read("ML_QUIET_POOL", { ...POOL, name: "ML_QUIET_POOL" }), {
      id: "ML_QUIET_POOL",
      props: { ...noComment, name: "ML_QUIET_POOL", autoResume: false },
    });
  });

  test("a pool that is gone reads as nothing, so refresh drops it", async () => {
    assert.deepEqual(await provider.read("ML_GONE_POOL", { ...POOL, name: "ML_GONE_POOL" }), {});
    assert.deepEqual(stub.statements, ["SHOW COMPUTE POOLS LIKE 'ML_GONE_POOL'"]);
  });
});

describe("delete", () => {
  test("stops all services and jobs, then drops", async () => {
    await provider.delete("ML_DEV_POOL", POOL);
    assert.deepEqual(stub.statements, ["ALTER COMPUTE POOL ML_DEV_POOL STOP ALL", "DROP COMPUTE POOL ML_DEV_POOL"]);
  });

  test("a pool that is already gone is not an error", async () => {
    stub.on("ALTER COMPUTE POOL ML_GONE_POOL STOP ALL", {
      error: { code: "002003", message: "Compute pool 'ML_GONE_POOL' does not exist or not authorized.", sqlState: "02000" },
    });
    await provider.delete("ML_GONE_POOL", { ...POOL, name: "ML_GONE_POOL" });
    assert.deepEqual(stub.statements, ["ALTER COMPUTE POOL ML_GONE_POOL STOP ALL"]);
  });

  test("a dropped connection is retried and the drop succeeds; other errors fail the delete", async () => {
    stub.on("DROP COMPUTE POOL ML_DROP_POOL", { dropConnection: true, times: 1 });
    await provider.delete("ML_DROP_POOL", { ...POOL, name: "ML_DROP_POOL" });
    assert.deepEqual(stub.statements, [
      "ALTER COMPUTE POOL ML_DROP_POOL STOP ALL",
      "DROP COMPUTE POOL ML_DROP_POOL",
      "DROP COMPUTE POOL ML_DROP_POOL",
    ]);
    stub.on("DROP COMPUTE POOL ML_BUSY_POOL", { error: { code: "000002", message: "Cannot drop compute pool with running services", sqlState: "0A000" } });
    await assert.rejects(provider.delete("ML_BUSY_POOL", { ...POOL, name: "ML_BUSY_POOL" }), /000002 \(0A000\) Cannot drop compute pool/);
  });
});

describe("credentials come from configure({config})", () => {
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith("SNOWFLAKE_")) saved[key] = process.env[key];
    for (const key of Object.keys(saved)) delete process.env[key];
  });
  after(() => Object.assign(process.env, saved));

  test("the stack config reaches the connection", async () => {
    const configured = createComputePoolProvider();
    const values: Record<string, string> = {
      "snowflake:organizationName": "STUBORG",
      "snowflake:accountName": "STUBACCT",
      "snowflake:user": "POOL_ADMIN",
      "snowflake:role": "ML_DEPLOYER",
      "snowflake:password": "pool-Secret-31",
      "snowflake:host": new URL(stub.url).hostname,
      "snowflake:port": new URL(stub.url).port,
      "snowflake:protocol": "http",
    };
    await configured.configure({ config: { get: (k) => values[k] } });
    stub.logins.length = 0;
    await configured.delete("ML_DEV_POOL", POOL);
    assert.equal(stub.logins[0].data.LOGIN_NAME, "POOL_ADMIN");
    assert.equal(stub.logins[0].params.roleName, "ML_DEPLOYER");
    assert.deepEqual(stub.statements, ["ALTER COMPUTE POOL ML_DEV_POOL STOP ALL", "DROP COMPUTE POOL ML_DEV_POOL"]);
  });

  test("missing credentials fail before any SQL, naming the settings", async () => {
    const unconfigured = createComputePoolProvider();
    await unconfigured.configure({ config: { get: (k) => (k === "snowflake:password" ? "pool-Secret-31" : undefined) } });
    await assert.rejects(unconfigured.create(POOL), (err: Error) => {
      assert.match(err.message, /snowflake:organizationName \(or SNOWFLAKE_ORGANIZATION_NAME\)/);
      assert.ok(!err.message.includes("pool-Secret-31"));
      return true;
    });
    assert.deepEqual(stub.statements, []);
  });
});

describe("serialization as Pulumi does it", () => {
  test("registers with the dynamic type token; __provider serializes, carries no secrets, and works", async () => {
    const registered = await registerUnderMocks(
      { "snowflake:password": "serialized-Secret-55", "snowflake:privateKeyPassphrase": "phrase-Secret-66" },
      "env-Secret-77",
      () => new ComputePool("pool", { ...POOL, autoResume: undefined, comment: pulumi.secret("secret comment") }),
    );
    assert.equal(registered.length, 1);
    const { type, inputs, custom } = registered[0];
    assert.equal(type, "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool");
    assert.equal(custom, true);
    assert.equal(inputs.autoResume, true);
    const code = inputs.__provider;
    assert.equal(typeof code, "string");
    assert.match(code, /^exports\.handler = /);
    assert.match(code, /CREATE COMPUTE POOL/);
    for (const secret of ["serialized-Secret-55", "phrase-Secret-66", "env-Secret-77", "secret comment"]) {
      assert.ok(!code.includes(secret), `__provider contains ${secret}`);
    }
    // Nothing is captured as a module except the lazy require inside openConnection.
    assert.deepEqual([...new Set(code.match(/require\([^)]*\)/g))], ['require("snowflake-sdk")']);

    const mod = new Module("computePool-provider");
    (mod as unknown as { _compile(code: string, file: string): void })._compile(code, "computePool-provider.js");
    const revived = (mod.exports as { handler(): ReturnType<typeof createComputePoolProvider> }).handler();
    assert.deepEqual(await revived.diff("ML_DEV_POOL", POOL, { ...POOL, instanceFamily: "CPU_X64_M" }), {
      changes: true, replaces: ["instanceFamily"], deleteBeforeReplace: true,
    });
  });
});
