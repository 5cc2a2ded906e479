// lib/plan/diffPlans + renderDiff on hand-built plans: matching across stacks, grouping by task,
// leaf changes, line diffs, and the text and JSON renderings.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffPlans, stacklessUrn } from "../../lib/plan/diffPlans";
import { Plan, PlannedResource } from "../../cli/mockPlan";
import { diffJson, groupDiff, leafChanges, lineDiff, renderDiffText, renderInputChange, shortType, taskOfResource } from "../../lib/plan/renderDiff";

const TASK = "snowflake:index/task:Task";
const FILES = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles";
const POOL = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool";

function res(stack: string, type: string, name: string, inputs: Record<string, unknown>, dependsOn: string[] = []): PlannedResource {
  return { urn: `urn:pulumi:${stack}::proj::${type}::${name}`, type, name, parent: null, dependsOn, inputs };
}

/** A plan as planStack returns it: resources sorted by URN. */
function plan(stack: string, resources: PlannedResource[], outputs: Record<string, unknown> = {}): Plan {
  return { stack, resources: [...resources].sort((a, b) => (a.urn < b.urn ? -1 : 1)), outputs };
}

const body = (db: string, sha: string) =>
  [`WITH P_HANDLER AS PROCEDURE ()`, `RETURNS STRING`, `LANGUAGE PYTHON`, `IMPORTS = ('@${db}.S.CODE_STAGE/PIPE/PREP/${sha}/prep.zip')`, `HANDLER = 'tasks.prep.main'`, `CALL P_HANDLER()`].join("\n");

describe("diffPlans across stacks", () => {
  it("matches resources by URN without the stack, and diffs outputs", () => {
    const a = plan("dev", [res("dev", POOL, "pool", { name: "DEV_POOL", maxNodes: 2 })], { computePool: "DEV_POOL", same: 1 });
    const b = plan("prod", [res("prod", POOL, "pool", { name: "PROD_POOL", maxNodes: 2 })], { computePool: "PROD_POOL", same: 1 });
    const diff = diffPlans(a, b);
    assert.deepEqual(diff.added, []);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.changed, [{ urn: b.resources[0].urn, type: POOL, name: "pool", changes: [{ key: "name", before: "DEV_POOL", after: "PROD_POOL" }] }]);
    assert.deepEqual(diff.outputs, [{ key: "computePool", before: "DEV_POOL", after: "PROD_POOL" }]);
  });

  it("dependsOn that differs only by the stack name is no change", () => {
    const dep = (s: string) => `urn:pulumi:${s}::proj::x:y:Z::dep`;
    const diff = diffPlans(plan("dev", [res("dev", POOL, "p", {}, [dep("dev")])]), plan("prod", [res("prod", POOL, "p", {}, [dep("prod")])]));
    assert.deepEqual(diff.changed, []);
  });

  it("stacklessUrn removes exactly the stack", () => {
    assert.equal(stacklessUrn("urn:pulumi:prod::proj::a:b:C$d:e:F::name::x"), "urn:pulumi:::proj::a:b:C$d:e:F::name::x");
  });
});

describe("taskOfResource and shortType", () => {
  const cases: [Pick<PlannedResource, "type" | "inputs">, string | undefined][] = [
    [{ type: TASK, inputs: { name: "PIPE" } }, "$ROOT:PIPE"],
    [{ type: TASK, inputs: { name: "PIPE$PREP" } }, "PREP"],
    [{ type: FILES, inputs: { directory: "PIPE/PREP/abc" } }, "PREP"],
    [{ type: FILES, inputs: { directory: "PIPE/TRAIN/payload/abc" } }, "TRAIN"],
    [{ type: FILES, inputs: { directory: "sample/abc" } }, undefined],
    [{ type: FILES, inputs: { directory: "PIPE/sample/abc" } }, "$ROOT:PIPE"],
    [{ type: POOL, inputs: { name: "POOL" } }, undefined],
  ];
  for (const [r, expected] of cases) it(`${r.type} ${JSON.stringify(r.inputs)} -> ${expected}`, () => assert.equal(taskOfResource(r), expected));

  it("shortens types", () => {
    assert.equal(shortType(TASK), "Task");
    assert.equal(shortType(FILES), "StagedFiles");
    assert.equal(shortType("pulumi:providers:snowflake"), "provider snowflake");
  });
});

describe("leafChanges", () => {
  const cases: [string, unknown, unknown, [string, unknown, unknown][]][] = [
    ["scalars", 1, 2, [["", 1, 2]]],
    ["equal values", { a: [1] }, { a: [1] }, []],
    ["absent before", undefined, "X", [["", undefined, "X"]]],
    ["nested objects by key", { a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 2, d: 4 }, e: 5 }, [[".b.d", 3, 4], [".e", undefined, 5]]],
    ["JSON text (the root task's config) by key", '{"database":"ML_DEV","x":1}', '{"database":"ML_PROD","x":1}', [[".database", "ML_DEV", "ML_PROD"]]],
    [
      "files by path, not position",
      [{ path: "b.py", sha256: "1" }, { path: "a.py", sha256: "2" }],
      [{ path: "a.py", sha256: "3" }, { path: "b.py", sha256: "1" }],
      [["[a.py].sha256", "2", "3"]],
    ],
    ["lists by index", ["x", "y"], ["x", "z", "w"], [["[1]", "y", "z"], ["[2]", undefined, "w"]]],
    ["a schedule kind change", { minutes: 1440 }, { usingCron: "0 3 * * * UTC" }, [[".minutes", 1440, undefined], [".usingCron", undefined, "0 3 * * * UTC"]]],
  ];
  for (const [name, before, after, expected] of cases) it(name, () => assert.deepEqual(leafChanges(before, after), expected));
});

describe("lineDiff", () => {
  it("shows removed before added lines, with context", () => {
    assert.deepEqual(lineDiff("a\nb\nc", "a\nB\nc"), ["  a", "- b", "+ B", "  c"]);
  });
  it("shows a single unchanged line beyond the context rather than eliding it", () => {
    assert.deepEqual(lineDiff("1\n2\n3\n4", "1\n2\n3\nX", 2), ["  1", "  2", "  3", "- 4", "+ X"]);
  });
  it("elides unchanged runs beyond the context", () => {
    const before = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].join("\n");
    const after = ["1", "2", "3", "4", "5", "6", "7", "8", "X"].join("\n");
    assert.deepEqual(lineDiff(before, after, 2), ["  … (6 unchanged lines)", "  7", "  8", "- 9", "+ X"]);
  });
  it("handles insertions and deletions", () => {
    assert.deepEqual(lineDiff("a\nc", "a\nb\nc"), ["  a", "+ b", "  c"]);
    assert.deepEqual(lineDiff("a\nb\nc", "a\nc"), ["  a", "- b", "  c"]);
  });
});

describe("renderInputChange", () => {
  it("a multi-line SQL body becomes a line diff", () => {
    const lines = renderInputChange({ key: "sqlStatement", before: body("DEV", "aaa"), after: body("DEV", "bbb") });
    assert.deepEqual(lines, [
      "sqlStatement:",
      "      WITH P_HANDLER AS PROCEDURE ()",
      "      RETURNS STRING",
      "      LANGUAGE PYTHON",
      "    - IMPORTS = ('@DEV.S.CODE_STAGE/PIPE/PREP/aaa/prep.zip')",
      "    + IMPORTS = ('@DEV.S.CODE_STAGE/PIPE/PREP/bbb/prep.zip')",
      "      HANDLER = 'tasks.prep.main'",
      "      CALL P_HANDLER()",
    ]);
  });
  it("a long one-line string becomes a - / + pair", () => {
    const [b, a] = [`CALL X('${"a".repeat(100)}')`, `CALL X('${"b".repeat(100)}')`];
    assert.deepEqual(renderInputChange({ key: "sqlStatement", before: b, after: a }), ["sqlStatement:", `    - ${b}`, `    + ${a}`]);
  });
  it("short values on one line, absent as (none)", () => {
    assert.deepEqual(renderInputChange({ key: "started", before: false, after: true }), ["started: false → true"]);
    assert.deepEqual(renderInputChange({ key: "errorIntegration", before: undefined, after: "ALERTS" }), ['errorIntegration: (none) → "ALERTS"']);
    assert.deepEqual(renderInputChange({ key: "config", before: '{"t":0.7}', after: '{"t":0.8}' }), ["config.t: 0.7 → 0.8"]);
  });
  it("dependsOn as dependencies removed and added, by name, ignoring the stack", () => {
    const u = (s: string, n: string) => `urn:pulumi:${s}::proj::t:m:T::${n}`;
    assert.deepEqual(renderInputChange({ key: "(dependsOn)", before: [u("dev", "a"), u("dev", "sample")], after: [u("prod", "a"), u("prod", "new")] }), [
      "dependsOn: - sample",
      "dependsOn: + new",
    ]);
  });
});

describe("renderDiffText and diffJson", () => {
  const before = plan(
    "dev",
    [
      res("dev", TASK, "root", { name: "PIPE", database: "DEV", config: '{"t":0.7}' }),
      res("dev", TASK, "task-prep", { name: "PIPE$PREP", sqlStatement: body("DEV", "aaa") }),
      res("dev", FILES, "bundle-prep", { directory: "PIPE/PREP/aaa" }),
      res("dev", FILES, "sample", { directory: "sample/123" }),
      res("dev", POOL, "pool", { name: "POOL", maxNodes: 2 }),
    ],
    { bundleSha256: { PREP: "aaa" } },
  );
  const after = plan(
    "dev",
    [
      res("dev", TASK, "root", { name: "PIPE", database: "DEV", config: '{"t":0.8}' }),
      res("dev", TASK, "task-prep", { name: "PIPE$PREP", sqlStatement: body("DEV", "bbb") }),
      res("dev", FILES, "bundle-prep", { directory: "PIPE/PREP/bbb" }),
      res("dev", TASK, "task-score", { name: "PIPE$SCORE", sqlStatement: "SELECT 1" }),
      res("dev", POOL, "pool", { name: "POOL", maxNodes: 2 }),
    ],
    { bundleSha256: { PREP: "bbb" } },
  );
  const labels = { from: "plan base.json (stack \"dev\")", to: 'stack "dev"' };

  it("groups by task: root first, then tasks by name, then the rest", () => {
    const groups = groupDiff(diffPlans(before, after), before, after);
    assert.deepEqual(
      groups.map((g) => [g.title, g.task, g.added.map((r) => r.name), g.removed.map((r) => r.name), g.changed.map((c) => c.name)]),
      [
        ["Root task PIPE", "PIPE", [], [], ["root"]],
        ["Task PREP", "PREP", [], [], ["bundle-prep", "task-prep"]],
        ["Task SCORE", "SCORE", ["task-score"], [], []],
        ["Platform and other resources", undefined, [], ["sample"], []],
      ],
    );
  });

  it("a pipeline's component, task graph and activation check go with its root task, found through their parents", () => {
    const PIPELINE = "snowflake-ml-pipeline:pipeline:Pipeline";
    const component = res("dev", PIPELINE, "churn", {});
    const graph = { ...res("dev", "snowflake-ml-pipeline:tasks:TaskGraph", "churn", {}), parent: component.urn };
    const root = { ...res("dev", TASK, "churn-root", { name: "CHURN" }), parent: graph.urn };
    const activation = { ...res("dev", "pulumi-nodejs:dynamic/snowflake-ml-pipeline:GraphActivation", "churn-activation", { rootTask: "DB.S.CHURN" }), parent: component.urn };
    const pool = res("dev", POOL, "pool", { name: "POOL", maxNodes: 2 });
    const withChurn = plan("dev", [pool, component, graph, root, activation]);
    const groups = groupDiff(diffPlans(plan("dev", [pool]), withChurn), plan("dev", [pool]), withChurn);
    assert.deepEqual(
      groups.map((g) => [g.title, g.added.map((r) => r.name).sort()]),
      [["Root task CHURN", ["churn", "churn", "churn-activation", "churn-root"]]],
    );
  });

  it("renders the whole diff as text", () => {
    assert.equal(
      renderDiffText(diffPlans(before, after), before, after, labels),
      [
        'Plan diff: what changes from plan base.json (stack "dev") to stack "dev" (offline plans: nothing contacted, no credentials used)',
        "",
        "Root task PIPE",
        "  ~ Task root",
        "      config.t: 0.7 → 0.8",
        "",
        "Task PREP",
        "  ~ StagedFiles bundle-prep",
        '      directory: "PIPE/PREP/aaa" → "PIPE/PREP/bbb"',
        "  ~ Task task-prep",
        "      sqlStatement:",
        "            WITH P_HANDLER AS PROCEDURE ()",
        "            RETURNS STRING",
        "            LANGUAGE PYTHON",
        "          - IMPORTS = ('@DEV.S.CODE_STAGE/PIPE/PREP/aaa/prep.zip')",
        "          + IMPORTS = ('@DEV.S.CODE_STAGE/PIPE/PREP/bbb/prep.zip')",
        "            HANDLER = 'tasks.prep.main'",
        "            CALL P_HANDLER()",
        "",
        "Task SCORE",
        "  + Task task-score  (added)",
        "",
        "Platform and other resources",
        "  - StagedFiles sample  (removed)",
        "",
        "Stack outputs",
        '  bundleSha256.PREP: "aaa" → "bbb"',
        "",
        '1 added, 1 removed, 3 changed, 1 unchanged (5 resources in plan base.json (stack "dev"), 5 in stack "dev")',
        "",
      ].join("\n"),
    );
  });

  it("says so when nothing changes", () => {
    const text = renderDiffText(diffPlans(before, before), before, before, labels);
    assert.match(text, /\n\nNo changes\.\n\n0 added, 0 removed, 0 changed, 5 unchanged/);
  });

  it("renders JSON with tasks, summary and raw before/after", () => {
    const json = diffJson(diffPlans(before, after), before, after, labels) as {
      summary: unknown;
      added: { name: string; task: string | null }[];
      removed: { name: string; task: string | null }[];
      changed: { name: string; task: string | null; changes: { key: string }[] }[];
      outputs: unknown;
    };
    assert.deepEqual(json.summary, { added: 1, removed: 1, changed: 3, unchanged: 1 });
    assert.deepEqual(json.added.map((r) => [r.name, r.task]), [["task-score", "SCORE"]]);
    assert.deepEqual(json.removed.map((r) => [r.name, r.task]), [["sample", null]]);
    assert.deepEqual(json.changed.map((c) => [c.name, c.task, c.changes.map((x) => x.key)]), [
      ["bundle-prep", "PREP", ["directory"]],
      ["root", "PIPE", ["config"]],
      ["task-prep", "PREP", ["sqlStatement"]],
    ]);
    assert.deepEqual(json.outputs, [{ key: "bundleSha256", before: { PREP: "aaa" }, after: { PREP: "bbb" } }]);
  });
});
