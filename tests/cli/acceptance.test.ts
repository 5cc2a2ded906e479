// The live acceptance script (acceptance/live.ts) is not run by npm test; here only its skip path
// and its pure helpers are checked: without credentials it must skip cleanly with exit 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { acceptanceNames, missingPrerequisites } from "../../acceptance/live";

const ROOT = path.resolve(__dirname, "..", "..");

test("without credentials the acceptance script prints why it skips and exits 0", () => {
  const result = spawnSync(process.execPath, ["--import", "tsx", "acceptance/live.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^SKIP live acceptance test: .*missing: SNOWFLAKE_ORGANIZATION_NAME; SNOWFLAKE_ACCOUNT_NAME; SNOWFLAKE_USER; SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD; a throwaway stack name/);
  assert.match(result.stdout, /docs\/operations\.md/);
});

test("prerequisites and the throwaway names", () => {
  const creds = { SNOWFLAKE_ORGANIZATION_NAME: "O", SNOWFLAKE_ACCOUNT_NAME: "A", SNOWFLAKE_USER: "U", SNOWFLAKE_PRIVATE_KEY: "k" };
  assert.deepEqual(missingPrerequisites(creds, "acc-1"), []);
  assert.deepEqual(missingPrerequisites({ ...creds, SNOWFLAKE_PRIVATE_KEY: undefined }, undefined), [
    "SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD",
    "a throwaway stack name (--stack NAME or PIPELINE_ACCEPTANCE_STACK)",
  ]);
  assert.deepEqual(acceptanceNames("acc-1732.x"), {
    database: "MLACC_ACC_1732_X",
    warehouse: "MLACC_ACC_1732_X_WH",
    computePool: "MLACC_ACC_1732_X_POOL",
    rootTask: "MLACC_ACC_1732_X.PIPELINE.MORTGAGE_PIPELINE",
  });
});
