// Which resources of a TaskGraph carry the task-operation hooks and which replace delete-first:
// the component built under Pulumi mocks with a marker binding, recorded (and removed, since the
// mock monitor cannot register hooks) by a transformation before registration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { TaskGraph } from "../../components/taskGraph";
import { runsUnderMocks } from "../../components/deploy/taskHooks";
import type { TaskDefinition, TaskGraphDefinition } from "../../lib/tasks/taskDefinitions";

const task = (name: string, over: Partial<TaskDefinition>): TaskDefinition => ({
  task: name,
  name: `FLOW$${name}`,
  logicalName: `task-${name.toLowerCase()}`,
  body: "SELECT 1",
  edge: { kind: "afterRoot" },
  finalizer: false,
  warehouse: "WH",
  ...over,
});

const definition: TaskGraphDefinition = {
  root: { name: "FLOW", logicalName: "root", body: "SELECT 0", warehouse: "WH", config: "{}", started: true, allowOverlappingExecution: false, comment: "root" },
  tasks: [
    task("A", {}),
    task("B", { edge: { kind: "after", tasks: ["A"] } }),
    task("TIDY", { logicalName: "finalizer", edge: { kind: "finalize" }, finalizer: true }),
  ],
};

describe("TaskGraph resource options", () => {
  it("every task, the root included, carries the hooks; only the finalizer replaces delete-first; none without hooks given", async () => {
    const markerHook = () => undefined;
    const marker: pulumi.ResourceHookBinding = { beforeCreate: [markerHook] };
    const seen: Record<string, { hooks: boolean; deleteBeforeReplace: boolean }> = {};
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "prod");
    assert.equal(runsUnderMocks(), true, "the mock monitor runs no hooks");
    const record: pulumi.ResourceTransformation = (args) => {
      if (args.type === "snowflake:index/task:Task") {
        const opts = args.opts as pulumi.CustomResourceOptions;
        seen[args.name] = { hooks: opts.hooks?.beforeCreate?.includes(markerHook) === true, deleteBeforeReplace: opts.deleteBeforeReplace === true };
      }
      const { hooks: _hooks, ...opts } = args.opts;
      return { props: args.props, opts };
    };
    const build = (name: string, operationHooks?: pulumi.ResourceHookBinding) =>
      new TaskGraph(name, { database: "DB", schema: "S", definition, prerequisites: [], operationHooks }, { transformations: [record] });
    const graph = build("flow", marker);
    const plain = build("plain");
    await Promise.all([graph, plain].map((g) => new Promise((r) => g.urn.apply(r))));
    await new Promise((r) => setTimeout(r, 50));
    await pulumi.runtime.disconnect();
    assert.deepEqual(seen, {
      "flow-root": { hooks: true, deleteBeforeReplace: false },
      "flow-task-a": { hooks: true, deleteBeforeReplace: false },
      "flow-task-b": { hooks: true, deleteBeforeReplace: false },
      "flow-finalizer": { hooks: true, deleteBeforeReplace: true },
      "plain-root": { hooks: false, deleteBeforeReplace: false },
      "plain-task-a": { hooks: false, deleteBeforeReplace: false },
      "plain-task-b": { hooks: false, deleteBeforeReplace: false },
      "plain-finalizer": { hooks: false, deleteBeforeReplace: true },
    });
  });
});
