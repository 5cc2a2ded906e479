// The graph config's declared keys (pipeline.yaml configSchema): values from pipeline.yaml and from a
// stack's graphConfig are checked against them, with the exact words a user reads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigSource, describeConfigSchema, graphConfigProblems } from "../../lib/config/graphConfigSchema";
import { ConfigProblem, ConfigValueSchema, GraphConfig, PipelineDefinition } from "../../lib/types";

const PIPE = "code/pipeline.yaml";
const STACK = "Pulumi.test.yaml";

const SCHEMA: Record<string, ConfigValueSchema> = {
  metric_name: { enum: ["train_accuracy", "test_accuracy", "test_f1"], description: "a metric the training reports" },
  metric_threshold: { type: "number", minimum: 0, maximum: 1 },
  retention_days: { type: "integer", minimum: 0, description: "days to keep" },
  model_name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "letters, digits and _, not starting with a digit" },
};
const GOOD: GraphConfig = { metric_name: "test_f1", metric_threshold: 0.5, retention_days: 3, model_name: "m1" };

function definition(config: GraphConfig, configSchema: Record<string, ConfigValueSchema> = SCHEMA): PipelineDefinition {
  return { name: "P", runtime: "3.11", packages: [], config, configSchema, tasks: [] };
}
const sources = (config: GraphConfig, stack: GraphConfig = {}): ConfigSource[] => [
  { values: config, file: PIPE, at: "config", label: "config" },
  { values: stack, file: STACK, at: "ns:graphConfig", label: "the stack's graphConfig" },
];
const check = (config: GraphConfig, stack: GraphConfig = {}, schema = SCHEMA) => graphConfigProblems(definition(config, schema), PIPE, sources(config, stack));
const inPipe = (key: string, message: string): ConfigProblem => ({ file: PIPE, path: `config.${key}`, message });
const inStack = (key: string, message: string): ConfigProblem => ({ file: STACK, path: `ns:graphConfig.${key}`, message });

const DECLARED = "the keys it declares are metric_name, metric_threshold, model_name, retention_days";

describe("describeConfigSchema", () => {
  const cases: [ConfigValueSchema, string][] = [
    [{ type: "number", minimum: 0, maximum: 1 }, "a number from 0 to 1"],
    [{ type: "integer", minimum: 1 }, "a whole number of at least 1"],
    [{ type: "number", exclusiveMinimum: 0, maximum: 10 }, "a number greater than 0 and of at most 10"],
    [{ type: "number", exclusiveMaximum: 5 }, "a number less than 5"],
    [{ type: "boolean" }, "true or false"],
    [{ type: "string", minLength: 1 }, "a string (not empty)"],
    [{ type: "string", minLength: 2, maxLength: 8 }, "a string of 2 to 8 characters"],
    [{ type: "string", pattern: "^a+$", description: "one or more a" }, "a string: one or more a"],
    [{ type: "string", pattern: "^a+$" }, "a string: matching the regular expression ^a+$"],
    [{ enum: ["x", 2, true] }, 'one of "x", 2, true'],
    [{ enum: ["x"], description: "the only one" }, 'one of "x" (the only one)'],
    [{ description: "anything at all" }, "a value (anything at all)"],
  ];
  for (const [schema, words] of cases) it(words, () => assert.equal(describeConfigSchema(schema), words));
});

describe("graphConfigProblems", () => {
  const cases: [string, GraphConfig, GraphConfig, ConfigProblem[]][] = [
    ["valid values, and a stack override of a declared key", GOOD, { metric_threshold: 0.9 }, []],
    ["a word where a number belongs", { ...GOOD, metric_threshold: "high" }, {}, [inPipe("metric_threshold", 'expected a number from 0 to 1, got "high"')]],
    ["a number out of bounds, from the stack", GOOD, { metric_threshold: 1.5 }, [inStack("metric_threshold", "expected a number from 0 to 1, got 1.5")]],
    [
      "a negative whole number",
      { ...GOOD, retention_days: -3 },
      {},
      [inPipe("retention_days", "expected a whole number of at least 0 (days to keep), got -3")],
    ],
    ["a fraction where a whole number belongs", { ...GOOD, retention_days: 1.5 }, {}, [inPipe("retention_days", "expected a whole number of at least 0 (days to keep), got 1.5")]],
    [
      "a metric the training does not report, with the closest one",
      { ...GOOD, metric_name: "test_acurracy" },
      {},
      [
        inPipe(
          "metric_name",
          'expected one of "train_accuracy", "test_accuracy", "test_f1" (a metric the training reports), got "test_acurracy" (did you mean "test_accuracy"?)',
        ),
      ],
    ],
    [
      "a metric far from every name: no suggestion",
      { ...GOOD, metric_name: "loss" },
      {},
      [inPipe("metric_name", 'expected one of "train_accuracy", "test_accuracy", "test_f1" (a metric the training reports), got "loss"')],
    ],
    [
      "a name that does not match its pattern, in the pattern's words",
      { ...GOOD, model_name: "bad name; drop" },
      {},
      [inPipe("model_name", 'expected a string: letters, digits and _, not starting with a digit, got "bad name; drop"')],
    ],
    [
      "a typo in config: did you mean",
      { ...GOOD, metric_treshold: 0.8 },
      {},
      [inPipe("metric_treshold", `unknown key (did you mean "metric_threshold"?): config may only set keys that ${PIPE} declares in configSchema; ${DECLARED}`)],
    ],
    [
      "a typo in the stack's graphConfig: did you mean",
      GOOD,
      { retention_dayz: 5 },
      [inStack("retention_dayz", `unknown key (did you mean "retention_days"?): the stack's graphConfig may only set keys that ${PIPE} declares in configSchema; ${DECLARED}`)],
    ],
    [
      "an unknown key like no declared one",
      GOOD,
      { owner_email: "a@b.c" },
      [inStack("owner_email", `unknown key: the stack's graphConfig may only set keys that ${PIPE} declares in configSchema; ${DECLARED}`)],
    ],
    [
      "a key the program writes is reserved, in either place",
      { ...GOOD, warehouse: "WH" },
      { database: "DB" },
      [
        inPipe("warehouse", "is written by the program from the stack's names; remove it"),
        inStack("database", "is written by the program from the stack's names; remove it"),
      ],
    ],
  ];
  for (const [name, config, stack, expected] of cases) it(name, () => assert.deepEqual(check(config, stack), expected));

  it("a declared key with no value anywhere", () => {
    const { retention_days: _dropped, ...rest } = GOOD;
    assert.deepEqual(check(rest), [
      { file: PIPE, path: "configSchema.retention_days", message: "declared but given no value; expected a whole number of at least 0 (days to keep) in config (or in every stack's graphConfig)" },
    ]);
    assert.deepEqual(check(rest, { retention_days: 7 }), [], "a stack may give the only value");
  });

  it("a declared key named like a program key, and a pattern that is no regular expression", () => {
    const schema: Record<string, ConfigValueSchema> = { schema: { type: "string" }, code: { type: "string", pattern: "([" } };
    const problems = graphConfigProblems(definition({ code: "x" }, schema), PIPE, sources({ code: "x" }));
    assert.equal(problems.length, 2);
    assert.equal(problems[0].path, "configSchema.code.pattern");
    assert.match(problems[0].message, /^expected a regular expression, got "\(\[": /);
    assert.equal(problems[1].path, "configSchema.schema");
    assert.match(problems[1].message, /^"schema" is a key the program writes itself \(.*\bschema\b.*\); choose another name$/);
  });

  it("without configSchema every config key is unknown", () => {
    assert.deepEqual(graphConfigProblems(definition({ a: 1 }, {}), PIPE, sources({ a: 1 })), [
      inPipe("a", `unknown key: config may only set keys that ${PIPE} declares in configSchema; it declares no keys`),
    ]);
  });
});
