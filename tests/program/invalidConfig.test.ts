// Invalid configuration: the plan command exits non-zero with every problem on stderr and nothing
// on stdout, and no resource is registered.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../lib/config/resolveConfiguration";
import { planStack } from "../../lib/plan/mockPlan";
import { PROJECT_DIR, scratchProject } from "../support/stackConfig";

const BAD_STACK = `config:
  snowflake-ml-pipeline:database: ML_DEV
  snowflake-ml-pipeline:schema: PIPELINE
  snowflake-ml-pipeline:dataSchema: DATA
  snowflake-ml-pipeline:registrySchema: MODELS
  snowflake-ml-pipeline:warehouse: {name: ML_DEV_WH, size: XSMALL}
  snowflake-ml-pipeline:computePool: {name: ML_DEV_POOL, instanceFamily: CPU_X64_S, minNodes: 1, maxNodes: 1}
  snowflake-ml-pipeline:schedule: 9d
  snowflake-ml-pipeline:started: true
`;

function runPlan(projectDir: string, stack: string) {
  return spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_DIR, "cli/plan.ts"), "--project", projectDir, "--stack", stack], {
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

describe("invalid configuration", () => {
  it("fails the plan with every problem, naming file and key, and prints nothing on stdout", () => {
    const dir = scratchProject({ "Pulumi.bad.yaml": BAD_STACK });
    const result = runPlan(dir, "bad");
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    const stderr = result.stderr;
    assert.match(stderr, /Pulumi\.bad\.yaml: snowflake-ml-pipeline:schedule: .*12960 minutes; Snowflake allows 1 to 11520 minutes/);
    assert.match(stderr, /pipeline-code\/pipeline\.yaml: tasks\.[A-Z_]+\.job\.targetInstances: .*/);
    assert.match(stderr, /Pulumi\.bad\.yaml: snowflake-ml-pipeline:notificationIntegration|pipeline-code\/pipeline\.yaml: tasks\.[A-Z_]+\.sql: .*notificationIntegration/);
    assert.match(stderr, /nothing was registered/);
  });

  it("registers no resource when the pipeline definition is invalid", async () => {
    const dir = scratchProject();
    writeFileSync(join(dir, "pipeline-code/pipeline.yaml"), "name: MORTGAGE_PIPELINE\nruntime: '3.11'\npackages: []\ntasks:\n  - {name: A, entrypoint: tasks/missing.py, after: [B]}\n");
    await assert.rejects(planStack({ projectDir: dir, stack: "dev" }), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      const paths = error.problems.map((p) => `${p.file}: ${p.path}`);
      assert.ok(paths.includes("pipeline-code/pipeline.yaml: tasks.A.entrypoint"), paths.join("\n"));
      assert.ok(paths.includes("pipeline-code/pipeline.yaml: tasks.A.after[0]"), paths.join("\n"));
      return true;
    });
  });

  it("reports an unknown stack file", () => {
    const result = runPlan(PROJECT_DIR, "nosuchstack");
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /Pulumi\.nosuchstack\.yaml: no such stack file/);
  });
});
