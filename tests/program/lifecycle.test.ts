// Lifecycle changes of a graph, as the preview shows them (plans under mocks of a fixture pipeline
// written here, not the sample): which resources are added, removed and changed, and in what.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { readStackConfigFiles } from "../../lib/config/stackFiles";
import { diffPlans, type PlanDiff } from "../../lib/plan/diffPlans";
import { planStack, type Plan } from "../../cli/mockPlan";
import { writeProjectFiles } from "../../cli/generatedProject";
import { demoStack } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

interface FixtureTask {
  name: string;
  after?: string[];
  sql?: string;
  entrypoint?: string;
  finalizer?: boolean;
  branch?: string[];
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The plan of a scratch project whose pipeline is exactly `tasks`. */
async function planOf(tasks: FixtureTask[]): Promise<Plan> {
  const dir = mkdtempSync(join(tmpdir(), "mlpipe-lifecycle-"));
  dirs.push(dir);
  const code = join(dir, "pipeline-code");
  mkdirSync(join(code, "life"), { recursive: true });
  writeFileSync(join(code, "life", "__init__.py"), "");
  writeFileSync(join(code, "life", "a.py"), "def main(session):\n    return 'B'\n");
  writeFileSync(
    join(code, "pipeline.yaml"),
    stringify({ name: "LIFE_PIPELINE", runtime: "3.11", packages: ["snowflake-snowpark-python"], tasks }),
  );
  // A stack of its own, not the user's Pulumi.dev.yaml (tests/support/fixtureProject.ts).
  writeProjectFiles(dir, { dev: demoStack(["pipeline-code/pipeline.yaml"], { database: "ML_DEV", schema: "PIPELINE", notificationIntegration: undefined }) });
  return planStack({ projectDir: dir, stack: "dev", stackConfig: withConfig(readStackConfigFiles(dir, "dev"), { schedule: "1d" }) });
}

const A: FixtureTask = { name: "A", entrypoint: "life/a.py" };
const B: FixtureTask = { name: "B", after: ["A"], sql: "SELECT 'b'" };
const C: FixtureTask = { name: "C", after: ["B"], sql: "SELECT 'c'" };
const E: FixtureTask = { name: "E", after: ["B"], sql: "SELECT 'e'" };
const FIN: FixtureTask = { name: "FIN", finalizer: true, sql: "SELECT 'fin'" };
const BASE = [A, B, C, E, FIN];

const fq = (t: string) => `"ML_DEV"."PIPELINE"."LIFE_PIPELINE$${t}"`;
const hash12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** added / removed / changed (with the changed input keys), by logical name. */
function summary(diff: PlanDiff) {
  return {
    added: diff.added.map((r) => r.name).sort(),
    removed: diff.removed.map((r) => r.name).sort(),
    changed: Object.fromEntries(diff.changed.map((c) => [c.name, c.changes.map((k) => k.key)]).sort()),
  };
}

describe("lifecycle changes in the preview", () => {
  let base: Plan;
  const fromBase = async (tasks: FixtureTask[]) => {
    base ??= await planOf(BASE);
    return diffPlans(base, await planOf(tasks));
  };

  it("the finalizer has a stable logical name; steps are <graph>-task-<name>", async () => {
    base ??= await planOf(BASE);
    const tasks = base.resources.filter((r) => r.type === "snowflake:index/task:Task").map((r) => [r.name, r.inputs.name]);
    assert.deepEqual(tasks.sort(), [
      ["life-pipeline-finalizer", "LIFE_PIPELINE$FIN"],
      ["life-pipeline-root", "LIFE_PIPELINE"],
      ["life-pipeline-task-a", "LIFE_PIPELINE$A"],
      ["life-pipeline-task-b", "LIFE_PIPELINE$B"],
      ["life-pipeline-task-c", "LIFE_PIPELINE$C"],
      ["life-pipeline-task-e", "LIFE_PIPELINE$E"],
    ]);
  });

  it("renaming the finalizer changes its name in place (a replacement: name is ForceNew)", async () => {
    const diff = await fromBase([A, B, C, E, { ...FIN, name: "FIN2" }]);
    assert.deepEqual(summary(diff), { added: [], removed: [], changed: { "life-pipeline-finalizer": ["name"] } });
  });

  it("renaming a child adds the new task, removes the old one, and re-points its successors", async () => {
    const diff = await fromBase([A, { ...B, name: "B2" }, { ...C, after: ["B2"] }, { ...E, after: ["B2"] }, FIN]);
    assert.deepEqual(summary(diff), {
      added: ["life-pipeline-task-b2"],
      removed: ["life-pipeline-task-b"],
      // The ordering edge moves with the AFTER edge.
      changed: { "life-pipeline-task-c": ["afters", "(dependsOn)"], "life-pipeline-task-e": ["afters", "(dependsOn)"] },
    });
    assert.deepEqual(diff.changed[0].changes[0], { key: "afters", before: [fq("B")], after: [fq("B2")] });
  });

  it("removing a task from the middle removes it and re-points its successor", async () => {
    const diff = await fromBase([A, { ...C, after: ["A"] }, { ...E, after: ["A"] }, FIN]);
    assert.deepEqual(summary(diff), {
      added: [],
      removed: ["life-pipeline-task-b"],
      // The ordering edge moves with the AFTER edge.
      changed: { "life-pipeline-task-c": ["afters", "(dependsOn)"], "life-pipeline-task-e": ["afters", "(dependsOn)"] },
    });
  });

  it("the finalizer turned into a step is a new resource (no diff of a finalizer's state against afters)", async () => {
    const diff = await fromBase([A, B, C, E, { name: "FIN", after: ["C"], sql: FIN.sql }]);
    assert.deepEqual(summary(diff), { added: ["life-pipeline-task-fin"], removed: ["life-pipeline-finalizer"], changed: {} });
    assert.deepEqual(diff.added[0].inputs.afters, [fq("C")]);
  });

  it("a step turned into the finalizer replaces the finalizer and removes the step's resource", async () => {
    const diff = await fromBase([A, B, { name: "C", finalizer: true, sql: C.sql }, E]);
    assert.deepEqual(summary(diff), { added: [], removed: ["life-pipeline-task-c"], changed: { "life-pipeline-finalizer": ["name", "sqlStatement"] } });
  });

  it("a branch added puts a WHEN on its targets only; removed, takes them away", async () => {
    const withBranch = [A, { ...B, branch: ["C", "E"] }, C, E, FIN];
    const diff = await fromBase(withBranch);
    assert.deepEqual(summary(diff), { added: [], removed: [], changed: { "life-pipeline-task-c": ["when"], "life-pipeline-task-e": ["when"] } });
    const when = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('LIFE_PIPELINE$B') = 'C'";
    assert.equal(diff.changed[0].changes[0].after, `${when} /* ${hash12(when)} */`);
    const back = diffPlans(await planOf(withBranch), base);
    assert.deepEqual(summary(back), { added: [], removed: [], changed: { "life-pipeline-task-c": ["when"], "life-pipeline-task-e": ["when"] } });
  });

  it("a case-only edit of a SQL body shows as a change of that task's sqlStatement", async () => {
    const diff = await fromBase([A, B, { ...C, sql: "SELECT 'C'" }, E, FIN]);
    assert.deepEqual(summary(diff), { added: [], removed: [], changed: { "life-pipeline-task-c": ["sqlStatement"] } });
    assert.deepEqual(diff.changed[0].changes[0], {
      key: "sqlStatement",
      before: `SELECT 'c'\n-- ${hash12("SELECT 'c'")}`,
      after: `SELECT 'C'\n-- ${hash12("SELECT 'C'")}`,
    });
  });

  it("adding a task adds it and nothing else changes", async () => {
    const diff = await fromBase([A, B, C, { name: "D", after: ["C"], sql: "SELECT 'd'" }, E, FIN]);
    assert.deepEqual(summary(diff), { added: ["life-pipeline-task-d"], removed: [], changed: {} });
  });
});
