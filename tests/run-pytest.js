#!/usr/bin/env node
// Runs the pipeline-code pytest suite in the Python environment tests/python-env.js provisions
// (.venv-pipeline/ from the pinned pipeline-code/requirements-test.txt). Arguments go to pytest.
// pytest's temporary folders and anything else written to TMPDIR (tsx's cache of the node
// processes some tests start) go to one scratch folder, removed afterwards.
"use strict";
const { spawnSync } = require("node:child_process");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { ensurePythonEnv } = require("./python-env");

let env;
try {
  env = ensurePythonEnv();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
const codeDir = join(__dirname, "..", "pipeline-code");
const scratch = mkdtempSync(join(tmpdir(), "pipeline-pytest-"));
let status = 1;
try {
  const result = spawnSync(
    env.python,
    ["-m", "pytest", "-q", "-p", "no:cacheprovider", `--basetemp=${join(scratch, "pytest")}`, "tests", ...process.argv.slice(2)],
    { cwd: codeDir, stdio: "inherit", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", TMPDIR: scratch, PIPELINE_PYTHON_KIND: env.kind, COVERAGE_FILE: join(scratch, ".coverage") } },
  );
  status = result.status ?? 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
