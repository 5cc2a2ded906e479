/**
 * Parses a pipeline's Python code with CPython's own parser: one `python3` process per plan reads
 * every .py file of the code folder (build/python_sources.py) and returns imports, top-level
 * functions and names, and syntax errors as JSON. lib/bundle resolves and checks them (pure).
 *
 * Why CPython's `ast` and not a JavaScript Python grammar: the plan must refuse exactly the code that
 * Python will refuse. A JS grammar is error-tolerant by design and accepts code that CPython rejects
 * (`print 'x'`, an inconsistent dedent, `f() = 1` all parse without an error node in @lezer/python
 * 1.1), while `ast.parse` with the runtime's feature_version, followed by compile(), is the reference.
 * One process for all files keeps it fast (the 1,000-task bench graph: see docs/design.md); the
 * output is sorted, so the plan stays byte-identical. It needs python3 (3.10 or later) on the machine
 * that plans or deploys; the README says so.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PythonSources } from "../lib/bundle/pythonImports";
import { ConfigurationError } from "../lib/config/resolveConfiguration";

const SCRIPT = join(__dirname, "python_sources.py");

/** Raised when python3 cannot be run or fails: a configuration problem, so the plan exits 1 saying what to install. */
export class PythonUnavailableError extends ConfigurationError {
  constructor(python: string, message: string) {
    super([{ file: python, path: "", message }]);
    this.name = "PythonUnavailableError";
  }
}

/** Every .py file under codeRoot, parsed for `runtime` (e.g. "3.11"), by `python` (default python3). */
export function parsePythonSources(codeRoot: string, runtime: string, python = "python3"): PythonSources {
  // -I (isolated: no PYTHON* variables, no user site) keeps the result independent of the caller's
  // environment; -S skips the site module, since the script needs only the standard library.
  const run = spawnSync(python, ["-I", "-S", SCRIPT, codeRoot, runtime], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (run.error) {
    throw new PythonUnavailableError(
      python,
      `checking the task code needs Python 3.10 or later as ${python} on PATH (the plan parses every task file with CPython's ast); ${run.error.message}`,
    );
  }
  if (run.status !== 0) {
    throw new PythonUnavailableError(python, `${SCRIPT} failed (exit ${run.status}): ${run.stderr.trim().split("\n").pop() ?? ""}`);
  }
  return JSON.parse(run.stdout) as PythonSources;
}
