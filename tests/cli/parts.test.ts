// The CLI's pure parts: durations, config overrides, SHOW TASKS parsing and run order, the live
// frame (and log-update on a fake terminal), return values, connections.toml resolution.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { createColors } from "picocolors";
import { parseConfigOverrides } from "../../cli/ops/cmdRun";
import { resolveConnection, settingsFromToml } from "../../cli/ops/connect";
import { formatDuration, parseDuration } from "../../cli/ops/duration";
import { CliError, EXIT } from "../../cli/ops/exitCodes";
import { graphFromShowTasks, lastNamePart, taskViews } from "../../cli/ops/graph";
import { FrameView } from "../../cli/ops/liveView";
import { Backoff, StatementBudget } from "../../cli/ops/pacing";
import { executeTaskSql, isManualRun, parseRootTask, parseTaskRun, type Row } from "../../cli/ops/queries";
import { renderFrame, type RunContext } from "../../cli/ops/renderRun";
import { extractResults } from "../../cli/ops/results";
import type { RunSnapshot } from "../../cli/ops/runWatch";
import { isTransientError } from "../../cli/ops/session";
import { pulumiFailure } from "../../cli/ops/stackAccess";
import { choosePipeline, pipelinesOf } from "../../cli/ops/target";
import { DEV_STATES, FakeClock, fakeStackAccess, showTasks, T0 } from "./scenario";

const pc = createColors(false);
const REF = parseRootTask("ML_DEV.PIPELINE.MORTGAGE_PIPELINE");

function showRows(): Row[] {
  const outcome = showTasks(DEV_STATES);
  return outcome.rows!.map((r) => Object.fromEntries(outcome.columns!.map((c, i) => [c.name, r[i]])));
}

describe("durations", () => {
  test("parse and format", () => {
    assert.equal(parseDuration("45s"), 45_000);
    assert.equal(parseDuration("90m"), 5_400_000);
    assert.equal(parseDuration("2h30m"), 9_000_000);
    assert.equal(parseDuration("1d"), 86_400_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30"), 30_000);
    for (const bad of ["", "soon", "5x", "1h 30m", "-5m", "0s"]) assert.throws(() => parseDuration(bad), /duration/);
    assert.deepEqual([0, 45_000, 570_000, 7_500_000, 277_200_000].map(formatDuration), ["0s", "45s", "9m30s", "2h05m", "3d05h"]);
  });
});

describe("run config", () => {
  test("--config values are typed; program keys and run_token are refused", () => {
    assert.deepEqual(parseConfigOverrides(["metric_threshold=0.8", "retention_days=7", "sample_data_x=true", "note=a=b", "empty="]), {
      metric_threshold: 0.8,
      retention_days: 7,
      sample_data_x: true,
      note: "a=b",
      empty: "",
    });
    for (const bad of ["noequals", "=x", "bad-key=1", "warehouse=X", "run_token=t"]) {
      assert.throws(() => parseConfigOverrides([bad]), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.USAGE);
    }
  });

  test("EXECUTE TASK config is canonical JSON in $$ and refuses $$ inside", () => {
    assert.equal(executeTaskSql(REF, { z: 1, a: "x", run_token: "t" }), 'EXECUTE TASK ML_DEV.PIPELINE.MORTGAGE_PIPELINE USING CONFIG = $${"a":"x","run_token":"t","z":1}$$');
    assert.throws(() => executeTaskSql(REF, { note: "cost $$5" }), /\$\$/);
  });

  test("root task names are validated", () => {
    assert.deepEqual(parseRootTask("ML_DEV.PIPELINE.MORTGAGE_PIPELINE"), { database: "ML_DEV", schema: "PIPELINE", name: "MORTGAGE_PIPELINE" });
    for (const bad of ["ML_DEV.PIPELINE", "ml_dev.pipeline.x", 'ML_DEV.PIPELINE."X"', "ML_DEV.SELECT.X", "A.B.C.D"]) assert.throws(() => parseRootTask(bad));
  });

  test("SCHEDULED_FROM of a manual run: both spellings", () => {
    assert.ok(isManualRun("EXECUTE TASK") && isManualRun("EXECUTE_TASK") && !isManualRun("SCHEDULE") && !isManualRun(undefined));
  });
});

describe("graph from SHOW TASKS", () => {
  test("root, children in run order (ties by name), finalizer last; other tasks ignored", () => {
    const graph = graphFromShowTasks(REF, showRows())!;
    assert.equal(graph.root.id, "01b8d2f0-0000-4a00-0000-000000000001");
    assert.equal(graph.root.state, "suspended");
    assert.deepEqual(
      graph.children.map((c) => `${c.label}:${c.role}:${c.predecessors.join("+")}`),
      ["PREPARE_DATA:task:", "TRAIN_MODEL:task:MORTGAGE_PIPELINE$PREPARE_DATA", "CHECK_MODEL_QUALITY:task:MORTGAGE_PIPELINE$TRAIN_MODEL", "PROMOTE_MODEL:task:MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY", "SEND_ALERT:task:MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY", "CLEANUP:finalizer:"],
    );
    assert.equal(graphFromShowTasks(parseRootTask("ML_DEV.PIPELINE.OTHER_PIPELINE"), showRows()), undefined);
  });

  test("qualified names with and without quotes", () => {
    assert.equal(lastNamePart('ML_DEV.PIPELINE."MORTGAGE_PIPELINE$TRAIN_MODEL"'), "MORTGAGE_PIPELINE$TRAIN_MODEL");
    assert.equal(lastNamePart("ML_DEV.PIPELINE.MORTGAGE_PIPELINE$TRAIN_MODEL"), "MORTGAGE_PIPELINE$TRAIN_MODEL");
    assert.equal(lastNamePart('"a.b"."c"."d.e"'), "d.e");
  });

  test("task states of a run: latest attempt wins; missing rows are skipped (succeeded) or not run (failed)", () => {
    const graph = graphFromShowTasks(REF, showRows())!;
    const row = (name: string, state: string, scheduledMs: number) => parseTaskRun({ NAME: `MORTGAGE_PIPELINE$${name}`, STATE: state, RUN_ID: 1, SCHEDULED_MS: scheduledMs });
    const runs = [row("PREPARE_DATA", "FAILED", 1), row("PREPARE_DATA", "SUCCEEDED", 2), row("TRAIN_MODEL", "EXECUTING", 3)];
    assert.deepEqual(taskViews(graph, runs).map((t) => t.state), ["waiting", "succeeded", "running", "waiting", "waiting", "waiting", "waiting"]);
    assert.deepEqual(taskViews(graph, runs.slice(0, 2), "SUCCEEDED").map((t) => t.state), ["skipped", "succeeded", "skipped", "skipped", "skipped", "skipped", "skipped"]);
    assert.deepEqual(taskViews(graph, runs.slice(0, 1), "FAILED").map((t) => t.state), ["not run", "failed", "not run", "not run", "not run", "not run", "not run"]);
  });
});

describe("live view", () => {
  const graph = graphFromShowTasks(REF, showRows())!;
  const ctx: RunContext = { command: "run", graph };
  const snapshot = (): RunSnapshot => {
    const rows = [
      parseTaskRun({ NAME: "MORTGAGE_PIPELINE", STATE: "SUCCEEDED", RUN_ID: T0, RETURN_VALUE: "tok", STARTED_MS: T0, COMPLETED_MS: T0 + 1000 }),
      parseTaskRun({ NAME: "MORTGAGE_PIPELINE$PREPARE_DATA", STATE: "SUCCEEDED", RUN_ID: T0, STARTED_MS: T0 + 2000, COMPLETED_MS: T0 + 62_000 }),
      parseTaskRun({ NAME: "MORTGAGE_PIPELINE$TRAIN_MODEL", STATE: "EXECUTING", RUN_ID: T0, STARTED_MS: T0 + 63_000 }),
    ];
    return { phase: "running", token: "tok", runId: T0, tasks: taskViews(graph, rows), otherRootRuns: [], elapsedMs: 135_000 };
  };

  test("the frame: one line per task, in run order, finalizer last", () => {
    assert.equal(
      renderFrame(ctx, snapshot(), pc),
      [
        "Run tok of ML_DEV.PIPELINE.MORTGAGE_PIPELINE · run id 1793613600000 +02:15",
        "  ✔ MORTGAGE_PIPELINE (root) succeeded 1s",
        "  ✔ PREPARE_DATA             succeeded 1m00s",
        "  ▶ TRAIN_MODEL              running",
        "  · CHECK_MODEL_QUALITY      waiting",
        "  · PROMOTE_MODEL            waiting",
        "  · SEND_ALERT               waiting",
        "  · CLEANUP (finalizer)      waiting",
        "Ctrl-C stops following; the run continues in Snowflake.",
      ].join("\n"),
    );
  });

  test("log-update redraws the frame in place on a terminal", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 40 });
    let written = "";
    stream.on("data", (d) => (written += d.toString()));
    const view = new FrameView(stream as unknown as NodeJS.WritableStream, ctx, pc);
    view.update(snapshot());
    const first = written;
    view.update({ ...snapshot(), elapsedMs: 140_000 });
    view.stop();
    assert.match(first, /▶ TRAIN_MODEL {14}running/);
    assert.ok(written.length > first.length);
    // The second frame erases the first (cursor up + erase line), it is not appended as new lines.
    assert.ok(written.slice(first.length).includes("\u001b[2K"), "erases the previous frame");
  });
});

describe("return values", () => {
  test("metrics, job id, branch decision and promoted model by shape; text kept as text", () => {
    const graph = graphFromShowTasks(REF, showRows())!;
    const rv = (name: string, value: string) => parseTaskRun({ NAME: `MORTGAGE_PIPELINE$${name}`, STATE: "SUCCEEDED", RETURN_VALUE: value, RUN_ID: 1 });
    const results = extractResults(
      taskViews(graph, [
        rv("TRAIN_MODEL", '{"job_id":"J1","metrics":{"test_f1":0.8}}'),
        rv("CHECK_MODEL_QUALITY", "PROMOTE_MODEL"),
        rv("PROMOTE_MODEL", '{"model":"M","version":3,"is_default":false}'),
        rv("CLEANUP", "{not json"),
      ]),
    );
    assert.deepEqual(results.metrics, { test_f1: 0.8 });
    assert.equal(results.trainingJobId, "J1");
    assert.deepEqual(results.branches, { CHECK_MODEL_QUALITY: "PROMOTE_MODEL" });
    assert.deepEqual(results.promotedModel, { model: "M", version: "3", isDefault: false, task: "PROMOTE_MODEL" });
    assert.equal(results.returnValues.CLEANUP, "{not json");
  });
});

describe("pacing", () => {
  test("backoff grows to its cap and resets", () => {
    const b = new Backoff();
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [5000, 7500, 11250, 16875, 25313, 30000, 30000]);
    b.reset();
    assert.equal(b.next(), 5000);
  });

  test("the statement budget waits on the clock once the minute is full", async () => {
    const clock = new FakeClock();
    const budget = new StatementBudget(clock, 3);
    for (let i = 0; i < 4; i++) await budget.acquire();
    assert.deepEqual(clock.sleeps, [60_000]);
  });

  test("transient errors: driver codes, deadlines and no code; SQL errors are not", () => {
    const err = (code?: string, sqlState?: string) => Object.assign(new Error("x"), { code, sqlState });
    assert.ok(isTransientError(err("401001")) && isTransientError(err()) && isTransientError(new Error("no answer within 5 ms")));
    assert.ok(!isTransientError(err("002003", "02000")) && !isTransientError(err("003001")));
  });
});

describe("connections.toml", () => {
  function home(toml: string, mode = 0o600): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sfhome-"));
    fs.writeFileSync(path.join(dir, "connections.toml"), toml, { mode });
    fs.chmodSync(path.join(dir, "connections.toml"), mode);
    return dir;
  }
  // No stack at all: these connections never read a stack.
  const noPulumi = fakeStackAccess({});

  test("a key-pair connection: private_key_file is read, env variables override keys", async () => {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 1024, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const dir = home(`[ops]\naccount = "MYORG-MYACCT"\nuser = "FROM_FILE"\nauthenticator = "SNOWFLAKE_JWT"\nprivate_key_file = "~/key.p8"\nrole = "R1"\nwarehouse = "W"\n`);
    fs.writeFileSync(path.join(dir, "key.p8"), privateKey);
    try {
      const env = { SNOWFLAKE_HOME: dir, HOME: dir, SNOWFLAKE_CONNECTIONS_OPS_ROLE: "R2", SNOWFLAKE_USER: "FROM_ENV" };
      const resolved = await resolveConnection({ connection: "ops" }, env, noPulumi);
      assert.deepEqual(resolved.settings, {
        account: "MYORG-MYACCT",
        user: "FROM_ENV",
        role: "R2",
        warehouse: "W",
        privateKey: privateKey.trim() + "\n",
        privateKeyPassphrase: undefined,
        password: undefined,
        host: undefined,
        port: undefined,
        protocol: undefined,
      });
      assert.deepEqual(resolved.warnings, []);
      assert.match(resolved.source, /connection "ops" \(.*connections\.toml\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the default connection is used when SNOWFLAKE_* are incomplete; a readable file is warned about", async () => {
    const dir = home(`[default]\naccount = "O-A"\nuser = "U"\npassword = "p"\n[other]\naccount = "X"\nuser = "Y"\npassword = "z"\n`, 0o644);
    try {
      const resolved = await resolveConnection({}, { SNOWFLAKE_HOME: dir, HOME: dir }, noPulumi);
      assert.equal(resolved.settings.account, "O-A");
      assert.equal(resolved.warnings.length, 1);
      const other = await resolveConnection({}, { SNOWFLAKE_HOME: dir, HOME: dir, SNOWFLAKE_DEFAULT_CONNECTION_NAME: "other" }, noPulumi);
      assert.equal(other.settings.account, "X");
      // Complete SNOWFLAKE_* variables win over the file.
      const fromEnv = await resolveConnection(
        {},
        { SNOWFLAKE_HOME: dir, HOME: dir, SNOWFLAKE_ORGANIZATION_NAME: "E", SNOWFLAKE_ACCOUNT_NAME: "F", SNOWFLAKE_USER: "G", SNOWFLAKE_PASSWORD: "h" },
        noPulumi,
      );
      assert.equal(fromEnv.settings.account, "E-F");
      assert.equal(fromEnv.source, "SNOWFLAKE_* environment variables");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("unsupported authenticators and missing keys are explained", () => {
    assert.throws(() => settingsFromToml("sso", { account: "A", user: "U", authenticator: "externalbrowser" }, {}, "f"), /authenticator externalbrowser is not supported/);
    assert.throws(() => settingsFromToml("x", { account: "A" }, {}, "f"), /missing user, password or private_key_file/);
    assert.throws(() => settingsFromToml("x", { account: "A", user: "U", authenticator: "SNOWFLAKE_JWT" }, {}, "f"), /needs private_key_file/);
  });

  test("nothing configured anywhere: one message naming every way to connect", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sfhome-"));
    try {
      await assert.rejects(resolveConnection({}, { SNOWFLAKE_HOME: dir, HOME: dir }, noPulumi), (e: unknown) => {
        assert.ok(e instanceof CliError && e.exitCode === EXIT.USAGE);
        assert.match((e as Error).message, /snowflake:organizationName \(or SNOWFLAKE_ORGANIZATION_NAME\).*--connection NAME.*--stack NAME/s);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("which pipeline of the stack's outputs", () => {
  const entry = (root: string) => ({ rootTask: `ML_DEV.PIPELINE.${root}`, tasks: { A: `ML_DEV.PIPELINE.${root}$A` } });

  test("pipelines by name; an older stack's top-level rootTask is its one pipeline; nothing else counts", () => {
    assert.deepEqual([...pipelinesOf({ pipelines: { P1: entry("P1"), P2: entry("P2"), BAD: "x" } }).keys()], ["P1", "P2"]);
    assert.deepEqual([...pipelinesOf({ rootTask: "ML_DEV.PIPELINE.OLD", tasks: { A: "ML_DEV.PIPELINE.OLD$A" } })], [["OLD", { rootTask: "ML_DEV.PIPELINE.OLD", tasks: { A: "ML_DEV.PIPELINE.OLD$A" } }]]);
    assert.equal(pipelinesOf({ warehouse: "W" }).size, 0);
  });

  const cases: [string, Record<string, unknown>, string | undefined, string | RegExp][] = [
    ["the only pipeline without --pipeline", { pipelines: { P1: entry("P1") } }, undefined, "P1"],
    ["--pipeline names one of several", { pipelines: { P1: entry("P1"), P2: entry("P2") } }, "P2", "P2"],
    ["several and no --pipeline", { pipelines: { P2: entry("P2"), P1: entry("P1") } }, undefined, /^stack dev has 2 pipelines: P1, P2\. Say which one with --pipeline NAME\.$/],
    ["an unknown name", { pipelines: { P1: entry("P1") } }, "P9", /^--pipeline P9: stack dev has no such pipeline; it has: P1$/],
    ["no pipelines at all", { warehouse: "W" }, undefined, /^stack dev: no pipelines in the outputs \(outputs: warehouse\)\. Give --root-task/],
  ];
  for (const [name, outputs, requested, expected] of cases) {
    test(name, () => {
      const choose = () => choosePipeline(pipelinesOf(outputs), requested, "stack dev", Object.keys(outputs));
      if (typeof expected === "string") assert.equal(choose()[0], expected);
      else assert.throws(choose, (e: unknown) => e instanceof CliError && e.exitCode === EXIT.USAGE && expected.test((e as Error).message));
    });
  }
});

describe("Pulumi Automation API failures in words", () => {
  const commandError = (name: string, stderr: string) => Object.assign(new Error(`code: 255\n stderr: ${stderr}`), { name, commandResult: { stderr } });

  test("a missing stack, and any other failure with pulumi's own message", () => {
    const missing = pulumiFailure(commandError("StackNotFoundError", "error: no stack named 'qa' found"), "reading the outputs of stack qa", "qa");
    assert.equal(missing.message, "reading the outputs of stack qa: there is no stack qa in this project (see `pulumi stack ls`).");
    assert.equal(missing.exitCode, EXIT.USAGE);
    const other = pulumiFailure(commandError("CommandError", "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE\n"), "reading the connection settings of stack dev");
    assert.equal(other.message, "reading the connection settings of stack dev: pulumi failed: error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE");
  });
});
