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
  const warnings: string[] = [];
  /** One warning per import statement, naming every task that runs it. */
  const missingPackages = new Map<string, string[]>();
  /**
   * One problem per file and line, naming every task it affects: a broken module that every task
   * imports is one problem, not one per task. `suffix` renders the tasks.
   */
  const found = new Map<string, { file: string; path: string; message: string; suffix?: (tasks: string[]) => string; tasks: string[] }>();
  const add = (problem: ConfigProblem, task?: string, suffix?: (tasks: string[]) => string) => {
    const key = `${problem.file}\u0000${problem.path}\u0000${problem.message}`;
    const entry = found.get(key) ?? { ...problem, suffix, tasks: [] };
    if (task !== undefined && !entry.tasks.includes(task)) entry.tasks.push(task);
    found.set(key, entry);
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
        add(
          { file: shown(file), path: `line ${error.line}`, message: `Python syntax error: ${error.message}` },
          task,
          (tasks) => ` (parsed by Python ${sources.python} for runtime ${pipeline.runtime}; ${taskList(tasks, "runs", "run")} this file)`,
        );
      }
    }
    for (const u of closure.unresolved) {
      const expected =
        u.expected.length === 0
          ? `a name ${u.missing.split(".").pop()} defined in ${shown(u.definedIn!)}`
          : `${u.expected.map(shown).join(" or ")}${u.definedIn ? `, or a name ${u.missing.split(".").pop()} defined in ${shown(u.definedIn)}` : ""}`;
      add(
        { file: shown(u.file), path: `line ${u.line}`, message: `\`${u.statement}\`: no local module ${u.missing}; expected ${expected}` },
        task,
        (tasks) => ` (${taskList(tasks, "imports", "import")} this file)`,
      );
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
        const key = `${shown(ext.file)}: line ${ext.line}: imports ${imported}`;
        const tasks = missingPackages.get(key) ?? [];
        if (!tasks.includes(task)) tasks.push(task);
        missingPackages.set(key, tasks);
      }
    }
  };

  pipeline.tasks.forEach((task, i) => {
    if (task.entrypoint !== undefined) check(task.name, `${taskKey(pipeline.tasks, i)}.entrypoint`, task.entrypoint, "entrypoint");
    if (task.job !== undefined) check(task.name, `${taskKey(pipeline.tasks, i)}.job.payload`, task.job.payload, "payload");
  });
  const problems = [...found.values()].map(({ file, path, message, suffix, tasks }) => ({
    file,
    path,
    message: suffix ? `${message}${suffix(tasks)}` : message,
  }));
  const listed = pipeline.packages.join(", ") || "none listed";
  for (const [where, tasks] of missingPackages) {
    warnings.push(`${where}, which no package in ${pipelineFile} "packages" provides (${listed}); ${taskList(tasks, "fails", "fail")} on that import unless a listed package brings it in`);
  }
  return { problems, warnings };
}

/** `task A fails`, `tasks A, B fail`, `tasks A, B, C and 2 more fail`. */
function taskList(tasks: string[], one: string, many: string): string {
  if (tasks.length === 1) return `task ${tasks[0]} ${one}`;
  const named = tasks.length <= 3 ? tasks.join(", ") : `${tasks.slice(0, 3).join(", ")} and ${tasks.length - 3} more`;
  return `tasks ${named} ${many}`;
}

/** The dotted name an external import reaches: `from snowflake import ml` -> snowflake.ml. */
function importedName(ext: { module: string; names: string[] }): string {
  return ext.names.length > 0 && ext.names[0] !== "*" ? `${ext.module}.${ext.names[0]}` : ext.module;
}
