/**
 * The plan checks the Python each task will run, before anything is registered: every file of a
 * task's bundle (and of an ML Job's payload) compiles, every local import resolves, each entrypoint
 * defines the handler its task procedure calls, taking what the procedure passes, and every other
 * import is the standard library's or a listed package's (or one of their dependencies'): a pipeline
 * is self-contained, so a module of another pipeline's folder, or of no folder at all, is an error.
 */
import { taskKey } from "../graph";
import { ConfigProblem, PipelineDefinition } from "../types";
import { providedModules } from "./pythonPackages";
import { FunctionParams, PythonSources, resolveClosure } from "./pythonImports";

/** The function a Python task's procedure calls (lib/taskSql.ts handlerFor: <module>.main). */
export const HANDLER = "main";

/** Modules every task procedure has without listing a package (Snowflake's runtime module). */
const RUNTIME_MODULES = new Set(["_snowflake"]);

export interface PythonCheckResult {
  problems: ConfigProblem[];
  warnings: string[];
}

/** Another pipeline of the stack: its code folder as shown, its name, and its top-level local modules. */
export interface OtherPipelineCode {
  codeDir: string;
  name: string;
  modules: ReadonlySet<string>;
}

/** The top-level modules and packages of a parsed code folder (what `import <name>` finds there). */
export function topLevelModules(sources: PythonSources): Set<string> {
  return new Set(Object.keys(sources.files).map((f) => f.split("/")[0].replace(/\.py$/, "")));
}

/** The arguments a task's procedure passes to main after the session (lib/tasks/taskDefinitions.ts). */
export function handlerArguments(task: { job?: unknown; branch?: unknown }): string[] {
  return [...(task.job ? ["payload_location", "payload_entrypoint", "target_instances"] : []), ...(task.branch ? ["branch_targets"] : [])];
}

/** Why `main(params)` cannot be called with `count` positional arguments, or undefined when it can. */
export function handlerSignatureProblem(params: FunctionParams, count: number): string | undefined {
  const required = params.positional.length - params.defaults;
  const shown = `main(${[...params.positional, ...(params.varargs ? ["*args"] : []), ...params.kwonlyRequired.map((k) => `*, ${k}`)].join(", ")})`;
  if (params.kwonlyRequired.length > 0) return `${shown} has keyword-only parameter(s) without a default (${params.kwonlyRequired.join(", ")}), which a procedure call cannot fill`;
  if (required > count) return `${shown} needs ${required} argument(s)`;
  if (count > params.positional.length && !params.varargs) {
    return `${shown} takes ${params.positional.length === 0 ? "no argument" : `at most ${params.positional.length} argument(s)`}`;
  }
  return undefined;
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
  /** The stack's other pipelines, so an import of one of their modules is named as such. */
  others: readonly OtherPipelineCode[] = [],
): PythonCheckResult {
  const shown = (file: string) => (codeDir === "" || codeDir === "." ? file : `${codeDir}/${file}`);
  const warnings: string[] = [];
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
      const main = entry.functions.find((f) => f.name === HANDLER);
      const args = handlerArguments(pipeline.tasks.find((t) => t.name === task) ?? {});
      const signature = main?.params === undefined ? undefined : handlerSignatureProblem(main.params, 1 + args.length);
      if (signature !== undefined) {
        add({
          file: shown(entrypoint),
          path: `line ${main!.line}`,
          message: `${signature}; task ${task}'s procedure calls main(${["session", ...args].join(", ")}) (docs/design.md "Task definitions")`,
        });
      }
      if (entry.error === null && main === undefined) {
        const others = entry.functions.map((f) => f.name);
        add({
          file: shown(entrypoint),
          path: `${taskKey(pipeline.tasks, pipeline.tasks.findIndex((t) => t.name === task))}.entrypoint`,
          message: `expected a top-level function ${HANDLER}(session, ...), the handler task ${task}'s procedure calls; the file defines ${
            others.length > 0 ? `only ${others.join(", ")}` : "no top-level function"
          }`,
        });
      }
    }
    // ML Job payloads run on the Container Runtime image with its own packages, so their
    // third-party imports are not compared with `packages`; another pipeline's module is refused there too.
    for (const ext of closure.external) {
      const top = ext.module.split(".")[0];
      if (stdlib.has(top) || RUNTIME_MODULES.has(top) || top === "__future__") continue;
      const statement = ext.names.length === 0 ? `import ${ext.module}` : `from ${ext.module} import ${ext.names.join(", ")}`;
      const owner = others.find((o) => o.modules.has(top));
      if (owner !== undefined) {
        add(
          {
            file: shown(ext.file),
            path: `line ${ext.line}`,
            message: `\`${statement}\`: ${top} is a module of ${owner.codeDir} (pipeline ${owner.name}), not of ${codeDir || "this pipeline's folder"}; expected a pipeline to import only its own folder's modules (copy the module into ${codeDir || "its folder"})`,
          },
          task,
          (tasks) => ` (${taskList(tasks, "imports", "import")} this file)`,
        );
        continue;
      }
      if (kind === "payload") continue;
      const imported = importedName(ext);
      if (provided.some((m) => imported === m || imported.startsWith(`${m}.`) || m.startsWith(`${imported}.`))) continue;
      add(
        {
          file: shown(ext.file),
          path: `line ${ext.line}`,
          message:
            `\`${statement}\`: ${imported} is no module of ${codeDir || "the pipeline's folder"}, of Python's standard library, or of a package in ${pipelineFile} "packages" ` +
            `(${pipeline.packages.join(", ") || "none listed"}) or their dependencies; expected a local module or a listed package`,
        },
        task,
        (tasks) => ` (${taskList(tasks, "fails", "fail")} on this import)`,
      );
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
