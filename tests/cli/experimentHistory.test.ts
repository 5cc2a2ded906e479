// `pipeline history`: the chosen metric across the training runs of the pipeline's experiment, next to
// the threshold each run was judged against. The stub stands in for the account's experiment:
// SHOW RUNS IN EXPERIMENT (created_on, name, metadata; https://docs.snowflake.com/sql-reference/sql/show-runs-in-experiment)
// and SHOW RUN METRICS / PARAMETERS … IN EXPERIMENT (run_name, name, value, the columns snowflake-ml-python
// 1.48.0 reads; https://docs.snowflake.com/sql-reference/sql/show-run-in-experiment).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EXIT } from "../../cli/ops/exitCodes";
import { DEV_STATES, harness, ROOT, ROOT_FQN, showTasks, type Harness } from "./scenario";

const TARGET = ["--root-task", ROOT_FQN, "--connection", "stub"];
const EXPERIMENT = "ML_DEV.MODELS.MORTGAGE_PIPELINE";
const CONFIG = { registry_schema: "ML_DEV.MODELS", pipeline_name: ROOT, metric_name: "test_accuracy", metric_threshold: 0.8 };
const text = (...names: string[]) => names.map((name) => ({ name, type: "text" }));

function withConfig(h: Harness, config: Record<string, unknown>) {
  h.stub.on("SHOW TASKS IN SCHEMA ML_DEV.PIPELINE", () => {
    const shown = showTasks(DEV_STATES);
    return { columns: [...shown.columns!, { name: "config", type: "text" }], rows: shown.rows!.map((r) => [...r, r[0] === ROOT ? JSON.stringify(config) : null]) };
  });
}

function experiment(h: Harness) {
  h.stub.on(`SHOW RUNS IN EXPERIMENT ${EXPERIMENT}`, {
    columns: text("created_on", "name", "metadata"),
    rows: [
      ["2026-10-30T03:00:00Z", "RUN_A", '{"status":"FINISHED"}'],
      ["2026-11-01T03:00:00Z", "RUN_C", '{"status":"FINISHED"}'],
      ["2026-10-31T03:00:00Z", "RUN_B", '{"status":"FINISHED"}'],
    ],
  });
  h.stub.on(`SHOW RUN METRICS LIKE 'test_accuracy' IN EXPERIMENT ${EXPERIMENT}`, {
    columns: text("run_name", "name", "value", "step"),
    rows: [
      ["RUN_A", "test_accuracy", "0.91", "0"],
      ["RUN_B", "test_accuracy", "0.75", "0"],
      ["RUN_B", "test1accuracy", "0.01", "0"], // LIKE's _ wildcard also matches this: ignored
      ["RUN_C", "test_accuracy", "0.8", "0"],
    ],
  });
  h.stub.on(`SHOW RUN PARAMETERS LIKE 'metric_threshold' IN EXPERIMENT ${EXPERIMENT}`, {
    columns: text("run_name", "name", "value"),
    rows: [["RUN_A", "metric_threshold", "0.7"], ["RUN_B", "metric_threshold", "0.8"], ["RUN_C", "metric_threshold", "0.8"]],
  });
}

describe("pipeline history: the chosen metric across training runs", () => {
  test("newest first, each value next to the threshold it was judged against", async () => {
    const h = await harness();
    withConfig(h, CONFIG);
    experiment(h);
    try {
      assert.equal(await h.run("history", ...TARGET, "--limit", "3"), EXIT.OK);
      assert.deepEqual(h.sent.slice(-3), [
        `SHOW RUNS IN EXPERIMENT ${EXPERIMENT}`,
        `SHOW RUN METRICS LIKE 'test_accuracy' IN EXPERIMENT ${EXPERIMENT}`,
        `SHOW RUN PARAMETERS LIKE 'metric_threshold' IN EXPERIMENT ${EXPERIMENT}`,
      ]);
      assert.ok(
        h.stdout().endsWith(
          [
            `test_accuracy across training runs (experiment ${EXPERIMENT}; threshold now 0.8)`,
            "  2026-11-01T03:00:00Z  RUN_C     0.8  threshold 0.8  passes",
            "  2026-10-31T03:00:00Z  RUN_B    0.75  threshold 0.8  below",
            "  2026-10-30T03:00:00Z  RUN_A    0.91  threshold 0.7  passes",
            "",
          ].join("\n"),
        ),
        h.stdout(),
      );
    } finally {
      await h.close();
    }
  });

  test("--json, and an experiment that does not exist yet is said, not an error", async () => {
    const h = await harness();
    withConfig(h, CONFIG);
    h.stub.on(`SHOW RUNS IN EXPERIMENT ${EXPERIMENT}`, { error: { code: "002003", message: "Experiment 'MORTGAGE_PIPELINE' does not exist or not authorized.", sqlState: "02000" } });
    try {
      assert.equal(await h.run("history", ...TARGET, "--json"), EXIT.OK);
      const doc = JSON.parse(h.stdout());
      assert.equal(doc.experiment.name, EXPERIMENT);
      assert.equal(doc.experiment.metric, "test_accuracy");
      assert.equal(doc.experiment.thresholdNow, 0.8);
      assert.deepEqual(doc.experiment.runs, []);
      assert.match(doc.experiment.unavailable, /Experiment 'MORTGAGE_PIPELINE' does not exist or not authorized\./);
    } finally {
      await h.close();
    }
  });

  test("a root without CONFIG (SHOW TASKS without the column): no experiment statement", async () => {
    const h = await harness();
    try {
      assert.equal(await h.run("history", ...TARGET), EXIT.OK);
      assert.equal(h.sent.some((s) => s.includes("EXPERIMENT")), false);
    } finally {
      await h.close();
    }
  });
});
