// `pipeline run` against the local Snowflake stub: scripted runs on a fake clock, exact statements,
// rendered progress, JSON and exit codes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EXIT } from "../../cli/ops/exitCodes";
import { harness, maxPerMinute, ROOT, successRun, T0, tokenReturn, type ScriptedRun } from "./scenario";

const TARGET = ["--root-task", "ML_DEV.PIPELINE.MORTGAGE_PIPELINE", "--connection", "stub"];
const FOLLOW = "npm run pipeline -- watch --run-token tok-1 --root-task ML_DEV.PIPELINE.MORTGAGE_PIPELINE --connection stub";

const SHOW = "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE";
const CURRENT =
  "SELECT STATE, SCHEDULED_FROM, RUN_ID, DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS " +
  "FROM TABLE(ML_DEV.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => 'MORTGAGE_PIPELINE', RESULT_LIMIT => 100)) " +
  "WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' ORDER BY SCHEDULED_TIME";
const EXECUTE = 'EXECUTE TASK ML_DEV.PIPELINE.MORTGAGE_PIPELINE USING CONFIG = $${"run_token":"tok-1"}$$';
const TH_COLUMNS =
  "SELECT NAME, STATE, RETURN_VALUE, ERROR_CODE, ERROR_MESSAGE, QUERY_ID, RUN_ID, " +
  "DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, " +
  "DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS ";
/** The token search: every task run of the graph since 10 minutes before the command started. */
const SEARCH =
  TH_COLUMNS +
  `FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ(${T0 - 600_000}, 3), RESULT_LIMIT => 1000, ` +
  "ROOT_TASK_ID => '01b8d2f0-0000-4a00-0000-000000000001')) WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' ORDER BY SCHEDULED_TIME DESC";
/** The tracked run: RUN_ID = the epoch ms of the EXECUTE (T0 in these scripts). */
const TRACK =
  TH_COLUMNS +
  `FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ(${T0 - 60_000}, 3), RESULT_LIMIT => 1000, ` +
  `ROOT_TASK_ID => '01b8d2f0-0000-4a00-0000-000000000001')) WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' AND RUN_ID = ${T0} ORDER BY SCHEDULED_TIME DESC`;
const COMPLETE =
  "SELECT STATE, FIRST_ERROR_TASK_NAME, FIRST_ERROR_CODE, FIRST_ERROR_MESSAGE, RUN_ID, " +
  "DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS " +
  "FROM TABLE(ML_DEV.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'MORTGAGE_PIPELINE', RESULT_LIMIT => 100)) " +
  `WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' AND RUN_ID = ${T0}`;
const times = (n: number, sql: string) => Array<string>(n).fill(sql);

describe("pipeline run", () => {
  test("success through PROMOTE_MODEL: statements, live progress, results, exit 0", async () => {
    const h = await harness({ run: successRun("tok-1", "PROMOTE_MODEL") });
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.OK, h.stderr());
      assert.deepEqual(h.sent, [SHOW, CURRENT, EXECUTE, SEARCH, SEARCH, ...times(14, TRACK), COMPLETE, TRACK]);
      assert.deepEqual(h.stub.statements, h.sent, "no statement was retried");
      assert.equal(h.stub.logins.length, 1);
      assert.equal(h.stub.logins[0].data.LOGIN_NAME, "OPERATOR");
      assert.equal(
        h.stdout(),
        [
          "+00:00 following run token tok-1 of ML_DEV.PIPELINE.MORTGAGE_PIPELINE",
          "+00:00 a root run is pending; waiting for it to return this run's token",
          `+00:05 run identified: run id ${T0}`,
          "+00:05 MORTGAGE_PIPELINE (root) succeeded 1s",
          "+00:05 PREPARE_DATA             running",
          "+00:45 PREPARE_DATA             succeeded 27s",
          "+00:45 TRAIN_MODEL              running",
          "+02:21 TRAIN_MODEL              succeeded 1m29s job MLJOB_7F3A",
          "+02:21 CHECK_MODEL_QUALITY      succeeded 9s → PROMOTE_MODEL",
          "+02:21 PROMOTE_MODEL            running",
          "+02:34 PROMOTE_MODEL            succeeded 19s ML_DEV.MODELS.MORTGAGE_MODEL V4 (default)",
          "+02:34 CLEANUP (finalizer)      running",
          "+02:46 SEND_ALERT               skipped",
          "+02:46 CLEANUP (finalizer)      succeeded 9s",
          `Run tok-1 (run id ${T0}) succeeded in 2m39s`,
          "  ✔ MORTGAGE_PIPELINE (root) succeeded 1s",
          "  ✔ PREPARE_DATA             succeeded 27s",
          "  ✔ TRAIN_MODEL              succeeded 1m29s  job MLJOB_7F3A",
          "  ✔ CHECK_MODEL_QUALITY      succeeded 9s     → PROMOTE_MODEL",
          "  ✔ PROMOTE_MODEL            succeeded 19s    ML_DEV.MODELS.MORTGAGE_MODEL V4 (default)",
          "  ↷ SEND_ALERT               skipped",
          "  ✔ CLEANUP (finalizer)      succeeded 9s",
          "Results:",
          "  metrics (TRAIN_MODEL): test_accuracy=0.9123 test_f1=0.88",
          "  training job: MLJOB_7F3A",
          "  CHECK_MODEL_QUALITY chose PROMOTE_MODEL",
          "  promoted: ML_DEV.MODELS.MORTGAGE_MODEL version V4 (now the default)",
          "",
        ].join("\n"),
      );
      // Backoff: 5 s after each change, growing while nothing changes (TRAIN_MODEL runs 90 s).
      assert.deepEqual(h.clock.sleeps, [5000, 5000, 7500, 11250, 16875, 5000, 7500, 11250, 16875, 25313, 30000, 5000, 7500, 5000, 7500]);
      assert.ok(maxPerMinute(h.timed) <= 24);
    } finally {
      await h.close();
    }
  });

  test("success through SEND_ALERT, --json: PROMOTE_MODEL skipped, finalizer last, --config typed", async () => {
    const h = await harness({ run: successRun("tok-1", "SEND_ALERT") });
    try {
      const code = await h.run("run", ...TARGET, "--json", "--config", "metric_threshold=0.95", "--config", "note=nightly retrain", "--config", "dry=false");
      assert.equal(code, EXIT.OK, h.stderr());
      assert.equal(
        h.sent[2],
        'EXECUTE TASK ML_DEV.PIPELINE.MORTGAGE_PIPELINE USING CONFIG = $${"dry":false,"metric_threshold":0.95,"note":"nightly retrain","run_token":"tok-1"}$$',
      );
      const E = T0;
      const at = (s: number) => new Date(E + s * 1000).toISOString();
      const task = (t: string, name: string, role: string, state: string, start?: number, end?: number, returnValue: unknown = null) => ({
        task: t,
        name,
        role,
        state,
        startedAt: start === undefined ? null : at(start),
        completedAt: end === undefined ? null : at(end),
        durationMs: start === undefined || end === undefined ? null : (end - start) * 1000,
        returnValue,
        error: null,
      });
      assert.deepEqual(JSON.parse(h.stdout()), {
        command: "run",
        rootTask: "ML_DEV.PIPELINE.MORTGAGE_PIPELINE",
        outcome: "succeeded",
        exitCode: 0,
        runToken: "tok-1",
        runId: E,
        graphState: "SUCCEEDED",
        startedAt: at(1),
        completedAt: at(160),
        durationMs: 159_000,
        tasks: [
          task(ROOT, ROOT, "root", "succeeded", 1, 2),
          task("PREPARE_DATA", `${ROOT}$PREPARE_DATA`, "task", "succeeded", 3, 30, { dataset: { name: "MORTGAGE_DATASET", version: "v3" } }),
          task("TRAIN_MODEL", `${ROOT}$TRAIN_MODEL`, "task", "succeeded", 31, 120, {
            job_id: "MLJOB_7F3A",
            model_path: "@ML_DEV.PIPELINE.ARTIFACT_STAGE/runs/1/model.ubj",
            metrics: { test_accuracy: 0.61, test_f1: 0.55 },
          }),
          task("CHECK_MODEL_QUALITY", `${ROOT}$CHECK_MODEL_QUALITY`, "task", "succeeded", 121, 130, "SEND_ALERT"),
          task("PROMOTE_MODEL", `${ROOT}$PROMOTE_MODEL`, "task", "skipped"),
          task("SEND_ALERT", `${ROOT}$SEND_ALERT`, "task", "succeeded", 131, 140),
          task("CLEANUP", `${ROOT}$CLEANUP`, "finalizer", "succeeded", 151, 160, { removed: { files: 3 } }),
        ],
        firstError: null,
        results: {
          metrics: { test_accuracy: 0.61, test_f1: 0.55 },
          trainingJobId: "MLJOB_7F3A",
          branches: { CHECK_MODEL_QUALITY: "SEND_ALERT" },
          promotedModel: null,
        },
        otherRootRuns: [],
        error: null,
        follow: null,
      });
      // Progress goes to stderr under --json; the finalizer is the last task to run.
      const progress = h.stderr().trim().split("\n");
      assert.match(progress.at(-1)!, /CLEANUP \(finalizer\)\s+succeeded 9s$/);
      assert.ok(progress.some((l) => /PROMOTE_MODEL\s+skipped$/.test(l)));
      assert.ok(!progress.some((l) => /PROMOTE_MODEL\s+running/.test(l)));
    } finally {
      await h.close();
    }
  });

  test("a failing task: the finalizer still runs, the first error is named, exit 1", async () => {
    const run: ScriptedRun = {
      tasks: [
        tokenReturn("tok-1"),
        { task: "PREPARE_DATA", scheduledAt: 2, startAt: 3, endAt: 20, state: "SUCCEEDED" },
        {
          task: "TRAIN_MODEL",
          scheduledAt: 20,
          startAt: 21,
          endAt: 50,
          state: "FAILED",
          error: { code: "100357", message: "Python Interpreter Error:\nValueError: training data has 0 rows" },
        },
        { task: "CLEANUP", scheduledAt: 50, startAt: 52, endAt: 60, state: "SUCCEEDED", returnValue: '{"removed":{}}' },
      ],
      completeAt: 61,
      graphState: "FAILED",
      firstError: { task: "TRAIN_MODEL", code: "100357", message: "Python Interpreter Error:\nValueError: training data has 0 rows" },
    };
    const h = await harness({ run });
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.FAILED);
      assert.deepEqual(h.sent.slice(0, 3), [SHOW, CURRENT, EXECUTE]);
      // The FAILED end is final once it has stood 30 s (an automatic retry could follow).
      assert.deepEqual(h.sent.slice(-3), [TRACK, COMPLETE, TRACK]);
      const ends = h.timed.filter(([, sql]) => sql === COMPLETE).map(([t]) => t);
      assert.ok(ends.length >= 2 && ends.at(-1)! - ends[0] >= 30_000, "confirmed over 30 s");
      assert.match(h.stdout(), /\+01:\d\d the graph run ended FAILED; watching 30 s for an automatic retry\n/);
      const out = h.stdout();
      const summary = out.slice(out.indexOf("Run tok-1 ("));
      assert.equal(
        summary,
        [
          `Run tok-1 (run id ${T0}) failed in 59s`,
          "  ✔ MORTGAGE_PIPELINE (root) succeeded 1s",
          "  ✔ PREPARE_DATA             succeeded 17s",
          "  ✖ TRAIN_MODEL              failed    29s    100357: Python Interpreter Error: ValueError: training data has 0 rows",
          "  - CHECK_MODEL_QUALITY      not run",
          "  - PROMOTE_MODEL            not run",
          "  - SEND_ALERT               not run",
          "  ✔ CLEANUP (finalizer)      succeeded 8s",
          "First error: TRAIN_MODEL (100357): Python Interpreter Error:\nValueError: training data has 0 rows",
          "",
        ].join("\n"),
      );
      const lines = out.split("\n");
      const failedAt = lines.findIndex((l) => /TRAIN_MODEL\s+failed/.test(l));
      const cleanupAt = lines.findIndex((l) => /CLEANUP \(finalizer\)\s+succeeded/.test(l));
      assert.ok(failedAt > 0 && cleanupAt > failedAt, "the finalizer finishes after the failure");
    } finally {
      await h.close();
    }
  });

  test("an automatic retry after a failed attempt is followed to its end (same RUN_ID, latest attempt wins)", async () => {
    const run: ScriptedRun = {
      tasks: [
        tokenReturn("tok-1"),
        { task: "PREPARE_DATA", scheduledAt: 2, startAt: 3, endAt: 20, state: "SUCCEEDED" },
        { task: "TRAIN_MODEL", scheduledAt: 20, startAt: 21, endAt: 40, state: "FAILED", error: { code: "100357", message: "transient" } },
        // TASK_AUTO_RETRY_ATTEMPTS: the graph is retried from the failed task a little later.
        { task: "TRAIN_MODEL", scheduledAt: 47, startAt: 48, endAt: 90, state: "SUCCEEDED", returnValue: '{"job_id":"J2","metrics":{"test_accuracy":0.9}}' },
        { task: "CHECK_MODEL_QUALITY", scheduledAt: 90, startAt: 91, endAt: 95, state: "SUCCEEDED", returnValue: "PROMOTE_MODEL" },
        { task: "PROMOTE_MODEL", scheduledAt: 95, startAt: 96, endAt: 100, state: "SUCCEEDED", returnValue: '{"model":"ML_DEV.MODELS.MORTGAGE_MODEL","version":"V5","is_default":true}' },
        { task: "CLEANUP", scheduledAt: 100, startAt: 101, endAt: 105, state: "SUCCEEDED" },
      ],
      completeAt: 41,
      graphState: "FAILED",
      firstError: { task: "TRAIN_MODEL", code: "100357", message: "transient" },
      laterEnds: [{ at: 106, state: "SUCCEEDED" }],
    };
    const h = await harness({ run });
    try {
      const code = await h.run("run", ...TARGET, "--json");
      assert.equal(code, EXIT.OK, h.stderr());
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.outcome, "succeeded");
      assert.equal(doc.tasks[2].state, "succeeded");
      assert.equal(doc.results.promotedModel.version, "V5");
      assert.match(h.stderr(), /the graph run ended FAILED; watching 30 s for an automatic retry/);
    } finally {
      await h.close();
    }
  });

  test("a run that stays queued: backoff to 30 s, bounded statements, timeout exit 3 with the watch command", async () => {
    // Our root row stays SCHEDULED; an earlier scheduled run (return value "scheduled") is in the window and is not taken.
    const run: ScriptedRun = { tasks: [{ task: ROOT, scheduledAt: 0, state: "SUCCEEDED" }] };
    const foreign = () => [
      { name: ROOT, state: "SUCCEEDED", runId: T0 - 300_000, scheduledMs: T0 - 300_000, startedMs: T0 - 299_000, completedMs: T0 - 298_000, returnValue: "scheduled" },
      { name: `${ROOT}$PREPARE_DATA`, state: "SUCCEEDED", runId: T0 - 300_000, scheduledMs: T0 - 298_000, startedMs: T0 - 297_000, completedMs: T0 - 200_000 },
    ];
    const h = await harness({ run, foreign });
    try {
      const code = await h.run("run", ...TARGET, "--timeout", "3m");
      assert.equal(code, EXIT.TIMEOUT);
      assert.deepEqual(h.sent, [SHOW, CURRENT, EXECUTE, ...times(h.clock.sleeps.length + 1, SEARCH)]);
      assert.deepEqual(h.clock.sleeps, [5000, 7500, 11250, 16875, 25313, 30000, 30000, 30000, 24062]);
      assert.equal(h.clock.now() - T0, 180_000);
      assert.ok(maxPerMinute(h.timed) <= 24);
      assert.equal(
        h.stdout(),
        [
          "+00:00 following run token tok-1 of ML_DEV.PIPELINE.MORTGAGE_PIPELINE",
          "+00:00 a root run is pending; waiting for it to return this run's token",
          "Run tok-1 did not start within 3m00s: no root run has returned its token yet. It may still be queued.",
          `Follow it with: ${FOLLOW}`,
          "",
        ].join("\n"),
      );
    } finally {
      await h.close();
    }
  });

  test("a timeout while a task runs: exit 3, the run is left going, --json names the watch command", async () => {
    const run: ScriptedRun = {
      tasks: [tokenReturn("tok-1"), { task: "PREPARE_DATA", scheduledAt: 2, startAt: 3, endAt: 20, state: "SUCCEEDED" }, { task: "TRAIN_MODEL", scheduledAt: 20, startAt: 21, state: "SUCCEEDED" }],
    };
    const h = await harness({ run });
    try {
      const code = await h.run("run", ...TARGET, "--timeout", "10m", "--json");
      assert.equal(code, EXIT.TIMEOUT);
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.outcome, "timeout");
      assert.equal(doc.exitCode, 3);
      assert.equal(doc.runId, T0);
      assert.equal(doc.graphState, null);
      assert.equal(doc.follow, FOLLOW);
      assert.deepEqual(
        doc.tasks.map((t: { task: string; state: string }) => `${t.task}:${t.state}`),
        ["MORTGAGE_PIPELINE:succeeded", "PREPARE_DATA:succeeded", "TRAIN_MODEL:running", "CHECK_MODEL_QUALITY:waiting", "PROMOTE_MODEL:waiting", "SEND_ALERT:waiting", "CLEANUP:waiting"],
      );
      assert.equal(h.clock.now() - T0, 600_000);
      assert.ok(!h.sent.includes(COMPLETE), "nothing asks for the graph's end while a task is executing");
      assert.ok(maxPerMinute(h.timed) <= 24);
    } finally {
      await h.close();
    }
  });

  test("a connection dropped in the middle of polling is retried and the run is followed to the end", async () => {
    const h = await harness({ run: successRun("tok-1", "PROMOTE_MODEL") });
    let seen = 0;
    h.stub.on((sql) => /TASK_HISTORY/.test(sql) && ++seen === 6, { dropConnection: true }, 1);
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.OK, h.stderr());
      // The CLI sent the same statements as without the drop; the driver re-sent the dropped one.
      assert.deepEqual(h.sent, [SHOW, CURRENT, EXECUTE, SEARCH, SEARCH, ...times(14, TRACK), COMPLETE, TRACK]);
      assert.equal(h.stub.statements.length, h.sent.length + 1);
      assert.deepEqual(h.stub.statements.slice(7, 9), [TRACK, TRACK]);
    } finally {
      await h.close();
    }
  });

  test("a connection that stops answering is replaced: the poll fails, the next one logs in again", async () => {
    const h = await harness({ run: successRun("tok-1", "PROMOTE_MODEL"), statementTimeoutMs: 1_500 });
    let seen = 0;
    // The 4th TASK_HISTORY gets no answer within the statement deadline (1.5 s); it is answered later,
    // so the driver's own retry loop ends and nothing is left running.
    h.stub.on((sql) => /TASK_HISTORY/.test(sql) && ++seen === 4, { delayMs: 2_500, columns: [], rows: [] }, 1);
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.OK, h.stderr());
      assert.equal(h.stub.logins.length, 2, "a new session after the failed poll");
      assert.match(h.stdout(), /\n\+00:17 Snowflake did not answer \(1 of 5 attempts\): Snowflake statement failed \[SELECT NAME.*no answer within 1500 ms; retrying\n/);
      assert.match(h.stdout(), /succeeded in 2m39s/);
      assert.deepEqual(h.sent.slice(0, 8), [SHOW, CURRENT, EXECUTE, SEARCH, SEARCH, TRACK, TRACK, TRACK]);
      assert.deepEqual(h.sent.slice(-2), [COMPLETE, TRACK]);
      // Closing the silent session hung up its request; snowflake-sdk re-sends it on its own after
      // 1-4 s (same request id). Let that answer arrive before the stub closes, or the driver keeps
      // retrying a closed port for a minute (the CLI entry exits explicitly for this reason).
      const count = (list: string[]) => list.filter((sql) => sql === TRACK).length;
      for (let i = 0; i < 100 && count(h.stub.statements) <= count(h.sent); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(count(h.stub.statements), count(h.sent) + 1);
    } finally {
      await h.close();
    }
  });

  test("a run already in progress is reported, not doubled: no EXECUTE TASK, exit 5", async () => {
    const running = T0 - 120_000;
    const h = await harness({ current: [["SCHEDULED", "SCHEDULE", T0 + 3_600_000, T0 + 3_600_000], ["EXECUTING", "EXECUTE_TASK", running, running]] });
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.ALREADY_RUNNING);
      assert.deepEqual(h.sent, [SHOW, CURRENT]);
      assert.equal(
        h.stdout(),
        [
          "A run of ML_DEV.PIPELINE.MORTGAGE_PIPELINE is already executing; no new run was started.",
          `  run id ${running} scheduled 2026-11-02T09:58:00Z (EXECUTE_TASK)`,
          `  follow it with: npm run pipeline -- watch --run-id ${running} --root-task ML_DEV.PIPELINE.MORTGAGE_PIPELINE --connection stub`,
          "",
        ].join("\n"),
      );
      h.out.length = 0;
      assert.equal(await h.run("run", ...TARGET, "--json"), EXIT.ALREADY_RUNNING);
      assert.deepEqual(JSON.parse(h.stdout()), {
        command: "run",
        rootTask: "ML_DEV.PIPELINE.MORTGAGE_PIPELINE",
        outcome: "already_running",
        exitCode: 5,
        runs: [
          {
            runId: running,
            scheduledAt: "2026-11-02T09:58:00.000Z",
            scheduledFrom: "EXECUTE_TASK",
            follow: `npm run pipeline -- watch --run-id ${running} --root-task ML_DEV.PIPELINE.MORTGAGE_PIPELINE --connection stub`,
          },
        ],
      });
    } finally {
      await h.close();
    }
  });

  test("EXECUTE TASK refused: exit 4, and the watch command in case it reached Snowflake", async () => {
    const h = await harness();
    h.stub.on(/^EXECUTE TASK /, { error: { code: "003001", message: "Insufficient privileges to operate on task 'MORTGAGE_PIPELINE'", sqlState: "42501" } });
    try {
      assert.equal(await h.run("run", ...TARGET), EXIT.SNOWFLAKE);
      assert.deepEqual(h.sent, [SHOW, CURRENT, EXECUTE]);
      assert.match(h.stderr(), /^error: EXECUTE TASK failed: .*003001.*Insufficient privileges.*\nIf it reached Snowflake a run may have started; look with `npm run pipeline -- watch --run-token tok-1 --root-task/);
    } finally {
      await h.close();
    }
  });

  test("a suspended child makes the graph not runnable: nothing is executed, exit 7", async () => {
    const h = await harness({ states: { [ROOT]: "suspended", TRAIN_MODEL: "suspended" } });
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.NOT_RUNNABLE);
      assert.deepEqual(h.sent, [SHOW]);
      assert.match(h.stderr(), /ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$TRAIN_MODEL is suspended: EXECUTE TASK would skip it/);
      assert.match(h.stderr(), /resume --children-only --root-task ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE --connection stub/);
    } finally {
      await h.close();
    }
  });

  test("no root run returns the token: nothing is guessed, exit 6 listing what was seen", async () => {
    const run: ScriptedRun = {
      tasks: [{ task: ROOT, scheduledAt: 0, startAt: 1, endAt: 3, state: "FAILED", error: { code: "091083", message: "warehouse ML_DEV_WH is suspended" } }],
    };
    const h = await harness({ run });
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.UNIDENTIFIED);
      assert.deepEqual(h.sent.slice(3), times(h.sent.length - 3, SEARCH), "never follows a run it has not identified");
      assert.ok(h.clock.now() - T0 >= 65_000);
      assert.match(
        h.stdout(),
        /Run tok-1 could not be identified: no root run of ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE returned this run token\.\nRoot runs seen in the search window \(none is claimed as this run\):\n {2}2026-11-02T10:00:00Z {2}FAILED 091083: warehouse ML_DEV_WH is suspended\n/,
      );
    } finally {
      await h.close();
    }
  });

  test("Ctrl-C stops following, leaves the run going and prints how to follow it: exit 130", async () => {
    const interrupt = new AbortController();
    const h = await harness({ run: successRun("tok-1", "PROMOTE_MODEL"), signal: interrupt.signal });
    h.clock.onSleep = (now) => {
      if (now - T0 >= 60_000) interrupt.abort();
    };
    try {
      const code = await h.run("run", ...TARGET);
      assert.equal(code, EXIT.INTERRUPTED);
      assert.ok(!h.sent.some((s) => /ALTER|CANCEL|SUSPEND/.test(s)), "nothing is done to the run");
      assert.match(h.stdout(), new RegExp(`Stopped following Run tok-1 \\(run id ${T0}\\); the run continues in Snowflake\\.\\nFollow it with: ${FOLLOW.replace(/\$/g, "\\$")}\\n$`));
    } finally {
      await h.close();
    }
  });

  test("the statement budget holds even with an aggressive poll interval", async () => {
    const run: ScriptedRun = { tasks: [{ task: ROOT, scheduledAt: 0, state: "SUCCEEDED" }] };
    const h = await harness({ run });
    h.deps.backoff = { initialMs: 500, factor: 1, maxMs: 500 };
    try {
      const code = await h.run("run", ...TARGET, "--timeout", "3m");
      assert.equal(code, EXIT.TIMEOUT);
      assert.equal(maxPerMinute(h.timed), 24);
      assert.ok(h.sent.length <= 3 * 24 + 3, `${h.sent.length} statements in 3 minutes`);
    } finally {
      await h.close();
    }
  });
});
