/**
 * `npm run pipeline -- local`: the standalone run. Runs one pipeline of the stack (`--pipeline NAME`,
 * or the stack's only one) on this machine with that pipeline's graph config as the stack's program
 * would deploy it (read from the offline plan, so it is exactly the deployed root task's CONFIG).
 * The runner is the pipeline's own `run_local.py` in its folder (the sample's emulates the task graph:
 * pipeline-code/run_local.py with mlpipeline/local_run.py).
 *
 * This file only resolves the inputs and starts Python.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Command, Option } from "commander";
import { readPipelineDefinition } from "../lib/config/pipelineFile";
import { readStackConfigFiles } from "../lib/config/stackFiles";
import { DEFAULT_PIPELINE_FILE, PROJECT } from "../lib/config/stackSettings";
import { planWithSourceStacks } from "./sourceStacks";
import { EXIT } from "./ops/exitCodes";

export interface Output {
  write(text: string): unknown;
}

export interface PythonResult {
  code: number;
  stdout: string;
}

export interface LocalDeps {
  projectDir: string;
  /** Runs the interpreter; `capture` returns stdout instead of passing it through. Rejects when the interpreter cannot be started. */
  runPython(python: string, args: string[], options: { cwd: string; capture: boolean }): Promise<PythonResult>;
  /** The CONFIG of every root task the stack's program plans (parsed JSON objects). */
  plannedGraphConfigs(projectDir: string, stack: string): Promise<Record<string, unknown>[]>;
  /** The pipeline definition files the stack lists (stack key `pipelines`), relative to the project. */
  stackPipelineFiles(projectDir: string, stack: string): string[];
  /** The working directory, against which paths on the command line resolve. */
  cwd(): string;
}

/** Python modules the run needs, and the package that provides each (pins from pipeline.yaml). */
const REQUIRED = [
  ["snowflake.snowpark", "snowflake-snowpark-python"],
  ["snowflake.ml", "snowflake-ml-python"],
  ["xgboost", "xgboost"],
] as const;

const PROBE =
  "import importlib.util, json; " +
  `print(json.dumps([m for m in ${JSON.stringify(REQUIRED.map(([m]) => m))} if importlib.util.find_spec(m.split('.')[0]) is None or importlib.util.find_spec(m) is None]))`;

export const LOCAL_HELP = `
Runs the pipeline's Python tasks in graph order on this machine, with a Snowpark session from
Snowflake's connections.toml (--connection, else its default connection), emulating the task graph:
  - the graph config: the stack's (as its plan deploys it) plus --config overrides;
  - each task's predecessors' return values, and the branch task's choice (the other branch is skipped);
  - the finalizer (clean-up) runs last, always, also after a failed task.
Training runs here too (the ML Job payload in this process, not on the compute pool); SQL tasks
(the alert) are printed, not run. It works on the stack's objects: datasets, model versions and
stage files are written as by a scheduled run.

Needs Python 3 with snowflake-snowpark-python, snowflake-ml-python and xgboost (the versions
pipeline.yaml pins); --python picks the interpreter (a path resolves against the working directory).
--pipeline NAME picks the stack's pipeline (default: its only one); the run uses that pipeline's
folder and its own run_local.py there, and that pipeline's graph config.

Exit codes: 0 every task that ran succeeded, 1 a task failed, 2 bad arguments or configuration,
3 a required Python package is missing.

Examples:
  npm run pipeline -- local --no-register
  npm run pipeline -- local --stack dev --pipeline CHURN_PIPELINE
  npm run pipeline -- local --stack dev --connection dev --force-refresh --config metric_threshold=0.8`;

const MISSING_PACKAGES = 3;

export function missingPackagesMessage(missingModules: string[], packages: string[]): string {
  const pinned = new Map(packages.map((p) => [p.split(/[=<>!~]/)[0], p]));
  const missing = REQUIRED.filter(([module]) => missingModules.includes(module)).map(([, pkg]) => pkg);
  const install = REQUIRED.map(([, pkg]) => `'${pinned.get(pkg) ?? pkg}'`).join(" ");
  return `missing Python package(s): ${missing.join(", ")}. Install them with:\n  pip install ${install}\n`;
}

interface LocalOptions {
  register: boolean;
  forceRefresh?: boolean;
  config: string[];
  python: string;
}

async function localCommand(
  io: { stdout: Output; stderr: Output },
  deps: LocalDeps,
  options: LocalOptions,
  global: { stack?: string; connection?: string; pipeline?: string },
): Promise<number> {
  const stack = global.stack ?? "dev";
  let files: string[];
  try {
    files = deps.stackPipelineFiles(deps.projectDir, stack);
  } catch (error) {
    io.stderr.write(`error: stack ${stack}: ${(error as Error).message}\n`);
    return EXIT.USAGE;
  }
  const definitions = [];
  for (const file of files) {
    const read = readPipelineDefinition(resolve(deps.projectDir, file), file);
    if (!read.definition) {
      for (const p of read.problems) io.stderr.write(`error: ${p.file}${p.path ? ` ${p.path}` : ""}: ${p.message}\n`);
      return EXIT.USAGE;
    }
    definitions.push({ file, definition: read.definition });
  }
  const names = definitions.map((d) => d.definition.name);
  const chosen = global.pipeline === undefined ? (definitions.length === 1 ? definitions[0] : undefined) : definitions.find((d) => d.definition.name === global.pipeline);
  if (!chosen) {
    io.stderr.write(
      global.pipeline === undefined
        ? `error: stack ${stack} has ${names.length} pipelines: ${names.join(", ")}. Say which one with --pipeline NAME.\n`
        : `error: stack ${stack} has no pipeline ${global.pipeline}; expected one of ${names.join(", ")}\n`,
    );
    return EXIT.USAGE;
  }
  const pipeline = chosen.definition;
  const shown = chosen.file;
  const codeRoot = dirname(resolve(deps.projectDir, chosen.file));
  const runner = join(codeRoot, "run_local.py");
  if (!existsSync(runner)) {
    io.stderr.write(`error: ${relative(deps.projectDir, runner)} does not exist; the standalone run of ${pipeline.name} needs a run_local.py in its folder (the sample's: pipeline-code/run_local.py with mlpipeline/local_run.py)\n`);
    return EXIT.USAGE;
  }
  // A path on the command line is the user's, relative to where they are; a bare name is a command on PATH.
  const python = options.python.includes(sep) || options.python.includes("/") ? resolve(deps.cwd(), options.python) : options.python;

  let probe: PythonResult;
  try {
    probe = await deps.runPython(python, ["-c", PROBE], { cwd: codeRoot, capture: true });
  } catch (error) {
    io.stderr.write(`error: cannot start ${python} (${(error as Error).message}); install Python 3 or pass --python <path>\n`);
    return MISSING_PACKAGES;
  }
  const missing = probe.code === 0 ? (JSON.parse(probe.stdout.trim() || "[]") as string[]) : REQUIRED.map(([m]) => m);
  if (missing.length > 0) {
    io.stderr.write(missingPackagesMessage(missing, pipeline.packages ?? []));
    return MISSING_PACKAGES;
  }

  let configs: Record<string, unknown>[];
  try {
    configs = await deps.plannedGraphConfigs(deps.projectDir, stack);
  } catch (error) {
    io.stderr.write(`error: stack ${stack}: ${(error as Error).message}\n`);
    return EXIT.USAGE;
  }
  const graphConfig = configs.length === 1 ? configs[0] : configs.find((c) => c.pipeline_name === pipeline.name);
  if (!graphConfig) {
    io.stderr.write(`error: stack ${stack} plans ${configs.length} task graph(s), none named ${pipeline.name} (from ${shown})\n`);
    return EXIT.USAGE;
  }

  const dir = mkdtempSync(join(tmpdir(), "pipeline-local-"));
  try {
    const definition = join(dir, "definition.json");
    writeFileSync(definition, JSON.stringify({ pipeline, graphConfig }));
    const args = [runner, "--definition", definition];
    if (global.connection) args.push("--connection", global.connection);
    if (options.register === false) args.push("--no-register");
    if (options.forceRefresh) args.push("--force-refresh");
    for (const pair of options.config) args.push("--config", pair);
    const result = await deps.runPython(python, args, { cwd: codeRoot, capture: false });
    return result.code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function defaultLocalDeps(projectDir: string): LocalDeps {
  return {
    projectDir,
    // npm runs scripts in the package's folder and keeps the user's own in INIT_CWD.
    cwd: () => process.env.INIT_CWD ?? process.cwd(),
    stackPipelineFiles: (dir, stack) => {
      const listed = readStackConfigFiles(dir, stack).config[`${PROJECT}:pipelines`];
      return listed === undefined ? [DEFAULT_PIPELINE_FILE] : (JSON.parse(listed) as string[]);
    },
    runPython: (python, args, { cwd, capture }) =>
      new Promise((done, fail) => {
        const child = spawn(python, args, { cwd, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
        let stdout = "";
        child.stdout?.on("data", (d) => (stdout += d));
        child.on("error", fail);
        child.on("close", (code) => done({ code: code ?? 1, stdout }));
      }),
    plannedGraphConfigs: async (dir, stack) => {
      const plan = await planWithSourceStacks({ projectDir: dir, stack, preview: true });
      return plan.resources
        .filter((r) => r.type === "snowflake:index/task:Task" && typeof r.inputs.config === "string")
        .map((r) => JSON.parse(r.inputs.config as string) as Record<string, unknown>);
    },
  };
}

/** Adds `local` to the `pipeline` program; its exit code goes to `setCode`. */
export function registerLocalCommand(
  program: Command,
  io: { stdout: Output; stderr: Output },
  setCode: (code: number) => void,
  deps: LocalDeps = defaultLocalDeps(resolve(__dirname, "..")),
): Command {
  return program
    .command("local")
    .description("run the pipeline's Python tasks on this machine, emulating the task graph (no deployed graph needed)")
    .option("--no-register", "skip the task that registers the model")
    .option("--force-refresh", "rebuild the dataset versions even if the source table is unchanged")
    .option("--config <key=value>", "graph config override (repeatable); numbers and true/false are typed", (v: string, all: string[]) => [...all, v], [] as string[])
    .addOption(new Option("--python <path>", "the Python interpreter").default("python3"))
    .addHelpText("after", LOCAL_HELP)
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride()
    .action(async function (this: Command) {
      const global = this.optsWithGlobals() as { stack?: string; connection?: string; pipeline?: string };
      setCode(await localCommand(io, deps, this.opts() as LocalOptions, global));
    });
}
