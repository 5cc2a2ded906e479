// One pipeline's life on the real engine against the Snowflake stand-in: `up` from nothing, a
// no-change `up`, edits on a started graph (entrypoint, shared module, a task added and one
// removed, finalizer <-> step, a WHEN differing only in case), then `pulumi destroy --run-program`.
// Each step is one `pulumi up` (with the project's `refresh: always`) through the Automation API.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { demoPipeline, demoStack } from "../support/fixtureProject";
import { assertGraphKeptSafe, assertOk, changesOf, isChange, statementsOf } from "../support/engineAssertions";
import { changedSteps, engineAvailability, engineProject, type EngineProject, type EngineStack, type RunResult } from "../support/engineStack";

const availability = engineAvailability();
const ROOT = "FX_DB.PIPE.DEMO_FLOW";
const task = (name: string) => `${ROOT}$${name}`;

describe("one pipeline on the real engine", { skip: availability.ok ? false : availability.reason, timeout: 1_800_000 }, () => {
  let project: EngineProject;
  let dev: EngineStack;
  const pipeline = demoPipeline();
  // FIT has a WHEN of its own, so a case-only edit of it can be made later.
  (pipeline.definition.tasks as Record<string, unknown>[])[1].when = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('DEMO_FLOW$LOAD') = 'load'";
  const catalog = () => project.stub.catalog!;
  const definition = () => pipeline.definition as { tasks: Record<string, unknown>[] };
  const writeDefinition = async () => {
    const { stringify } = await import("yaml");
    project.write(pipeline.file, stringify(pipeline.definition));
  };

  /** Preview, then up: the up changes exactly what the preview showed, and keeps the started graph safe. */
  async function previewThenUp(): Promise<{ preview: RunResult; up: RunResult }> {
    const preview = await dev.preview();
    assertOk(preview);
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(changesOf(up), changesOf(preview), "the up changed other resources than the preview showed");
    assertGraphKeptSafe(catalog(), up, ROOT, "started");
    return { preview, up };
  }

  before(async () => {
    project = await engineProject({
      pipelines: [pipeline],
      stacks: { dev: demoStack([pipeline.file], { schedule: "0 3 * * * UTC", started: true, pipelineRole: "FX_ENGINEER" }) },
      users: ["FX_DEPLOYER"],
      roles: ["FX_ENGINEER"],
      integrations: ["FX_ALERTS"],
    });
    dev = await project.stack("dev");
  });
  after(async () => project?.cleanup());

  test("up from nothing creates the platform and the started graph", async () => {
    const up = await dev.up();
    assertOk(up);
    const c = catalog();
    assert.deepEqual([...c.databases.keys()], ["FX_DB"]);
    assert.deepEqual([...c.schemas.keys()].sort(), ["FX_DB.PIPE", "FX_DB.PUBLIC", "FX_DB.RAW", "FX_DB.REGISTRY"]);
    assert.deepEqual([...c.warehouses.keys()], ["FX_WH"]);
    assert.deepEqual([...c.stages.keys()].sort(), ["FX_DB.PIPE.ARTIFACT_STAGE", "FX_DB.PIPE.CODE_STAGE", "FX_DB.PIPE.DATA_STAGE", "FX_DB.PIPE.JOB_STAGE"]);
    assert.deepEqual([...c.computePools.keys()], ["FX_POOL"]);
    const tasks = c.snapshot().tasks;
    assert.deepEqual(Object.keys(tasks).sort(), [ROOT, task("FIT"), task("JUDGE"), task("LOAD"), task("PUBLISH"), task("TIDY"), task("WARN")].sort());
    assert.deepEqual(tasks[task("LOAD")].predecessors, [ROOT]);
    assert.deepEqual(tasks[task("FIT")].predecessors, [task("LOAD")]);
    assert.deepEqual(tasks[task("PUBLISH")].predecessors, [task("JUDGE")]);
    assert.equal(tasks[task("TIDY")].finalize, ROOT);
    assert.equal(tasks[ROOT].schedule, "USING CRON 0 3 * * * UTC");
    for (const [name, t] of Object.entries(tasks)) assert.equal(t.state, "started", `${name} should be started`);
    assert.match(tasks[task("WARN")].condition ?? "", /= 'WARN'/);
    // Every Python task's bundle is on the code stage, where its IMPORTS point.
    const imports = tasks[task("LOAD")].definition.match(/IMPORTS = \('@([^']+)'\)/)![1];
    assert.ok(c.stageExists(imports.split("/")[0]), imports);
    const listed = await import("node:fs").then((fs) => fs.existsSync(project.stub.stageDir(`@${imports}`)));
    assert.ok(listed, `${imports} was uploaded`);
    assert.ok(c.grants.some((g) => g.role === "FX_ENGINEER" && g.grantedOn === "COMPUTE_POOL" && g.name === "FX_POOL"), "the pipeline role got USAGE on the pool");
    assert.deepEqual(c.taskDdl.filter((d) => d.refused), []);
  });

  test("a no-change up shows no changes and sends no DDL", async () => {
    const preview = await dev.preview();
    assertOk(preview);
    assert.deepEqual(changesOf(preview), []);
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(changesOf(up), []);
    assert.deepEqual(statementsOf(catalog(), up).filter((e) => isChange(e.sql)).map((e) => e.sql), []);
  });

  test("an entrypoint edit on the started graph changes that task and its bundle only", async () => {
    project.write("flows/demo/steps/load.py", `${pipeline.files["steps/load.py"]}\n\n# edited\n`);
    const { up } = await previewThenUp();
    const names = changedSteps(up).map((s) => s.urn.split("::").pop());
    assert.deepEqual([...new Set(names)].sort(), ["demo-flow-bundle-load", "demo-flow-task-load"]);
  });

  test("a shared-module edit changes exactly the tasks that import it", async () => {
    project.write("flows/demo/shared/helpers.py", "def tag(name):\n    return name.upper()\n");
    const { up } = await previewThenUp();
    const names = [...new Set(changedSteps(up).map((s) => s.urn.split("::").pop()))].sort();
    // load, fit (and its job payload) and publish import shared.helpers; judge and tidy do not.
    assert.deepEqual(names, ["demo-flow-bundle-fit", "demo-flow-bundle-load", "demo-flow-bundle-publish", "demo-flow-payload-fit", "demo-flow-task-fit", "demo-flow-task-load", "demo-flow-task-publish"]);
  });

  test("a task added and one removed", async () => {
    project.write("flows/demo/steps/audit.py", "def main(session):\n    return 'audit'\n");
    const tasks = definition().tasks;
    tasks.splice(1, 0, { name: "AUDIT", after: ["LOAD"], entrypoint: "steps/audit.py" });
    const judge = tasks.find((t) => t.name === "JUDGE")!;
    // PUBLISH goes; JUDGE then branches to WARN or a new NOTIFY.
    project.write("flows/demo/steps/notify.py", "def main(session):\n    return 'notify'\n");
    definition().tasks = tasks.filter((t) => t.name !== "PUBLISH").concat([{ name: "NOTIFY", after: ["JUDGE"], entrypoint: "steps/notify.py" }]);
    judge.branch = ["NOTIFY", "WARN"];
    await writeDefinition();
    const { up } = await previewThenUp();
    const byOp = changesOf(up);
    for (const expected of ["demo-flow-task-audit: create", "demo-flow-task-notify: create", "demo-flow-task-publish: delete"]) assert.ok(byOp.includes(expected), `${expected} in ${byOp.join(", ")}`);
    const tasksNow = catalog().snapshot().tasks;
    assert.deepEqual(tasksNow[task("AUDIT")].predecessors, [task("LOAD")]);
    assert.equal(tasksNow[task("PUBLISH")], undefined);
    assert.equal(tasksNow[task("AUDIT")].state, "started");
  });

  test("a WHEN that differs only in case reaches Snowflake", async () => {
    const fit = definition().tasks.find((t) => t.name === "FIT")!;
    fit.when = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('DEMO_FLOW$LOAD') = 'LOAD'";
    await writeDefinition();
    const { up } = await previewThenUp();
    assert.deepEqual(changesOf(up), ["demo-flow-task-fit: update"]);
    assert.match(catalog().tasks.get(task("FIT"))!.condition ?? "", /= 'LOAD'/);
  });

  test("finalizer -> step keeping its Snowflake name is refused cleanly; in two deploys it works; step -> finalizer with a new name in one", async () => {
    // docs/operations.md "Lifecycle changes": the role is in the logical name, so keeping the name
    // means a second resource for the same Snowflake task. Pulumi creates before it deletes, and
    // Snowflake refuses the CREATE of an existing name: the up fails before anything changes.
    const tidy = definition().tasks.find((t) => t.name === "TIDY")!;
    delete tidy.finalizer;
    tidy.after = ["AUDIT"];
    await writeDefinition();
    const refused = await dev.up();
    assert.equal(refused.ok, false, "a role change keeping the Snowflake name must fail");
    assert.match(refused.error ?? "", /DEMO_FLOW\$TIDY' already exists/, "the user sees Snowflake's message");
    let t = catalog().snapshot().tasks[task("TIDY")];
    assert.deepEqual([t.predecessors, t.finalize], [[], ROOT], "TIDY is still the finalizer: nothing half-applied");
    const changedTasks = catalog().taskDdl.filter((d) => d.seq >= refused.fromSeq && d.seq <= refused.toSeq && !d.refused && /^\s*(CREATE|ALTER TASK \S+ (MODIFY|SET|UNSET|ADD|REMOVE)|DROP)/i.test(d.sql));
    assert.deepEqual(changedTasks.map((d) => d.sql.slice(0, 120)), [], "no task was changed");
    assert.equal(catalog().stateOf(ROOT), "suspended", "a failed deploy leaves the root suspended");

    // Two deploys: remove TIDY, then add it back as a step.
    definition().tasks = definition().tasks.filter((x) => x.name !== "TIDY");
    await writeDefinition();
    await previewThenUp();
    assert.equal(catalog().snapshot().tasks[task("TIDY")], undefined);
    definition().tasks.push({ ...tidy });
    await writeDefinition();
    await previewThenUp();
    t = catalog().snapshot().tasks[task("TIDY")];
    assert.deepEqual([t.predecessors, t.finalize, t.state], [[task("AUDIT")], undefined, "started"]);

    // Step -> finalizer with a new name: one deploy (new finalizer created, old step dropped at the end).
    definition().tasks = definition().tasks.filter((x) => x.name !== "TIDY").concat([{ ...tidy, name: "SWEEP", after: undefined, finalizer: true }]);
    delete definition().tasks[definition().tasks.length - 1].after;
    await writeDefinition();
    await previewThenUp();
    const now = catalog().snapshot().tasks;
    assert.equal(now[task("TIDY")], undefined);
    assert.deepEqual([now[task("SWEEP")].predecessors, now[task("SWEEP")].finalize, now[task("SWEEP")].state], [[], ROOT, "started"]);
  });

  test("pulumi destroy --run-program, as the README says, removes everything", async () => {
    const destroy = await dev.destroy();
    assertOk(destroy);
    const snapshot = catalog().snapshot();
    assert.deepEqual(
      { databases: snapshot.databases, warehouses: snapshot.warehouses, computePools: snapshot.computePools, tasks: Object.keys(snapshot.tasks), grants: snapshot.grants },
      { databases: [], warehouses: [], computePools: [], tasks: [], grants: [] },
    );
    assert.deepEqual(catalog().taskDdl.filter((d) => d.seq >= destroy.fromSeq && d.refused).map((d) => d.sql), []);
  });

  test("the stand-in modelled every statement the provider and the program sent", () => {
    assert.deepEqual(catalog().unhandled, []);
  });
});
