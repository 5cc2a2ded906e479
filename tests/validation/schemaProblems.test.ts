// JSON Schema problems in words: the exact message a user reads for each kind of schema error in
// pipeline.yaml and in a stack file, with the key path naming tasks by their names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { didYouMean, keyPath, schemaProblems, typeWords } from "../../lib/config/schemaProblems";
import { ConfigProblem } from "../../lib/types";

const FILE = "code/pipeline.yaml";
const IDENTIFIER = "expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $)";

/** A valid two-task pipeline with `edit` applied to a copy. */
function pipeline(edit: (p: Record<string, any>) => void = () => {}): Record<string, unknown> {
  const p: Record<string, any> = {
    name: "P",
    runtime: "3.11",
    packages: ["xgboost"],
    config: { limit: 1 },
    configSchema: { limit: { type: "integer", minimum: 0 } },
    tasks: [
      { name: "FIRST", entrypoint: "tasks/first.py", branch: ["SECOND", "THIRD"] },
      { name: "SECOND", after: ["FIRST"], entrypoint: "tasks/second.py" },
      { name: "THIRD", after: ["FIRST"], sql: "SELECT 1" },
    ],
  };
  edit(p);
  return p;
}
const at = (path: string, message: string): ConfigProblem => ({ file: FILE, path, message });

describe("schemaProblems on pipeline.schema.json", () => {
  const cases: [string, Record<string, unknown>, ConfigProblem[]][] = [
    ["a valid pipeline", pipeline(), []],
    ["a lower-case task name", pipeline((p) => (p.tasks[1].name = "second")), [at("tasks[1].name", `${IDENTIFIER}, got "second"`)]],
    [
      "an entrypoint outside the pipeline's folder",
      pipeline((p) => (p.tasks[0].entrypoint = "../index.py")),
      [at("tasks.FIRST.entrypoint", 'expected a .py file inside the pipeline\'s folder, as a relative path such as tasks/train.py (no leading / and no ..), got "../index.py"')],
    ],
    [
      "a branch with one target",
      pipeline((p) => (p.tasks[0].branch = ["SECOND"])),
      [at("tasks.FIRST.branch", 'expected at least two successors to choose between (a branch with one target is a plain "after"), got 1 item')],
    ],
    [
      "a misspelt task key: did you mean",
      pipeline((p) => {
        p.tasks[1].entrypont = p.tasks[1].entrypoint;
        delete p.tasks[1].entrypoint;
      }),
      [at("tasks.SECOND.entrypont", 'unknown key (did you mean "entrypoint"?); expected one of after, branch, entrypoint, finalizer, job, name, sql, timeoutMs, warehouse, when')],
    ],
    [
      "a runtime Snowflake does not offer",
      pipeline((p) => (p.runtime = "3.9")),
      [at("runtime", 'expected one of "3.10", "3.11", "3.12", "3.13", got "3.9"')],
    ],
    ["a number where a string belongs", pipeline((p) => (p.runtime = 3.11)), [at("runtime", "expected a string, got 3.11"), at("runtime", 'expected one of "3.10", "3.11", "3.12", "3.13", got 3.11')]],
    [
      "a package that is no package name",
      pipeline((p) => (p.packages = ["xgboost", "rm -rf /"])),
      [at("packages[1]", 'expected a package name with an optional version, such as xgboost or xgboost==2.1.4, got "rm -rf /"')],
    ],
    ["a package listed twice", pipeline((p) => (p.packages = ["xgboost", "pandas", "xgboost"])), [at("packages", 'lists "xgboost" twice (items 0 and 2); expected each item once')]],
    ["a missing required key", pipeline((p) => delete p.tasks), [at("tasks", "is missing; this key is required")]],
    ["an empty task list", pipeline((p) => (p.tasks = [])), [at("tasks", "expected a list of at least 1 item, got 0 items")]],
    ["a timeout of zero", pipeline((p) => (p.tasks[1].timeoutMs = 0)), [at("tasks.SECOND.timeoutMs", "expected a number at least 1, got 0")]],
    [
      "a config value that is a list",
      pipeline((p) => (p.config.limit = [1])),
      [at("config.limit", "expected a string, a number or a boolean, got [1]")],
    ],
    [
      "a configSchema entry with a keyword it does not take",
      pipeline((p) => (p.configSchema.limit = { type: "integer", minimun: 0 })),
      [
        at(
          "configSchema.limit.minimun",
          'unknown key (did you mean "minimum"?); expected one of description, enum, exclusiveMaximum, exclusiveMinimum, maxLength, maximum, minLength, minimum, pattern, type',
        ),
      ],
    ],
    [
      "a configSchema type JSON Schema has but config values do not",
      pipeline((p) => (p.configSchema.limit = { type: "array" })),
      [at("configSchema.limit.type", 'expected one of "string", "number", "integer", "boolean", got "array"')],
    ],
    [
      "a config key that is not lower_snake_case",
      pipeline((p) => (p.config = { Limit: 1 })),
      [at("config.Limit", "expected a lower_snake_case key (a-z, 0-9 and _, starting with a letter)")],
    ],
  ];
  for (const [name, data, expected] of cases) it(name, () => assert.deepEqual(schemaProblems("pipeline.schema.json", data, FILE), expected));
});

describe("schemaProblems on stack-config.schema.json", () => {
  it("identifier and instance family patterns in words, with the namespaced key", () => {
    const stack = {
      database: "db",
      schema: "S",
      dataSchema: "D",
      registrySchema: "R",
      warehouse: { name: "W", size: "XSMALL" },
      computePool: { name: "P", instanceFamily: "cpu_small", minNodes: 1, maxNodes: 1 },
    };
    assert.deepEqual(schemaProblems("stack-config.schema.json", stack, "Pulumi.x.yaml", "ns:"), [
      { file: "Pulumi.x.yaml", path: "ns:database", message: `${IDENTIFIER}, got "db"` },
      {
        file: "Pulumi.x.yaml",
        path: "ns:computePool.instanceFamily",
        message: 'expected a compute pool instance family such as CPU_X64_S, HIGHMEM_X64_M or GPU_NV_S, got "cpu_small"',
      },
    ]);
  });
});

describe("keyPath", () => {
  const tasks = { tasks: [{ name: "A" }, { name: "B" }, { name: "B" }, { name: "lower" }, {}] };
  const cases: [string, string, string][] = [
    ["/tasks/0/after/1", "", "tasks.A.after[1]"],
    ["/tasks/1", "", "tasks[1]"],
    ["/tasks/3/name", "", "tasks[3].name"],
    ["/tasks/4", "", "tasks[4]"],
    ["/config/a~1b", "", "config.a/b"],
    ["/warehouse/name", "ns:", "ns:warehouse.name"],
  ];
  for (const [pointer, prefix, expected] of cases) {
    it(`${pointer} -> ${expected}`, () => assert.equal(keyPath(pointer, prefix, tasks), expected));
  }
});

describe("words", () => {
  it("typeWords", () => {
    assert.equal(typeWords("integer"), "a whole number");
    assert.equal(typeWords("boolean"), "true or false");
    assert.equal(typeWords(["string", "number", "boolean"]), "a string, a number or a boolean");
  });
  it("didYouMean suggests only a close candidate", () => {
    assert.equal(didYouMean("metric_treshold", ["metric_name", "metric_threshold"]), ' (did you mean "metric_threshold"?)');
    assert.equal(didYouMean("owner", ["metric_name", "metric_threshold"]), "");
    assert.equal(didYouMean(3, ["a"]), "");
  });
});
