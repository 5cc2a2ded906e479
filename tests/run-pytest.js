#!/usr/bin/env node
// Runs the pipelines' pytest suites in the Python environment tests/python-env.js provisions
// (.venv-pipeline/ from the pinned tests/python/requirements-test.txt). Arguments go to pytest.
//
// A suite is the tests/ folder of a pipeline's code folder: a folder of the project (or one level
// below) holding a pipeline.yaml and a tests/ folder, e.g. pipeline-code/tests. Each runs in its own
// pytest process from its code folder (imports resolve from there, and two suites' conftest.py
// never meet). A project without the sample, or with no suite at all, passes: nothing here names a
// pipeline. pytest's temporary folders and anything else written to TMPDIR (tsx's cache of the node
// processes some tests start) go to one scratch folder, removed afterwards.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, mkdtempSync, readdirSync, rmSync, statSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, relative } = require("node:path");

const ROOT = join(__dirname, "..");
const SKIP = new Set(["node_modules", ".git", ".build", ".venv-pipeline", "tests"]);

const isDir = (path) => existsSync(path) && statSync(path).isDirectory();

/** Code folders with a pipeline.yaml and a tests/ folder, up to two levels below `root`, sorted. */
function pytestSuites(root) {
  const found = [];
  const visit = (dir, depth) => {
    if (existsSync(join(dir, "pipeline.yaml")) && isDir(join(dir, "tests"))) found.push(dir);
    if (depth === 2) return;
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith(".") || SKIP.has(entry)) continue;
      const full = join(dir, entry);
      if (isDir(full)) visit(full, depth + 1);
    }
  };
  for (const entry of readdirSync(root).sort()) {
    if (entry.startsWith(".") || SKIP.has(entry)) continue;
    const full = join(root, entry);
    if (isDir(full)) visit(full, 1);
  }
  return found;
}

module.exports = { pytestSuites };

if (require.main === module) {
  const suites = pytestSuites(ROOT);
  if (suites.length === 0) {
    console.log("[run-pytest] no pytest suite (no folder with a pipeline.yaml and a tests/ folder): nothing to run");
    process.exit(0);
  }
  const { ensurePythonEnv } = require("./python-env");
  let env;
  try {
    env = ensurePythonEnv();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  const scratch = mkdtempSync(join(tmpdir(), "pipeline-pytest-"));
  let status = 0;
  try {
    suites.forEach((codeDir, i) => {
      console.log(`[run-pytest] ${relative(ROOT, codeDir)}/tests`);
      const result = spawnSync(
        env.python,
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", `--basetemp=${join(scratch, `pytest-${i}`)}`, "tests", ...process.argv.slice(2)],
        { cwd: codeDir, stdio: "inherit", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", TMPDIR: scratch, PIPELINE_PYTHON_KIND: env.kind, COVERAGE_FILE: join(scratch, `.coverage-${i}`) } },
      );
      if ((result.status ?? 1) !== 0) status = result.status ?? 1;
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(status);
}
