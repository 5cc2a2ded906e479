// Failures in the middle of a deploy on the real engine: Snowflake refuses a statement, the program
// is killed, and `database` changes under a started graph. After each, the user sees why, and the
// next `pulumi up` leaves exactly the planned graph, started, with no scheduled-run window.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { demoPipeline, demoStack } from "../support/fixtureProject";
import { assertGraphKeptSafe, assertOk, changesOf, isChange, statementsOf } from "../support/engineAssertions";
import { describeRun, engineAvailability, engineProject, type EngineProject, type EngineStack } from "../support/engineStack";

const availability = engineAvailability();
const ROOT = "FX_DB.PIPE.DEMO_FLOW";

/** PIDs of the Node.js program processes Pulumi's language host started for `projectDir`. */
function programPids(projectDir: string): number[] {
  const lines = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).split("\n");
  return lines
    .filter((l) => l.includes("@pulumi/pulumi/cmd/run") && l.includes(projectDir))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid);
}

describe("failures in the middle of an up on the real engine", { skip: availability.ok ? false : availability.reason, timeout: 1_800_000 }, () => {
  let project: EngineProject;
  let dev: EngineStack;
  const pipeline = demoPipeline();
  const catalog = () => project.stub.catalog!;
  let edits = 0;
  /** An edit of the shared module: the LOAD, FIT and PUBLISH tasks (and their bundles) change. */
  const editSharedModule = () => project.write("flows/demo/shared/helpers.py", `def tag(name):\n    return name + "-${++edits}"\n`);

  /** After a repair: the preview is empty, every task is started, and each body is the planned one. */
  async function assertRepaired() {
    const preview = await dev.preview();
    assertOk(preview);
    assert.deepEqual(changesOf(preview), [], "the repairing up left changes behind");
    for (const [name, t] of Object.entries(catalog().snapshot().tasks)) assert.equal(t.state, "started", `${name} should be started`);
  }

  before(async () => {
    project = await engineProject({
      pipelines: [pipeline],
      stacks: { dev: demoStack([pipeline.file], { schedule: "0 3 * * * UTC", started: true }) },
      users: ["FX_DEPLOYER"],
      integrations: ["FX_ALERTS"],
    });
    dev = await project.stack("dev");
    assertOk(await dev.up());
  });
  after(async () => project?.cleanup());

  test("a statement Snowflake refuses mid-up: the user sees Snowflake's message; the next up repairs", async () => {
    editSharedModule();
    const message = "Statement reached its statement or warehouse timeout of 3 second(s) and was canceled.";
    project.stub.failOn(/^ALTER TASK .*DEMO_FLOW\$FIT.* MODIFY AS/s, { code: "000630", sqlState: "57014", message, times: 1 });
    const failed = await dev.up();
    assert.equal(failed.ok, false, describeRun(failed));
    assert.ok(`${failed.error}\n${failed.diagnostics.map((d) => d.message).join("\n")}`.includes(message), `Snowflake's message is shown:\n${describeRun(failed)}`);
    // The root is resumed right away, or left suspended for the next up (never a half-updated graph running).
    const up = await dev.up();
    assertOk(up);
    assertGraphKeptSafe(catalog(), up, ROOT, "started");
    // FIT's refused ALTER is applied by the repairing up: Snowflake has the body the program declares.
    const fit = up.steps.find((s) => s.urn.endsWith("::demo-flow-task-fit") && s.op !== "refresh");
    assert.equal(catalog().tasks.get(`${ROOT}$FIT`)!.definition, fit?.inputs?.sqlStatement);
    await assertRepaired();
  });

  test("the program killed mid-up: the next up repairs", async () => {
    editSharedModule();
    let arrived = false;
    // Hold one task statement for 20 s so the program can be killed while it is in flight.
    project.stub.on(/^ALTER TASK .*DEMO_FLOW\$LOAD.* MODIFY AS/s, () => ((arrived = true), { delayMs: 20_000 }), 1);
    const running = dev.up();
    const deadline = Date.now() + 120_000;
    while (!arrived && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(arrived, "the held statement never arrived");
    const pids = programPids(project.dir);
    assert.ok(pids.length > 0, "found the program's process");
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const killed = await running;
    assert.equal(killed.ok, false, describeRun(killed));
    const up = await dev.up();
    assertOk(up);
    assertGraphKeptSafe(catalog(), up, ROOT, "started");
    await assertRepaired();
  });

  test("database changed on a deployed, started graph: refused before anything is sent, the graph untouched", async () => {
    // The provider would rename the database (moving everything in it) and then replace the
    // schemas and tasks delete-first, failing halfway (lib/deploy/platformMove.ts).
    project.setStackConfig("dev", { database: "FX_DB2" });
    const up = await dev.up();
    assert.equal(up.ok, false, "a database change of a deployed stack must be refused");
    assert.match(up.error ?? "", /snowflake-ml-pipeline:database: "FX_DB2" differs from "FX_DB", where this stack is deployed; changing it in place is refused before anything is sent/);
    assert.deepEqual(statementsOf(catalog(), up).map((e) => e.sql).filter(isChange), [], "nothing was sent to Snowflake but reads");
    assert.deepEqual([...catalog().databases.keys()], ["FX_DB"]);
    assert.equal(catalog().stateOf(ROOT), "started");
    project.setStackConfig("dev", { database: "FX_DB" });
    await assertRepaired();
  });
});
