#!/usr/bin/env node
// Runs the pipeline-code pytest suite with a Python that has pandas, scikit-learn, xgboost and pytest.
// Debian installs them for /usr/bin/python3 only (python3-pandas, python3-sklearn, python3-xgboost,
// python3-pytest); the python3 first on PATH may be another interpreter without them.
"use strict";
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const candidates = [process.env.PIPELINE_PYTHON, "/usr/bin/python3", "python3"].filter(Boolean);
const probe = "import pandas, sklearn, xgboost, pytest";
const python = candidates.find((exe) => spawnSync(exe, ["-c", probe], { stdio: "ignore" }).status === 0);
if (!python) {
  console.error(
    "No Python with pandas, scikit-learn, xgboost and pytest was found (tried " + candidates.join(", ") + ").\n" +
      "On Debian: apt-get install -y python3-pandas python3-sklearn python3-xgboost python3-pytest\n" +
      "or point PIPELINE_PYTHON at an interpreter that has them.",
  );
  process.exit(1);
}
const codeDir = join(__dirname, "..", "pipeline-code");
const result = spawnSync(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", ...process.argv.slice(2)], {
  cwd: codeDir,
  stdio: "inherit",
  env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
});
process.exit(result.status ?? 1);
