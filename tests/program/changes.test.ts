// What a change to code or configuration touches in the plan. Each case edits a fixture project
// (tests/support/fixtureProject) and compares its plan with the unchanged one; the expected sets are
// written out from the fixture's definition.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { diffPlans, touchedResources } from "../../lib/plan/diffPlans";
import { planStack } from "../../cli/mockPlan";
import { demoPipeline, demoStack, FixtureProject, fixtureProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

const projects: FixtureProject[] = [];
const project = () => {
  const p = fixtureProject();
  projects.push(p);
  return p;
};
after(() => projects.forEach((p) => p.cleanup()));

const plan = (p: FixtureProject, changes: Record<string, unknown> = {}) => planStack({ projectDir: p.dir, stack: "dev", stackConfig: withConfig(p.stackConfig("dev"), changes) });

describe("plan changes", () => {
  it("is byte-identical across runs of the same project", async () => {
    const p = project();
    const [a, b] = [await plan(p), await plan(p)];
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(touchedResources(diffPlans(a, b)), []);
  });

  it("editing one task's entrypoint changes exactly that task's bundle and definition", async () => {
    const p = project();
    const before = await plan(p);
    p.append("flows/demo/steps/judge.py", "\n# an edit\n");
    const diff = diffPlans(before, await plan(p));
    assert.deepEqual(touchedResources(diff), ["demo-flow-bundle-judge", "demo-flow-task-judge"]);
    const task = diff.changed.find((c) => c.name === "demo-flow-task-judge")!;
    assert.deepEqual(task.changes.map((c) => c.key), ["sqlStatement"]);
  });

  it("editing a shared module changes only the tasks that import it (and the payload that does)", async () => {
    const p = project();
    const before = await plan(p);
    p.append("flows/demo/shared/helpers.py", "\n# an edit\n");
    assert.deepEqual(touchedResources(diffPlans(before, await plan(p))), [
      "demo-flow-bundle-fit",
      "demo-flow-bundle-load",
      "demo-flow-bundle-publish",
      "demo-flow-payload-fit",
      "demo-flow-task-fit",
      "demo-flow-task-load",
      "demo-flow-task-publish",
    ]);
  });

  it("changing only the threshold changes only the root task's config", async () => {
    const p = project();
    const diff = diffPlans(await plan(p), await plan(p, { graphConfig: { metric_threshold: 0.8 } }));
    assert.deepEqual(touchedResources(diff), ["demo-flow-root"]);
    const root = diff.changed.find((c) => c.name === "demo-flow-root")!;
    assert.deepEqual(root.changes.map((c) => c.key), ["config"]);
    assert.match(String(root.changes[0].before), /"metric_threshold":0\.5/);
    assert.match(String(root.changes[0].after), /"metric_threshold":0\.8/);
  });

  it("a pipeline's own settings go over the stack-wide ones", async () => {
    const p = project();
    const diff = diffPlans(
      await plan(p, { graphConfig: { metric_threshold: 0.8 } }),
      await plan(p, { graphConfig: { metric_threshold: 0.8 }, pipelineSettings: { DEMO_FLOW: { graphConfig: { metric_threshold: 0.9 } } } }),
    );
    const root = diff.changed.find((c) => c.name === "demo-flow-root")!;
    assert.match(String(root.changes[0].after), /"metric_threshold":0\.9/);
  });

  it("changing only the schedule changes only the root task's schedule", async () => {
    const p = project();
    const diff = diffPlans(await plan(p, { schedule: "1d" }), await plan(p, { schedule: "12h" }));
    assert.deepEqual(touchedResources(diff), ["demo-flow-root"]);
    const root = diff.changed.find((c) => c.name === "demo-flow-root")!;
    assert.deepEqual(root.changes, [{ key: "schedule", before: { minutes: 1440 }, after: { minutes: 720 } }]);
  });

  it("renaming the warehouse changes the warehouse, the tasks that run on it and the config that names it", async () => {
    const p = project();
    const diff = diffPlans(await plan(p), await plan(p, { warehouse: { name: "OTHER_WH", size: "XSMALL" } }));
    const warehouse = diff.changed.find((c) => c.name === "platform-warehouse")!;
    assert.deepEqual(warehouse.changes.map((c) => [c.key, c.after]), [["name", "OTHER_WH"]]);
  });

  it("a cron schedule with a time zone reaches the root task", async () => {
    const p = project();
    const planned = await plan(p, { schedule: "0 3 * * * Europe/Berlin", started: true });
    const root = planned.resources.find((r) => r.name === "demo-flow-root")!;
    assert.deepEqual(root.inputs.schedule, { usingCron: "0 3 * * * Europe/Berlin" });
    assert.equal(root.inputs.started, true);
  });

  it("adding a task after another adds that task and its bundle, and changes no other task or bundle", async () => {
    const pipeline = demoPipeline();
    const p = fixtureProject({ pipelines: [pipeline], stacks: { dev: demoStack([pipeline.file]) } });
    projects.push(p);
    const before = await plan(p);
    p.write("flows/demo/shared/scoring.py", "def score(x):\n    return x\n");
    p.write("flows/demo/steps/score.py", "from shared import scoring\n\n\ndef main(session):\n    return scoring.score('x')\n");
    p.append("flows/demo/pipeline.yaml", "  - {name: SCORE, after: [PUBLISH], entrypoint: steps/score.py}\n");
    const diff = diffPlans(before, await plan(p));
    assert.deepEqual(diff.added.map((r) => r.name).sort(), ["demo-flow-bundle-score", "demo-flow-task-score"]);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.changed.map((c) => c.name), []);
  });
});
