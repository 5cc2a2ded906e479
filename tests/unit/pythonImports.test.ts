import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { findImports, localModuleClosure, PythonImport } from "../../lib/bundle/pythonImports";

const imp = (module: string, line: number, names: string[] = [], level = 0): PythonImport => ({ module, level, names, line });

describe("findImports", () => {
  const cases: [string, string, PythonImport[]][] = [
    ["plain import", "import os\n", [imp("os", 1)]],
    ["dotted with alias, and a list", "import a.b as c, d\n", [imp("a.b", 1), imp("d", 1)]],
    ["from . import x", "from . import x\n", [imp("", 1, ["x"], 1)]],
    ["from ..pkg.mod import (a,\\n b)", "from ..pkg.mod import (a,\n    b)\n", [imp("pkg.mod", 1, ["a", "b"], 2)]],
    ["parenthesized names with aliases and a trailing comma", "from m import (\n  a as x,\n  b,\n)\nimport n\n", [imp("m", 1, ["a", "b"]), imp("n", 5)]],
    ["from ... import y (an ellipsis token)", "from ... import y\nfrom .... import z\n", [imp("", 1, ["y"], 3), imp("", 2, ["z"], 4)]],
    ["from .sub.mod import y", "from .sub.mod import y as w\n", [imp("sub.mod", 1, ["y"], 1)]],
    ["star import", "from mlpipeline import *\n", [imp("mlpipeline", 1, ["*"])]],
    ["__future__", "from __future__ import annotations\n", [imp("__future__", 1, ["annotations"])]],
    ["backslash continuation", "from a \\\n    import b, \\\n    c\nimport d, \\\n  e\n", [imp("a", 1, ["b", "c"]), imp("d", 4), imp("e", 4)]],
    ["; separated", "import a; import b;from c import d\n", [imp("a", 1), imp("b", 1), imp("c", 1, ["d"])]],
    ["after other statements on the line", "x = {'k': 1}; import z\n", [imp("z", 1)]],
    [
      "indented in a function, try and if blocks",
      "def f():\n    import json\n    try:\n        import yaml\n    except ImportError:\n        yaml = None\nif TYPE_CHECKING:\n    from typing import Any\n",
      [imp("json", 2), imp("yaml", 4), imp("typing", 8, ["Any"])],
    ],
    [
      "compound statement header on the same line",
      "try: import yaml\nexcept ImportError: import json\nif x: import a; import b\nelse: from c import d\n",
      [imp("yaml", 1), imp("json", 2), imp("a", 3), imp("b", 3), imp("c", 4, ["d"])],
    ],
    ["comments", "# import nope\nimport os  # import nope2\n  # from x import y\n", [imp("os", 2)]],
    [
      "triple-quoted docstrings",
      '"""Module.\n\nimport fake\nfrom fake import x\n"""\nimport real\n\'\'\'\nimport fake2\n\'\'\'\n',
      [imp("real", 6)],
    ],
    [
      "string literals, escapes, prefixes",
      'a = "import x"\nb = \'from y import z\'\nc = "say \\" import q"\nd = r"\\\\"\ne = b\'import w\'\nf = Rb"import v"\nimport ok\n',
      [imp("ok", 7)],
    ],
    [
      "f-strings: nested quotes, format specs, braces",
      "s = f\"{'import a'} {x!r:>{width}} {d[\"k\"]} {{import b}}\"\nt = f'''\nimport c\n{f\"{y}\"}\n'''\nimport ok\n",
      [imp("ok", 6)],
    ],
    ["an unterminated string ends at its line", "s = 'oops\nimport ok\n", [imp("ok", 2)]],
    [
      "not import statements",
      "yield from gen()\nraise E from err\nobj.import_data()\nimport_x = 1\nprint('a', sep=':') ; x = [i for i in range(3)]\n",
      [],
    ],
    ["a dict or lambda ':' inside brackets is not a statement start", "f({1: 2}, key=lambda v: v)\nimport ok\n", [imp("ok", 2)]],
    ["CRLF line endings", "import a\r\nfrom b import (c,\r\n d)\r\nimport e\r\n", [imp("a", 1), imp("b", 2, ["c", "d"]), imp("e", 4)]],
    ["BOM and unicode identifiers", "\uFEFFcafé = 1\nimport ok\n", [imp("ok", 2)]],
    ["line numbers count lines inside strings and brackets", '"""\n\n"""\nx = (\n 1)\nimport ok\n', [imp("ok", 6)]],
    ["malformed from (no import) is skipped", "from x\nimport ok\n", [imp("ok", 2)]],
  ];
  for (const [name, source, expected] of cases) {
    it(name, () => assert.deepEqual(findImports(source), expected));
  }
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
  before(() => {
    root = mkdtempSync(join(tmpdir(), "closure-"));
    for (const [path, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
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
    it(entrypoint, () => assert.deepEqual(localModuleClosure(root, entrypoint), expected));
  }

  it("an absolute entrypoint inside the root gives the same closure", () => {
    assert.deepEqual(localModuleClosure(root, join(root, "tasks/cleanup.py")), ["tasks/__init__.py", "tasks/cleanup.py", "tasks/helpers.py"]);
  });
  it("throws for an entrypoint outside the root", () => {
    assert.throws(() => localModuleClosure(root, "../outside.py"), { message: `entrypoint ../outside.py is outside the code root ${root}` });
    assert.throws(() => localModuleClosure(join(root, "tasks"), "../jobs/train.py"), {
      message: `entrypoint ../jobs/train.py is outside the code root ${join(root, "tasks")}`,
    });
  });
  it("throws for a missing entrypoint, with its path", () => {
    assert.throws(() => localModuleClosure(root, "tasks/missing.py"), {
      message: `entrypoint tasks/missing.py does not exist: no file ${join(root, "tasks/missing.py")}`,
    });
  });
  it("throws for a relative import beyond the top-level package, naming file and line", () => {
    assert.throws(() => localModuleClosure(root, "tasks/bad.py"), {
      message: 'tasks/bad.py:3: relative import "from .. import …" goes beyond the top-level package',
    });
    assert.throws(() => localModuleClosure(root, "main.py"), {
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
      for (const [path, text] of Object.entries(FIXTURE)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      const entrypoints = ["tasks/prepare_data.py", "tasks/train_model.py", "tasks/cleanup.py", "tasks/helpers.py", "uses_both.py"];
      const expected = modulefinder(root, entrypoints);
      for (const entrypoint of entrypoints) assert.deepEqual(localModuleClosure(root, entrypoint), expected[entrypoint], entrypoint);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const codeRoot = resolve(__dirname, "../../pipeline-code");
  const entrypoints = ["tasks/prepare_data.py", "tasks/train_model.py", "tasks/check_model_quality.py", "tasks/promote_model.py", "tasks/cleanup.py", "jobs/train.py"];
  const present = entrypoints.filter((e) => existsSync(join(codeRoot, e)));
  it(`on the real pipeline-code (${present.length} entrypoints present)`, { skip: present.length > 0 ? false : "not written yet" }, () => {
    const expected = modulefinder(codeRoot, present);
    for (const entrypoint of present) assert.deepEqual(localModuleClosure(codeRoot, entrypoint), expected[entrypoint], entrypoint);
  });
});

describe("localModuleClosure on the real pipeline-code", () => {
  const codeRoot = resolve(__dirname, "../../pipeline-code");
  const entrypoints = ["tasks/prepare_data.py", "tasks/train_model.py", "tasks/check_model_quality.py", "tasks/promote_model.py", "tasks/cleanup.py", "jobs/train.py"];
  for (const entrypoint of entrypoints) {
    const present = existsSync(join(codeRoot, entrypoint));
    it(`${entrypoint}: sorted, existing, local files including the entrypoint and its package`, { skip: present ? false : "not written yet" }, () => {
      const files = localModuleClosure(codeRoot, entrypoint);
      assert.ok(files.includes(entrypoint));
      assert.deepEqual([...files].sort(), files);
      for (const file of files) assert.ok(existsSync(join(codeRoot, file)), file);
      assert.ok(!files.some((f) => f.startsWith("tests/")), "the pytest suite is never bundled");
      if (existsSync(join(codeRoot, "tasks/__init__.py")) && entrypoint.startsWith("tasks/")) assert.ok(files.includes("tasks/__init__.py"));
    });
  }
});
