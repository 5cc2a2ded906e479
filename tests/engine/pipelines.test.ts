// Several pipelines in one stack on the real engine: a second pipeline added, the list reordered,
// the first one removed, one renamed. The shared platform (database, schemas, warehouse, stages,
// compute pool, grants) must not change, and a removed pipeline's started graph is dropped safely.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { demoPipeline, demoStack } from "../support/fixtureProject";
import { assertGraphKeptSafe, assertOk, changesOf } from "../support/engineAssertions";
import { changedSteps, engineAvailability, engineProject, type EngineProject, type EngineStack, type RunResult } from "../support/engineStack";

const availability = engineAvailability();

/** Resource types of the shared platform: none of them may change when pipelines come and go. */
const PLATFORM_TYPES = [
  "snowflake:index/database:Database",
  "snowflake:index/schema:Schema",
  "snowflake:index/warehouse:Warehouse",
  "snowflake:index/stage:Stage",
  "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole",
  "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool",
];
const platformChanges = (run: RunResult) => changedSteps(run).filter((s) => PLATFORM_TYPES.includes(s.type)).map((s) => `${s.urn.split("::").pop()}: ${s.op}`);

describe("pipelines added, reordered, removed and renamed on the real engine", { skip: availability.ok ? false : availability.reason, timeout: 1_800_000 }, () => {
  let project: EngineProject;
  let dev: EngineStack;
  const first = demoPipeline("DEMO_FLOW", "flows/demo");
  const second = demoPipeline("SECOND_FLOW", "flows/second");
  const catalog = () => project.stub.catalog!;
  const stackWith = (files: string[]) => demoStack(files, { schedule: "0 3 * * * UTC", started: true, pipelineRole: "FX_ENGINEER" });
  const platformBefore = () => {
    const s = catalog().snapshot();
    return { databases: s.databases, schemas: s.schemas, warehouses: s.warehouses, stages: s.stages, computePools: s.computePools, grants: s.grants };
  };
  const setPipelines = (files: string[]) => project.setStackConfig("dev", { pipelines: files });

  before(async () => {
    project = await engineProject({
      pipelines: [first, second],
      stacks: { dev: stackWith([first.file]) },
      users: ["FX_DEPLOYER"],
      roles: ["FX_ENGINEER"],
      integrations: ["FX_ALERTS"],
    });
    dev = await project.stack("dev");
    assertOk(await dev.up());
  });
  after(async () => project?.cleanup());

  test("a second pipeline added: its graph is created, started; the platform is untouched", async () => {
    const platform = platformBefore();
    setPipelines([first.file, second.file]);
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(platformChanges(up), []);
    assert.deepEqual(platformBefore(), platform);
    assert.equal(catalog().stateOf("FX_DB.PIPE.SECOND_FLOW"), "started");
    assert.equal(catalog().stateOf("FX_DB.PIPE.DEMO_FLOW"), "started");
    assertGraphKeptSafe(catalog(), up, "FX_DB.PIPE.DEMO_FLOW", "started");
  });

  test("the pipelines reordered: nothing changes", async () => {
    setPipelines([second.file, first.file]);
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(changesOf(up), []);
  });

  test("the first pipeline removed: its graph is dropped with its root suspended first; the platform is untouched", async () => {
    const platform = platformBefore();
    setPipelines([second.file]);
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(platformChanges(up), []);
    assert.deepEqual(platformBefore(), platform);
    assert.deepEqual(Object.keys(catalog().snapshot().tasks).filter((t) => t.includes("DEMO_FLOW")), []);
    assert.deepEqual(catalog().taskDdl.filter((d) => d.seq >= up.fromSeq && d.refused).map((d) => d.sql), []);
    assert.equal(catalog().stateOf("FX_DB.PIPE.SECOND_FLOW"), "started");
  });

  test("a pipeline renamed: the old graph is dropped, the new one created and started; the platform is untouched", async () => {
    const platform = platformBefore();
    project.write(second.file, (await import("yaml")).stringify({ ...second.definition, name: "RENAMED_FLOW" }));
    const up = await dev.up();
    assertOk(up);
    assert.deepEqual(platformChanges(up), []);
    assert.deepEqual(platformBefore(), platform);
    const tasks = Object.keys(catalog().snapshot().tasks);
    assert.deepEqual(tasks.filter((t) => t.includes("SECOND_FLOW")), []);
    assert.equal(catalog().stateOf("FX_DB.PIPE.RENAMED_FLOW"), "started");
    assert.deepEqual(catalog().taskDdl.filter((d) => d.seq >= up.fromSeq && d.refused).map((d) => d.sql), []);
  });
});
