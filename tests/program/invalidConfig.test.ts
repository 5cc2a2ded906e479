// Invalid configuration: the plan command exits non-zero with every problem on stderr and nothing
// on stdout, and no resource is registered.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../lib/config/resolveConfiguration";
import { planStack } from "../../cli/mockPlan";
import { after } from "node:test";
import { stringify } from "yaml";
import { demoStack, fixtureProject, FixtureProject } from "../support/fixtureProject";

const REPO = join(__dirname, "..", "..");
const projects: FixtureProject[] = [];
const project = () => {
  const p = fixtureProject();
  projects.push(p);
  return p;
};
after(() => projects.forEach((p) => p.cleanup()));

// The fixture's FIT job runs on 2 instances; this pool has 1. No notification integration for WARN.
const BAD_STACK = stringify({
  config: demoStack(["flows/demo/pipeline.yaml"], {
    computePool: { name: "FX_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 1 },
    notificationIntegration: undefined,
    schedule: "9d",
    started: true,
  }),
});

function runPlan(projectDir: string, stack: string) {
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO, "cli/plan.ts"), "--project", projectDir, "--stack", stack], {
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

describe("invalid configuration", () => {
  it("fails the plan with every problem, naming file and key, and prints nothing on stdout", () => {
    const p = project();
    p.write("Pulumi.bad.yaml", BAD_STACK);
    const result = runPlan(p.dir, "bad");
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    const stderr = result.stderr;
    assert.match(stderr, /Pulumi\.bad\.yaml: snowflake-ml-pipeline:schedule: .*12960 minutes; Snowflake allows 1 to 11520 minutes/);
    assert.match(stderr, /flows\/demo\/pipeline\.yaml: .*targetInstances: .*/);
    assert.match(stderr, /flows\/demo\/pipeline\.yaml: .*sql: .*notificationIntegration/);
    assert.match(stderr, /nothing was registered/);
  });

  it("registers no resource when the pipeline definition is invalid", async () => {
    const p = project();
    p.write("flows/demo/pipeline.yaml", "name: DEMO_FLOW\nruntime: '3.11'\npackages: []\ntasks:\n  - {name: A, entrypoint: steps/missing.py, after: [B]}\n");
    await assert.rejects(planStack({ projectDir: p.dir, stack: "dev" }), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      const paths = error.problems.map((p) => `${p.file}: ${p.path}`);
      assert.ok(paths.includes("flows/demo/pipeline.yaml: tasks.A.entrypoint"), paths.join("\n"));
      assert.ok(paths.includes("flows/demo/pipeline.yaml: tasks.A.after[0]"), paths.join("\n"));
      return true;
    });
  });

  it("reports an unknown stack file", () => {
    const result = runPlan(project().dir, "nosuchstack");
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /Pulumi\.nosuchstack\.yaml: no such stack file/);
  });
});
