import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rootChildren, successorsOf, topologicalOrder, validateGraph } from "../../lib/graph";
import { ConfigProblem, PipelineDefinition, TaskSpec } from "../../lib/types";

const FILE = "pipeline-code/pipeline.yaml";
const SHAPE = "expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got ";

/** The seed's graph, as pipeline-code/pipeline.yaml declares it. */
function seedTasks(): TaskSpec[] {
  return [
    { name: "PREPARE_DATA", entrypoint: "tasks/prepare_data.py" },
    { name: "TRAIN_MODEL", after: ["PREPARE_DATA"], entrypoint: "tasks/train_model.py", job: { payload: "jobs/train.py", targetInstances: 2 }, timeoutMs: 14400000 },
    { name: "CHECK_MODEL_QUALITY", after: ["TRAIN_MODEL"], entrypoint: "tasks/check_model_quality.py", branch: ["PROMOTE_MODEL", "SEND_ALERT"] },
    { name: "PROMOTE_MODEL", after: ["CHECK_MODEL_QUALITY"], entrypoint: "tasks/promote_model.py" },
    { name: "SEND_ALERT", after: ["CHECK_MODEL_QUALITY"], sql: "CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(...)" },
    { name: "CLEANUP", finalizer: true, entrypoint: "tasks/cleanup.py" },
  ];
}

function pipeline(tasks: TaskSpec[], name = "MORTGAGE_PIPELINE"): PipelineDefinition {
  return { name, runtime: "3.11", packages: ["snowflake-snowpark-python"], config: {}, tasks };
}

/** The seed with one change applied to a copy. */
function seedWith(change: (tasks: TaskSpec[]) => void): PipelineDefinition {
  const tasks = seedTasks();
  change(tasks);
  return pipeline(tasks);
}

const p = (path: string, message: string): ConfigProblem => ({ file: FILE, path, message });

describe("validateGraph: the seed graph", () => {
  it("has no problems", () => assert.deepEqual(validateGraph(pipeline(seedTasks()), FILE), []));
  it("has no problems with maxTargetInstances 2", () => assert.deepEqual(validateGraph(pipeline(seedTasks()), FILE, { maxTargetInstances: 2 }), []));
});

describe("validateGraph: one problem per rule", () => {
  const cases: [string, PipelineDefinition, ConfigProblem[], { maxTargetInstances?: number }?][] = [
    ["pipeline name not an identifier", pipeline(seedTasks(), "mortgage-pipeline"), [p("name", `${SHAPE}"mortgage-pipeline"`)]],
    [
      "pipeline name reserved",
      pipeline(seedTasks(), "TABLE"),
      [p("name", '"TABLE" is a Snowflake reserved keyword and cannot be used as an unquoted name; choose another name')],
    ],
    [
      "task name not an identifier",
      seedWith((t) => {
        t[0].name = "prepare data";
        t[1].after = ["prepare data"];
      }),
      [p("tasks[0].name", `${SHAPE}"prepare data"`)],
    ],
    [
      "full task name over 255 characters",
      pipeline([{ name: "T".repeat(100), entrypoint: "a.py" }], "P".repeat(155)),
      [p(`tasks.${"T".repeat(100)}.name`, `the Snowflake task name ${"P".repeat(155)}$${"T".repeat(100)} is 256 characters long; Snowflake identifiers are at most 255`)],
    ],
    [
      "duplicate task name",
      seedWith((t) => t.splice(4, 0, { name: "PROMOTE_MODEL", after: ["TRAIN_MODEL"], sql: "SELECT 1" })),
      [p("tasks[4].name", '"PROMOTE_MODEL" names two tasks (the 4th and the 5th); expected each task name once')],
    ],
    [
      "neither entrypoint nor sql",
      seedWith((t) => delete t[3].entrypoint),
      [p("tasks.PROMOTE_MODEL", 'expected exactly one of "entrypoint" (a Python file) or "sql"; the task has neither')],
    ],
    [
      "both entrypoint and sql",
      seedWith((t) => (t[3].sql = "SELECT 1")),
      [p("tasks.PROMOTE_MODEL", 'expected exactly one of "entrypoint" (a Python file) or "sql"; the task has both')],
    ],
    [
      "job on a SQL task",
      seedWith((t) => (t[4].job = { payload: "jobs/train.py", targetInstances: 1 })),
      [p("tasks.SEND_ALERT.job", '"job" needs a Python task (entrypoint); this task runs SQL')],
    ],
    [
      "targetInstances 0",
      seedWith((t) => (t[1].job!.targetInstances = 0)),
      [p("tasks.TRAIN_MODEL.job.targetInstances", "expected a whole number of instances, at least 1; got 0")],
    ],
    [
      "targetInstances fractional",
      seedWith((t) => (t[1].job!.targetInstances = 1.5)),
      [p("tasks.TRAIN_MODEL.job.targetInstances", "expected a whole number of instances, at least 1; got 1.5")],
    ],
    [
      "targetInstances above the pool's maxNodes",
      pipeline(seedTasks()),
      [p("tasks.TRAIN_MODEL.job.targetInstances", "2 instances exceed the compute pool's maxNodes (1); an ML Job cannot run on more instances than the pool has nodes")],
      { maxTargetInstances: 1 },
    ],
    [
      "timeoutMs 0",
      seedWith((t) => (t[1].timeoutMs = 0)),
      [p("tasks.TRAIN_MODEL.timeoutMs", "expected whole milliseconds from 1 to 604800000 (7 days); got 0")],
    ],
    [
      "timeoutMs over 7 days",
      seedWith((t) => (t[1].timeoutMs = 604800001)),
      [p("tasks.TRAIN_MODEL.timeoutMs", "expected whole milliseconds from 1 to 604800000 (7 days); got 604800001")],
    ],
    ["warehouse override not an identifier", seedWith((t) => (t[0].warehouse = "big wh")), [p("tasks.PREPARE_DATA.warehouse", `${SHAPE}"big wh"`)]],
    [
      "after names an unknown task",
      seedWith((t) => (t[1].after = ["PREPARE"])),
      [
        p(
          "tasks.TRAIN_MODEL.after[0]",
          'unknown task "PREPARE"; expected one of "PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"',
        ),
      ],
    ],
    [
      "after names the root",
      seedWith((t) => (t[0].after = ["MORTGAGE_PIPELINE"])),
      [p("tasks.PREPARE_DATA.after[0]", '"MORTGAGE_PIPELINE" is the root task; leave "after" out to run a task right after the root')],
    ],
    [
      "self-dependency",
      seedWith((t) => (t[1].after = ["PREPARE_DATA", "TRAIN_MODEL"])),
      [p("tasks.TRAIN_MODEL.after[1]", 'task "TRAIN_MODEL" cannot run after itself')],
    ],
    [
      "duplicate after entry",
      seedWith((t) => (t[1].after = ["PREPARE_DATA", "PREPARE_DATA"])),
      [p("tasks.TRAIN_MODEL.after[1]", '"PREPARE_DATA" is listed twice (also after[0])')],
    ],
    [
      "cycle of two",
      seedWith((t) => (t[0].after = ["TRAIN_MODEL"])),
      [p("tasks.PREPARE_DATA.after[0]", "dependency cycle: PREPARE_DATA → TRAIN_MODEL → PREPARE_DATA")],
    ],
    [
      "cycle of three, reported from its first-defined task",
      seedWith((t) => (t[1].after = ["PREPARE_DATA", "CHECK_MODEL_QUALITY"])),
      [p("tasks.TRAIN_MODEL.after[1]", "dependency cycle: TRAIN_MODEL → CHECK_MODEL_QUALITY → TRAIN_MODEL")],
    ],
    [
      "a task stranded behind an unknown predecessor: the cause is reported, not each task downstream",
      pipeline([
        { name: "A", entrypoint: "a.py" },
        { name: "B", after: ["NOPE"], entrypoint: "b.py" },
        { name: "C", after: ["B"], entrypoint: "c.py" },
      ]),
      [p("tasks.B.after[0]", 'unknown task "NOPE"; expected one of "A", "B", "C"')],
    ],
    [
      "two finalizers",
      seedWith((t) => t.push({ name: "CLEANUP_2", finalizer: true, sql: "SELECT 1" })),
      [p("tasks.CLEANUP_2.finalizer", 'expected one finalizer per graph; "CLEANUP" is already the finalizer')],
    ],
    [
      "finalizer with after",
      seedWith((t) => (t[5].after = ["PROMOTE_MODEL"])),
      [p("tasks.CLEANUP.after", 'the finalizer runs after all other tasks by itself; it cannot have "after"')],
    ],
    [
      "a task after the finalizer",
      seedWith((t) => t.push({ name: "NOTIFY", after: ["CLEANUP"], sql: "SELECT 1" })),
      [p("tasks.NOTIFY.after[0]", '"CLEANUP" is the finalizer; no task can run after it')],
    ],
    [
      "finalizer as a branch target",
      seedWith((t) => (t[2].branch = ["PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[2]", '"CLEANUP" is the finalizer; it cannot be a branch target')],
    ],
    [
      "finalizer with a branch",
      seedWith((t) => (t[5].branch = ["SEND_ALERT"])),
      [p("tasks.CLEANUP.branch", "the finalizer cannot branch: no task runs after it")],
    ],
    [
      "empty branch",
      seedWith((t) => (t[2].branch = [])),
      [p("tasks.CHECK_MODEL_QUALITY.branch", 'lists no successors; name the successors this task routes to, or leave "branch" out')],
    ],
    [
      "branch target unknown",
      seedWith((t) => (t[2].branch = ["PROMOTE_MODEL", "ALERT"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[1]", 'unknown task "ALERT"; a branch names successors of "CHECK_MODEL_QUALITY" (tasks with "CHECK_MODEL_QUALITY" in "after")')],
    ],
    [
      "branch target not a direct successor",
      seedWith((t) => (t[4].after = ["TRAIN_MODEL"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[1]", 'branch target "SEND_ALERT" must run after "CHECK_MODEL_QUALITY"; add "CHECK_MODEL_QUALITY" to tasks.SEND_ALERT.after')],
    ],
    [
      "branch target with another predecessor",
      seedWith((t) => (t[4].after = ["CHECK_MODEL_QUALITY", "TRAIN_MODEL"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[1]", 'branch target "SEND_ALERT" must have "CHECK_MODEL_QUALITY" as its only predecessor; it also runs after "TRAIN_MODEL"')],
    ],
    [
      "branch to itself",
      seedWith((t) => (t[2].branch = ["PROMOTE_MODEL", "CHECK_MODEL_QUALITY"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[1]", 'task "CHECK_MODEL_QUALITY" cannot branch to itself')],
    ],
    [
      "branch target listed twice",
      seedWith((t) => (t[2].branch = ["PROMOTE_MODEL", "PROMOTE_MODEL"])),
      [p("tasks.CHECK_MODEL_QUALITY.branch[1]", '"PROMOTE_MODEL" is listed twice (also branch[0])')],
    ],
  ];
  for (const [name, def, expected, opts] of cases) {
    it(name, () => assert.deepEqual(validateGraph(def, FILE, opts), expected));
  }
});

describe("validateGraph: Snowflake's graph limits", () => {
  const numbered = (n: number, prefix: string, extra: Partial<TaskSpec> = {}): TaskSpec[] =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, sql: "SELECT 1", ...extra }));

  it("1,000 tasks counting the root is allowed (999 tasks, chained)", () => {
    const tasks = numbered(999, "T").map((t, i) => (i === 0 ? t : { ...t, after: [`T${i - 1}`] }));
    assert.deepEqual(validateGraph(pipeline(tasks), FILE), []);
  });
  it("1,001 tasks counting the root is not", () => {
    const tasks = numbered(1000, "T").map((t, i) => (i === 0 ? t : { ...t, after: [`T${i - 1}`] }));
    assert.deepEqual(validateGraph(pipeline(tasks), FILE), [
      p("tasks", "the graph has 1001 tasks counting the root; Snowflake allows at most 1000 per graph"),
    ]);
  });
  it("100 predecessors is allowed, 101 is not", () => {
    const ok = [...numbered(100, "P"), { name: "JOIN_ALL", after: numbered(100, "P").map((t) => t.name), sql: "SELECT 1" }];
    assert.deepEqual(validateGraph(pipeline(ok), FILE), []);
    // 101 parents: 100 follow the root and one follows P0, so the root's 100-child limit holds.
    const parents = [...numbered(100, "P"), { name: "Q", after: ["P0"], sql: "SELECT 1" }];
    const tooMany = [...parents, { name: "JOIN_ALL", after: parents.map((t) => t.name), sql: "SELECT 1" }];
    assert.deepEqual(validateGraph(pipeline(tooMany), FILE), [
      p("tasks.JOIN_ALL.after", 'task "JOIN_ALL" has 101 predecessors; Snowflake allows at most 100 per task'),
    ]);
  });
  it("100 children is allowed, 101 is not", () => {
    const ok = [{ name: "FAN", sql: "SELECT 1" }, ...numbered(100, "C", { after: ["FAN"] })];
    assert.deepEqual(validateGraph(pipeline(ok), FILE), []);
    const tooMany = [{ name: "FAN", sql: "SELECT 1" }, ...numbered(101, "C", { after: ["FAN"] })];
    assert.deepEqual(validateGraph(pipeline(tooMany), FILE), [
      p("tasks.FAN", 'task "FAN" has 101 successors; Snowflake allows at most 100 children per task'),
    ]);
  });
  it("the root's children are the tasks without after (the finalizer is not one)", () => {
    const ok = [...numbered(100, "R"), { name: "FIN", finalizer: true, sql: "SELECT 1" }];
    assert.deepEqual(validateGraph(pipeline(ok), FILE), []);
    assert.deepEqual(validateGraph(pipeline(numbered(101, "R")), FILE), [
      p("tasks", 'the root task has 101 children (tasks without "after"); Snowflake allows at most 100 children per task'),
    ]);
  });
});

describe("validateGraph: several problems at once", () => {
  it("reports all of them, per task in definition order, then graph-wide ones", () => {
    const def = pipeline(
      [
        { name: "a", sql: "SELECT 1" },
        { name: "B", after: ["C"], entrypoint: "b.py", timeoutMs: 0 },
        { name: "C", after: ["B"], sql: "SELECT 1", job: { payload: "j.py", targetInstances: 3 } },
        { name: "D", after: ["MISSING"], branch: ["E"], entrypoint: "d.py" },
        { name: "E", after: ["D", "a"], sql: "SELECT 1" },
      ],
      "select",
    );
    assert.deepEqual(validateGraph(def, FILE, { maxTargetInstances: 2 }), [
      p("name", `${SHAPE}"select"`),
      p("tasks[0].name", `${SHAPE}"a"`),
      p("tasks.B.timeoutMs", "expected whole milliseconds from 1 to 604800000 (7 days); got 0"),
      p("tasks.C.job", '"job" needs a Python task (entrypoint); this task runs SQL'),
      p("tasks.C.job.targetInstances", "3 instances exceed the compute pool's maxNodes (2); an ML Job cannot run on more instances than the pool has nodes"),
      p("tasks.D.after[0]", 'unknown task "MISSING"; expected one of "a", "B", "C", "D", "E"'),
      p("tasks.D.branch[0]", 'branch target "E" must have "D" as its only predecessor; it also runs after "a"'),
      p("tasks.B.after[0]", "dependency cycle: B → C → B"),
    ]);
  });
  it("reports two separate cycles, each once", () => {
    const def = pipeline([
      { name: "A", after: ["B"], sql: "SELECT 1" },
      { name: "B", after: ["A"], sql: "SELECT 1" },
      { name: "C", after: ["E"], sql: "SELECT 1" },
      { name: "D", after: ["C"], sql: "SELECT 1" },
      { name: "E", after: ["D"], sql: "SELECT 1" },
      { name: "F", after: ["D"], sql: "SELECT 1" },
    ]);
    assert.deepEqual(validateGraph(def, FILE), [
      p("tasks.A.after[0]", "dependency cycle: A → B → A"),
      p("tasks.C.after[0]", "dependency cycle: C → D → E → C"),
    ]);
  });
});

describe("topologicalOrder", () => {
  it("the seed: definition order, finalizer last", () => {
    assert.deepEqual(topologicalOrder(pipeline(seedTasks())), [
      "PREPARE_DATA",
      "TRAIN_MODEL",
      "CHECK_MODEL_QUALITY",
      "PROMOTE_MODEL",
      "SEND_ALERT",
      "CLEANUP",
    ]);
  });
  it("a finalizer defined first still comes last", () => {
    const tasks = seedTasks();
    tasks.unshift(tasks.pop()!);
    assert.deepEqual(topologicalOrder(pipeline(tasks)).at(-1), "CLEANUP");
  });
  it("predecessors first, ties by definition order", () => {
    const def = pipeline([
      { name: "D", after: ["B", "C"], sql: "SELECT 1" },
      { name: "C", after: ["A"], sql: "SELECT 1" },
      { name: "B", sql: "SELECT 1" },
      { name: "A", sql: "SELECT 1" },
      { name: "E", sql: "SELECT 1" },
    ]);
    // Ready at start: B (index 2), A (3), E (4). B first; then A; A frees C (1), which precedes E.
    assert.deepEqual(topologicalOrder(def), ["B", "A", "C", "D", "E"]);
  });
  it("throws on a cycle, naming it", () => {
    const def = seedWith((t) => (t[0].after = ["CHECK_MODEL_QUALITY"]));
    assert.throws(() => topologicalOrder(def), {
      message: "the task graph has a dependency cycle: PREPARE_DATA → TRAIN_MODEL → CHECK_MODEL_QUALITY → PREPARE_DATA",
    });
  });
  it("a 999-task chain defined backwards (no recursion limits)", () => {
    const tasks: TaskSpec[] = Array.from({ length: 999 }, (_, i) => ({ name: `T${998 - i}`, sql: "SELECT 1" }));
    tasks.forEach((t) => {
      const n = Number(t.name.slice(1));
      if (n > 0) t.after = [`T${n - 1}`];
    });
    const order = topologicalOrder(pipeline(tasks));
    assert.equal(order.length, 999);
    assert.equal(order[0], "T0");
    assert.equal(order[998], "T998");
  });
});

describe("successorsOf and rootChildren", () => {
  it("the seed", () => {
    assert.deepEqual(
      [...successorsOf(pipeline(seedTasks())).entries()],
      [
        ["PREPARE_DATA", ["TRAIN_MODEL"]],
        ["TRAIN_MODEL", ["CHECK_MODEL_QUALITY"]],
        ["CHECK_MODEL_QUALITY", ["PROMOTE_MODEL", "SEND_ALERT"]],
        ["PROMOTE_MODEL", []],
        ["SEND_ALERT", []],
        ["CLEANUP", []],
      ],
    );
    assert.deepEqual(rootChildren(pipeline(seedTasks())), ["PREPARE_DATA"]);
  });
  it("successors in definition order, duplicates and unknown names dropped", () => {
    const def = pipeline([
      { name: "A", sql: "SELECT 1" },
      { name: "C", after: ["A", "A", "X"], sql: "SELECT 1" },
      { name: "B", after: ["A"], sql: "SELECT 1" },
      { name: "D", after: [], sql: "SELECT 1" },
    ]);
    assert.deepEqual(successorsOf(def).get("A"), ["C", "B"]);
    assert.deepEqual(rootChildren(def), ["A", "D"]);
  });
});
