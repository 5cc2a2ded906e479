// Each class of bad input fails `npm run plan` (cli/plan.ts) with exit 1, nothing on stdout, and a
// problem in words naming the file and the key or line. Every case plans its own fixture project in
// a temporary folder (a small pipeline written here, never the shipped sample or stack files).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

const REPO = join(__dirname, "..", "..");

const STACK = `config:
  snowflake-ml-pipeline:database: FIX_DB
  snowflake-ml-pipeline:schema: PIPE
  snowflake-ml-pipeline:dataSchema: DATA
  snowflake-ml-pipeline:registrySchema: MODELS
  snowflake-ml-pipeline:warehouse: {name: FIX_WH, size: XSMALL}
  snowflake-ml-pipeline:computePool: {name: FIX_POOL, instanceFamily: CPU_X64_S, minNodes: 1, maxNodes: 1}
  snowflake-ml-pipeline:pipelines: [code/pipeline.yaml]
  snowflake-ml-pipeline:graphConfig:
    threshold: 0.5
`;

const PIPELINE = `name: FIX_PIPELINE
runtime: "3.11"
packages: [snowflake-snowpark-python]
config:
  metric: test_f1
  threshold: 0.6
  days: 7
configSchema:
  metric: {enum: [test_accuracy, test_f1], description: a metric the training reports}
  threshold: {type: number, minimum: 0, maximum: 1}
  days: {type: integer, minimum: 1}
tasks:
  - name: STEP_ONE
    entrypoint: tasks/step_one.py
  - name: STEP_TWO
    after: [STEP_ONE]
    entrypoint: tasks/step_two.py
`;

const CODE: Record<string, string> = {
  "code/tasks/__init__.py": "",
  "code/tasks/step_one.py": "from shared import util\n\n\ndef main(session):\n    return util.value()\n",
  "code/tasks/step_two.py": "import json\n\n\ndef main(session):\n    return json.dumps({})\n",
  "code/shared/__init__.py": "",
  "code/shared/util.py": "def value():\n    return 1\n",
};

let root = "";
let counter = 0;

/** Writes the fixture project with `changes` applied (a file's new text) and plans it. */
function plan(changes: Record<string, string>) {
  const dir = join(root, `project-${counter++}`);
  const files = { "Pulumi.yaml": "name: snowflake-ml-pipeline\nruntime: nodejs\n", "Pulumi.fix.yaml": STACK, "code/pipeline.yaml": PIPELINE, ...CODE, ...changes };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO, "cli/plan.ts"), "--project", dir, "--stack", "fix"], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

/** The plan failed the way a user should see it: exit 1, nothing on stdout, this problem line. */
function assertRefused(result: ReturnType<typeof plan>, line: string) {
  assert.equal(result.stdout, "", "nothing on stdout");
  assert.equal(result.status, 1, result.stderr);
  assert.ok(result.stderr.startsWith("invalid configuration ("), result.stderr);
  assert.ok(result.stderr.split("\n").includes(`  ${line}`), `expected the line\n  ${line}\nin\n${result.stderr}`);
}

const edit = (from: string, to: string) => ({ "code/pipeline.yaml": PIPELINE.replace(from, to) });

describe("npm run plan refuses bad input, in words", () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), "plan-failures-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("the fixture plans (exit 0), so each failure below is its edit's", () => {
    const result = plan({});
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /FIX_PIPELINE\$STEP_TWO/);
  });

  it("a third-party import no listed package provides, and a main without session: file and line", () => {
    const result = plan({ "code/tasks/step_two.py": "import requests\n\n\ndef main():\n    pass\n" });
    assertRefused(
      result,
      'code/tasks/step_two.py: line 1: `import requests`: requests is no module of code, of Python\'s standard library, or of a package in code/pipeline.yaml "packages" ' +
        "(snowflake-snowpark-python) or their dependencies; expected a local module or a listed package (task STEP_TWO fails on this import)",
    );
    assertRefused(result, 'code/tasks/step_two.py: line 4: main() takes no argument; task STEP_TWO\'s procedure calls main(session) (docs/design.md "Task definitions")');
  });

  it("a graph-config value of the wrong type", () => {
    assertRefused(plan(edit("threshold: 0.6", "threshold: high")), 'code/pipeline.yaml: config.threshold: expected a number from 0 to 1, got "high"');
  });

  it("a graph-config value out of bounds, in pipeline.yaml and in the stack", () => {
    const result = plan({ ...edit("days: 7", "days: -3"), "Pulumi.fix.yaml": STACK.replace("threshold: 0.5", "threshold: 1.5") });
    assertRefused(result, "code/pipeline.yaml: config.days: expected a whole number of at least 1, got -3");
    assertRefused(result, "Pulumi.fix.yaml: snowflake-ml-pipeline:graphConfig.threshold: expected a number from 0 to 1, got 1.5");
  });

  it("an unknown graph-config key, with did-you-mean, in pipeline.yaml and in the stack", () => {
    const declared = "the keys it declares are days, metric, threshold";
    const result = plan({ ...edit("threshold: 0.6", "threshold: 0.6\n  treshold: 0.8"), "Pulumi.fix.yaml": STACK.replace("threshold: 0.5", "thresold: 0.5") });
    assertRefused(
      result,
      `code/pipeline.yaml: config.treshold: unknown key (did you mean "threshold"?): config may only set keys that code/pipeline.yaml declares in configSchema; ${declared}`,
    );
    assertRefused(
      result,
      `Pulumi.fix.yaml: snowflake-ml-pipeline:graphConfig.thresold: unknown key (did you mean "threshold"?): the stack's graphConfig may only set keys that code/pipeline.yaml declares in configSchema; ${declared}`,
    );
  });

  it("a metric name the training does not report", () => {
    assertRefused(
      plan(edit("metric: test_f1", "metric: test_acurracy")),
      'code/pipeline.yaml: config.metric: expected one of "test_accuracy", "test_f1" (a metric the training reports), got "test_acurracy" (did you mean "test_accuracy"?)',
    );
  });

  it("a Python syntax error: file and line", () => {
    const result = plan({ "code/shared/util.py": "def value():\n    return 1\n\nprint 'done'\n" });
    assert.equal(result.stdout, "");
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^ {2}code\/shared\/util\.py: line 4: Python syntax error: .+ \(parsed by Python 3\.\d+\.\d+ for runtime 3\.11; task STEP_ONE runs this file\)$/m);
  });

  it("a missing local import, as `from pkg import module` and as `import pkg.module`", () => {
    const result = plan({
      "code/tasks/step_two.py": "from shared import nosuchmodule\n\n\ndef main(session):\n    pass\n",
      "code/shared/util.py": "import shared.nosuch_helpers\n\n\ndef value():\n    return 1\n",
    });
    assertRefused(
      result,
      "code/tasks/step_two.py: line 1: `from shared import nosuchmodule`: no local module shared.nosuchmodule; expected code/shared/nosuchmodule.py or code/shared/nosuchmodule/__init__.py, or a name nosuchmodule defined in code/shared/__init__.py (task STEP_TWO imports this file)",
    );
    assertRefused(
      result,
      "code/shared/util.py: line 1: `import shared.nosuch_helpers`: no local module shared.nosuch_helpers; expected code/shared/nosuch_helpers.py or code/shared/nosuch_helpers/__init__.py (task STEP_ONE imports this file)",
    );
  });

  it("an entrypoint without its handler main", () => {
    assertRefused(
      plan({ "code/tasks/step_two.py": "def run(session):\n    pass\n" }),
      "code/tasks/step_two.py: tasks.STEP_TWO.entrypoint: expected a top-level function main(session, ...), the handler task STEP_TWO's procedure calls; the file defines only run",
    );
  });

  it("schema problems speak words, not regular expressions, and name tasks by name", () => {
    const bad = PIPELINE.replace("entrypoint: tasks/step_one.py", "entrypoint: ../index.py")
      .replace("name: STEP_TWO", "name: step_two")
      .replace("    entrypoint: tasks/step_two.py", "    entrypoint: tasks/step_two.py\n    branch: [STEP_ONE]");
    const refused = plan({ "code/pipeline.yaml": bad });
    assertRefused(
      refused,
      "code/pipeline.yaml: tasks.STEP_ONE.entrypoint: expected a .py file inside the pipeline's folder, as a relative path such as tasks/train.py (no leading / and no ..), got \"../index.py\"",
    );
    assertRefused(
      refused,
      'code/pipeline.yaml: tasks[1].name: expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got "step_two"',
    );
    assertRefused(refused, 'code/pipeline.yaml: tasks[1].branch: expected at least two successors to choose between (a branch with one target is a plain "after"), got 1 item');
    assert.doesNotMatch(refused.stderr, /\^|must NOT/);
  });
});
