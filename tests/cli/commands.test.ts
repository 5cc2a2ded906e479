// status, history, suspend, resume and watch against the local Snowflake stub; help texts and
// usage errors; the stack target (--stack, --pipeline) and the program's connection settings
// through a fake of the Pulumi stack access, and the real Automation API without a Pulumi CLI.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliError, EXIT } from "../../cli/ops/exitCodes";
import { automationStackAccess } from "../../cli/ops/stackAccess";
import { CHILDREN, DEV_STATES, fq, harness, pastRunRows, ROOT, ROOT_FQN, successRun, T0, type Harness } from "./scenario";

const TARGET = ["--root-task", ROOT_FQN, "--connection", "stub"];
const SHOW = "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE";
const CURRENT =
  "SELECT STATE, SCHEDULED_FROM, RUN_ID, DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS " +
  "FROM TABLE(ML_DEV.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => 'MORTGAGE_PIPELINE', RESULT_LIMIT => 100)) " +
  "WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' ORDER BY SCHEDULED_TIME";
const history = (limit: number) =>
  "SELECT NAME, STATE, RETURN_VALUE, ERROR_CODE, ERROR_MESSAGE, QUERY_ID, RUN_ID, DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, " +
  "DATE_PART(EPOCH_MILLISECOND, QUERY_START_TIME) AS STARTED_MS, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS " +
  `FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => ${limit}, ROOT_TASK_ID => '01b8d2f0-0000-4a00-0000-000000000001')) ` +
  "WHERE DATABASE_NAME = 'ML_DEV' AND SCHEMA_NAME = 'PIPELINE' ORDER BY SCHEDULED_TIME DESC";
const alter = (task: string, action: "RESUME" | "SUSPEND") => `ALTER TASK ${fq(task)} ${action}`;
const lines = (...l: string[]) => [...l, ""].join("\n");

/** ALTER TASK changes the states SHOW TASKS reports; `refuse` makes Snowflake reject one statement. */
function alterable(h: Harness, states: Record<string, "started" | "suspended">, refuse?: string) {
  h.stub.on(/^ALTER TASK /, (sql) => {
    if (sql === refuse) return { error: { code: "091089", message: "Cannot resume task: no schedule, predecessor or finalizer", sqlState: "22023" } };
    const [, , name, action] = sql.split(" ");
    const task = name === ROOT_FQN ? ROOT : name.slice(ROOT_FQN.length + 1);
    states[task] = action === "RESUME" ? "started" : "suspended";
    return { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };
  });
}

describe("pipeline status", () => {
  test("a scheduled graph: task states, schedule, next run, last runs", async () => {
    const h = await harness({
      foreign: pastRunRows,
      schedule: "USING CRON 0 3 * * * UTC",
      states: { [ROOT]: "started" },
      current: [["SCHEDULED", "SCHEDULE", T0 + 3_600_000, T0 + 3_600_000]],
    });
    try {
      assert.equal(await h.run("status", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, CURRENT, history(98)]);
      assert.equal(
        h.stdout(),
        lines(
          "ML_DEV.PIPELINE.MORTGAGE_PIPELINE: started: runs on its schedule",
          "  MORTGAGE_PIPELINE (root)  started    schedule: USING CRON 0 3 * * * UTC",
          "  PREPARE_DATA              started",
          "  TRAIN_MODEL               started",
          "  CHECK_MODEL_QUALITY       started",
          "  PROMOTE_MODEL             started",
          "  SEND_ALERT                started",
          "  CLEANUP (finalizer)       started",
          "Next run: 2026-11-02T11:00:00Z (SCHEDULE)",
          "Last runs:",
          "  2026-11-02T09:00:01Z  failed     1m19s   run id 1793610000000  token tok-earlier",
          "      ✖ TRAIN_MODEL: 100357 Python Interpreter Error: boom",
          "  2026-11-02T08:00:01Z  succeeded  10m39s  run id 1793606400000",
        ),
      );
    } finally {
      await h.close();
    }
  });

  test("a dev graph with a suspended child and a run in progress, --json", async () => {
    const h = await harness({
      states: { ...DEV_STATES, CLEANUP: "suspended" },
      current: [["EXECUTING", "EXECUTE TASK", T0 - 60_000, T0 - 60_000]],
    });
    try {
      assert.equal(await h.run("status", ...TARGET, "--json", "--runs", "3"), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, CURRENT, history(70)]);
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.mode, "inconsistent");
      assert.equal(doc.schedule, null);
      assert.equal(doc.nextRunAt, null);
      assert.deepEqual(doc.inProgress, [{ runId: T0 - 60_000, scheduledAt: "2026-11-02T09:59:00.000Z", scheduledFrom: "EXECUTE TASK" }]);
      assert.deepEqual(doc.problems, ["CLEANUP is suspended: every run skips it"]);
      assert.deepEqual(
        doc.tasks.map((t: { task: string; role: string; state: string }) => `${t.task}/${t.role}/${t.state}`),
        ["MORTGAGE_PIPELINE/root/suspended", ...CHILDREN.map((c) => `${c}/${c === "CLEANUP" ? "finalizer" : "task"}/${c === "CLEANUP" ? "suspended" : "started"}`)],
      );
      assert.deepEqual(doc.lastRuns, []);
    } finally {
      await h.close();
    }
  });
});

describe("pipeline history", () => {
  test("past runs with duration and each task's outcome; the next scheduled run is not a past run", async () => {
    const h = await harness({ foreign: pastRunRows });
    try {
      assert.equal(await h.run("history", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, history(154)]);
      assert.equal(
        h.stdout(),
        lines(
          "ML_DEV.PIPELINE.MORTGAGE_PIPELINE: last 2 run(s), newest first",
          "  2026-11-02T09:00:01Z  failed     1m19s   run id 1793610000000  token tok-earlier",
          "      ✔ PREPARE_DATA 47s  ✖ TRAIN_MODEL failed 19s  - CHECK_MODEL_QUALITY not run  - PROMOTE_MODEL not run  - SEND_ALERT not run  ✔ CLEANUP 9s",
          "      TRAIN_MODEL: 100357 Python Interpreter Error: boom",
          "  2026-11-02T08:00:01Z  succeeded  10m39s  run id 1793606400000",
          "      ✔ PREPARE_DATA 57s  ✔ TRAIN_MODEL 8m59s  ✔ CHECK_MODEL_QUALITY 9s  ✔ PROMOTE_MODEL 19s  ↷ SEND_ALERT skipped  ✔ CLEANUP 9s",
          "      metrics: test_accuracy=0.91",
          "      promoted ML_DEV.MODELS.MORTGAGE_MODEL version V3",
        ),
      );
    } finally {
      await h.close();
    }
  });

  test("--json --limit 1", async () => {
    const h = await harness({ foreign: pastRunRows });
    try {
      assert.equal(await h.run("history", ...TARGET, "--json", "--limit", "1"), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, history(28)]);
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.command, "history");
      assert.equal(doc.runs.length, 1);
      const [run] = doc.runs;
      assert.deepEqual(
        { ...run, tasks: run.tasks.map((t: { task: string; state: string }) => `${t.task}:${t.state}`) },
        {
          runId: T0 - 3_600_000,
          outcome: "failed",
          runToken: "tok-earlier",
          scheduledAt: "2026-11-02T09:00:00.000Z",
          startedAt: "2026-11-02T09:00:01.000Z",
          completedAt: "2026-11-02T09:01:20.000Z",
          durationMs: 79_000,
          tasks: [
            "MORTGAGE_PIPELINE:succeeded",
            "PREPARE_DATA:succeeded",
            "TRAIN_MODEL:failed",
            "CHECK_MODEL_QUALITY:not run",
            "PROMOTE_MODEL:not run",
            "SEND_ALERT:not run",
            "CLEANUP:succeeded",
          ],
          results: { metrics: null, trainingJobId: null, branches: {}, promotedModel: null },
        },
      );
      assert.deepEqual(run.tasks[2].error, { code: "100357", message: "Python Interpreter Error: boom" });
    } finally {
      await h.close();
    }
  });
});

describe("pipeline suspend / resume", () => {
  test("suspend: the root first, then the children, finalizer last; re-read", async () => {
    const states: Record<string, "started" | "suspended"> = { [ROOT]: "started" };
    const h = await harness({ states, schedule: "60 MINUTE" });
    alterable(h, states);
    try {
      assert.equal(await h.run("suspend", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, alter(ROOT, "SUSPEND"), ...CHILDREN.map((c) => alter(c, "SUSPEND")), SHOW]);
      assert.equal(
        h.stdout(),
        lines(
          "Suspending ML_DEV.PIPELINE.MORTGAGE_PIPELINE (root first, then children)",
          `  ✔ ${alter(ROOT, "SUSPEND")}`,
          ...CHILDREN.map((c) => `  ✔ ${alter(c, "SUSPEND")}`),
          "Now: suspended: nothing runs",
          "  MORTGAGE_PIPELINE (root)  suspended",
          ...CHILDREN.map((c) => `  ${(c === "CLEANUP" ? "CLEANUP (finalizer)" : c).padEnd(24)}  suspended`),
        ),
      );
    } finally {
      await h.close();
    }
  });

  test("resume a scheduled graph: suspended children first, the root last", async () => {
    const states: Record<string, "started" | "suspended"> = { [ROOT]: "suspended", PREPARE_DATA: "suspended", CLEANUP: "suspended" };
    const h = await harness({ states, schedule: "60 MINUTE" });
    alterable(h, states);
    try {
      assert.equal(await h.run("resume", ...TARGET, "--json"), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, alter("PREPARE_DATA", "RESUME"), alter("CLEANUP", "RESUME"), alter(ROOT, "RESUME"), SHOW]);
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.exitCode, 0);
      assert.equal(doc.mode, "scheduled");
      assert.deepEqual(doc.statements.map((s: { sql: string; ok: boolean }) => [s.sql, s.ok]), h.sent.slice(1, 4).map((sql) => [sql, true]));
    } finally {
      await h.close();
    }
  });

  test("resume a root without schedule: children only, the root stays suspended, with a note", async () => {
    const states: Record<string, "started" | "suspended"> = { [ROOT]: "suspended", TRAIN_MODEL: "suspended" };
    const h = await harness({ states });
    alterable(h, states);
    try {
      assert.equal(await h.run("resume", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, alter("TRAIN_MODEL", "RESUME"), SHOW]);
      assert.match(h.stdout(), /note: the root has no schedule, so it stays suspended: it runs only through `run`/);
      assert.match(h.stdout(), /Now: root suspended, children started: runs only with `run` \(EXECUTE TASK\)/);
    } finally {
      await h.close();
    }
  });

  test("resume --children-only on a started graph: root suspended first, children resumed, root left suspended", async () => {
    const states: Record<string, "started" | "suspended"> = { [ROOT]: "started", SEND_ALERT: "suspended" };
    const h = await harness({ states, schedule: "60 MINUTE" });
    alterable(h, states);
    try {
      assert.equal(await h.run("resume", "--children-only", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, alter(ROOT, "SUSPEND"), alter("SEND_ALERT", "RESUME"), SHOW]);
    } finally {
      await h.close();
    }
  });

  test("a refused statement stops the sequence before the root is resumed: exit 1, the task named", async () => {
    const states: Record<string, "started" | "suspended"> = { [ROOT]: "suspended", PREPARE_DATA: "suspended", TRAIN_MODEL: "suspended" };
    const h = await harness({ states, schedule: "60 MINUTE" });
    alterable(h, states, alter("PREPARE_DATA", "RESUME"));
    try {
      assert.equal(await h.run("resume", ...TARGET), EXIT.FAILED);
      assert.deepEqual(h.sent, [SHOW, alter("PREPARE_DATA", "RESUME"), SHOW]);
      const out = h.stdout();
      assert.match(out, /✖ ALTER TASK ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$PREPARE_DATA RESUME\n {6}Snowflake statement failed .*091089/);
      assert.match(out, /- ALTER TASK ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$TRAIN_MODEL RESUME \(not run\)/);
      assert.match(out, /- ALTER TASK ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE RESUME \(not run\)/);
      assert.match(out, /Snowflake refused the statement for PREPARE_DATA; later statements were not run\.\n$/);
    } finally {
      await h.close();
    }
  });

  test("nothing to do: only the reads", async () => {
    const h = await harness({ states: { ...DEV_STATES } });
    try {
      assert.equal(await h.run("resume", "--children-only", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, SHOW]);
      assert.match(h.stdout(), /nothing to change/);
    } finally {
      await h.close();
    }
  });
});

describe("pipeline watch", () => {
  test("--run-token finds a finished run in the window and reports it", async () => {
    const h = await harness({ run: successRun("tok-1", "SEND_ALERT") });
    try {
      h.executedAt = T0 - 30 * 60_000; // the run started 30 minutes ago and has finished
      assert.equal(await h.run("watch", "--run-token", "tok-1", ...TARGET), EXIT.OK);
      // SHOW TASKS, the token search (24 h window: the run is identified and has ended),
      // COMPLETE_TASK_GRAPHS, and the final read of the run's tasks.
      assert.equal(h.sent.length, 4, h.sent.join("\n"));
      assert.match(h.sent[1], /TASK_HISTORY\(SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ\(1793527200000, 3\)/, "24 h window");
      assert.match(h.sent[2], /COMPLETE_TASK_GRAPHS.* AND RUN_ID = 1793611800000$/);
      assert.match(h.sent[3], /TASK_HISTORY.* AND RUN_ID = 1793611800000 ORDER BY SCHEDULED_TIME DESC$/);
      assert.match(h.stdout(), /Run tok-1 \(run id 1793611800000\) succeeded in 2m39s/);
      assert.match(h.stdout(), /PROMOTE_MODEL\s+skipped/);
    } finally {
      await h.close();
    }
  });

  test("--run-id of no run: reported after a grace period, exit 6", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run("watch", "--run-id", "1793600000000", ...TARGET), EXIT.UNIDENTIFIED);
      assert.match(h.stdout(), /Run 1793600000000 could not be found: TASK_HISTORY of ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE has no task run with this run id\./);
      assert.ok(h.sent.every((s) => s === SHOW || /AND RUN_ID = 1793600000000 /.test(s)));
    } finally {
      await h.close();
    }
  });

  test("needs exactly one of --run-token and --run-id", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run("watch", ...TARGET), EXIT.USAGE);
      assert.match(h.stderr(), /watch needs exactly one of --run-token TOKEN or --run-id ID/);
    } finally {
      await h.close();
    }
  });
});

describe("help and usage", () => {
  test("--help of the tool and of every command explains itself, exit 0, no connection made", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run("--help"), EXIT.OK);
      const main = h.stdout();
      for (const text of ["Usage: pipeline", "run [options]", "watch [options]", "status", "history", "suspend", "resume", "--stack <name>", "--root-task", "--connection", "connections.toml", "Exit codes:", "  130  Ctrl-C"]) {
        assert.ok(main.includes(text), `main help mentions ${text}`);
      }
      const expected: Record<string, string[]> = {
        run: ["--config <key=value>", "--timeout <duration>", "RETURN_VALUE = run_token", "exit 7", "exit 5", "Ctrl-C", "Global Options:"],
        watch: ["--run-token <token>", "--run-id <id>", "--since <duration>"],
        status: ["--runs <n>", "ready for manual runs", "partly suspended"],
        history: ["--limit <n>", "TASK_HISTORY"],
        suspend: ["the root first", "finalizer last"],
        resume: ["--children-only", "root last", "without a schedule is left suspended"],
      };
      for (const [command, texts] of Object.entries(expected)) {
        h.out.length = 0;
        assert.equal(await h.run(command, "--help"), EXIT.OK);
        for (const text of texts) assert.ok(h.stdout().includes(text), `${command} --help mentions ${text}`);
        assert.ok(h.stdout().includes("Exit codes:"), `${command} --help lists exit codes`);
      }
      assert.equal(h.stub.logins.length, 0);
    } finally {
      await h.close();
    }
  });

  test("usage errors exit 2 with a message", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run(), EXIT.USAGE);
      assert.equal(await h.run("launch"), EXIT.USAGE);
      assert.match(h.stderr(), /unknown command 'launch'/);
      assert.equal(await h.run("run", ...TARGET, "--timeout", "soon"), EXIT.USAGE);
      assert.match(h.stderr(), /--timeout: not a duration: "soon"/);
      assert.equal(await h.run("run", "--root-task", "ml_dev.pipeline", "--connection", "stub"), EXIT.USAGE);
      assert.match(h.stderr(), /--root-task: expected a fully qualified root task DB\.SCHEMA\.NAME/);
      assert.equal(await h.run("run", ...TARGET, "--config", "database=PROD"), EXIT.USAGE);
      assert.match(h.stderr(), /--config database: the program sets this key/);
      assert.equal(await h.run("run", ...TARGET, "--config", "run_token=x"), EXIT.USAGE);
      assert.equal(await h.run("history", ...TARGET, "--limit", "0"), EXIT.USAGE);
      assert.equal(await h.run("status", "--root-task", ROOT_FQN, "--connection", "nope"), EXIT.USAGE);
      assert.match(h.stderr(), /connection "nope" is not in .*connections\.toml \(it has: stub\)/);
      assert.equal(h.stub.statements.length, 0);
    } finally {
      await h.close();
    }
  });

  test("a missing root task is a target error (exit 2); an unreachable account exits 4", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run("status", "--root-task", "ML_DEV.PIPELINE.NO_SUCH_PIPELINE", "--connection", "stub"), EXIT.USAGE);
      assert.match(h.stderr(), /root task ML_DEV\.PIPELINE\.NO_SUCH_PIPELINE was not found/);
      h.stub.onLogin({ error: { code: "390100", message: "Incorrect username or password was specified." } });
      assert.equal(await h.run("status", ...TARGET), EXIT.SNOWFLAKE);
      assert.match(h.stderr(), /Incorrect username or password.*\(settings from connection "stub"/);
      assert.ok(!h.stderr().includes("op-secret"));
    } finally {
      await h.close();
    }
  });
});

describe("stack target and the program's connection settings", () => {
  const tasksOf = (...children: string[]) => Object.fromEntries(children.map((c) => [c, fq(c)]));

  test("--stack reads the outputs and the snowflake:* config through the stack access", async () => {
    let url = "";
    const config: Record<string, string> = {};
    const h = await harness({
      stacks: {
        outputs: { dev: { pipelines: { [ROOT]: { rootTask: ROOT_FQN, tasks: tasksOf(...CHILDREN), started: false } }, warehouse: "ML_DEV_WH" } },
        config: { dev: config },
      },
    });
    url = h.stub.url;
    Object.assign(config, {
      "snowflake:organizationName": "STUBORG",
      "snowflake:accountName": "STUBACCT",
      "snowflake:user": "PULUMI_DEPLOYER",
      "snowflake:password": "deployer-secret",
      "snowflake:host": new URL(url).hostname,
      "snowflake:port": new URL(url).port,
      "snowflake:protocol": "http",
      "snowflake-ml-pipeline:started": "false",
    });
    try {
      assert.equal(await h.run("status", "--stack", "dev"), EXIT.OK, h.stderr());
      assert.deepEqual(h.stackCalls, [
        ["outputs", "dev"],
        ["config", "dev"],
      ]);
      assert.equal(h.stub.logins[0].data.LOGIN_NAME, "PULUMI_DEPLOYER");
      assert.equal(h.stub.logins[0].data.ACCOUNT_NAME, "STUBORG-STUBACCT");
      assert.match(h.stdout(), /root suspended, children started/);
      assert.ok(!h.stdout().includes("deployer-secret") && !h.stderr().includes("deployer-secret"));
    } finally {
      await h.close();
    }
  });

  test("without --stack the selected stack's outputs name the graph; the connection comes from --connection", async () => {
    const h = await harness({ stacks: { selected: "dev", outputs: { dev: { rootTask: ROOT_FQN, tasks: tasksOf(...CHILDREN) } } } });
    try {
      assert.equal(await h.run("status", "--connection", "stub", "--json"), EXIT.OK, h.stderr());
      assert.deepEqual(h.stackCalls, [["selectedStack"], ["outputs", "dev"]]);
      assert.equal(JSON.parse(h.stdout()).rootTask, ROOT_FQN);
    } finally {
      await h.close();
    }
  });

  test("a declared task missing from Snowflake makes run refuse (exit 7); a stack that does not exist is a usage error", async () => {
    const h = await harness({ stacks: { outputs: { dev: { rootTask: ROOT_FQN, tasks: tasksOf("EXTRA", "PREPARE_DATA") } } } });
    try {
      assert.equal(await h.run("run", "--stack", "dev", "--connection", "stub"), EXIT.NOT_RUNNABLE);
      assert.match(h.stderr(), /ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$EXTRA does not exist/);
      assert.match(h.stderr(), /npm run pipeline -- resume --children-only --stack dev --connection stub/);
      assert.equal(await h.run("status", "--stack", "dev"), EXIT.USAGE);
      assert.match(h.stderr(), /reading the connection settings of stack dev: there is no stack dev/);
    } finally {
      await h.close();
    }
  });

  describe("--pipeline", () => {
    const twoPipelines = {
      outputs: {
        dev: {
          pipelines: {
            [ROOT]: { rootTask: ROOT_FQN, tasks: tasksOf(...CHILDREN) },
            CHURN_PIPELINE: { rootTask: "ML_DEV.PIPELINE.CHURN_PIPELINE", tasks: { SCORE: "ML_DEV.PIPELINE.CHURN_PIPELINE$SCORE" } },
          },
        },
      },
    };

    test("several pipelines and no --pipeline: a usage error listing them, nothing sent", async () => {
      const h = await harness({ stacks: twoPipelines });
      try {
        assert.equal(await h.run("status", "--stack", "dev", "--connection", "stub"), EXIT.USAGE);
        assert.match(h.stderr(), /error: stack dev has 2 pipelines: CHURN_PIPELINE, MORTGAGE_PIPELINE\. Say which one with --pipeline NAME\./);
        assert.equal(await h.run("status", "--stack", "dev", "--pipeline", "NOPE", "--connection", "stub"), EXIT.USAGE);
        assert.match(h.stderr(), /--pipeline NOPE: stack dev has no such pipeline; it has: CHURN_PIPELINE, MORTGAGE_PIPELINE/);
        assert.equal(h.stub.statements.length, 0);
      } finally {
        await h.close();
      }
    });

    test("--pipeline picks the graph, and the hints repeat it", async () => {
      const h = await harness({ stacks: twoPipelines, states: { ...DEV_STATES, CLEANUP: "suspended" } });
      try {
        assert.equal(await h.run("status", "--stack", "dev", "--pipeline", "CHURN_PIPELINE", "--connection", "stub"), EXIT.USAGE);
        assert.match(h.stderr(), /root task ML_DEV\.PIPELINE\.CHURN_PIPELINE was not found/);
        assert.equal(await h.run("run", "--stack", "dev", "--pipeline", ROOT, "--connection", "stub"), EXIT.NOT_RUNNABLE, h.stderr());
        assert.match(h.stderr(), /ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE is not runnable as deployed:\n {2}ML_DEV\.PIPELINE\.MORTGAGE_PIPELINE\$CLEANUP is suspended/);
        assert.match(h.stderr(), /`npm run pipeline -- resume --children-only --stack dev --pipeline MORTGAGE_PIPELINE --connection stub`/);
      } finally {
        await h.close();
      }
    });

    test("one pipeline: --pipeline may name it, or be left out; --root-task and --pipeline together are refused", async () => {
      const h = await harness({ stacks: { outputs: { dev: { rootTask: ROOT_FQN, tasks: tasksOf(...CHILDREN) } } } });
      try {
        assert.equal(await h.run("status", "--stack", "dev", "--pipeline", ROOT, "--connection", "stub"), EXIT.OK, h.stderr());
        assert.equal(await h.run("status", "--stack", "dev", "--pipeline", "CHURN_PIPELINE", "--connection", "stub"), EXIT.USAGE);
        assert.match(h.stderr(), /--pipeline CHURN_PIPELINE: stack dev has no such pipeline; it has: MORTGAGE_PIPELINE/);
        assert.equal(await h.run("status", ...TARGET, "--pipeline", ROOT), EXIT.USAGE);
        assert.match(h.stderr(), /--pipeline picks a pipeline from the stack's outputs; --root-task names the graph itself/);
      } finally {
        await h.close();
      }
    });
  });

  test("stack outputs without pipelines or rootTask are named", async () => {
    const h = await harness({ stacks: { outputs: { dev: { warehouse: "ML_DEV_WH" } } } });
    try {
      assert.equal(await h.run("status", "--stack", "dev", "--connection", "stub"), EXIT.USAGE);
      assert.match(h.stderr(), /stack dev: no pipelines in the outputs \(outputs: warehouse\)/);
    } finally {
      await h.close();
    }
  });

  test("without the Pulumi CLI, the Automation API's failure becomes a usage error saying what to use instead", async () => {
    // The real Automation API on an empty project directory, with a PATH that has no `pulumi`.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-nopulumi-"));
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    try {
      const stacks = automationStackAccess(dir);
      await assert.rejects(stacks.outputs("dev"), (err: unknown) => {
        assert.ok(err instanceof CliError && err.exitCode === EXIT.USAGE);
        assert.match(
          (err as Error).message,
          /^reading the outputs of stack dev needs the Pulumi CLI, which is not installed \(or not on PATH; https:\/\/www\.pulumi\.com\/docs\/install\/\)\. Give --root-task DB\.SCHEMA\.NAME instead/,
        );
        return true;
      });
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
