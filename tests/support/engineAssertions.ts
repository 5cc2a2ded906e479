/**
 * Assertions on the Snowflake stand-in's catalog and statement log after an engine run
 * (engineStack.ts): what a deploy may and may not do to a started task graph.
 */
import assert from "node:assert/strict";
import type { SnowflakeCatalog } from "./snowflakeCatalog";
import { changedSteps, describeRun, urnName, type RunResult } from "./engineStack";

/** Statements that change Snowflake (anything but SHOW, DESCRIBE, SELECT, LIST). */
export const isChange = (sql: string) => !/^\s*(SHOW|DESCRIBE|DESC|SELECT|LIST|LS)\b/i.test(sql);

/** The statements of one run, in order. */
export function statementsOf(catalog: SnowflakeCatalog, run: RunResult) {
  return catalog.log.filter((e) => e.seq >= run.fromSeq && e.seq <= run.toSeq);
}

/** `name: op` of every resource a run changed, sorted. */
export function changesOf(run: RunResult): string[] {
  return changedSteps(run).map((s) => `${urnName(s.urn)}: ${s.op}`).sort();
}

export function assertOk(run: RunResult) {
  assert.ok(run.ok, describeRun(run));
}

/**
 * The deploy kept `root` (DB.SCHEMA.NAME) safe: Snowflake refused no task DDL, every task DDL
 * found the root suspended, the root was never started between the first and the last task DDL
 * (no scheduled run could start on a half-updated graph), and it ends `endState`.
 */
export function assertGraphKeptSafe(catalog: SnowflakeCatalog, run: RunResult, root: string, endState: "started" | "suspended" = "started") {
  const ddl = catalog.taskDdl.filter((d) => d.seq >= run.fromSeq && d.seq <= run.toSeq);
  const refused = ddl.filter((d) => d.refused);
  assert.deepEqual(refused.map((d) => d.sql.slice(0, 160)), [], `Snowflake refused task DDL (root started):\n${describeRun(run)}`);
  const ofRoot = ddl.filter((d) => d.root === root);
  const whileStarted = ofRoot.filter((d) => d.rootState === "started" && d.task !== root);
  assert.deepEqual(whileStarted.map((d) => d.sql.slice(0, 160)), [], "task DDL ran while the root was started");
  if (ofRoot.length > 0) {
    const first = ofRoot[0].seq;
    const last = ofRoot[ofRoot.length - 1].seq;
    const resumed = catalog.transitions.filter((t) => t.task === root && t.to === "started" && t.seq > first && t.seq < last);
    assert.deepEqual(
      resumed.map((t) => t.seq),
      [],
      `the root was resumed between the deploy's first task DDL (#${first}) and its last (#${last}): a scheduled run could start on a half-updated graph`,
    );
  }
  assert.equal(catalog.stateOf(root), endState, `root ${root} should end ${endState}`);
}
