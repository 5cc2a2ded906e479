// DataQualityExpectations dynamic provider: every method against the real snowflake-sdk talking to
// the stub. Expected SQL is written out from Snowflake's documented syntax:
//   ALTER TABLE … SET DATA_METRIC_SCHEDULE / ADD | DROP DATA METRIC FUNCTION … ON (…) EXPECTATION <name> (<expr>)
//     https://docs.snowflake.com/en/user-guide/data-quality-working, https://docs.snowflake.com/en/user-guide/data-quality-expectations
//   CREATE OR REPLACE DATA METRIC FUNCTION <name>(ARG_T TABLE(<col> <type>)) RETURNS NUMBER AS '<query>'
//     https://docs.snowflake.com/sql-reference/sql/create-data-metric-function
//   DROP FUNCTION IF EXISTS <name>(TABLE(<type>))   https://docs.snowflake.com/sql-reference/sql/drop-function-dmf
//   SHOW OBJECTS LIKE '<name>' IN SCHEMA <db>.<schema>   https://docs.snowflake.com/en/sql-reference/sql/show-objects (column kind)
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { openSession } from "../../snowflake";
import { createDataQualityProvider, dataQualityDiff } from "../../components/providers/dataQualityExpectations";
import { attachedExpectations, type DataQualitySpec } from "../../lib/dataQuality";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";

const SOURCE = "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA";
const SPEC: DataQualitySpec = {
  gateTask: "CHECK_DATA_QUALITY",
  expectations: [
    { name: "SOURCE_NOT_EMPTY", metric: "row_count", min: 1000 },
    { name: "LOAN_ID_PRESENT", metric: "null_count", column: "LOAN_ID", max: 0 },
    { name: "LOAN_AMOUNT_POSITIVE", metric: "custom", columns: { LOAN_AMOUNT_000S: "NUMBER" }, sql: "SELECT COUNT(*) FROM ARG_T WHERE LOAN_AMOUNT_000S <= 0", max: 0 },
  ],
};
const EXPECTATIONS = attachedExpectations(SPEC, "MORTGAGE_PIPELINE", "ML_DEV.PIPELINE");
const INPUTS = { source: SOURCE, schedule: "60 MINUTE", expectations: EXPECTATIONS };
const SHOW = "SHOW OBJECTS LIKE 'MORTGAGE_LENDING_DEMO_DATA' IN SCHEMA ML_DEV.DATA";
const CUSTOM = "ML_DEV.PIPELINE.MORTGAGE_PIPELINE_LOAN_AMOUNT_POSITIVE";
const ATTACH = [
  `CREATE OR REPLACE DATA METRIC FUNCTION ${CUSTOM}(ARG_T TABLE(LOAN_AMOUNT_000S NUMBER)) RETURNS NUMBER AS $$SELECT COUNT(*) FROM ARG_T WHERE LOAN_AMOUNT_000S <= 0$$`,
  `ALTER TABLE ${SOURCE} SET DATA_METRIC_SCHEDULE = '60 MINUTE'`,
  `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.ROW_COUNT ON () EXPECTATION SOURCE_NOT_EMPTY (VALUE >= 1000)`,
  `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID) EXPECTATION LOAN_ID_PRESENT (VALUE <= 0)`,
  `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION ${CUSTOM} ON (LOAN_AMOUNT_000S) EXPECTATION LOAN_AMOUNT_POSITIVE (VALUE <= 0)`,
];
const objects = (kind: string | null) => ({
  columns: ["created_on", "name", "database_name", "schema_name", "kind"].map((name) => ({ name, type: "text" })),
  rows: [
    ["2026-11-01", "MORTGAGE_LENDING_DEMO_DATAX", "ML_DEV", "DATA", "TABLE"], // LIKE's _ wildcard also matches this: ignored
    ...(kind ? [["2026-11-01", "MORTGAGE_LENDING_DEMO_DATA", "ML_DEV", "DATA", kind]] : []),
  ],
});

let stub: SnowflakeStub;
let provider: ReturnType<typeof createDataQualityProvider>;
before(async () => {
  stub = await startSnowflakeStub();
  provider = createDataQualityProvider(() => openSession(stubConnectionSettings(stub)));
});
after(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.statements.length = 0;
});

describe("DataQualityExpectations", () => {
  test("create on a table: the custom metric, the schedule, then one ADD … EXPECTATION per expectation", async () => {
    stub.on(SHOW, objects("TABLE"), 1);
    const { id, outs } = await provider.create(INPUTS);
    assert.equal(id, SOURCE);
    assert.deepEqual(stub.statements, [SHOW, ...ATTACH]);
    assert.equal(outs.attached, true);
    assert.equal(outs.kind, "TABLE");
  });

  test("a view takes ALTER VIEW", async () => {
    stub.on(SHOW, objects("VIEW"), 1);
    await provider.create({ ...INPUTS, expectations: [EXPECTATIONS[1]] });
    assert.deepEqual(stub.statements, [
      SHOW,
      `ALTER VIEW ${SOURCE} SET DATA_METRIC_SCHEDULE = '60 MINUTE'`,
      `ALTER VIEW ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID) EXPECTATION LOAN_ID_PRESENT (VALUE <= 0)`,
    ]);
  });

  test("a source that does not exist yet gets nothing, and the next preview shows an update", async () => {
    stub.on(SHOW, objects(null), 1);
    const { outs } = await provider.create(INPUTS);
    assert.deepEqual(stub.statements, [SHOW]);
    assert.equal(outs.attached, false);
    assert.deepEqual(dataQualityDiff(outs, INPUTS), { changes: true });
    assert.deepEqual(dataQualityDiff({ ...outs, attached: true }, INPUTS), { changes: false });
  });

  test("a kind DMFs do not support is refused with the reason", async () => {
    stub.on(SHOW, objects("HYBRID_TABLE"), 1);
    await assert.rejects(provider.create(INPUTS), (err: Error) => {
      assert.equal(
        err.message,
        `DataQualityExpectations ${SOURCE} is a HYBRID_TABLE; data metric functions attach to tables and views only (https://docs.snowflake.com/en/user-guide/data-quality-intro)`,
      );
      return true;
    });
    assert.deepEqual(stub.statements, [SHOW]);
  });

  test("update: a changed bound drops and re-adds that expectation only; a new schedule is set", async () => {
    stub.on(SHOW, objects("TABLE"), 1);
    const olds = { ...INPUTS, attached: true, kind: "TABLE" };
    const changed = attachedExpectations({ ...SPEC, expectations: [SPEC.expectations[0], { ...SPEC.expectations[1], max: 5 }] }, "MORTGAGE_PIPELINE", "ML_DEV.PIPELINE");
    const { outs } = await provider.update(SOURCE, olds, { source: SOURCE, schedule: "TRIGGER_ON_CHANGES", expectations: changed });
    assert.deepEqual(stub.statements, [
      SHOW,
      `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID)`,
      `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION ${CUSTOM} ON (LOAN_AMOUNT_000S)`,
      `DROP FUNCTION IF EXISTS ${CUSTOM}(TABLE(NUMBER))`,
      `ALTER TABLE ${SOURCE} SET DATA_METRIC_SCHEDULE = 'TRIGGER_ON_CHANGES'`,
      `ALTER TABLE ${SOURCE} ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID) EXPECTATION LOAN_ID_PRESENT (VALUE <= 5)`,
    ]);
    assert.equal(outs.attached, true);
  });

  test("delete detaches every expectation and drops the custom metric; an unattached one sends nothing", async () => {
    stub.on(SHOW, objects("TABLE"), 1);
    await provider.delete(SOURCE, { ...INPUTS, attached: true, kind: "TABLE" });
    assert.deepEqual(stub.statements, [
      SHOW,
      `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION SNOWFLAKE.CORE.ROW_COUNT ON ()`,
      `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (LOAN_ID)`,
      `ALTER TABLE ${SOURCE} DROP DATA METRIC FUNCTION ${CUSTOM} ON (LOAN_AMOUNT_000S)`,
      `DROP FUNCTION IF EXISTS ${CUSTOM}(TABLE(NUMBER))`,
    ]);
    stub.statements.length = 0;
    await provider.delete(SOURCE, { ...INPUTS, attached: false });
    assert.deepEqual(stub.statements, []);
  });

  test("check refuses a schedule Snowflake would refuse, and a source that is not DB.SCHEMA.NAME", async () => {
    const { failures } = await provider.check({}, { ...INPUTS, source: "DATA.T", schedule: "10 MINUTE" });
    assert.deepEqual(failures, [
      { property: "source", reason: 'expected DB.SCHEMA.NAME of a table or view (unquoted upper-case identifiers), got "DATA.T"' },
      { property: "schedule", reason: 'Snowflake schedules data metric functions every 5, 15, 30, 60, 720, 1440 minutes only, got "10 MINUTE"' },
    ]);
  });
});
