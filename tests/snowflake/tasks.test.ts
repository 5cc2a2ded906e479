// SHOW TASKS, built and parsed once for GraphActivation and the operator CLI.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lastNamePart, parseShowTasks, showTasksSql } from "../../snowflake/tasks";

const WHERE = { database: "ML_DEV", schema: "PIPELINE" };

describe("SHOW TASKS", () => {
  test("the statement names the schema", () => {
    assert.equal(showTasksSql(WHERE), "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE");
  });

  test("rows of the schema by exact name; other schemas left out; columns matched in any case", () => {
    const rows = [
      {
        name: "P",
        id: "id-p",
        database_name: "ML_DEV",
        schema_name: "PIPELINE",
        state: "started",
        schedule: "USING CRON 0 3 * * * UTC",
        predecessors: "[]",
        task_relations: '{"Predecessors":[],"FinalizerTask":"ML_DEV.PIPELINE.P$CLEAN"}',
      },
      { NAME: "P$A", DATABASE_NAME: "ML_DEV", SCHEMA_NAME: "PIPELINE", STATE: "Suspended", PREDECESSORS: '[\n  "ML_DEV.PIPELINE.P"\n]' },
      { name: "P$B", database_name: "ML_DEV", schema_name: "PIPELINE", state: "started", predecessors: '["ML_DEV.PIPELINE.\\"P$A\\""]', last_suspended_reason: null },
      { name: "P$CLEAN", database_name: "ML_DEV", schema_name: "PIPELINE", state: "started", predecessors: "[]", task_relations: '{"FinalizedRootTask":"ML_DEV.PIPELINE.P"}' },
      { name: "P", database_name: "ML_DEV", schema_name: "OTHER", state: "suspended" },
      { name: "NO_COLUMNS" },
    ];
    const tasks = parseShowTasks(rows, WHERE);
    assert.deepEqual([...tasks.keys()], ["P", "P$A", "P$B", "P$CLEAN", "NO_COLUMNS"]);
    assert.deepEqual(tasks.get("P"), {
      name: "P",
      id: "id-p",
      state: "started",
      schedule: "USING CRON 0 3 * * * UTC",
      predecessors: [],
      finalizes: false,
      lastSuspendedReason: undefined,
    });
    assert.equal(tasks.get("P$A")!.state, "suspended");
    assert.deepEqual(tasks.get("P$A")!.predecessors, ["P"]);
    assert.deepEqual(tasks.get("P$B")!.predecessors, ["P$A"]);
    assert.equal(tasks.get("P$CLEAN")!.finalizes, true);
    // No state column: "unknown"; no predecessors column: undefined (not an empty list, which marks a finalizer).
    assert.deepEqual([tasks.get("NO_COLUMNS")!.state, tasks.get("NO_COLUMNS")!.predecessors], ["unknown", undefined]);
  });

  test("lastNamePart takes quoted and unquoted last parts", () => {
    assert.equal(lastNamePart('ML_DEV.PIPELINE."P$A"'), "P$A");
    assert.equal(lastNamePart("ML_DEV.PIPELINE.P$A"), "P$A");
    assert.equal(lastNamePart('DB.S."A.B""C"'), 'A.B"C');
  });
});
