// What a change to code or configuration touches in the plan. Each case edits a scratch copy of
// the project and compares its plan with the unchanged one; the expected sets are written out.
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readStackConfigFiles } from "../../lib/config/stackFiles";
import { diffPlans, touchedResources } from "../../lib/plan/diffPlans";
import { planStack } from "../../lib/plan/mockPlan";
import { scratchProject, withConfig } from "../support/stackConfig";

const plan = (projectDir: string, changes: Record<string, unknown> = {}) =>
  planStack({ projectDir, stack: "dev", stackConfig: withConfig(readStackConfigFiles(projectDir, "dev"), changes) });

describe("plan changes", () => {
  it("is byte-identical across runs of the same project", async () => {
    const dir = scratchProject();
    const [a, b] = [await plan(dir), await plan(dir)];
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(touchedResources(diffPlans(a, b)), []);
  });

  it("editing one task's entrypoint changes exactly that task's bundle and definition", async () => {
    const dir = scratchProject();
    const before = await plan(dir);
    appendFileSync(join(dir, "pipeline-code/tasks/prepare_data.py"), "\n# an edit\n");
    const diff = diffPlans(before, await plan(dir));
    assert.deepEqual(touchedResources(diff), [
      "mortgage-pipeline-bundle-prepare-data",
      "mortgage-pipeline-task-prepare-data",
    ]);
    const task = diff.changed.find((c) => c.name === "mortgage-pipeline-task-prepare-data")!;
    assert.deepEqual(task.changes.map((c) => c.key), ["sqlStatement"]);
  });

  it("editing a shared module changes only the tasks that import it", async () => {
    const dir = scratchProject();
    writeFileSync(join(dir, "pipeline-code/mlpipeline/fixture_shared.py"), "VALUE = 1\n");
    appendFileSync(join(dir, "pipeline-code/tasks/promote_model.py"), "\nimport mlpipeline.fixture_shared  # noqa\n");
    appendFileSync(join(dir, "pipeline-code/tasks/cleanup.py"), "\nfrom mlpipeline import fixture_shared  # noqa\n");
    const before = await plan(dir);
    writeFileSync(join(dir, "pipeline-code/mlpipeline/fixture_shared.py"), "VALUE = 2\n");
    assert.deepEqual(touchedResources(diffPlans(before, await plan(dir))), [
      "mortgage-pipeline-bundle-cleanup",
      "mortgage-pipeline-bundle-promote-model",
      "mortgage-pipeline-finalizer",
      "mortgage-pipeline-task-promote-model",
    ]);
  });

  it("changing only the threshold changes only the root task's config", async () => {
    const dir = scratchProject();
    const diff = diffPlans(await plan(dir), await plan(dir, { graphConfig: { metric_threshold: 0.8 } }));
    assert.deepEqual(touchedResources(diff), ["mortgage-pipeline-root"]);
    const root = diff.changed.find((c) => c.name === "mortgage-pipeline-root")!;
    assert.deepEqual(root.changes.map((c) => c.key), ["config"]);
    assert.match(String(root.changes[0].after), /"metric_threshold":0\.8/);
  });

  it("changing only the schedule changes only the root task's schedule", async () => {
    const dir = scratchProject();
    const diff = diffPlans(await plan(dir, { schedule: "1d" }), await plan(dir, { schedule: "12h" }));
    assert.deepEqual(touchedResources(diff), ["mortgage-pipeline-root"]);
    const root = diff.changed.find((c) => c.name === "mortgage-pipeline-root")!;
    assert.deepEqual(root.changes, [{ key: "schedule", before: { minutes: 1440 }, after: { minutes: 720 } }]);
  });

  it("a cron schedule with a time zone reaches the root task", async () => {
    const p = await plan(scratchProject(), { schedule: "0 3 * * * Europe/Berlin", started: true });
    const root = p.resources.find((r) => r.name === "mortgage-pipeline-root")!;
    assert.deepEqual(root.inputs.schedule, { usingCron: "0 3 * * * Europe/Berlin" });
    assert.equal(root.inputs.started, true);
  });
});
