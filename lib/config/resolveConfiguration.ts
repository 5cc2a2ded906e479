import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pythonProblems } from "../bundle/pythonChecks";
import { PythonSources } from "../bundle/pythonImports";
import { taskKey, validateGraph } from "../graph";
import { identifierProblem } from "../identifiers";
import { PipelineNames, pipelineNames } from "../naming";
import { parseSchedule, TaskScheduleSpec } from "../schedule";
import { renderSqlTaskBody } from "../taskSql";
import { ConfigProblem, PipelineDefinition, StackSettings } from "../types";
import { graphConfigProblems } from "./graphConfigSchema";
import { readPipelineDefinition } from "./pipelineFile";
import { PROJECT, stackSettingsFromConfig } from "./stackSettings";

/** The generated sample table that dev stacks stage (written by pipeline-code/mlpipeline/sample_data.py). */
export const SAMPLE_DATA_FILE = "sample_data/mortgage_sample.csv";

/** Everything the components need, validated. */
export interface ResolvedConfiguration {
  stack: string;
  projectDir: string;
  stackFile: string;
  pipelineFile: string;
  /** Absolute directory of pipeline.yaml; entrypoints are relative to it. */
  codeRoot: string;
  settings: StackSettings;
  pipeline: PipelineDefinition;
  names: PipelineNames;
  schedule?: TaskScheduleSpec;
  /** The code folder's Python files, parsed (the bundles are built from these). */
  python: PythonSources;
  /** Problems that do not stop the plan (a third-party import no listed package provides). */
  warnings: string[];
}

/** Parses every .py file under a code folder for a Python runtime (build/pythonSources.ts spawns python3). */
export type PythonParser = (codeRoot: string, runtime: string) => PythonSources;

export class ConfigurationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was registered:\n` +
        problems.map((p) => `  ${p.file}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"),
    );
    this.name = "ConfigurationError";
  }
}

/** Values a SQL task may reference as ${name}. */
export function sqlTemplateVariables(settings: StackSettings, names: PipelineNames): Record<string, string | undefined> {
  return {
    pipeline: names.rootTask,
    database: names.database,
    schema: names.schema,
    dataSchema: names.dataSchema,
    registrySchema: names.registrySchema,
    warehouse: names.warehouse,
    computePool: names.computePool,
    notificationIntegration: settings.notificationIntegration,
    codeStage: names.stageFqn.code,
    artifactStage: names.stageFqn.artifact,
    sourceTable: names.sourceTableFqn,
  };
}

function identifierProblems(settings: StackSettings, file: string): ConfigProblem[] {
  const named: [string, string | undefined][] = [
    ["database", settings.database],
    ["schema", settings.schema],
    ["dataSchema", settings.dataSchema],
    ["registrySchema", settings.registrySchema],
    ["warehouse.name", settings.warehouse.name],
    ["computePool.name", settings.computePool.name],
    ["notificationIntegration", settings.notificationIntegration],
    ["errorIntegration", settings.errorIntegration],
    ["pipelineRole.name", settings.pipelineRole?.name],
    ["sourceTable", settings.sourceTable],
  ];
  return named.flatMap(([key, value]) => {
    const problem = value === undefined ? undefined : identifierProblem(value);
    return problem ? [{ file, path: `${PROJECT}:${key}`, message: problem }] : [];
  });
}

function stackSemanticProblems(settings: StackSettings, file: string): { problems: ConfigProblem[]; schedule?: TaskScheduleSpec } {
  const problems = identifierProblems(settings, file);
  const at = (key: string) => `${PROJECT}:${key}`;
  const wh = settings.warehouse;
  if (wh.existing === true && wh.size !== undefined) {
    problems.push({ file, path: at("warehouse"), message: "expected either size (create the warehouse) or existing: true (use it by name), not both" });
  }
  if (wh.existing !== true && wh.size === undefined) {
    problems.push({ file, path: at("warehouse"), message: "expected size (create the warehouse) or existing: true (use an existing one by name)" });
  }
  const pool = settings.computePool;
  if (pool.minNodes > pool.maxNodes) {
    problems.push({ file, path: at("computePool.minNodes"), message: `expected at most maxNodes (${pool.maxNodes}), got ${pool.minNodes}` });
  }
  if (settings.schema === settings.dataSchema || settings.schema === settings.registrySchema) {
    problems.push({ file, path: at("schema"), message: "expected the pipeline schema to differ from dataSchema and registrySchema" });
  }
  let schedule: TaskScheduleSpec | undefined;
  try {
    schedule = parseSchedule(settings.schedule);
  } catch (error) {
    problems.push({ file, path: at("schedule"), message: (error as Error).message });
  }
  if (settings.errorIntegration !== undefined && settings.errorIntegration === settings.notificationIntegration) {
    problems.push({
      file,
      path: at("errorIntegration"),
      message:
        `${settings.errorIntegration} is also notificationIntegration; expected two integrations: errorIntegration a queue notification integration ` +
        "(Amazon SNS, Google Pub/Sub or Azure Event Grid) for the root's ERROR_INTEGRATION, notificationIntegration an email or webhook " +
        "notification integration for SEND_ALERT's message; one integration cannot be both types",
    });
  }
  if (settings.started && settings.schedule === undefined) {
    problems.push({ file, path: at("started"), message: "started: true needs a schedule (a root task without a schedule cannot be resumed); use started: false for manual runs" });
  }
  return { problems, schedule };
}

function pythonFileProblem(codeRoot: string, path: string): string | undefined {
  const full = resolve(codeRoot, path);
  if (relative(codeRoot, full).startsWith("..")) return `expected a file inside ${codeRoot}`;
  if (!existsSync(full) || !statSync(full).isFile()) return `file not found: ${relative(process.cwd(), full) || full}`;
  return undefined;
}

function pipelineSemanticProblems(
  def: PipelineDefinition,
  settings: StackSettings,
  names: PipelineNames,
  codeRoot: string,
  file: string,
): ConfigProblem[] {
  const problems = validateGraph(def, file, { maxTargetInstances: settings.computePool.maxNodes });
  const variables = sqlTemplateVariables(settings, names);
  def.tasks.forEach((task, i) => {
    if (task.entrypoint) {
      const problem = pythonFileProblem(codeRoot, task.entrypoint);
      if (problem) problems.push({ file, path: `${taskKey(def.tasks, i)}.entrypoint`, message: problem });
    }
    if (task.job) {
      const problem = pythonFileProblem(codeRoot, task.job.payload);
      if (problem) problems.push({ file, path: `${taskKey(def.tasks, i)}.job.payload`, message: problem });
    }
    if (task.sql !== undefined) {
      // Rendered here only to report a problem before anything is registered; the task
      // definitions (lib/tasks/taskDefinitions.ts) render the body.
      try {
        renderSqlTaskBody(task.sql, variables);
      } catch (error) {
        problems.push({ file, path: `${taskKey(def.tasks, i)}.sql`, message: (error as Error).message });
      }
    }
  });
  return problems;
}

/**
 * Validates the stack config and the pipeline definition together and returns everything the
 * components need, or throws ConfigurationError listing every problem. Runs before any resource
 * is registered, so an invalid configuration registers nothing.
 */
export function resolveConfiguration(args: {
  projectDir: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: ReadonlySet<string>;
  /** Injected so lib/ stays free of processes; the program passes build/pythonSources.ts. */
  parsePython: PythonParser;
}): ResolvedConfiguration {
  const stackFile = `Pulumi.${args.stack}.yaml`;
  const { settings, problems } = stackSettingsFromConfig(args.config, args.secretKeys, stackFile);
  if (!settings) throw new ConfigurationError(problems);

  const stackChecks = stackSemanticProblems(settings, stackFile);
  const pipelinePath = resolve(args.projectDir, settings.pipelineFile);
  const pipelineFile = relative(args.projectDir, pipelinePath) || settings.pipelineFile;
  const read = readPipelineDefinition(pipelinePath, pipelineFile);
  const all = [...stackChecks.problems, ...read.problems];
  if (!read.definition) throw new ConfigurationError(all);

  const pipeline = read.definition;
  const names = pipelineNames(settings, pipeline);
  const codeRoot = dirname(pipelinePath);
  const checks = pipelineSemanticProblems(pipeline, settings, names, codeRoot, pipelineFile);
  all.push(...checks);
  all.push(
    ...graphConfigProblems(pipeline, pipelineFile, [
      { values: pipeline.config, file: pipelineFile, at: "config", label: "config" },
      { values: settings.graphConfig, file: stackFile, at: `${PROJECT}:graphConfig`, label: "the stack's graphConfig" },
    ]),
  );
  const python = args.parsePython(codeRoot, pipeline.runtime);
  const pythonChecks = pythonProblems(pipeline, python, codeRoot, relative(args.projectDir, codeRoot), pipelineFile);
  all.push(...pythonChecks.problems);
  if (settings.sampleData && !existsSync(join(codeRoot, SAMPLE_DATA_FILE))) {
    all.push({ file: stackFile, path: `${PROJECT}:sampleData`, message: `expected the generated sample file ${join(relative(args.projectDir, codeRoot), SAMPLE_DATA_FILE)}` });
  }
  if (all.length > 0) throw new ConfigurationError(all);

  return {
    stack: args.stack,
    projectDir: args.projectDir,
    stackFile,
    pipelineFile,
    codeRoot,
    settings,
    pipeline,
    names,
    schedule: stackChecks.schedule,
    python,
    warnings: pythonChecks.warnings,
  };
}
