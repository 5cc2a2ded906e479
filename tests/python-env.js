#!/usr/bin/env node
// The Python environment of the pipelines' pytest suites, provisioned with no step for the user.
//
// 1. PIPELINE_PYTHON set: that interpreter, as it is (the user manages it).
// 2. .venv-pipeline/ (gitignored) built from tests/python/requirements-test.txt and
//    constraints-test.txt, reused while its stamp (a hash of both files) matches; otherwise rebuilt
//    with pip from the Python package index (a few minutes and about 2 GB the first time).
// 3. The index out of reach: Debian's packages for /usr/bin/python3 (installed with apt-get when
//    run as root on Debian). The tests that need the Snowflake libraries then skip, saying why.
// 4. Otherwise: a message saying what to do, and exit status 1.
//
// `node tests/python-env.js` provisions and prints the interpreter; tests/run-pytest.js and
// `npm run bench -- --python` require it.
"use strict";
const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const VENV = join(ROOT, ".venv-pipeline");
const VENV_PYTHON = join(VENV, "bin", "python");
const STAMP = join(VENV, "requirements.sha256");
// Beside the tests, not in a pipeline's folder: the environment must not depend on any one pipeline existing.
const REQUIREMENTS = join(ROOT, "tests", "python", "requirements-test.txt");
const CONSTRAINTS = join(ROOT, "tests", "python", "constraints-test.txt");
const DEBIAN_PACKAGES = ["python3-pandas", "python3-sklearn", "python3-xgboost", "python3-pytest", "python3-yaml"];
const DEBIAN_PYTHON = "/usr/bin/python3";
// What every test needs; the Snowflake libraries are needed only by the tests that import them.
const BASE_PROBE = "import pandas, sklearn, xgboost, pytest, yaml";
const FULL_PROBE = BASE_PROBE + ", snowflake.snowpark, snowflake.ml, snowflake.core";

function log(message) {
  process.stderr.write(`[python-env] ${message}\n`);
}

function runs(exe, code) {
  return spawnSync(exe, ["-c", code], { stdio: "ignore" }).status === 0;
}

function requirementsHash() {
  const hash = createHash("sha256");
  for (const file of [REQUIREMENTS, CONSTRAINTS]) hash.update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function venvIsCurrent(stamp) {
  return existsSync(VENV_PYTHON) && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === stamp && runs(VENV_PYTHON, FULL_PROBE);
}

// A Python 3.10-3.13 (snowflake-snowpark-python 1.54 and snowflake-ml-python 1.48 both accept it)
// that can create virtual environments with pip in them.
function basePython() {
  const check = "import sys, venv, ensurepip; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)";
  return [process.env.PIPELINE_BASE_PYTHON, "python3", DEBIAN_PYTHON].filter(Boolean).find((exe) => runs(exe, check));
}

// Builds .venv-pipeline; returns null on success, else what went wrong. pip's scratch files go to
// a folder inside the venv that is removed, so nothing is left in /tmp.
function buildVenv(base, stamp) {
  rmSync(VENV, { recursive: true, force: true });
  log(`creating .venv-pipeline with ${base} from tests/python/requirements-test.txt (a few minutes the first time)`);
  const created = spawnSync(base, ["-m", "venv", VENV], { stdio: ["ignore", "inherit", "inherit"] });
  if (created.status !== 0) return `${base} -m venv failed`;
  const scratch = mkdtempSync(join(VENV, ".pip-tmp-"));
  try {
    const pip = spawnSync(
      VENV_PYTHON,
      ["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", "--quiet", "--timeout", "30", "--retries", "2",
        "-r", REQUIREMENTS, "-c", CONSTRAINTS],
      { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8", env: { ...process.env, TMPDIR: scratch } },
    );
    if (pip.status !== 0) {
      const tail = (pip.stderr || "").trim().split("\n").slice(-3).join("\n");
      return `pip install failed (exit ${pip.status}): ${tail}`;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!runs(VENV_PYTHON, FULL_PROBE)) return "the new environment cannot import the pinned packages";
  writeFileSync(STAMP, stamp + "\n");
  return null;
}

function debianFallback() {
  if (runs(DEBIAN_PYTHON, BASE_PROBE)) return DEBIAN_PYTHON;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !existsSync("/etc/debian_version")) return null;
  log(`installing Debian's ${DEBIAN_PACKAGES.join(" ")} for ${DEBIAN_PYTHON}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  const install = update.status === 0 && spawnSync("apt-get", ["install", "-y", "-qq", ...DEBIAN_PACKAGES], { stdio: ["ignore", "ignore", "inherit"], env });
  return install && install.status === 0 && runs(DEBIAN_PYTHON, BASE_PROBE) ? DEBIAN_PYTHON : null;
}

function instructions(problem) {
  return [
    `The pipelines' pytest suites need a Python environment, and none could be provisioned: ${problem}`,
    "Do one of these, then run npm test again:",
    "  - make the Python package index reachable for pip (pip's own settings: PIP_INDEX_URL, a proxy), and npm test",
    "    builds .venv-pipeline/ from tests/python/requirements-test.txt by itself;",
    "  - on Debian, as root: apt-get install -y " + DEBIAN_PACKAGES.join(" ") + " (the tests that need the",
    "    Snowflake libraries then skip);",
    "  - or set PIPELINE_PYTHON to an interpreter with the packages of tests/python/requirements-test.txt.",
  ].join("\n");
}

/** { python, kind: "custom" | "venv" | "debian" }, or throws an Error whose message says what to do. */
function ensurePythonEnv() {
  if (process.env.PIPELINE_PYTHON) {
    const python = process.env.PIPELINE_PYTHON;
    if (!runs(python, BASE_PROBE)) throw new Error(instructions(`PIPELINE_PYTHON=${python} cannot import pandas, sklearn, xgboost, pytest and yaml.`));
    return { python, kind: "custom" };
  }
  const stamp = requirementsHash();
  if (venvIsCurrent(stamp)) return { python: VENV_PYTHON, kind: "venv" };
  const base = basePython();
  const problem = base ? buildVenv(base, stamp) : "no Python 3.10-3.13 with the venv module was found (tried python3, /usr/bin/python3).";
  if (problem === null) return { python: VENV_PYTHON, kind: "venv" };
  rmSync(VENV, { recursive: true, force: true });
  log(problem);
  const debian = debianFallback();
  if (debian) {
    log(`using Debian's packages in ${debian}: the tests that need the Snowflake libraries skip`);
    return { python: debian, kind: "debian" };
  }
  throw new Error(instructions(problem));
}

module.exports = { ensurePythonEnv, requirementsHash, VENV, REQUIREMENTS, CONSTRAINTS };

if (require.main === module) {
  try {
    const { python, kind } = ensurePythonEnv();
    log(`the pytest suites use ${python} (${kind})`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
