// What deploy safety needs of the engine and of the project file, in words: the pure checks the
// components run before anything is registered (components/deploy/taskHooks.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { engineProblems, HOOK_NAMES, legacyHookNames, MINIMUM_PULUMI_CLI, requiredVersionProblems } from "../../components/deploy/taskHooks";

const FILE = "/p/Pulumi.yaml";
const WHY = "so the CLI refuses versions whose error hooks miss failed provider calls (https://github.com/pulumi/pulumi/pull/23347)";

describe("engine requirements", () => {
  test("the minimum CLI is the first whose error hooks see every failed provider call (pulumi 3.244.0 changelog, #23347)", () => {
    assert.equal(MINIMUM_PULUMI_CLI, "3.244.0");
  });

  test("an engine that runs both kinds of hooks: no problem", () => {
    assert.deepEqual(engineProblems({ resourceHooks: true, errorHooks: true }), []);
  });

  test("an engine without hooks: one problem naming what it lacks and the version needed", () => {
    assert.deepEqual(engineProblems({ resourceHooks: false, errorHooks: false }), [
      "this Pulumi CLI cannot run resource hooks or error hooks; snowflake-ml-pipeline needs Pulumi CLI 3.244.0 or later (https://www.pulumi.com/docs/iac/download-install/)",
    ]);
    assert.deepEqual(engineProblems({ resourceHooks: true, errorHooks: false }), [
      "this Pulumi CLI cannot run error hooks; snowflake-ml-pipeline needs Pulumi CLI 3.244.0 or later (https://www.pulumi.com/docs/iac/download-install/)",
    ]);
  });

  test("requiredPulumiVersion with a minimum of 3.244.0 or later: accepted", () => {
    for (const range of [">=3.244.0", ">=3.248.0 <4.0.0", "^3.244.1", "3.248.0"]) {
      assert.deepEqual(requiredVersionProblems(`name: p\nrequiredPulumiVersion: "${range}"\n`, FILE), [], range);
    }
  });

  test("requiredPulumiVersion missing, too low, or not a range: the file, the value and what is expected", () => {
    assert.deepEqual(requiredVersionProblems("name: p\nruntime: nodejs\n", FILE), [
      `/p/Pulumi.yaml: requiredPulumiVersion is not set; expected ">=3.244.0" or a later minimum, ${WHY}`,
    ]);
    assert.deepEqual(requiredVersionProblems('requiredPulumiVersion: ">=3.217.0"\n', FILE), [
      `/p/Pulumi.yaml: requiredPulumiVersion: ">=3.217.0" allows Pulumi CLI 3.217.0; expected a minimum of 3.244.0 or later, ${WHY}`,
    ]);
    assert.deepEqual(requiredVersionProblems("requiredPulumiVersion: soon\n", FILE), [
      '/p/Pulumi.yaml: requiredPulumiVersion: "soon" is not a version range; expected ">=3.244.0" or a later minimum',
    ]);
    assert.deepEqual(requiredVersionProblems(undefined, FILE), ['/p/Pulumi.yaml: not found; expected the project file, with requiredPulumiVersion: ">=3.244.0"']);
  });

  test("hook names are the stack's, never a pipeline's; the previous release's per-pipeline names are kept for deletes", () => {
    assert.deepEqual(Object.values(HOOK_NAMES).filter((n) => n.includes("mortgage")), []);
    assert.deepEqual(legacyHookNames("mortgage-pipeline"), {
      acquire: "mortgage-pipeline-root-lease-acquire",
      release: "mortgage-pipeline-root-lease-release",
      releaseOnError: "mortgage-pipeline-root-lease-release-on-error",
    });
  });
});
