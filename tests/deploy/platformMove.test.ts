// A deployed stack's database or pipeline schema may not change in place: the refusal's exact words,
// and where the deployed names come from (the stack's own outputs).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deployedPlatform, platformMoveProblems } from "../../lib/deploy/platformMove";

const WHY =
  "@pulumi/snowflake 1.3.0 renames it (moving every schema, stage and task in it) and then replaces those delete-first, which fails halfway; " +
  'to move the pipelines, deploy a new stack with the new name, copy the data, then destroy this one (docs/operations.md, "Lifecycle changes")';

describe("platform move", () => {
  test("the deployed database and schema come from registrySchema and the code stage's URI", () => {
    assert.deepEqual(deployedPlatform({ registrySchema: "ML_DEV.MODELS", stages: { code: "@ML_DEV.PIPELINE.CODE_STAGE" } }), { database: "ML_DEV", schema: "PIPELINE" });
  });

  test("a stack never deployed (no outputs) or with other outputs tells nothing", () => {
    assert.deepEqual(deployedPlatform({}), {});
    assert.deepEqual(deployedPlatform({ registrySchema: 42, stages: { code: "CODE_STAGE" } }), {});
  });

  test("the same names, or nothing deployed: no problem", () => {
    assert.deepEqual(platformMoveProblems({ database: "ML_DEV", schema: "PIPELINE" }, { database: "ML_DEV", schema: "PIPELINE" }, "Pulumi.dev.yaml", "p"), []);
    assert.deepEqual(platformMoveProblems({}, { database: "ML_DEV", schema: "PIPELINE" }, "Pulumi.dev.yaml", "p"), []);
  });

  test("a changed database and schema: one problem each, naming the file, the key, both values and why", () => {
    assert.deepEqual(platformMoveProblems({ database: "ML_DEV", schema: "PIPELINE" }, { database: "ML_DEV2", schema: "TASKS" }, "Pulumi.dev.yaml", "snowflake-ml-pipeline"), [
      { file: "Pulumi.dev.yaml", path: "snowflake-ml-pipeline:database", message: `"ML_DEV2" differs from "ML_DEV", where this stack is deployed; changing it in place is refused before anything is sent: ${WHY}` },
      { file: "Pulumi.dev.yaml", path: "snowflake-ml-pipeline:schema", message: `"TASKS" differs from "PIPELINE", where this stack is deployed; changing it in place is refused before anything is sent: ${WHY}` },
    ]);
  });
});
