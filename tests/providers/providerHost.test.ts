// Every dynamic provider in Pulumi's own dynamic-provider host (@pulumi/pulumi 3.248.0,
// cmd/dynamic-provider), driven over its gRPC ResourceProvider protocol as the engine drives it:
// Configure with the stack config (the password marked secret), then Check, Diff, Create, Read,
// Update and Delete with the provider's serialized `__provider`, taken from the resource as the SDK
// registers it under mocks. The providers reach the local Snowflake stub from the host process.
//
// Shown for each provider: the serialized code runs in the host (the stub sees its statements, the
// outputs are the provider's); credentials come from Configure only (the host's environment has
// none, the stub's login carries the configured user and password, and no input, output or
// serialized provider contains the password; a host configured without it fails every create);
// errors come back as provider errors (gRPC status UNKNOWN with the provider's message).
//
// The inputs of each provider are in PROVIDERS below (one place to adapt when inputs change).
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ComputePool } from "../../components/providers/computePool";
import { DataQualityExpectations } from "../../components/providers/dataQualityExpectations";
import { GraphActivation } from "../../components/providers/graphActivation";
import { StagedFiles } from "../../components/providers/stagedFiles";
import { registerUnderMocks } from "../support/registerUnderMocks";
import { dynamicUrn, PULUMI_SDK_VERSION, startProviderHost, type HostCallError, type Props, type ProviderHost } from "../support/providerHost";
import { startSnowflakeStub, type SnowflakeStub } from "../support/snowflakeStub";

const PASSWORD = "host-Secret-Pw-4711";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const sha = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");

// ---- StagedFiles: a bundle in a throwaway project directory (the host's working directory) ----
const ZIP = Buffer.from("PK\u0003\u0004 bundle bytes for the host test\n");
const ZIP_SHA = sha(ZIP);
const BUNDLE_DIR = `MORTGAGE_PIPELINE/PREPARE_DATA/${ZIP_SHA}`;
const bundleFile = { path: "prepare_data.zip", sha256: ZIP_SHA, size: ZIP.length, source: `.build/bundles/${ZIP_SHA}/prepare_data.zip` };

// ---- GraphActivation: the tasks the stub holds, and their states ----
const ROOT = "ML_DEV.PIPELINE.MORTGAGE_PIPELINE";
const CHILDREN = ["PREPARE_DATA", "TRAIN_MODEL", "CLEANUP"].map((t) => `${ROOT}$${t}`);
let taskStates: Record<string, "started" | "suspended">;

interface ProviderCase {
  type: string;
  name: string;
  /** The resource as the program declares it (registered under mocks to get `__provider`). */
  register(): pulumi.Resource;
  /** Inputs of the create; `updated`: the inputs of the update that follows. */
  inputs: Props;
  updated: Props;
  /** What check adds or normalizes (provider code run in the host). */
  checked: Props;
  diff: { changes: "some"; replaces: string[] };
  /** Stub answers this provider needs; `id` of the created resource. */
  arrange(stub: SnowflakeStub): void;
  id: string;
  statements: { create: string[]; read: string[]; update: string[]; delete: string[] };
  /** Output properties the provider computes, checked after create and after update. */
  created(outs: Props): void;
  updatedOuts(outs: Props): void;
  /** Inputs whose create fails in the provider, and the message expected in the gRPC status. */
  failing: { inputs: Props; arrange?(stub: SnowflakeStub): void; message: RegExp };
}

const POOL = { name: "ML_HOST_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2, autoSuspendSecs: 3600, comment: "host test" };
const POOL_SHOW_COLUMNS = ["name", "state", "min_nodes", "max_nodes", "instance_family", "auto_suspend_secs", "auto_resume", "comment"].map((name) => ({
  name,
  type: /nodes|secs/.test(name) ? "fixed" : "text",
}));

// ---- DataQualityExpectations: a table with one expectation, then a second ----
const SOURCE = "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA";
const NULLS = { name: "LOAN_ID_PRESENT", dmf: "SNOWFLAKE.CORE.NULL_COUNT", on: ["LOAN_ID"], expression: "VALUE <= 0" };
const ROWS = { name: "SOURCE_NOT_EMPTY", dmf: "SNOWFLAKE.CORE.ROW_COUNT", on: [], expression: "VALUE >= 1000" };
const QUALITY = { source: SOURCE, schedule: "60 MINUTE", expectations: [NULLS] };
const SHOW_SOURCE = "SHOW OBJECTS LIKE 'MORTGAGE_LENDING_DEMO_DATA' IN SCHEMA ML_DEV.DATA";

const PROVIDERS: ProviderCase[] = [
  {
    type: "ComputePool",
    name: "host-pool",
    register: () => new ComputePool("host-pool", POOL),
    inputs: POOL,
    updated: { ...POOL, maxNodes: 4 },
    checked: { autoResume: true },
    diff: { changes: "some", replaces: [] },
    arrange(stub) {
      stub.on("SHOW COMPUTE POOLS LIKE 'ML_HOST_POOL'", {
        columns: POOL_SHOW_COLUMNS,
        rows: [["ML_HOST_POOL", "IDLE", 1, 2, "CPU_X64_S", 3600, "true", "host test"]],
      });
    },
    id: "ML_HOST_POOL",
    statements: {
      create: ["CREATE COMPUTE POOL ML_HOST_POOL MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_S AUTO_RESUME = TRUE AUTO_SUSPEND_SECS = 3600 COMMENT = 'host test'"],
      read: ["SHOW COMPUTE POOLS LIKE 'ML_HOST_POOL'"],
      update: ["ALTER COMPUTE POOL ML_HOST_POOL SET MAX_NODES = 4"],
      delete: ["ALTER COMPUTE POOL ML_HOST_POOL STOP ALL", "DROP COMPUTE POOL ML_HOST_POOL"],
    },
    created: (outs) => assert.deepEqual({ ...outs, __provider: undefined }, { ...POOL, autoResume: true, __provider: undefined }),
    updatedOuts: (outs) => assert.equal(outs.maxNodes, 4),
    failing: {
      inputs: { ...POOL, name: "ML_DENIED_POOL" },
      arrange: (stub) =>
        stub.on(/^CREATE COMPUTE POOL ML_DENIED_POOL /, { error: { code: "003001", message: "Insufficient privileges to operate on account 'STUBACCT'", sqlState: "42501" } }),
      message: /Snowflake statement failed \[CREATE COMPUTE POOL ML_DENIED_POOL .*\]: 003001 \(42501\) Insufficient privileges to operate on account 'STUBACCT'/,
    },
  },
  {
    type: "StagedFiles",
    name: "host-bundle",
    register: () => new StagedFiles("host-bundle", { stage: "ML_DEV.PIPELINE.CODE_STAGE", directory: BUNDLE_DIR, files: [bundleFile] }),
    inputs: { stage: "ML_DEV.PIPELINE.CODE_STAGE", directory: BUNDLE_DIR, files: [bundleFile] },
    // The same bytes built to another local path: recorded, nothing uploaded.
    updated: { stage: "ML_DEV.PIPELINE.CODE_STAGE", directory: BUNDLE_DIR, files: [{ ...bundleFile, source: `.build/cache/${ZIP_SHA}/prepare_data.zip` }] },
    checked: {},
    diff: { changes: "some", replaces: [] },
    arrange() {},
    id: `@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}/`,
    statements: {
      create: [], // the PUT names the host's working directory; checked in the test
      read: [`LIST '@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}/'`],
      update: [],
      delete: [`REMOVE '@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}/'`],
    },
    created: (outs) => assert.equal(outs.location, `@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}/`),
    updatedOuts: (outs) => assert.equal((outs.files as { source: string }[])[0].source, `.build/cache/${ZIP_SHA}/prepare_data.zip`),
    failing: {
      inputs: { stage: "ML_DEV.PIPELINE.CODE_STAGE", directory: "MORTGAGE_PIPELINE/PREPARE_DATA/stale", files: [{ ...bundleFile, sha256: "0".repeat(64) }] },
      message: new RegExp(`StagedFiles @ML_DEV\\.PIPELINE\\.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/stale/: local file \\.build/bundles/${ZIP_SHA}/prepare_data\\.zip \\(for prepare_data\\.zip\\) has sha256 ${ZIP_SHA}, but the program expected 0{64}`),
    },
  },
  {
    type: "DataQualityExpectations",
    name: "host-data-quality",
    register: () => new DataQualityExpectations("host-data-quality", QUALITY),
    inputs: QUALITY,
    updated: { ...QUALITY, expectations: [NULLS, ROWS] },
    checked: {},
    diff: { changes: "some", replaces: [] },
    arrange(stub) {
      stub.on(/^SHOW OBJECTS LIKE '(MORTGAGE_LENDING_DEMO_DATA|DENIED)' IN SCHEMA ML_DEV\.DATA$/, (sql) => ({
        columns: ["name", "database_name", "schema_name", "kind"].map((name) => ({ name, type: "text" })),
        rows: [[sql.includes("DENIED") ? "DENIED" : "MORTGAGE_LENDING_DEMO_DATA", "ML_DEV", "DATA", "TABLE"]],
      }));
    },
    id: SOURCE,
    statements: {
      create: [
        SHOW_SOURCE,
        `ALTER TABLE ${SOURCE} SET DATA_METRIC_SCHEDULE = '60 MINUTE'`,
        `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID) EXPECTATION LOAN_ID_PRESENT (VALUE <= 0)`,
      ],
      read: [], // no read: the state is what create and update attached
      update: [SHOW_SOURCE, `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.ROW_COUNT ON () EXPECTATION SOURCE_NOT_EMPTY (VALUE >= 1000)`],
      delete: [
        SHOW_SOURCE,
        `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID)`,
        `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION SNOWFLAKE.CORE.ROW_COUNT ON ()`,
      ],
    },
    created: (outs) => {
      assert.equal(outs.attached, true);
      assert.equal(outs.kind, "TABLE");
    },
    updatedOuts: (outs) => assert.deepEqual((outs.expectations as { name: string }[]).map((e) => e.name), ["LOAN_ID_PRESENT", "SOURCE_NOT_EMPTY"]),
    failing: {
      inputs: { ...QUALITY, source: "ML_DEV.DATA.DENIED" },
      arrange: (stub) =>
        stub.on(/^ALTER TABLE ML_DEV\.DATA\.DENIED SET /, { error: { code: "003001", message: "Insufficient privileges to operate on table 'DENIED'", sqlState: "42501" } }),
      message: /DataQualityExpectations ML_DEV\.DATA\.DENIED: Snowflake statement failed \[ALTER TABLE ML_DEV\.DATA\.DENIED SET DATA_METRIC_SCHEDULE = '60 MINUTE'\]: 003001 \(42501\) Insufficient privileges to operate on table 'DENIED'/,
    },
  },
  {
    type: "GraphActivation",
    name: "host-activation",
    register: () => new GraphActivation("host-activation", { rootTask: ROOT, started: false }),
    inputs: { rootTask: ROOT, started: false },
    updated: { rootTask: ROOT, started: true },
    checked: {},
    diff: { changes: "some", replaces: [] },
    arrange(stub) {
      stub.on("SHOW TASKS IN SCHEMA ML_DEV.PIPELINE", () => ({
        columns: ["name", "database_name", "schema_name", "state"].map((name) => ({ name, type: "text" })),
        rows: Object.entries(taskStates).map(([fqn, state]) => [fqn.split(".")[2], "ML_DEV", "PIPELINE", state]),
      }));
      stub.on(/^ALTER TASK \S+ (RESUME|SUSPEND)$/, (sql) => {
        const [, , task, action] = sql.split(" ");
        taskStates[task] = action === "RESUME" ? "started" : "suspended";
        return { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };
      });
      // The deploy left TRAIN_MODEL suspended: create repairs it.
      taskStates = { [ROOT]: "suspended", [CHILDREN[0]]: "started", [CHILDREN[1]]: "suspended", [CHILDREN[2]]: "started" };
    },
    id: ROOT,
    statements: {
      create: ["SHOW TASKS IN SCHEMA ML_DEV.PIPELINE", `ALTER TASK ${CHILDREN[1]} RESUME`, "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE"],
      read: ["SHOW TASKS IN SCHEMA ML_DEV.PIPELINE"],
      update: ["SHOW TASKS IN SCHEMA ML_DEV.PIPELINE", `ALTER TASK ${ROOT} RESUME`, "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE"],
      delete: [],
    },
    created: (outs) => {
      assert.equal(outs.inSync, true);
      assert.deepEqual(outs.repairs, [`ALTER TASK ${CHILDREN[1]} RESUME`]);
    },
    updatedOuts: (outs) => {
      assert.equal(outs.inSync, true);
      assert.equal((outs.actual as Record<string, string>)[ROOT], "started");
    },
    failing: {
      inputs: { rootTask: "ML_DEV.PIPELINE.GONE_PIPELINE", started: false },
      message: /task graph ML_DEV\.PIPELINE\.GONE_PIPELINE \(declared started: false\): cannot be activated, the root task ML_DEV\.PIPELINE\.GONE_PIPELINE does not exist/,
    },
  },
];

let stub: SnowflakeStub;
let projectDir: string;
let host: ProviderHost;
/** The serialized provider of each case, as the SDK put it in the registered inputs. */
const serialized = new Map<string, string>();
/** Everything sent to and received from the host (for the "no password anywhere" check). */
const wire: unknown[] = [];

/** The stack config as the engine sends it; the password is a secret. */
const stackConfig = (withPassword = true) => ({
  "snowflake:organizationName": "STUBORG",
  "snowflake:accountName": "STUBACCT",
  "snowflake:user": "PULUMI_DEPLOYER",
  ...(withPassword ? { "snowflake:password": PASSWORD } : {}),
  "snowflake:role": "ML_PIPELINE_DEPLOYER",
  "snowflake:host": new URL(stub.url).hostname,
  "snowflake:port": new URL(stub.url).port,
  "snowflake:protocol": "http",
  "snowflake-ml-pipeline:database": "ML_DEV",
});

/** The host's environment: no SNOWFLAKE_* variable, so credentials can only come from Configure. */
const hostEnv = () => ({ PATH: process.env.PATH ?? "", HOME: projectDir });

before(async () => {
  stub = await startSnowflakeStub();
  projectDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "provider-host-project-")));
  fs.mkdirSync(path.join(projectDir, `.build/bundles/${ZIP_SHA}`), { recursive: true });
  fs.writeFileSync(path.join(projectDir, bundleFile.source), ZIP);
  for (const c of PROVIDERS) {
    const registered = await registerUnderMocks({}, "", c.register);
    const code = registered[0].inputs.__provider;
    assert.equal(typeof code, "string", `${c.type}: no serialized provider`);
    serialized.set(c.type, code as string);
    c.arrange(stub);
  }
  host = await startProviderHost({ cwd: projectDir, env: hostEnv() });
});

after(async () => {
  await host?.close();
  await stub?.close();
  if (projectDir) fs.rmSync(projectDir, { recursive: true, force: true });
});

const withProvider = (c: ProviderCase, props: Props): Props => ({ ...props, __provider: serialized.get(c.type)! });
const record = <T>(value: T): T => {
  wire.push(value);
  return value;
};
const newStatements = async (work: () => Promise<unknown>): Promise<string[]> => {
  const start = stub.statements.length;
  await work();
  return stub.statements.slice(start).filter((s) => !/^ALTER SESSION|^select 1/i.test(s));
};

describe(`dynamic providers in Pulumi's provider host (@pulumi/pulumi ${PULUMI_SDK_VERSION})`, () => {
  test("the protocol is the installed SDK's, 3.248.0", () => assert.equal(PULUMI_SDK_VERSION, "3.248.0"));

  test("Configure takes the stack config with the password as a secret; the host does not accept secrets in resource calls", async () => {
    const config = stackConfig();
    const res = await host.configure(config, ["snowflake:password"]);
    assert.deepEqual(res, { acceptSecrets: false });
  });

  for (const c of PROVIDERS) {
    test(`${c.type}: Check, Create, Read, Diff, Update, Delete run the serialized provider in the host against the stub`, async () => {
      const urn = dynamicUrn(c.type, c.name);
      const logins = stub.logins.length;

      // Check during preview: unknown values pass through; then with the real inputs.
      const preview = record(await host.check(urn, {}, withProvider(c, { ...c.inputs, [Object.keys(c.inputs)[0]]: UNKNOWN })));
      assert.deepEqual(preview.failures, []);
      const checked = record(await host.check(urn, {}, withProvider(c, c.inputs)));
      assert.deepEqual(checked.failures, []);
      assert.equal(checked.inputs.__provider, serialized.get(c.type));
      for (const [key, value] of Object.entries(c.checked)) assert.deepEqual(checked.inputs[key], value, `check did not set ${key}`);

      let created!: { id: string; properties: Props };
      const createSql = await newStatements(async () => (created = record(await host.create(urn, checked.inputs))));
      if (c.type === "StagedFiles") {
        assert.deepEqual(createSql, [
          `PUT 'file://${projectDir}/${bundleFile.source}' '@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}' AUTO_COMPRESS=FALSE OVERWRITE=TRUE`,
        ]);
        // The host's driver copied the bytes to the stub's stage.
        assert.deepEqual(fs.readFileSync(path.join(stub.stageDir(`@ML_DEV.PIPELINE.CODE_STAGE/${BUNDLE_DIR}`), "prepare_data.zip")), ZIP);
      } else {
        assert.deepEqual(createSql, c.statements.create);
      }
      assert.equal(created.id, c.id);
      assert.equal(created.properties.__provider, serialized.get(c.type), "the host keeps __provider in the outputs");
      c.created(created.properties);

      let read!: { id: string; properties: Props };
      assert.deepEqual(await newStatements(async () => (read = record(await host.read(urn, created.id, created.properties, checked.inputs)))), c.statements.read);
      assert.equal(read.id, c.id);
      assert.equal(read.properties.__provider, serialized.get(c.type));

      const newInputs = record(await host.check(urn, checked.inputs, withProvider(c, c.updated))).inputs;
      const diff = record(await host.diff(urn, created.id, read.properties, newInputs));
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, c.diff);
      const same = record(await host.diff(urn, created.id, read.properties, checked.inputs));
      assert.equal(same.changes, "none", "no change when nothing changed");

      let updated!: { properties: Props };
      assert.deepEqual(await newStatements(async () => (updated = record(await host.update(urn, created.id, read.properties, newInputs)))), c.statements.update);
      c.updatedOuts(updated.properties);

      assert.deepEqual(await newStatements(() => host.delete(urn, created.id, updated.properties)), c.statements.delete);

      // Every session the provider opened logged in with the configured user and password.
      const sessions = stub.logins.slice(logins);
      assert.ok(sessions.length > 0, "the provider never logged in");
      for (const login of sessions) {
        assert.equal(login.data.LOGIN_NAME, "PULUMI_DEPLOYER");
        assert.equal(login.data.PASSWORD, PASSWORD);
      }
    });

    test(`${c.type}: a failing create comes back as a provider error (gRPC UNKNOWN with the provider's message)`, async () => {
      c.failing.arrange?.(stub);
      const urn = dynamicUrn(c.type, `${c.name}-failing`);
      const checked = await host.check(urn, {}, withProvider(c, c.failing.inputs));
      await assert.rejects(host.create(urn, checked.inputs), (error: HostCallError) => {
        assert.equal(error.code, 2, `status ${error.code}: ${error.details}`);
        assert.match(error.details, c.failing.message);
        assert.ok(!error.details.includes(PASSWORD), "the error shows the password");
        return true;
      });
    });
  }

  test("invalid inputs come back from Check as failures, not as a call error", async () => {
    const c = PROVIDERS[0];
    const res = await host.check(dynamicUrn(c.type, "bad-pool"), {}, withProvider(c, { ...POOL, name: "ml lower" }));
    assert.deepEqual(res.failures.map((f) => f.property), ["name"]);
  });

  test("the password is in no input, output or serialized provider, nor in the host's log", () => {
    const everything = JSON.stringify(wire);
    assert.ok(wire.length > 0);
    assert.ok(!everything.includes(PASSWORD), "an input or output of the host contains the password");
    for (const [type, code] of serialized) assert.ok(!code.includes(PASSWORD), `${type}'s __provider contains the password`);
    assert.ok(!host.stderr().includes(PASSWORD), "the host's stderr contains the password");
    // The 3.248.0 host never calls the engine it is given (our providers do not log).
    assert.deepEqual(host.engineLogs, []);
  });

  test("a host configured without the password fails every provider's Create with the missing setting (no other source)", async () => {
    const bare = await startProviderHost({ cwd: projectDir, env: hostEnv() });
    try {
      await bare.configure(stackConfig(false), []);
      for (const c of PROVIDERS) {
        const urn = dynamicUrn(c.type, `${c.name}-nocreds`);
        const checked = await bare.check(urn, {}, withProvider(c, c.inputs));
        await assert.rejects(bare.create(urn, checked.inputs), (error: HostCallError) => {
          assert.equal(error.code, 2);
          assert.match(error.details, /Snowflake connection settings missing: snowflake:privateKey \(or SNOWFLAKE_PRIVATE_KEY\) or snowflake:password \(or SNOWFLAKE_PASSWORD\)/);
          return true;
        });
      }
    } finally {
      await bare.close();
    }
  });
});
