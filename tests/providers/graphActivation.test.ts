// GraphActivation: the provider's methods against the local Snowflake stub (which plays a schema of
// tasks whose state ALTER TASK changes), and the resource under Pulumi mocks (serialization).
import assert from "node:assert/strict";
import Module from "node:module";
import { after, before, beforeEach, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  GraphActivation,
  graphActivationProvider as provider,
  repairPlan,
  type GraphActivationInputs,
  type GraphActivationOutputs,
} from "../../components/providers/graphActivation";
import { startSnowflakeStub, type SnowflakeStub } from "../support/snowflakeStub";

const ROOT = "ML_DEV.PIPELINE.MORTGAGE_PIPELINE";
const CHILDREN = ["PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"].map((t) => `${ROOT}$${t}`);
const SHOW = "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE";
const alter = (task: string, action: "RESUME" | "SUSPEND") => `ALTER TASK ${task} ${action}`;
const short = (fqn: string) => fqn.split(".")[2];

/** The children as the provider discovers them: by name. */
const BY_NAME = [...CHILDREN].sort();
const inputs = (started: boolean): GraphActivationInputs => ({ rootTask: ROOT, started });
const members = (started: boolean) => ({ ...inputs(started), tasks: BY_NAME });
const allStates = (root: string, children: string, overrides: Record<string, string> = {}) => ({
  [ROOT]: root,
  ...Object.fromEntries(CHILDREN.map((c) => [c, children])),
  ...overrides,
});

let stub: SnowflakeStub;
/** The schema's tasks as Snowflake holds them: fully qualified name -> started | suspended. */
let tasks: Record<string, string>;
/** ALTERs the stub accepts but ignores (Snowflake saying OK while nothing changes). */
let ignored: Set<string>;

before(async () => {
  stub = await startSnowflakeStub({ strict: true });
  stub.on(SHOW, () => ({
    columns: ["created_on", "name", "id", "database_name", "schema_name", "state", "schedule"].map((name) => ({ name, type: "text" })),
    rows: [
      ...Object.entries(tasks).map(([fqn, state]) => ["2026-11-01", short(fqn), `id-${short(fqn)}`, "ML_DEV", "PIPELINE", state, null]),
      // Same name in another schema and an unrelated task: must not count.
      ["2026-11-01", "MORTGAGE_PIPELINE", "id-x", "ML_DEV", "OTHER", "started", null],
      ["2026-11-01", "UNRELATED", "id-u", "ML_DEV", "PIPELINE", "suspended", null],
    ],
  }));
  stub.on(/^ALTER TASK \S+ (RESUME|SUSPEND)$/, (sql) => {
    const [, , task, action] = sql.split(" ");
    if (!(task in tasks)) return { error: { code: "002003", message: `Task '${short(task)}' does not exist or not authorized.`, sqlState: "02000" } };
    if (!ignored.has(task)) tasks[task] = action === "RESUME" ? "started" : "suspended";
    return { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };
  });
  const config: Record<string, string> = {
    "snowflake:organizationName": "STUBORG",
    "snowflake:accountName": "STUBACCT",
    "snowflake:user": "PULUMI_DEPLOYER",
    "snowflake:password": "deployer-secret",
    "snowflake:role": "ML_PIPELINE_DEPLOYER",
    "snowflake:host": new URL(stub.url).hostname,
    "snowflake:port": new URL(stub.url).port,
    "snowflake:protocol": "http",
  };
  await provider.configure!({ config: { get: (key: string) => config[key], require: (key: string) => config[key] } });
});

after(async () => {
  await stub.close();
});

beforeEach(() => {
  stub.statements.length = 0;
  ignored = new Set();
});

describe("GraphActivation provider against the stub", () => {
  test("already in the declared state (started: false): only the check, no repair", async () => {
    tasks = allStates("suspended", "started");
    const result = await provider.create!(inputs(false));
    assert.deepEqual(stub.statements, [SHOW]);
    assert.equal(result.id, ROOT);
    assert.equal(result.outs!.inSync, true);
    assert.deepEqual(result.outs!.repairs, []);
    assert.deepEqual(result.outs!.actual, allStates("suspended", "started"));
    assert.equal(stub.logins[stub.logins.length - 1].data.LOGIN_NAME, "PULUMI_DEPLOYER");
  });

  test("already in the declared state (started: true): only the check", async () => {
    tasks = allStates("started", "started");
    const result = await provider.update!(ROOT, { ...inputs(false), actual: {}, inSync: true, repairs: [] }, inputs(true));
    assert.deepEqual(stub.statements, [SHOW]);
    assert.equal(result.outs!.inSync, true);
  });

  test("left suspended after an apply (TF #4041), started: true: children resumed, then the root, re-checked", async () => {
    tasks = allStates("suspended", "started", { [CHILDREN[1]]: "suspended", [CHILDREN[5]]: "suspended" });
    const result = await provider.create!(inputs(true));
    // Children by name (CLEANUP before TRAIN_MODEL): with the root suspended, any order is allowed.
    assert.deepEqual(stub.statements, [SHOW, alter(CHILDREN[5], "RESUME"), alter(CHILDREN[1], "RESUME"), alter(ROOT, "RESUME"), SHOW]);
    assert.deepEqual(result.outs!.repairs, stub.statements.slice(1, 4));
    assert.equal(result.outs!.inSync, true);
    assert.deepEqual(tasks, allStates("started", "started"));
  });

  test("a started root over a suspended child: the root is suspended first and resumed last", async () => {
    tasks = allStates("started", "started", { [CHILDREN[3]]: "suspended" });
    await provider.create!(inputs(true));
    assert.deepEqual(stub.statements, [SHOW, alter(ROOT, "SUSPEND"), alter(CHILDREN[3], "RESUME"), alter(ROOT, "RESUME"), SHOW]);
    assert.deepEqual(tasks, allStates("started", "started"));
  });

  test("started: false with everything suspended: root suspended first, children resumed, root left suspended", async () => {
    tasks = allStates("started", "suspended");
    const result = await provider.create!(inputs(false));
    assert.deepEqual(stub.statements, [SHOW, alter(ROOT, "SUSPEND"), ...BY_NAME.map((c) => alter(c, "RESUME")), SHOW]);
    assert.deepEqual(tasks, allStates("suspended", "started"));
    assert.equal(result.outs!.inSync, true);
  });

  test("repair refused: the update fails naming the task, and a root that was started is resumed again", async () => {
    tasks = allStates("started", "started", { [CHILDREN[1]]: "suspended" });
    stub.on(alter(CHILDREN[1], "RESUME"), {
      error: { code: "003001", message: "Insufficient privileges to operate on task 'MORTGAGE_PIPELINE$TRAIN_MODEL'", sqlState: "42501" },
    });
    await assert.rejects(provider.create!(inputs(true)), (err: Error) => {
      assert.match(err.message, /^GraphActivation task graph ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE \(declared started: true\) is not in its declared state after repair/);
      assert.match(err.message, /Snowflake refused `ALTER TASK ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$TRAIN_MODEL RESUME` for ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$TRAIN_MODEL: .*003001.*Insufficient privileges/);
      assert.match(err.message, /tasks not in the declared state: ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$TRAIN_MODEL is suspended, declared started$/);
      assert.ok(!err.message.includes("deployer-secret"));
      return true;
    });
    assert.deepEqual(stub.statements, [SHOW, alter(ROOT, "SUSPEND"), alter(CHILDREN[1], "RESUME"), alter(ROOT, "RESUME"), SHOW]);
    assert.equal(tasks[ROOT], "started", "the schedule is not left stopped by a failed repair");
  });

  test("a repair Snowflake accepts but that does not stick fails on the re-check, naming the task", async () => {
    tasks = allStates("suspended", "started", { [CHILDREN[5]]: "suspended" });
    ignored.add(CHILDREN[5]);
    await assert.rejects(provider.create!(inputs(false)), /tasks not in the declared state: ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$CLEANUP is suspended, declared started/);
    assert.deepEqual(stub.statements, [SHOW, alter(CHILDREN[5], "RESUME"), SHOW]);
  });

  test("a missing root fails before any ALTER, naming it", async () => {
    tasks = allStates("suspended", "started");
    delete tasks[ROOT];
    await assert.rejects(provider.create!(inputs(false)), /cannot be activated, the root task ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE does not exist$/);
    assert.deepEqual(stub.statements, [SHOW]);
  });

  test("the graph's tasks are discovered: a task added since the last deploy is checked and repaired too", async () => {
    const added = `${ROOT}$SCORE_BATCH`;
    tasks = { ...allStates("suspended", "started"), [added]: "suspended" };
    const result = await provider.create!(inputs(false));
    assert.deepEqual(stub.statements, [SHOW, alter(added, "RESUME"), SHOW]);
    assert.equal(result.outs!.actual[added], "started");
    // UNRELATED (no MORTGAGE_PIPELINE$ prefix) and MORTGAGE_PIPELINE in schema OTHER are not part of it.
    assert.deepEqual(Object.keys(result.outs!.actual).sort(), [ROOT, ...BY_NAME, added].sort());
  });

  test("read reports the real state, so refresh shows drift; diff then asks for an update", async () => {
    tasks = allStates("suspended", "started", { [CHILDREN[2]]: "suspended" });
    const stored: GraphActivationOutputs = { ...inputs(false), actual: allStates("suspended", "started") as GraphActivationOutputs["actual"], inSync: true, repairs: [] };
    const read = await provider.read!(ROOT, stored);
    assert.deepEqual(stub.statements, [SHOW]);
    assert.equal(read.id, ROOT);
    assert.equal(read.props!.inSync, false);
    assert.equal(read.props!.actual[CHILDREN[2]], "suspended");
    const diff = await provider.diff!(ROOT, read.props!, inputs(false));
    assert.equal(diff.changes, true);
  });

  test("a state written with the old inputs (task list, fingerprint) diffs as no change, and read drops them", async () => {
    tasks = allStates("started", "started");
    const legacy = { ...inputs(true), tasks: CHILDREN, fingerprint: "f0", actual: {}, inSync: true, repairs: [] } as GraphActivationOutputs;
    assert.equal((await provider.diff!(ROOT, legacy, inputs(true))).changes, false);
    const read = await provider.read!(ROOT, legacy);
    assert.deepEqual(Object.keys(read.props!).sort(), ["actual", "inSync", "repairs", "rootTask", "started"]);
    assert.equal(read.props!.inSync, true);
  });

  test("delete sends nothing", async () => {
    tasks = allStates("suspended", "started");
    await provider.delete!(ROOT, { ...inputs(false), actual: {}, inSync: true, repairs: [] });
    assert.deepEqual(stub.statements, []);
  });
});

describe("GraphActivation diff and check (no Snowflake)", () => {
  const olds: GraphActivationOutputs = { ...inputs(true), actual: {}, inSync: true, repairs: [] };

  test("equal inputs: no change, so pulumi up does nothing", async () => {
    assert.deepEqual(await provider.diff!(ROOT, olds, inputs(true)), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("a new started flag re-runs the check; a new root replaces; drift recorded by refresh updates", async () => {
    assert.equal((await provider.diff!(ROOT, olds, inputs(false))).changes, true);
    const moved = await provider.diff!(ROOT, olds, { ...inputs(true), rootTask: "ML_PROD.PIPELINE.MORTGAGE_PIPELINE" });
    assert.deepEqual(moved.replaces, ["rootTask"]);
    assert.equal((await provider.diff!(ROOT, { ...olds, inSync: false }, inputs(true))).changes, true);
    // An unknown value during preview counts as a change.
    assert.equal((await provider.diff!(ROOT, olds, { ...inputs(true), started: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as boolean })).changes, true);
  });

  test("check accepts valid inputs and unknowns, and names every bad property", async () => {
    assert.deepEqual(await provider.check!(inputs(true), inputs(true)), { inputs: inputs(true), failures: [] });
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const preview = { rootTask: unknown, started: unknown as unknown as boolean };
    assert.deepEqual((await provider.check!(inputs(true), preview)).failures, []);
    const bad = await provider.check!(inputs(true), { rootTask: "ml_dev.pipeline.x", started: "yes" as unknown as boolean });
    assert.deepEqual(bad.failures, [
      { property: "rootTask", reason: 'expected a fully qualified unquoted task name DB.SCHEMA.NAME, got "ml_dev.pipeline.x"' },
      { property: "started", reason: "expected true or false" },
    ]);
    // Keys of older versions are dropped, so they never reach the state again.
    const legacy = { ...inputs(true), tasks: CHILDREN, fingerprint: "f0" } as GraphActivationInputs;
    assert.deepEqual(await provider.check!(inputs(true), legacy), { inputs: inputs(true), failures: [] });
  });

  test("repair plan: nothing when correct, root last when started, never a root RESUME when started: false", () => {
    assert.deepEqual(repairPlan(members(false), allStates("suspended", "started") as never), []);
    assert.deepEqual(
      repairPlan(members(true), allStates("suspended", "started") as never).map((s) => s.sql),
      [alter(ROOT, "RESUME")],
    );
    assert.ok(!repairPlan(members(false), allStates("started", "suspended") as never).some((s) => s.sql === alter(ROOT, "RESUME")));
  });
});

describe("GraphActivation resource under Pulumi mocks", () => {
  test("registers as pulumi-nodejs:dynamic/snowflake-ml-pipeline:GraphActivation with a serialized provider and no credentials", async () => {
    const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, inSync: true, actual: {}, repairs: [] } };
      },
      call: (args) => args.inputs,
    });
    const activation = new GraphActivation("graph-activation", inputs(false));
    const urn = await new Promise<string>((resolve) => activation.urn.apply(resolve));
    assert.match(urn, /pulumi-nodejs:dynamic\/snowflake-ml-pipeline:GraphActivation::graph-activation$/);
    assert.equal(registered.length, 1);
    const [reg] = registered;
    assert.equal(reg.type, "pulumi-nodejs:dynamic/snowflake-ml-pipeline:GraphActivation");
    assert.deepEqual(
      Object.keys(reg.inputs).filter((k) => k !== "__provider").sort(),
      ["rootTask", "started"],
    );
    const code = reg.inputs.__provider;
    assert.equal(typeof code, "string");
    assert.ok(!(code as string).includes("deployer-secret"), "the configured password is not in the serialized provider");
    // The serialized text is a working provider.
    const mod = new Module("serialized-provider") as Module & { _compile(code: string, filename: string): void };
    mod.paths = module.paths;
    mod._compile(code as string, "serialized-provider.js");
    const restored = (mod.exports as { handler: () => typeof provider }).handler();
    const diff = await restored.diff!(ROOT, { ...inputs(false), actual: {}, inSync: true, repairs: [] }, inputs(false));
    assert.equal(diff.changes, false);
    assert.equal(await new Promise((resolve) => activation.inSync.apply(resolve)), true);
  });
});
