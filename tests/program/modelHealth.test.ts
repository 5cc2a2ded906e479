// What a pipeline declares to keep its model healthy, as the plan shows it: a fixture pipeline that
// declares data-quality expectations and model aliases gets the DataQualityExpectations resource and
// the graph config keys; the same pipeline without them gets neither (its plan is the one it had before
// these features; measured byte-identical against the previous commit, see the branch's report).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { planStack, type PlannedResource } from "../../cli/mockPlan";
import { renderPlanText } from "../../lib/plan/renderPlan";
import { churnPipeline, demoPipeline, demoStack, FixtureProject, fixtureProject } from "../support/fixtureProject";

const DQ = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:DataQualityExpectations";
const projects: FixtureProject[] = [];
after(() => projects.forEach((p) => p.cleanup()));

function declaring() {
  const pipeline = demoPipeline();
  const def = pipeline.definition as Record<string, any>;
  def.config = { ...def.config, promoted_alias: "PRODUCTION", previous_alias: "PREVIOUS" };
  def.configSchema = { ...def.configSchema, promoted_alias: { type: "string" }, previous_alias: { type: "string" } };
  def.dataQuality = {
    gateTask: "GATE_DATA",
    schedule: "TRIGGER_ON_CHANGES",
    expectations: [
      { name: "ENOUGH_ROWS", metric: "row_count", min: 100 },
      { name: "ID_PRESENT", metric: "null_count", column: "ID", max: 0 },
    ],
  };
  def.tasks = [{ name: "GATE_DATA", entrypoint: "steps/gate_data.py" }, ...def.tasks.map((t: any) => (t.name === "LOAD" ? { ...t, after: ["GATE_DATA"] } : t))];
  pipeline.files["steps/gate_data.py"] = "def main(session):\n    return None\n";
  return pipeline;
}

const MONITOR = {
  refreshInterval: "12 hours",
  aggregationWindow: "1 day",
  drift: { metric: "WASSERSTEIN", max: 0.5 },
  performance: { metric: "F1_SCORE", min: 0.6 },
};
const planOf = async (pipeline = demoPipeline(), stack: Record<string, unknown> = {}) => {
  const p = fixtureProject({ pipelines: [pipeline], stacks: { dev: demoStack([pipeline.file], stack) } });
  projects.push(p);
  return planStack({ projectDir: p.dir, stack: "dev", stackConfig: p.stackConfig("dev") });
};
/** The root task's CONFIG (the task named after the pipeline). */
const rootConfig = (resources: PlannedResource[]) => JSON.parse(String(resources.find((r) => r.inputs.name === "DEMO_FLOW")!.inputs.config));

describe("model health in the plan", () => {
  it("a pipeline declaring expectations and aliases, a stack declaring a monitor: the resource, its inputs, the graph config keys", async () => {
    const plan = await planOf(declaring(), { modelMonitor: MONITOR });
    const dq = plan.resources.filter((r) => r.type === DQ);
    assert.deepEqual(dq.map((r) => [r.name, r.parent?.endsWith("::demo-flow")]), [["demo-flow-data-quality", true]]);
    assert.deepEqual(dq[0].inputs, {
      source: "FX_DB.RAW.MORTGAGE_LENDING_DEMO_DATA",
      schedule: "TRIGGER_ON_CHANGES",
      expectations: [
        { name: "ENOUGH_ROWS", dmf: "SNOWFLAKE.CORE.ROW_COUNT", on: [], expression: "VALUE >= 100" },
        { name: "ID_PRESENT", dmf: "SNOWFLAKE.CORE.NULL_COUNT", on: ["ID"], expression: "VALUE <= 0" },
      ],
    });
    const config = rootConfig(plan.resources);
    assert.equal(config.data_quality_expectations, "ENOUGH_ROWS,ID_PRESENT");
    assert.equal(config.promoted_alias, "PRODUCTION");
    assert.equal(config.previous_alias, "PREVIOUS");
    assert.deepEqual(
      Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("monitor_"))),
      {
        monitor_aggregation_window: "1 day",
        monitor_alert_schedule: "60 MINUTE",
        monitor_drift_column: "PROBABILITY",
        monitor_drift_max: 0.5,
        monitor_drift_metric: "WASSERSTEIN",
        monitor_notification_integration: "FX_ALERTS",
        monitor_performance_metric: "F1_SCORE",
        monitor_performance_min: 0.6,
        monitor_refresh_interval: "12 hours",
      },
    );
    const text = renderPlanText(plan);
    assert.ok(
      text.includes(
        "Model monitor of DEMO_FLOW (moved to each promoted version): refresh 12 hours, aggregation window 1 day\n" +
          "  notifies FX_ALERTS when WASSERSTEIN(PROBABILITY) > 0.5 or F1_SCORE < 0.6; checked 60 MINUTE\n",
      ),
    );
    assert.ok(
      text.includes(
        [
          "Data quality of FX_DB.RAW.MORTGAGE_LENDING_DEMO_DATA (DATA_METRIC_SCHEDULE TRIGGER_ON_CHANGES):",
          "  ENOUGH_ROWS  SNOWFLAKE.CORE.ROW_COUNT ON ()  EXPECTATION (VALUE >= 100)",
          "  ID_PRESENT   SNOWFLAKE.CORE.NULL_COUNT ON (ID)  EXPECTATION (VALUE <= 0)",
        ].join("\n"),
      ),
    );
  });

  it("a refresh interval Snowflake refuses fails the plan before anything is registered", async () => {
    await assert.rejects(planOf(demoPipeline(), { modelMonitor: { ...MONITOR, refreshInterval: "10 seconds" } }), (err: Error) => {
      assert.match(err.message, /snowflake-ml-pipeline:modelMonitor\.refreshInterval: Snowflake refreshes a model monitor at most every 60 seconds, got "10 seconds"/);
      return true;
    });
  });

  it("on a stack that stages the sample, a column the sample does not have fails the plan", async () => {
    const pipeline = declaring();
    pipeline.files["sample_data/mortgage_sample.csv"] = "ID,TS\n1,2024-01-01\n";
    (pipeline.definition as Record<string, any>).dataQuality.expectations.push({ name: "AMOUNT_PRESENT", metric: "null_count", column: "AMOUNT", max: 0 });
    await assert.rejects(planOf(pipeline, { sampleData: true }), (err: Error) => {
      assert.match(err.message, /flows\/demo\/pipeline\.yaml: dataQuality\.expectations\[2\]\.column: "AMOUNT" is not a column of the source \(the staged sample flows\/demo\/sample_data\/mortgage_sample\.csv: ID, TS\)/);
      assert.doesNotMatch(err.message, /"ID" is not a column/);
      return true;
    });
  });

  // The churn pipeline is listed first: its sample (CUSTOMER_ID, CHURNED) is not DEMO_FLOW's source.
  const planTwo = async (demo: ReturnType<typeof declaring>, stack: Record<string, unknown>) => {
    const churn = churnPipeline();
    const p = fixtureProject({ pipelines: [churn, demo], stacks: { dev: demoStack([churn.file, demo.file], stack) } });
    projects.push(p);
    return planStack({ projectDir: p.dir, stack: "dev", stackConfig: p.stackConfig("dev") });
  };
  const namingChurnsColumn = () => {
    const demo = declaring();
    demo.files["sample_data/mortgage_sample.csv"] = "ID,TS\n1,2024-01-01\n";
    (demo.definition as Record<string, any>).dataQuality.expectations.push({ name: "CUSTOMER_PRESENT", metric: "null_count", column: "CUSTOMER_ID", max: 0 });
    return demo;
  };

  it("with two pipelines, each one's expectations are checked against its own staged sample", async () => {
    await assert.rejects(planTwo(namingChurnsColumn(), { sampleData: true }), (err: Error) => {
      assert.match(
        err.message,
        /flows\/demo\/pipeline\.yaml: dataQuality\.expectations\[2\]\.column: "CUSTOMER_ID" is not a column of the source \(the staged sample flows\/demo\/sample_data\/mortgage_sample\.csv: ID, TS\)/,
      );
      assert.doesNotMatch(err.message, /"ID" is not a column/);
      assert.doesNotMatch(err.message, /churn/);
      return true;
    });
  });

  it("a pipeline whose sample the stack does not stage has no known columns: the plan goes on", async () => {
    const plan = await planTwo(namingChurnsColumn(), { sampleData: true, pipelineSettings: { DEMO_FLOW: { sampleData: false } } });
    const dq = plan.resources.filter((r) => r.type === DQ);
    assert.deepEqual(dq.map((r) => r.inputs.source), ["FX_DB.RAW.MORTGAGE_LENDING_DEMO_DATA"]);
  });

  it("expectations without a source table fail the plan, naming the pipeline", async () => {
    const demo = declaring();
    delete (demo.definition as Record<string, any>).sourceTable;
    await assert.rejects(planOf(demo), (err: Error) => {
      assert.ok(
        err.message.includes(
          "flows/demo/pipeline.yaml: dataQuality: the expectations are attached to the pipeline's source table, and DEMO_FLOW has none; " +
            "expected sourceTable in flows/demo/pipeline.yaml (or pipelineSettings.DEMO_FLOW.sourceTable in the stack), or no dataQuality",
        ),
        err.message,
      );
      return true;
    });
  });

  it("the same pipeline without them: no resource, no key, no section", async () => {
    const plan = await planOf();
    assert.deepEqual(plan.resources.filter((r) => r.type === DQ), []);
    const config = rootConfig(plan.resources);
    for (const key of ["data_quality_expectations", "promoted_alias", "previous_alias"]) assert.equal(key in config, false, key);
    assert.deepEqual(Object.keys(config).filter((k) => k.startsWith("monitor_")), []);
    assert.equal(renderPlanText(plan).includes("Data quality of"), false);
    assert.equal(renderPlanText(plan).includes("Model monitor of"), false);
  });
});
