// `pulumi preview` of the real dev and prod stacks (Pulumi.dev.yaml, Pulumi.prod.yaml and the
// sample pipeline) on empty stacks registers the same resources with the same inputs as the
// offline `npm run plan`. prod promotes from dev, so dev is deployed (to the stand-in) before prod
// is previewed, as in the README's flow.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planWithSourceStacks } from "../../cli/sourceStacks";
import { cleanInputs, type Plan } from "../../cli/mockPlan";
import { assertOk } from "../support/engineAssertions";
import { engineAvailability, engineProject, REPO_DIR, urnName, type EngineProject, type RunResult } from "../support/engineStack";

const availability = engineAvailability();

/** Provider settings the engine test sets to reach the stand-in (and the key), not in the plan's stack files. */
const STAND_IN_KEYS = new Set(["host", "port", "protocol", "privateKey", "version"]);
/** The value the engine shows for an input not known in a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function engineResources(preview: RunResult) {
  const out = new Map<string, Record<string, unknown>>();
  for (const step of preview.steps) {
    // The stack and the engine's default provider of the dynamic resources are the engine's own, not
    // the program's; the StackReference to dev is a read, which the plan does not list.
    if (["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"].includes(step.type) || (step.type.startsWith("pulumi:providers:") && urnName(step.urn).startsWith("default"))) continue;
    const inputs = { ...(step.inputs ?? {}) };
    delete inputs.__provider;
    delete inputs.__internal;
    if (step.type.startsWith("pulumi:providers:")) for (const k of STAND_IN_KEYS) delete inputs[k];
    out.set(`${step.type}::${urnName(step.urn)}`, cleanInputs(inputs) as Record<string, unknown>);
  }
  return out;
}

function planResources(plan: Plan) {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of plan.resources) {
    const inputs = { ...(r.inputs as Record<string, unknown>) };
    if (r.type.startsWith("pulumi:providers:")) for (const k of STAND_IN_KEYS) delete inputs[k];
    out.set(`${r.type}::${r.name}`, inputs);
  }
  return out;
}

/** Every planned input equals the engine's, except where the engine does not know it yet in a preview (another resource's output). */
function compare(planned: Map<string, Record<string, unknown>>, engine: Map<string, Record<string, unknown>>) {
  assert.deepEqual([...engine.keys()].sort(), [...planned.keys()].sort(), "the engine registered other resources than the plan");
  const unknown: string[] = [];
  for (const [key, inputs] of planned) {
    const shown = engine.get(key)!;
    for (const name of new Set([...Object.keys(inputs), ...Object.keys(shown)])) {
      if (JSON.stringify(shown[name]).includes(UNKNOWN)) {
        unknown.push(`${key}.${name}`);
        continue;
      }
      assert.deepEqual(shown[name], inputs[name], `${key}: input ${name}`);
    }
  }
  return unknown;
}

describe("preview of the real stacks against the offline plan", { skip: availability.ok ? false : availability.reason }, () => {
  let project: EngineProject;
  before(async () => {
    project = await engineProject({
      sample: true,
      users: ["PULUMI_DEPLOYER", "PULUMI_PROD_DEPLOYER"],
      roles: ["ML_ENGINEER"],
      integrations: ["ML_DEV_ALERTS", "ML_PROD_ALERTS", "ML_PROD_TASK_ERRORS"],
    });
  });
  after(async () => project?.cleanup());

  test("dev: an empty stack's preview is the plan", async () => {
    const plan = await planWithSourceStacks({ projectDir: REPO_DIR, stack: "dev", preview: true });
    const dev = await project.stack("dev");
    const preview = await dev.preview();
    assertOk(preview);
    const unknown = compare(planResources(plan), engineResources(preview));
    // Only what comes from other resources' outputs is unknown before anything exists: the tasks' AFTER and FINALIZE.
    assert.deepEqual([...new Set(unknown.map((u) => u.split(".").pop()))].sort(), ["afters", "finalize"].filter((k) => unknown.some((u) => u.endsWith(k))));
    assert.ok(preview.steps.every((s) => s.op === "create"), "everything is a create on an empty stack");
  });

  test("prod: an empty stack's preview is the plan (after dev is deployed)", async () => {
    const dev = await project.stack("dev");
    assertOk(await dev.up());
    const plan = await planWithSourceStacks({ projectDir: REPO_DIR, stack: "prod", preview: true });
    const prod = await project.stack("prod");
    const preview = await prod.preview();
    assertOk(preview);
    compare(planResources(plan), engineResources(preview));
  });
});
