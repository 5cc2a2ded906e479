// The longest chain of operations in a plan, and a task graph's depth, on hand-built inputs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { graphDepth, longestDependencyChain } from "../../lib/plan/dependencyChain";
import type { PlannedResource } from "../../lib/plan/mockPlan";
import type { PipelineDefinition } from "../../lib/types";

const TASK = "snowflake:index/task:Task";
const COMPONENT = "snowflake-ml-pipeline:tasks:TaskGraph";
const r = (name: string, type: string, dependsOn: string[] = [], parent: string | null = null): PlannedResource => ({ urn: `urn:${name}`, type, name, parent, dependsOn: dependsOn.map((d) => `urn:${d}`), inputs: {} });

describe("longestDependencyChain", () => {
  it("follows dependsOn edges and counts operations only", () => {
    const plan = [
      r("db", "snowflake:index/database:Database"),
      r("graph", COMPONENT, ["db"]),
      r("root", TASK, ["db"], "urn:graph"),
      r("a", TASK, ["root"], "urn:graph"),
      r("b", TASK, ["a"], "urn:graph"),
      r("c", TASK, ["root"], "urn:graph"),
    ];
    assert.deepEqual(longestDependencyChain(plan), { length: 4, names: ["db", "root", "a", "b"] });
  });

  it("a dependency on a component waits for every operation under it", () => {
    const plan = [
      r("graph", COMPONENT),
      r("root", TASK, [], "urn:graph"),
      r("a", TASK, ["root"], "urn:graph"),
      r("b", TASK, ["a"], "urn:graph"),
      r("activation", "pulumi-nodejs:dynamic/snowflake-ml-pipeline:GraphActivation", ["graph"]),
    ];
    assert.deepEqual(longestDependencyChain(plan).names, ["root", "a", "b", "activation"]);
  });

  it("independent resources make a chain of one; a cycle is an error", () => {
    assert.equal(longestDependencyChain([r("x", TASK), r("y", TASK)]).length, 1);
    assert.throws(() => longestDependencyChain([r("x", TASK, ["y"]), r("y", TASK, ["x"])]), /dependency cycle/);
  });
});

describe("graphDepth", () => {
  const pipeline = (tasks: PipelineDefinition["tasks"]) => ({ name: "P", runtime: "3.11", packages: [], config: {}, tasks }) as unknown as PipelineDefinition;
  it("counts the root: one task is depth 2, a chain of three is 4", () => {
    assert.equal(graphDepth(pipeline([{ name: "A", sql: "x" }])), 2);
    assert.equal(graphDepth(pipeline([{ name: "A", sql: "x" }, { name: "B", sql: "x", after: ["A"] }, { name: "C", sql: "x", after: ["B"] }])), 4);
  });
  it("takes the longest branch, and puts the finalizer below everything", () => {
    const tasks = [
      { name: "A", sql: "x" },
      { name: "B", sql: "x", after: ["A"] },
      { name: "C", sql: "x" },
      { name: "F", sql: "x", finalizer: true },
    ];
    assert.equal(graphDepth(pipeline(tasks)), 4);
  });
});
