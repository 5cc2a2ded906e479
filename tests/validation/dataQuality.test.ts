// pipeline.yaml `dataQuality`: every problem in the words a user reads, before anything is registered.
// Rules from Snowflake's docs: DATA_METRIC_SCHEDULE accepts 5, 15, 30, 60, 720 or 1440 MINUTE, a
// USING CRON expression or TRIGGER_ON_CHANGES (https://docs.snowflake.com/en/user-guide/data-quality-working);
// ROW_COUNT takes no column, NULL_COUNT / DUPLICATE_COUNT / FRESHNESS one
// (https://docs.snowflake.com/en/sql-reference/functions/dmf_null_count and the pages beside it).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attachedExpectations, dataQualityProblems, expectationExpression, scheduleProblem, unknownColumnProblems, type DataQualitySpec, type ExpectationSpec } from "../../lib/dataQuality";
import type { TaskSpec } from "../../lib/types";

const FILE = "code/pipeline.yaml";
const TASKS: TaskSpec[] = [
  { name: "CHECK_DATA_QUALITY", entrypoint: "tasks/check_data_quality.py" },
  { name: "PREPARE_DATA", after: ["CHECK_DATA_QUALITY"], entrypoint: "tasks/prepare_data.py" },
  { name: "TRAIN_MODEL", after: ["PREPARE_DATA"], entrypoint: "tasks/train_model.py", job: { payload: "jobs/train.py", targetInstances: 1 } },
];
const spec = (expectations: ExpectationSpec[], more: Partial<DataQualitySpec> = {}): DataQualitySpec => ({ gateTask: "CHECK_DATA_QUALITY", expectations, ...more });
const messages = (s: DataQualitySpec, tasks = TASKS) => dataQualityProblems(s, tasks, FILE).map((p) => `${p.path}: ${p.message}`);

describe("dataQualityProblems", () => {
  it("accepts the sample's kinds of expectation", () => {
    assert.deepEqual(
      messages(spec([
        { name: "ENOUGH_ROWS", metric: "row_count", min: 1000 },
        { name: "IDS", metric: "null_count", column: "LOAN_ID", max: 0 },
        { name: "UNIQUE_IDS", metric: "duplicate_count", column: "LOAN_ID", max: 0 },
        { name: "FRESH", metric: "freshness", column: "TS", max: 172800 },
        { name: "POSITIVE", metric: "custom", columns: { LOAN_AMOUNT_000S: "NUMBER(38,0)" }, sql: "SELECT COUNT(*) FROM ARG_T WHERE LOAN_AMOUNT_000S <= 0", max: 0 },
      ], { schedule: "USING CRON 0 2 * * * UTC" })),
      [],
    );
  });

  const cases: [string, DataQualitySpec, string[]][] = [
    ["a negative threshold", spec([{ name: "IDS", metric: "null_count", column: "LOAN_ID", max: -1 }]), ["dataQuality.expectations[0].max: expected a number of at least 0 (a count), got -1"]],
    ["min above max", spec([{ name: "ENOUGH_ROWS", metric: "row_count", min: 10, max: 5 }]), ["dataQuality.expectations[0].max: expected max (5) to be at least min (10); no value could pass"]],
    ["a fraction of a count", spec([{ name: "ENOUGH_ROWS", metric: "row_count", min: 0.5 }]), ["dataQuality.expectations[0].min: expected a whole number (row_count is a count), got 0.5"]],
    ["no bound", spec([{ name: "ENOUGH_ROWS", metric: "row_count" }]), ["dataQuality.expectations[0]: expected min, max or both: the values that pass"]],
    ["a column for row_count", spec([{ name: "ENOUGH_ROWS", metric: "row_count", column: "LOAN_ID", min: 1 }]), ["dataQuality.expectations[0].column: row_count takes no column"]],
    ["no column for null_count", spec([{ name: "IDS", metric: "null_count", max: 0 }]), ["dataQuality.expectations[0].column: expected the column null_count measures"]],
    ["a lower-case column", spec([{ name: "IDS", metric: "null_count", column: "loan_id", max: 0 }]), ['dataQuality.expectations[0].column: expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got "loan_id"']],
    [
      "two expectations with one name",
      spec([{ name: "IDS", metric: "null_count", column: "LOAN_ID", max: 0 }, { name: "IDS", metric: "row_count", min: 1 }]),
      ['dataQuality.expectations[1].name: "IDS" is already the name of expectations[0]; the gate reports expectations by name'],
    ],
    [
      "the same metric on the same column twice",
      spec([{ name: "A", metric: "null_count", column: "LOAN_ID", max: 0 }, { name: "B", metric: "null_count", column: "LOAN_ID", min: 0 }]),
      ["dataQuality.expectations[1].metric: expectations[0] already measures null_count(LOAN_ID); put both bounds in one expectation"],
    ],
    [
      "custom SQL that does not read ARG_T",
      spec([{ name: "P", metric: "custom", columns: { X: "NUMBER" }, sql: "SELECT 1", max: 0 }]),
      ['dataQuality.expectations[0].sql: expected a query that returns one number from ARG_T (the source\'s columns), e.g. "SELECT COUNT_IF(LOAN_AMOUNT_000S <= 0) FROM ARG_T", got "SELECT 1"'],
    ],
    [
      "custom without columns and with a bad type",
      spec([{ name: "P", metric: "custom", columns: { X: "number; DROP" }, sql: "SELECT COUNT(*) FROM ARG_T", max: 0 }]),
      ['dataQuality.expectations[0].columns.X: expected a Snowflake data type such as NUMBER, VARCHAR or TIMESTAMP_NTZ, got "number; DROP"'],
    ],
    ["sql on a system metric", spec([{ name: "IDS", metric: "null_count", column: "LOAN_ID", sql: "SELECT 1", max: 0 }]), ["dataQuality.expectations[0].sql: only a custom metric takes sql; null_count is Snowflake's SNOWFLAKE.CORE.NULL_COUNT"]],
    ["a refresh Snowflake refuses", spec([{ name: "ENOUGH_ROWS", metric: "row_count", min: 1 }], { schedule: "10 MINUTE" }), ['dataQuality.schedule: Snowflake schedules data metric functions every 5, 15, 30, 60, 720, 1440 minutes only, got "10 MINUTE"']],
    ["an unknown gate task", spec([{ name: "ENOUGH_ROWS", metric: "row_count", min: 1 }], { gateTask: "GATE" }), ['dataQuality.gateTask: expected the name of the task that evaluates the expectations, one of CHECK_DATA_QUALITY, PREPARE_DATA, TRAIN_MODEL, got "GATE"']],
  ];
  for (const [name, s, expected] of cases) it(name, () => assert.deepEqual(messages(s), expected));

  it("a training task that does not run after the gate", () => {
    const tasks: TaskSpec[] = [TASKS[0], { ...TASKS[1], after: undefined }, TASKS[2]];
    assert.deepEqual(messages(spec([{ name: "ENOUGH_ROWS", metric: "row_count", min: 1 }]), tasks), [
      "dataQuality.gateTask: TRAIN_MODEL runs an ML Job but does not run after CHECK_DATA_QUALITY: nothing may train on data that has not passed the gate",
    ]);
  });
});

describe("unknownColumnProblems (the source's columns known from the staged sample)", () => {
  it("names each column the source does not have, with the columns it has", () => {
    const s = spec([
      { name: "IDS", metric: "null_count", column: "LOAN_IDX", max: 0 },
      { name: "FRESH", metric: "freshness", column: "ts", max: 10 },
      { name: "P", metric: "custom", columns: { AMOUNT: "NUMBER" }, sql: "SELECT COUNT(*) FROM ARG_T", max: 0 },
    ]);
    assert.deepEqual(
      unknownColumnProblems(s, ["LOAN_ID", "TS", "LOAN_AMOUNT_000S"], FILE, "the staged sample sample_data/s.csv").map((p) => `${p.path}: ${p.message}`),
      [
        'dataQuality.expectations[0].column: "LOAN_IDX" is not a column of the source (the staged sample sample_data/s.csv: LOAN_ID, TS, LOAN_AMOUNT_000S)',
        'dataQuality.expectations[2].columns.AMOUNT: "AMOUNT" is not a column of the source (the staged sample sample_data/s.csv: LOAN_ID, TS, LOAN_AMOUNT_000S)',
      ],
    );
  });
});

describe("scheduleProblem", () => {
  for (const ok of ["5 MINUTE", "1440 MINUTE", "TRIGGER_ON_CHANGES", "USING CRON 0 2 * * * UTC"]) it(`accepts ${ok}`, () => assert.equal(scheduleProblem(ok), undefined));
  it("names the forms it accepts", () =>
    assert.equal(
      scheduleProblem("hourly"),
      'expected "<5|15|30|60|720|1440> MINUTE", "USING CRON <min> <hour> <day> <month> <weekday> <time zone>" or "TRIGGER_ON_CHANGES", got "hourly"',
    ));
});

describe("attachedExpectations", () => {
  it("system metrics by their SNOWFLAKE.CORE names; a custom one in the pipeline's schema", () => {
    assert.deepEqual(
      attachedExpectations(spec([
        { name: "ENOUGH_ROWS", metric: "row_count", min: 1000, max: 1000000 },
        { name: "P", metric: "custom", columns: { A: "NUMBER", B: "VARCHAR" }, sql: " SELECT COUNT(*) FROM ARG_T WHERE A < 0 ", max: 0 },
      ]), "MORTGAGE_PIPELINE", "ML_DEV.PIPELINE"),
      [
        { name: "ENOUGH_ROWS", dmf: "SNOWFLAKE.CORE.ROW_COUNT", on: [], expression: "VALUE >= 1000 AND VALUE <= 1000000" },
        {
          name: "P",
          dmf: "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_P",
          on: ["A", "B"],
          expression: "VALUE <= 0",
          custom: { signature: "ARG_T TABLE(A NUMBER, B VARCHAR)", argumentTypes: "TABLE(NUMBER, VARCHAR)", body: "SELECT COUNT(*) FROM ARG_T WHERE A < 0" },
        },
      ],
    );
    assert.equal(expectationExpression({ min: 3 }), "VALUE >= 3");
  });
});
