// `pulumi preview` of the real dev and prod stacks (Pulumi.dev.yaml, Pulumi.prod.yaml and the
// sample pipeline) on empty stacks registers the same resources with the same inputs as the
// offline `npm run plan`, planned from the same stack files (which the test completed with the
// stand-in's host, port and protocol and the secret key). prod promotes from dev, so dev is
// deployed (to the stand-in) before prod is previewed, as in the README's flow.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planWithSourceStacks } from "../../cli/sourceStacks";
import { cleanInputs, type Plan } from "../../cli/mockPlan";
import { assertOk } from "../support/engineAssertions";
import { engineAvailability, engineProject, urnName, type EngineProject, type RunResult } from "../support/engineStack";

const availability = engineAvailability();

/** The plugin version the engine adds to a provider's inputs. */
const ENGINE_KEYS = new Set(["version"]);
/** The value the engine shows for an input not known in a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The program's inputs in the engine's (checked) inputs: the bridged provider's Check fills in
 * defaults and lists them in `__defaults`; those are the provider's, not the program's.
 */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (!value || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const defaults = Array.isArray(obj.__defaults) ? (obj.__defaults as string[]) : [];
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== "__defaults" && !defaults.includes(k)).map(([k, v]) => [k, withoutDefaults(v)]));
}

function engineResources(preview: RunResult) {
  const out = new Map<string, Record<string, unknown>>();
  for (const step of preview.steps) {
    // The stack and the engine's default provider of the dynamic resources are the engine's own, not
    // the program's; the StackReference to dev is a read, which the plan does not list.
    if (["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"].includes(step.type) || (step.type.startsWith("pulumi:providers:") && urnName(step.urn).startsWith("default"))) continue;
    const inputs = { ...(step.inputs ?? {}) };
    delete inputs.__provider;
    delete inputs.__internal;
    if (step.type.startsWith("pulumi:providers:")) for (const k of ENGINE_KEYS) delete inputs[k];
    out.set(`${step.type}::${urnName(step.urn)}`, cleanInputs(withoutDefaults(inputs)) as Record<string, unknown>);
  }
  return out;
}

function planResources(plan: Plan) {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of plan.resources) {
    const inputs = { ...(r.inputs as Record<string, unknown>) };
    if (r.type.startsWith("pulumi:providers:")) for (const k of ENGINE_KEYS) delete inputs[k];
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

describe("preview of the real stacks against the offline plan", { skip: availability.ok ? false : availability.reason, timeout: 1_800_000 }, () => {
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
    const dev = await project.stack("dev");
    const plan = await planWithSourceStacks({ projectDir: project.dir, stack: "dev", preview: true });
    const preview = await dev.preview();
    assertOk(preview);
    const unknown = compare(planResources(plan), engineResources(preview));
    // Only what comes from other resources' outputs is unknown before anything exists: the tasks' AFTER and FINALIZE.
    assert.deepEqual([...new Set(unknown.map((u) => u.split(".").pop()))].sort(), ["afters", "finalize"].filter((k) => unknown.some((u) => u.endsWith(k))));
    // The program reads its own stack's last outputs (program.ts checkPlatformNotMoved): a read, not a change.
    const changes = preview.steps.filter((s) => s.type !== "pulumi:pulumi:StackReference");
    assert.ok(changes.every((s) => s.op === "create"), `everything is a create on an empty stack: ${changes.filter((s) => s.op !== "create").map((s) => `${s.urn} ${s.op}`).join(", ")}`);
  });

  test("prod: an empty stack's preview is the plan (after dev is deployed)", async () => {
    const dev = await project.stack("dev");
    assertOk(await dev.up());
    const prod = await project.stack("prod");
    const plan = await planWithSourceStacks({ projectDir: project.dir, stack: "prod", preview: true });
    const preview = await prod.preview();
    assertOk(preview);
    compare(planResources(plan), engineResources(preview));
  });
});
