// The plan's checks of the Python a task runs: syntax, local imports, the handler, third-party imports.
// Each case writes its own small code folder, parses it as the program does, and asserts the words.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { parsePythonSources } from "../../build/pythonSources";
import { OtherPipelineCode, pythonProblems, PythonCheckResult } from "../../lib/bundle/pythonChecks";
import { ConfigurationError } from "../../lib/config/resolveConfiguration";
import { distributionName, providedModules } from "../../lib/bundle/pythonPackages";
import { PipelineDefinition, TaskSpec } from "../../lib/types";

const PIPE = "code/pipeline.yaml";
const BASE: Record<string, string> = {
  "tasks/__init__.py": "",
  "tasks/a.py": "from lib import helpers\n\ndef main(session):\n    return helpers.X\n",
  "tasks/t.py": "from lib import helpers\n\ndef main(session, payload_location, payload_entrypoint, target_instances):\n    return helpers.X\n",
  "lib/__init__.py": "",
  "lib/helpers.py": "X = 1\n",
  "jobs/train.py": "from lib import helpers\nimport xgboost\n",
};

function run(files: Record<string, string>, tasks: TaskSpec[], packages: string[] = ["snowflake-snowpark-python"], others: OtherPipelineCode[] = []): PythonCheckResult {
  const root = mkdtempSync(join(tmpdir(), "pychecks-"));
  try {
    for (const [path, text] of Object.entries({ ...BASE, ...files })) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const definition: PipelineDefinition = { name: "P", runtime: "3.11", packages, config: {}, tasks };
    return pythonProblems(definition, parsePythonSources(root, "3.11"), root, "code", PIPE, others);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const A: TaskSpec = { name: "A", entrypoint: "tasks/a.py" };

describe("pythonProblems", () => {
  it("a clean folder: no problem, no warning", () => {
    assert.deepEqual(run({}, [A, { name: "T", entrypoint: "tasks/t.py", job: { payload: "jobs/train.py", targetInstances: 1 } }]), { problems: [], warnings: [] });
  });

  it("a syntax error in a module the task imports: that file and line", () => {
    const { problems } = run({ "lib/helpers.py": "X = 1\ndef broken(:\n    pass\n" }, [A]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, "code/lib/helpers.py");
    assert.equal(problems[0].path, "line 2");
    assert.match(problems[0].message, /^Python syntax error: invalid syntax \(parsed by Python 3\.\d+\.\d+ for runtime 3\.11; task A runs this file\)$/);
  });

  it("a broken module several tasks import is one problem naming them", () => {
    const tasks = ["A", "B", "C", "D"].map((name) => ({ name, entrypoint: "tasks/a.py" }));
    const { problems } = run({ "lib/helpers.py": "X = (\n", "tasks/b.py": "import lib.gone\n\ndef main(session):\n    pass\n" }, [
      ...tasks,
      { name: "E", entrypoint: "tasks/b.py" },
      { name: "F", entrypoint: "tasks/b.py" },
    ]);
    assert.deepEqual(
      problems.map((p) => `${p.file}: ${p.path}: ${p.message.replace(/Python 3\.\d+\.\d+/, "Python 3.x")}`),
      [
        "code/lib/helpers.py: line 1: Python syntax error: '(' was never closed (parsed by Python 3.x for runtime 3.11; tasks A, B, C and 1 more run this file)",
        "code/tasks/b.py: line 1: `import lib.gone`: no local module lib.gone; expected code/lib/gone.py or code/lib/gone/__init__.py (tasks E, F import this file)",
      ],
    );
  });

  it("a syntax error in a file no task imports is not the plan's concern", () => {
    assert.deepEqual(run({ "lib/unused.py": "def (:\n" }, [A]).problems, []);
  });

  it("from a package import a module that does not exist", () => {
    assert.deepEqual(run({ "tasks/a.py": "from lib import nosuchmodule\n\ndef main(session):\n    pass\n" }, [A]).problems, [
      {
        file: "code/tasks/a.py",
        path: "line 1",
        message:
          "`from lib import nosuchmodule`: no local module lib.nosuchmodule; expected code/lib/nosuchmodule.py or code/lib/nosuchmodule/__init__.py, or a name nosuchmodule defined in code/lib/__init__.py (task A imports this file)",
      },
    ]);
  });

  it("import a dotted local module that does not exist, through another module", () => {
    assert.deepEqual(run({ "lib/helpers.py": "X = 1\n\n\nimport lib.nosuch_helpers\n" }, [A]).problems, [
      {
        file: "code/lib/helpers.py",
        path: "line 4",
        message: "`import lib.nosuch_helpers`: no local module lib.nosuch_helpers; expected code/lib/nosuch_helpers.py or code/lib/nosuch_helpers/__init__.py (task A imports this file)",
      },
    ]);
  });

  it("a name a local module does not define", () => {
    assert.deepEqual(run({ "tasks/a.py": "from lib.helpers import Y\n\ndef main(session):\n    pass\n" }, [A]).problems, [
      {
        file: "code/tasks/a.py",
        path: "line 1",
        message: "`from lib.helpers import Y`: no local module lib.helpers.Y; expected a name Y defined in code/lib/helpers.py (task A imports this file)",
      },
    ]);
  });

  it("an entrypoint without main: the task and the functions it has", () => {
    assert.deepEqual(run({ "tasks/a.py": "def run(session):\n    pass\n\ndef helper():\n    pass\n" }, [A]).problems, [
      {
        file: "code/tasks/a.py",
        path: "tasks.A.entrypoint",
        message: "expected a top-level function main(session, ...), the handler task A's procedure calls; the file defines only run, helper",
      },
    ]);
    assert.deepEqual(run({ "tasks/a.py": "x = 1\n" }, [A]).problems[0].message, "expected a top-level function main(session, ...), the handler task A's procedure calls; the file defines no top-level function");
  });

  it("main nested in a class or a function does not count; async def main does", () => {
    assert.equal(run({ "tasks/a.py": "class K:\n    def main(self, session):\n        pass\n" }, [A]).problems.length, 1);
    assert.deepEqual(run({ "tasks/a.py": "async def main(session):\n    pass\n" }, [A]).problems, []);
  });

  it("an ML Job payload is checked for syntax and imports, and needs no main", () => {
    const job: TaskSpec = { name: "T", entrypoint: "tasks/t.py", job: { payload: "jobs/train.py", targetInstances: 1 } };
    assert.deepEqual(run({}, [job]).problems, []);
    assert.deepEqual(run({ "jobs/train.py": "import lib.gone\n" }, [job]).problems, [
      {
        file: "code/jobs/train.py",
        path: "line 1",
        message: "`import lib.gone`: no local module lib.gone; expected code/lib/gone.py or code/lib/gone/__init__.py (task T imports this file)",
      },
    ]);
  });

  it("an import neither local, standard, nor from a listed package (or their dependencies) is an error at its line; the others pass", () => {
    const files = { "tasks/a.py": "import os, json\nimport requests\nfrom snowflake.snowpark import Session\nfrom snowflake import ml\nimport _snowflake\n\ndef main(session):\n    pass\n" };
    const expected = (line: number, statement: string, module: string) => ({
      file: "code/tasks/a.py",
      path: `line ${line}`,
      message: `\`${statement}\`: ${module} is no module of code, of Python's standard library, or of a package in ${PIPE} "packages" (snowflake-snowpark-python) or their dependencies; expected a local module or a listed package (task A fails on this import)`,
    });
    assert.deepEqual(run(files, [A]), { problems: [expected(2, "import requests", "requests"), expected(4, "from snowflake import ml", "snowflake.ml")], warnings: [] });
    // snowflake-ml-python brings pandas, numpy, scikit-learn (sklearn) with it.
    const deps = { "tasks/a.py": "import pandas\nimport sklearn.metrics\nimport requests\nfrom snowflake import ml\n\ndef main(session):\n    pass\n" };
    assert.deepEqual(run(deps, [A], ["snowflake-ml-python", "requests==2.32.0"]), { problems: [], warnings: [] });
  });

  it("one problem per import statement, naming every task that runs it", () => {
    const files = { "lib/helpers.py": "import requests\nX = 1\n" };
    const tasks = ["A", "B", "C", "D", "E"].map((name) => ({ name, entrypoint: "tasks/a.py" }));
    const message = (named: string) =>
      `\`import requests\`: requests is no module of code, of Python's standard library, or of a package in ${PIPE} "packages" (snowflake-snowpark-python) or their dependencies; expected a local module or a listed package (${named} on this import)`;
    assert.deepEqual(run(files, tasks.slice(0, 2)).problems, [{ file: "code/lib/helpers.py", path: "line 1", message: message("tasks A, B fail") }]);
    assert.deepEqual(run(files, tasks).problems, [{ file: "code/lib/helpers.py", path: "line 1", message: message("tasks A, B, C and 2 more fail") }]);
  });

  it("an import of another pipeline's module is an error naming that pipeline, in a task and in an ML Job payload", () => {
    const mortgage: OtherPipelineCode = { codeDir: "pipeline-code", name: "MORTGAGE_PIPELINE", modules: new Set(["mlpipeline", "tasks", "jobs", "run_local"]) };
    const job: TaskSpec = { name: "T", entrypoint: "tasks/a.py", job: { payload: "jobs/train.py", targetInstances: 1 } };
    const files = { "tasks/a.py": "def main(session, payload_location, payload_entrypoint, target_instances):\n    from mlpipeline import features\n", "jobs/train.py": "import mlpipeline.modeling\n" };
    assert.deepEqual(run(files, [job], ["snowflake-snowpark-python"], [mortgage]).problems, [
      {
        file: "code/tasks/a.py",
        path: "line 2",
        message: "`from mlpipeline import features`: mlpipeline is a module of pipeline-code (pipeline MORTGAGE_PIPELINE), not of code; expected a pipeline to import only its own folder's modules (copy the module into code) (task T imports this file)",
      },
      {
        file: "code/jobs/train.py",
        path: "line 1",
        message: "`import mlpipeline.modeling`: mlpipeline is a module of pipeline-code (pipeline MORTGAGE_PIPELINE), not of code; expected a pipeline to import only its own folder's modules (copy the module into code) (task T imports this file)",
      },
    ]);
  });

  it("main must take session and the arguments the task's procedure passes, in number", () => {
    const branch: TaskSpec = { name: "B", entrypoint: "tasks/a.py", branch: ["X", "Y"] };
    const job: TaskSpec = { name: "J", entrypoint: "tasks/a.py", job: { payload: "jobs/train.py", targetInstances: 1 } };
    const problem = (task: TaskSpec, files: Record<string, string>) => run(files, [task]).problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
    assert.deepEqual(problem(A, { "tasks/a.py": "def main():\n    pass\n" }), [
      `code/tasks/a.py: line 1: main() takes no argument; task A's procedure calls main(session) (docs/design.md "Task definitions")`,
    ]);
    assert.deepEqual(problem(branch, { "tasks/a.py": "\ndef main(session):\n    pass\n" }), [
      `code/tasks/a.py: line 2: main(session) takes at most 1 argument(s); task B's procedure calls main(session, branch_targets) (docs/design.md "Task definitions")`,
    ]);
    assert.deepEqual(problem(A, { "tasks/a.py": "def main(session, branch_targets):\n    pass\n" }), [
      `code/tasks/a.py: line 1: main(session, branch_targets) needs 2 argument(s); task A's procedure calls main(session) (docs/design.md "Task definitions")`,
    ]);
    assert.deepEqual(problem(A, { "tasks/a.py": "def main(session, *, verbose):\n    pass\n" }), [
      `code/tasks/a.py: line 1: main(session, *, verbose) has keyword-only parameter(s) without a default (verbose), which a procedure call cannot fill; task A's procedure calls main(session) (docs/design.md "Task definitions")`,
    ]);
    // What a procedure call can fill passes: exact, defaults, *args, keyword-only with defaults.
    for (const source of ["def main(session, payload_location, payload_entrypoint, target_instances):\n    pass\n", "def main(session, *args, dry_run=False):\n    pass\n", "def main(s, a, b, c, d=1):\n    pass\n"]) {
      assert.deepEqual(problem(job, { "tasks/a.py": source }), [], source);
    }
  });
});

describe("parsePythonSources without a usable python3", () => {
  it("is a configuration error saying what to install", () => {
    const missing = join(tmpdir(), "no-such-python-here", "python3");
    assert.throws(() => parsePythonSources(tmpdir(), "3.11", missing), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.equal(error.problems.length, 1);
      assert.equal(error.problems[0].file, missing);
      assert.match(error.problems[0].message, /^checking the task code needs Python 3\.10 or later as .+ on PATH \(the plan parses every task file with CPython's ast\); spawnSync .+ ENOENT$/);
      return true;
    });
  });
});

describe("providedModules", () => {
  it("a package's own modules and, through its requirements, theirs", () => {
    assert.deepEqual(providedModules(["xgboost"]), ["xgboost"]);
    assert.deepEqual(providedModules(["scikit-learn>=1.5", "PyYAML"]), ["sklearn", "yaml"]);
    const ml = providedModules(["snowflake-ml-python"]);
    for (const module of ["snowflake.ml", "snowflake.snowpark", "snowflake.connector", "pandas", "numpy", "sklearn", "xgboost", "google.protobuf"]) {
      assert.ok(ml.includes(module), module);
    }
  });
  it("normalizes names as PEP 503 does and drops versions", () => {
    assert.equal(distributionName("Snowflake_ML.Python==1.48.0"), "snowflake-ml-python");
    assert.equal(distributionName("xgboost"), "xgboost");
  });
});
