// `pipeline run --retry-last` against the local Snowflake stub: the exact SQL, following the
// retried run (same RUN_ID, rows newer than the failed attempt), and the refusals when there is
// nothing to retry. The failed run and its retry are scripted here on the fake clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EXIT } from "../../cli/ops/exitCodes";
import { harness, ROOT, T0, type ForeignRow, type Harness } from "./scenario";

const TARGET = ["--root-task", "ML_DEV.PIPELINE.MORTGAGE_PIPELINE", "--connection", "stub"];
const SHOW = "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE";
const TH_COLUMNS =
  "SELECT NAME, STATE, RETURN_VALUE, ERROR_CODE, ERROR_MESSAGE, QUERY_ID, RUN_ID, " +
  "DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, " +
  "DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS ";
const ROOT_ID_ARG = "ROOT_TASK_ID => '01b8d2f0-0000-4a00-0000-000000000001'";
const WHERE = "WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE'";
/** The last run: every task run of the graph in TASK_HISTORY's 7 days (less a minute). */
const LAST_RUNS =
  TH_COLUMNS +
  `FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ(${T0 - (7 * 86_400_000 - 60_000)}, 3), RESULT_LIMIT => 1000, ${ROOT_ID_ARG})) ` +
  `${WHERE} ORDER BY SCHEDULED_TIME DESC`;
const RETRY = "EXECUTE TASK ML_DEV.PIPELINE.MORTGAGE_PIPELINE RETRY LAST";

/** The failed run: scheduled 30 minutes before the command, TRAIN_MODEL failed. */
const R = T0 - 30 * 60_000;
const TRACK =
  TH_COLUMNS +
  `FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ(${R - 60_000}, 3), RESULT_LIMIT => 1000, ${ROOT_ID_ARG})) ` +
  `${WHERE} AND RUN_ID = ${R} ORDER BY SCHEDULED_TIME DESC`;
const COMPLETE =
  "SELECT STATE, FIRST_ERROR_TASK_NAME, FIRST_ERROR_CODE, FIRST_ERROR_MESSAGE, RUN_ID, " +
  "DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS " +
  "FROM TABLE(ML_DEV.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'MORTGAGE_PIPELINE', RESULT_LIMIT => 100)) " +
  `${WHERE} AND RUN_ID = ${R}`;

const row = (task: string, state: string, scheduledMs: number, startedMs?: number, completedMs?: number, extra: Partial<ForeignRow> = {}): ForeignRow => ({
  name: task === ROOT ? ROOT : `${ROOT}$${task}`,
  state,
  runId: R,
  scheduledMs,
  startedMs,
  completedMs,
  ...extra,
});
const s = (base: number, seconds: number) => base + seconds * 1000;

/** The first attempt of run R (ended 80 s after it was scheduled). */
function failedAttempt(): ForeignRow[] {
  return [
    row(ROOT, "SUCCEEDED", R, s(R, 1), s(R, 2), { returnValue: "tok-old" }),
    row("PREPARE_DATA", "SUCCEEDED", s(R, 2), s(R, 3), s(R, 50)),
    row("TRAIN_MODEL", "FAILED", s(R, 50), s(R, 51), s(R, 70), { errorCode: "100357", errorMessage: "Python Interpreter Error: out of memory" }),
    row("CLEANUP", "SUCCEEDED", s(R, 70), s(R, 71), s(R, 80)),
  ];
}

/** The retry's rows at `now`, `executedAt` being when the stub received RETRY LAST: TRAIN_MODEL onwards, same RUN_ID. */
function retryRows(now: number, executedAt: number | undefined): ForeignRow[] {
  if (executedAt === undefined) return [];
  const E = executedAt;
  const script: [string, number, number, number, string, string?][] = [
    ["TRAIN_MODEL", 1, 2, 90, "SUCCEEDED", JSON.stringify({ job_id: "MLJOB_RETRY", metrics: { test_accuracy: 0.93 } })],
    ["CHECK_MODEL_QUALITY", 90, 91, 100, "SUCCEEDED", "PROMOTE_MODEL"],
    ["PROMOTE_MODEL", 100, 101, 120, "SUCCEEDED", '{"model":"ML_DEV.MODELS.MORTGAGE_MODEL","version":"V5","is_default":true}'],
    ["CLEANUP", 120, 121, 130, "SUCCEEDED"],
  ];
  return script
    .filter(([, scheduled]) => now >= s(E, scheduled))
    .map(([task, scheduled, start, end, state, returnValue]) => {
      const ended = now >= s(E, end);
      const running = now >= s(E, start);
      return row(task, ended ? state : running ? "EXECUTING" : "SCHEDULED", s(E, scheduled), running ? s(E, start) : undefined, ended ? s(E, end) : undefined, {
        returnValue: ended ? returnValue : undefined,
      });
    });
}

const COMPLETE_COLUMNS = ["STATE", "FIRST_ERROR_TASK_NAME", "FIRST_ERROR_CODE", "FIRST_ERROR_MESSAGE", "RUN_ID", "STARTED_MS", "COMPLETED_MS"].map((name) => ({
  name,
  type: /_MS$|RUN_ID|CODE/.test(name) ? "fixed" : "text",
}));

async function retryHarness(foreign: (h: Harness, now: number) => ForeignRow[], completeRows?: (h: Harness, now: number) => unknown[][]): Promise<Harness> {
  const box: { h?: Harness } = {};
  const h = await harness({ foreign: (now) => foreign(box.h!, now) });
  box.h = h;
  h.stub.on(/RETRY LAST$/, () => {
    h.executedAt ??= h.clock.now();
    return { columns: [{ name: "status", type: "text" }], rows: [["Task MORTGAGE_PIPELINE is scheduled to run immediately."]] };
  });
  h.stub.on(/COMPLETE_TASK_GRAPHS/, () => ({ columns: COMPLETE_COLUMNS, rows: completeRows?.(h, h.clock.now()) ?? [] }));
  return h;
}

describe("pipeline run --retry-last", () => {
  test("retries the failed run with EXECUTE TASK … RETRY LAST and follows the retry to success, ignoring the old failure", async () => {
    const h = await retryHarness(
      (h, now) => [...failedAttempt(), ...retryRows(now, h.executedAt)],
      (h, now) => {
        // The first attempt's FAILED end (within COMPLETE_TASK_GRAPHS' hour), then the retry's end.
        const rows: unknown[][] = [["FAILED", `${ROOT}$TRAIN_MODEL`, 100357, "Python Interpreter Error: out of memory", R, s(R, 1), s(R, 80)]];
        if (h.executedAt !== undefined && now >= s(h.executedAt, 131)) rows.push(["SUCCEEDED", null, null, null, R, s(h.executedAt, 1), s(h.executedAt, 131)]);
        return rows;
      },
    );
    try {
      const code = await h.run("run", "--retry-last", ...TARGET);
      assert.equal(code, EXIT.OK, h.stderr() + h.stdout());
      assert.deepEqual(h.sent.slice(0, 3), [SHOW, LAST_RUNS, RETRY]);
      assert.equal(h.sent.filter((sql) => sql.startsWith("EXECUTE TASK")).length, 1, "exactly one EXECUTE TASK");
      assert.deepEqual([...new Set(h.sent.slice(3))].sort(), [COMPLETE, TRACK].sort(), "then only the polls of run id R");
      // Nothing is asked of COMPLETE_TASK_GRAPHS before the retry's rows are there (the old FAILED end must not end it).
      const firstTrackWithRetry = h.timed.findIndex(([t, sql]) => sql === TRACK && t >= s(h.executedAt!, 1));
      const firstComplete = h.timed.findIndex(([, sql]) => sql === COMPLETE);
      assert.ok(firstComplete > firstTrackWithRetry, "COMPLETE_TASK_GRAPHS asked before the retry was visible");

      const out = h.stdout();
      assert.ok(out.startsWith(`Retrying run id ${R} of ML_DEV.PIPELINE.MORTGAGE_PIPELINE (${new Date(R).toISOString().replace(/\.\d{3}Z$/, "Z")}, failed) from its failed tasks.\n`), out);
      assert.match(out, new RegExp(`waiting for the retry of run id ${R} to appear in TASK_HISTORY`));
      const summary = out.slice(out.indexOf(`Run ${R} succeeded`));
      assert.ok(summary.length > 0, out);
      for (const line of [
        "  ✔ MORTGAGE_PIPELINE (root) succeeded",
        "  ✔ PREPARE_DATA             succeeded 47s",
        "  ✔ TRAIN_MODEL              succeeded 1m28s  job MLJOB_RETRY",
        "  ✔ CHECK_MODEL_QUALITY      succeeded 9s     → PROMOTE_MODEL",
        "  ✔ PROMOTE_MODEL            succeeded 19s    ML_DEV.MODELS.MORTGAGE_MODEL V5 (default)",
        "  ↷ SEND_ALERT               skipped",
      ]) {
        assert.ok(summary.split("\n").some((l) => l.startsWith(line)), `summary lacks ${JSON.stringify(line)}:\n${summary}`);
      }
    } finally {
      await h.close();
    }
  });

  test("a retry that fails again ends with exit 1 and its own first error", async () => {
    const h = await retryHarness(
      (h, now) => {
        const E = h.executedAt;
        const again = E !== undefined && now >= s(E, 1)
          ? [row("TRAIN_MODEL", now >= s(E, 40) ? "FAILED" : "EXECUTING", s(E, 1), s(E, 2), now >= s(E, 40) ? s(E, 40) : undefined, now >= s(E, 40) ? { errorCode: "100357", errorMessage: "still out of memory" } : {})]
          : [];
        return [...failedAttempt(), ...again];
      },
      (h, now) => {
        const rows: unknown[][] = [["FAILED", `${ROOT}$TRAIN_MODEL`, 100357, "Python Interpreter Error: out of memory", R, s(R, 1), s(R, 80)]];
        if (h.executedAt !== undefined && now >= s(h.executedAt, 41)) rows.push(["FAILED", `${ROOT}$TRAIN_MODEL`, 100357, "still out of memory", R, s(h.executedAt, 1), s(h.executedAt, 41)]);
        return rows;
      },
    );
    try {
      const code = await h.run("run", "--retry-last", ...TARGET, "--json");
      assert.equal(code, EXIT.FAILED, h.stderr());
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.outcome, "failed");
      assert.equal(doc.exitCode, EXIT.FAILED);
      assert.equal(doc.firstError.message, "still out of memory");
    } finally {
      await h.close();
    }
  });

  test("nothing to retry when the last run succeeded: exit 8, no EXECUTE TASK", async () => {
    const h = await retryHarness(() => [
      row(ROOT, "SUCCEEDED", R, s(R, 1), s(R, 2)),
      row("PREPARE_DATA", "SUCCEEDED", s(R, 2), s(R, 3), s(R, 50)),
      row("CLEANUP", "SUCCEEDED", s(R, 50), s(R, 51), s(R, 60)),
      // The next scheduled run is not a past run.
      { name: ROOT, state: "SCHEDULED", runId: T0 + 3_600_000, scheduledMs: T0 + 3_600_000 },
    ]);
    try {
      const code = await h.run("run", "--retry-last", ...TARGET);
      assert.equal(code, EXIT.NOTHING_TO_RETRY);
      assert.deepEqual(h.sent, [SHOW, LAST_RUNS]);
      assert.equal(
        h.stderr(),
        `error: nothing to retry: the last run of ML_DEV.PIPELINE.MORTGAGE_PIPELINE (run id ${R}, ${new Date(R).toISOString().replace(/\.\d{3}Z$/, "Z")}) succeeded; RETRY LAST retries only a run that failed or was cancelled\n`,
      );
    } finally {
      await h.close();
    }
  });

  test("nothing to retry when there is no run in 7 days: exit 8, no EXECUTE TASK", async () => {
    const h = await retryHarness(() => []);
    try {
      const code = await h.run("run", "--retry-last", ...TARGET);
      assert.equal(code, EXIT.NOTHING_TO_RETRY);
      assert.deepEqual(h.sent, [SHOW, LAST_RUNS]);
      assert.equal(
        h.stderr(),
        "error: nothing to retry: ML_DEV.PIPELINE.MORTGAGE_PIPELINE has no run in TASK_HISTORY's last 7 days; start one with `npm run pipeline -- run --root-task ML_DEV.PIPELINE.MORTGAGE_PIPELINE --connection stub`\n",
      );
    } finally {
      await h.close();
    }
  });

  test("Snowflake refusing RETRY LAST (graph changed since the run) is exit 4 with its message", async () => {
    const h = await retryHarness(() => failedAttempt());
    h.stub.on(/RETRY LAST$/, { error: { code: "091093", message: "Cannot retry: the task graph has been modified since the last run.", sqlState: "22000" } });
    try {
      const code = await h.run("run", "--retry-last", ...TARGET);
      assert.equal(code, EXIT.SNOWFLAKE);
      assert.deepEqual(h.sent, [SHOW, LAST_RUNS, RETRY]);
      assert.match(h.stderr(), /^error: EXECUTE TASK … RETRY LAST was refused: Snowflake statement failed \[EXECUTE TASK ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE RETRY LAST\]: 091093 \(22000\) Cannot retry: the task graph has been modified since the last run\.\n/);
      assert.match(h.stderr(), new RegExp(`watch --run-id ${R} --root-task`));
    } finally {
      await h.close();
    }
  });

  test("--retry-last with --config is a usage error before anything is resolved or connected", async () => {
    const h = await retryHarness(() => []);
    try {
      const code = await h.run("run", "--retry-last", "--config", "metric_threshold=0.8", ...TARGET);
      assert.equal(code, EXIT.USAGE);
      assert.equal(h.stderr(), "error: --retry-last retries the failed run with its own config; --config cannot be combined with it\n");
      assert.deepEqual(h.sent, []);
      assert.equal(h.stub.logins.length, 0);
    } finally {
      await h.close();
    }
  });
});

describe("usage errors come before the target and the connection are resolved", () => {
  // No --root-task, --stack or --connection, and no Pulumi CLI: resolving anything would fail with
  // another message, so these prove the order.
  const cases: [string, string[], string][] = [
    ["run --config run_token=x", ["run", "--config", "run_token=x"], 'error: --config run_token: the program sets this key (docs/design.md "Graph config"); it cannot be overridden per run\n'],
    ["run --config without =", ["run", "--config", "metric_threshold"], 'error: --config "metric_threshold": expected key=value\n'],
    ["watch without a run", ["watch"], "error: watch needs exactly one of --run-token TOKEN or --run-id ID\n"],
    ["watch with both", ["watch", "--run-token", "t", "--run-id", "5"], "error: watch needs exactly one of --run-token TOKEN or --run-id ID\n"],
  ];
  for (const [title, argv, message] of cases) {
    test(title, async () => {
      const h = await harness();
      try {
        assert.equal(await h.run(...argv), EXIT.USAGE);
        assert.equal(h.stderr(), message);
        assert.equal(h.stub.logins.length, 0);
      } finally {
        await h.close();
      }
    });
  }
});
