/**
 * The plan checks the Python each task will run, before anything is registered: every file of a
 * task's bundle (and of an ML Job's payload) compiles, every local import resolves, and each
 * entrypoint defines the handler its task procedure calls. A third-party import that the pipeline's
 * `packages` does not provide is a warning, since a package may still bring it in another way.
 */
import { taskKey } from "../graph";
import { ConfigProblem, PipelineDefinition } from "../types";
import { providedModules } from "./pythonPackages";
import { PythonSources, resolveClosure } from "./pythonImports";

/** The function a Python task's procedure calls (lib/taskSql.ts handlerFor: <module>.main). */
export const HANDLER = "main";

/** Modules every task procedure has without listing a package (Snowflake's runtime module). */
const RUNTIME_MODULES = new Set(["_snowflake"]);

export interface PythonCheckResult {
  problems: ConfigProblem[];
  warnings: string[];
}

/**
 * Checks every Python task's entrypoint and ML Job payload. `codeDir` is the code folder as shown in
 * messages (relative to the project, e.g. pipeline-code), `pipelineFile` the definition's path.
 */
export function pythonProblems(
  pipeline: PipelineDefinition,
  sources: PythonSources,
  codeRoot: string,
  codeDir: string,
  pipelineFile: string,
): PythonCheckResult {
  const shown = (file: string) => (codeDir === "" || codeDir === "." ? file : `${codeDir}/${file}`);
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const seenProblems = new Set<string>();
  const seenWarnings = new Set<string>();
  const add = (problem: ConfigProblem) => {
    const key = `${problem.file}\u0000${problem.path}\u0000${problem.message}`;
    if (!seenProblems.has(key)) {
      seenProblems.add(key);
      problems.push(problem);
    }
  };
  const provided = providedModules(pipeline.packages);
  const stdlib = new Set(sources.stdlib);

  const check = (task: string, path: string, entrypoint: string, kind: "entrypoint" | "payload") => {
    if (sources.files[entrypoint] === undefined) return; // reported as a missing file by the configuration checks
    let closure;
    try {
      closure = resolveClosure(codeRoot, entrypoint, sources);
    } catch (error) {
      add({ file: pipelineFile, path, message: (error as Error).message });
      return;
    }
    for (const file of closure.files) {
      const error = sources.files[file].error;
      if (error) {
        add({
          file: shown(file),
          path: `line ${error.line}`,
          message: `Python syntax error: ${error.message} (parsed by Python ${sources.python} for runtime ${pipeline.runtime}; task ${task} runs this file)`,
        });
      }
    }
    for (const u of closure.unresolved) {
      const expected =
        u.expected.length === 0
          ? `a name ${u.missing.split(".").pop()} defined in ${shown(u.definedIn!)}`
          : `${u.expected.map(shown).join(" or ")}${u.definedIn ? `, or a name ${u.missing.split(".").pop()} defined in ${shown(u.definedIn)}` : ""}`;
      add({
        file: shown(u.file),
        path: `line ${u.line}`,
        message: `\`${u.statement}\`: no local module ${u.missing}; expected ${expected} (task ${task} imports this file)`,
      });
    }
    if (kind === "entrypoint") {
      const entry = sources.files[entrypoint];
      if (entry.error === null && !entry.functions.some((f) => f.name === HANDLER)) {
        const others = entry.functions.map((f) => f.name);
        add({
          file: shown(entrypoint),
          path: `${taskKey(pipeline.tasks, pipeline.tasks.findIndex((t) => t.name === task))}.entrypoint`,
          message: `expected a top-level function ${HANDLER}(session, ...), the handler task ${task}'s procedure calls; the file defines ${
            others.length > 0 ? `only ${others.join(", ")}` : "no top-level function"
          }`,
        });
      }
      // ML Job payloads run on the Container Runtime image with its own packages, so only the
      // procedure's imports are compared with `packages`.
      for (const ext of closure.external) {
        const top = ext.module.split(".")[0];
        if (stdlib.has(top) || RUNTIME_MODULES.has(top) || top === "__future__") continue;
        const imported = importedName(ext);
        if (provided.some((m) => imported === m || imported.startsWith(`${m}.`) || m.startsWith(`${imported}.`))) continue;
        const warning = `${shown(ext.file)}: line ${ext.line}: imports ${imported}, which no package in ${pipelineFile} "packages" provides (${
          pipeline.packages.join(", ") || "none listed"
        }); task ${task} fails on that import unless a listed package brings it in`;
        if (!seenWarnings.has(warning)) {
          seenWarnings.add(warning);
          warnings.push(warning);
        }
      }
    }
  };

  pipeline.tasks.forEach((task, i) => {
    if (task.entrypoint !== undefined) check(task.name, `${taskKey(pipeline.tasks, i)}.entrypoint`, task.entrypoint, "entrypoint");
    if (task.job !== undefined) check(task.name, `${taskKey(pipeline.tasks, i)}.job.payload`, task.job.payload, "payload");
  });
  return { problems, warnings };
}

/** The dotted name an external import reaches: `from snowflake import ml` -> snowflake.ml. */
function importedName(ext: { module: string; names: string[] }): string {
  return ext.names.length > 0 && ext.names[0] !== "*" ? `${ext.module}.${ext.names[0]}` : ext.module;
}
