import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parsePythonSources } from "../../build/pythonSources";
import { localModuleClosure, PythonImport, PythonSources, resolveClosure } from "../../lib/bundle/pythonImports";

const imp = (module: string, line: number, names: string[] = [], level = 0): PythonImport => ({ module, level, names, line });

function writeTree(root: string, tree: Record<string, string>): void {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/**
 * What build/python_sources.py (CPython's ast) reports for a file: every import statement with its
 * line, wherever it is, and never text inside strings or comments; a syntax error instead of guesses.
 */
describe("parsePythonSources: imports and syntax errors as CPython parses them", () => {
  const cases: [string, string, PythonImport[] | { line: number }][] = [
    ["plain import", "import os\n", [imp("os", 1)]],
    ["dotted with alias, and a list", "import a.b as c, d\n", [imp("a.b", 1), imp("d", 1)]],
    ["from . import x", "from . import x\n", [imp("", 1, ["x"], 1)]],
    ["from ..pkg.mod import (a,\\n b)", "from ..pkg.mod import (a,\n    b)\n", [imp("pkg.mod", 1, ["a", "b"], 2)]],
    ["parenthesized names with aliases and a trailing comma", "from m import (\n  a as x,\n  b,\n)\nimport n\n", [imp("m", 1, ["a", "b"]), imp("n", 5)]],
    ["from ... import y", "from ... import y\nfrom .... import z\n", [imp("", 1, ["y"], 3), imp("", 2, ["z"], 4)]],
    ["star import", "from mlpipeline import *\n", [imp("mlpipeline", 1, ["*"])]],
    ["backslash continuation", "from a \\\n    import b, \\\n    c\nimport d, \\\n  e\n", [imp("a", 1, ["b", "c"]), imp("d", 4), imp("e", 4)]],
    ["; separated", "import a; import b;from c import d\n", [imp("a", 1), imp("b", 1), imp("c", 1, ["d"])]],
    [
      "indented in a function, try and if blocks",
      "def f():\n    import json\n    try:\n        import yaml\n    except ImportError:\n        yaml = None\nif TYPE_CHECKING:\n    from typing import Any\n",
      [imp("json", 2), imp("yaml", 4), imp("typing", 8, ["Any"])],
    ],
    ["comments and docstrings are not code", '"""\nimport fake\n"""\n# import nope\nimport os  # import nope2\n', [imp("os", 5)]],
    ["strings and f-strings are not code", "s = f\"{'import a'} {x!r:>{width}}\"\nt = 'from y import z'\nimport ok\n", [imp("ok", 3)]],
    ["not import statements", "def g():\n    yield from gen()\nobj.import_data()\nimport_x = 1\n", []],
    ["CRLF line endings and a BOM", "\uFEFFimport a\r\nfrom b import (c,\r\n d)\r\n", [imp("a", 1), imp("b", 2, ["c", "d"])]],
    ["a syntax error: the line CPython reports", "import os\n\ndef main(:\n    pass\n", { line: 3 }],
    ["Python 2 print is a syntax error", "print 'hello'\n", { line: 1 }],
    ["an inconsistent dedent is a syntax error", "def f():\n        x = 1\n    y = 2\n", { line: 3 }],
    ["an unterminated string is a syntax error", "s = 'oops\nimport ok\n", { line: 1 }],
    ["return outside a function (a compiler error)", "x = 1\nreturn x\n", { line: 2 }],
  ];
  let root = "";
  let sources: PythonSources;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "pyparse-"));
    writeTree(root, Object.fromEntries(cases.map(([, source], i) => [`case_${i}.py`, source])));
    sources = parsePythonSources(root, "3.11");
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  cases.forEach(([name, , expected], i) => {
    it(name, () => {
      const file = sources.files[`case_${i}.py`];
      if (Array.isArray(expected)) {
        assert.equal(file.error, null);
        assert.deepEqual(file.imports, expected);
      } else {
        assert.equal(file.error?.line, expected.line, JSON.stringify(file.error));
      }
    });
  });

  it("the runtime's grammar: a match statement is a syntax error for 3.9, fine for 3.10", () => {
    const dir = mkdtempSync(join(tmpdir(), "pyparse-runtime-"));
    try {
      writeTree(dir, { "m.py": "match x:\n    case 1:\n        pass\n" });
      assert.notEqual(parsePythonSources(dir, "3.9").files["m.py"].error, null);
      assert.equal(parsePythonSources(dir, "3.10").files["m.py"].error, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("top-level functions and the names a module binds", () => {
    const dir = mkdtempSync(join(tmpdir(), "pyparse-names-"));
    try {
      writeTree(dir, {
        "a.py": "import os.path\nfrom x import y as z\nA, (B, *C) = 1, (2, 3)\nif True:\n    D: int = 1\ntry:\n    pass\nexcept E as err:\n    F = 1\nclass G: pass\nasync def main(session): pass\ndef _h():\n    inner = 1\n",
        "b.py": "from x import *\n",
        "c.py": "def __getattr__(name): return 1\n",
        "d.py": "def f(a, /, b, c=1, *rest, k, m=2): pass\n",
      });
      const parsed = parsePythonSources(dir, "3.11").files;
      const none = { positional: [], defaults: 0, varargs: false, kwonlyRequired: [] };
      assert.deepEqual(parsed["a.py"].functions, [
        { name: "main", line: 11, params: { ...none, positional: ["session"] } },
        { name: "_h", line: 12, params: none },
      ]);
      assert.deepEqual(parsed["d.py"].functions[0].params, { positional: ["a", "b", "c"], defaults: 1, varargs: true, kwonlyRequired: ["k"] });
      assert.deepEqual(parsed["a.py"].names, ["A", "B", "C", "D", "F", "G", "_h", "err", "main", "os", "z"]);
      assert.equal(parsed["a.py"].openNames, false);
      assert.equal(parsed["b.py"].openNames, true);
      assert.equal(parsed["c.py"].openNames, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A temp tree shaped like pipeline-code/: tasks/ and mlpipeline/ packages, jobs/ as a plain folder. */
const FIXTURE: Record<string, string> = {
  "pipeline.yaml": "name: X\n",
  "tasks/__init__.py": "",
  "tasks/prepare_data.py": [
    '"""Prepare data.',
    "",
    "import mlpipeline.unused  (only in the docstring)",
    '"""',
    "import pandas as pd",
    "from snowflake.snowpark import Session",
    "import mlpipeline.data",
    "from mlpipeline import config",
    "",
    "def main(session, *args):",
    "    from mlpipeline import missing_optional  # a name that is no module: skipped",
    "    return None",
    "",
  ].join("\n"),
  "tasks/train_model.py": "from mlpipeline.jobs import launch\n",
  "tasks/cleanup.py": "from . import helpers\n",
  "tasks/helpers.py": "import os\n",
  "tasks/star.py": "from mlpipeline import *\n",
  "tasks/bad.py": "import os\n\nfrom .. import x\n",
  "jobs/train.py": "from mlpipeline.training import fit\nimport xgboost\n",
  "mlpipeline/__init__.py": "from .version import VERSION\n",
  "mlpipeline/version.py": 'VERSION = "1"\n',
  "mlpipeline/config.py": "import json\n",
  "mlpipeline/data.py": "from .config import settings\nfrom . import sample_data\n",
  "mlpipeline/sample_data.py": "import csv\n",
  "mlpipeline/jobs.py": "import mlpipeline.config\n",
  "mlpipeline/training/__init__.py": "from .fit import fit\n",
  "mlpipeline/training/fit.py": "from ..metrics import score\nimport xgboost\n",
  "mlpipeline/metrics.py": "import mlpipeline.training  # a cycle back through the package\n",
  "mlpipeline/unused.py": "",
  "tests/test_data.py": "import mlpipeline.unused\n",
  "main.py": "from . import x\n",
  "both/__init__.py": "",
  "both.py": "",
  "uses_both.py": "import both\n",
};

describe("localModuleClosure", () => {
  let root = "";
  let sources: PythonSources;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "closure-"));
    writeTree(root, FIXTURE);
    sources = parsePythonSources(root, "3.11");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const cases: [string, string[]][] = [
    [
      "tasks/prepare_data.py",
      [
        "mlpipeline/__init__.py",
        "mlpipeline/config.py",
        "mlpipeline/data.py",
        "mlpipeline/sample_data.py",
        "mlpipeline/version.py",
        "tasks/__init__.py",
        "tasks/prepare_data.py",
      ],
    ],
    [
      "tasks/train_model.py",
      ["mlpipeline/__init__.py", "mlpipeline/config.py", "mlpipeline/jobs.py", "mlpipeline/version.py", "tasks/__init__.py", "tasks/train_model.py"],
    ],
    ["tasks/cleanup.py", ["tasks/__init__.py", "tasks/cleanup.py", "tasks/helpers.py"]],
    ["tasks/star.py", ["mlpipeline/__init__.py", "mlpipeline/version.py", "tasks/__init__.py", "tasks/star.py"]],
    [
      "jobs/train.py",
      [
        "jobs/train.py",
        "mlpipeline/__init__.py",
        "mlpipeline/metrics.py",
        "mlpipeline/training/__init__.py",
        "mlpipeline/training/fit.py",
        "mlpipeline/version.py",
      ],
    ],
    ["uses_both.py", ["both/__init__.py", "uses_both.py"]],
    ["tasks/helpers.py", ["tasks/__init__.py", "tasks/helpers.py"]],
  ];
  for (const [entrypoint, expected] of cases) {
    it(entrypoint, () => assert.deepEqual(localModuleClosure(root, entrypoint, sources), expected));
  }

  it("an absolute entrypoint inside the root gives the same closure", () => {
    assert.deepEqual(localModuleClosure(root, join(root, "tasks/cleanup.py"), sources), ["tasks/__init__.py", "tasks/cleanup.py", "tasks/helpers.py"]);
  });
  it("throws for an entrypoint outside the root", () => {
    assert.throws(() => localModuleClosure(root, "../outside.py", sources), { message: `entrypoint ../outside.py is outside the code root ${root}` });
    assert.throws(() => localModuleClosure(join(root, "tasks"), "../jobs/train.py", sources), {
      message: `entrypoint ../jobs/train.py is outside the code root ${join(root, "tasks")}`,
    });
  });
  it("throws for a missing entrypoint, with its path", () => {
    assert.throws(() => localModuleClosure(root, "tasks/missing.py", sources), {
      message: `entrypoint tasks/missing.py does not exist: no file ${join(root, "tasks/missing.py")}`,
    });
  });
  it("throws for a relative import beyond the top-level package, naming file and line", () => {
    assert.throws(() => localModuleClosure(root, "tasks/bad.py", sources), {
      message: 'tasks/bad.py:3: relative import "from .. import …" goes beyond the top-level package',
    });
    assert.throws(() => localModuleClosure(root, "main.py", sources), {
      message: 'main.py:1: relative import "from . import …" goes beyond the top-level package',
    });
  });
});

/**
 * An independent oracle: Python's own modulefinder, searching only the code root, imports each module
 * and lists the local files it loaded. (It over-approximates `from pkg import *` by importing every
 * submodule, so star imports are not compared with it.)
 */
const ORACLE = `
import json, modulefinder, os, sys
root = os.path.abspath(sys.argv[1])
result = {}
for module in sys.argv[2:]:
    finder = modulefinder.ModuleFinder(path=[root])
    finder.import_hook(module)
    result[module] = sorted(os.path.relpath(m.__file__, root) for m in finder.modules.values()
                            if m.__file__ and os.path.abspath(m.__file__).startswith(root + os.sep))
print(json.dumps(result))
`;
const PYTHON = "/usr/bin/python3";

function modulefinder(root: string, entrypoints: string[]): Record<string, string[]> {
  const modules = entrypoints.map((e) => e.replace(/\.py$/, "").split("/").join("."));
  const run = spawnSync(PYTHON, ["-c", ORACLE, root, ...modules], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const byModule = JSON.parse(run.stdout) as Record<string, string[]>;
  return Object.fromEntries(entrypoints.map((e, i) => [e, byModule[modules[i]]]));
}

describe("localModuleClosure agrees with Python's modulefinder", { skip: existsSync(PYTHON) ? false : `${PYTHON} not found` }, () => {
  it("on a fixture tree", () => {
    const root = mkdtempSync(join(tmpdir(), "closure-oracle-"));
    try {
      writeTree(root, FIXTURE);
      const sources = parsePythonSources(root, "3.11");
      const entrypoints = ["tasks/prepare_data.py", "tasks/train_model.py", "tasks/cleanup.py", "tasks/helpers.py", "uses_both.py"];
      const expected = modulefinder(root, entrypoints);
      for (const entrypoint of entrypoints) assert.deepEqual(localModuleClosure(root, entrypoint, sources), expected[entrypoint], entrypoint);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("on every module of the shipped pipeline-code (outside its tests), whatever tasks it has", (t) => {
    const codeRoot = resolve(__dirname, "../../pipeline-code");
    if (!existsSync(codeRoot)) return t.skip("the sample pipeline (pipeline-code/) is not in this project");
    const sources = parsePythonSources(codeRoot, "3.11");
    // modulefinder imports every submodule for `from pkg import *`, so such files are left out.
    const entrypoints = Object.keys(sources.files).filter(
      (f) => !f.startsWith("tests/") && !f.endsWith("__init__.py") && !sources.files[f].imports.some((i) => i.names.includes("*")),
    );
    assert.ok(entrypoints.length > 0);
    const expected = modulefinder(codeRoot, entrypoints);
    for (const entrypoint of entrypoints) assert.deepEqual(localModuleClosure(codeRoot, entrypoint, sources), expected[entrypoint], entrypoint);
  });
});

describe("resolveClosure: imports that cannot resolve, and external ones", () => {
  const TREE: Record<string, string> = {
    "tasks/__init__.py": "",
    "tasks/t.py": [
      "import os",
      "import pandas as pd",
      "from snowflake.snowpark import Session",
      "from mlpipeline import nosuchmodule",
      "import mlpipeline.nosuch_helpers",
      "from mlpipeline import VERSION, config",
      "from mlpipeline.config import nothing_here, THRESHOLD",
      "from mlpipeline.open import anything",
      "import jobs.nothing",
      "",
    ].join("\n"),
    "mlpipeline/__init__.py": "VERSION = 1\n",
    "mlpipeline/config.py": "THRESHOLD = 0.7\n",
    "mlpipeline/open.py": "from os.path import *\n",
    "jobs/train.py": "",
  };
  let root = "";
  let sources: PythonSources;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "closure-unresolved-"));
    writeTree(root, TREE);
    sources = parsePythonSources(root, "3.11");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("lists each missing module or name with the files that would provide it", () => {
    const closure = resolveClosure(root, "tasks/t.py", sources);
    assert.deepEqual(closure.files, ["mlpipeline/__init__.py", "mlpipeline/config.py", "mlpipeline/open.py", "tasks/__init__.py", "tasks/t.py"]);
    assert.deepEqual(closure.unresolved, [
      {
        file: "tasks/t.py",
        line: 4,
        statement: "from mlpipeline import nosuchmodule",
        missing: "mlpipeline.nosuchmodule",
        expected: ["mlpipeline/nosuchmodule.py", "mlpipeline/nosuchmodule/__init__.py"],
        definedIn: "mlpipeline/__init__.py",
      },
      {
        file: "tasks/t.py",
        line: 5,
        statement: "import mlpipeline.nosuch_helpers",
        missing: "mlpipeline.nosuch_helpers",
        expected: ["mlpipeline/nosuch_helpers.py", "mlpipeline/nosuch_helpers/__init__.py"],
      },
      {
        file: "tasks/t.py",
        line: 7,
        statement: "from mlpipeline.config import nothing_here, THRESHOLD",
        missing: "mlpipeline.config.nothing_here",
        expected: [],
        definedIn: "mlpipeline/config.py",
      },
      { file: "tasks/t.py", line: 9, statement: "import jobs.nothing", missing: "jobs.nothing", expected: ["jobs/nothing.py", "jobs/nothing/__init__.py"] },
    ]);
    assert.deepEqual(closure.external, [
      { module: "os", names: [], file: "tasks/t.py", line: 1 },
      { module: "pandas", names: [], file: "tasks/t.py", line: 2 },
      { module: "snowflake.snowpark", names: ["Session"], file: "tasks/t.py", line: 3 },
      { module: "os.path", names: ["*"], file: "mlpipeline/open.py", line: 1 },
    ]);
  });
});
