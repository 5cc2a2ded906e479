import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pythonProblems, topLevelModules } from "../bundle/pythonChecks";
import { PythonSources } from "../bundle/pythonImports";
import { taskKey, validateGraph } from "../graph";
import { identifierProblem } from "../identifiers";
import { PipelineNames, pipelineNamesOn, PlatformNames, platformNames } from "../naming";
import { parseSchedule, TaskScheduleSpec } from "../schedule";
import { renderSqlTaskBody } from "../taskSql";
import { RootSettings } from "../tasks/taskDefinitions";
import { ConfigProblem, GraphConfig, PipelineDefinition, StackSettings } from "../types";
import { graphConfigProblems } from "./graphConfigSchema";
import { modelAliasProblem } from "./modelAliases";
import { dataQualityProblems, unknownColumnProblems } from "../dataQuality/expectations";
import { modelMonitorProblems } from "../monitoring/modelMonitor";
import { readPipelineDefinition } from "./pipelineFile";
import { PROJECT, stackSettingsFromConfig } from "./stackSettings";

/** One pipeline of the stack, validated: its definition, names and root settings. */
export interface ResolvedPipeline {
  /** The definition file as problems name it (relative to the project directory). */
  file: string;
  /** Absolute directory of the definition file; entrypoints are relative to it. */
  codeRoot: string;
  definition: PipelineDefinition;
  names: PipelineNames;
  /** Root settings: the stack-wide ones with this pipeline's pipelineSettings over them. */
  root: RootSettings;
  /** The schedule as written, for the stack output ("manual" when none). */
  scheduleText: string;
  /** Values the pipeline's SQL tasks may reference as ${name}. */
  sqlVariables: Record<string, string | undefined>;
  /** The code folder's Python files, parsed (the bundles are built from these). */
  python: PythonSources;
  /** Its source table in dataSchema: pipelineSettings, else its definition, else the stack-wide default. */
  sourceTable?: string;
  /** Present when its definition has sample data; `path` (absolute) when the stack stages it. */
  sampleData?: { path?: string };
}

/** Everything the components need, validated. */
export interface ResolvedConfiguration {
  stack: string;
  projectDir: string;
  stackFile: string;
  settings: StackSettings;
  platform: PlatformNames;
  pipelines: ResolvedPipeline[];
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
export function sqlTemplateVariables(settings: Pick<StackSettings, "notificationIntegration">, names: PipelineNames): Record<string, string | undefined> {
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

/** Names that must be unquoted identifiers; `at` names the key each came from. */
export function identifierProblems(
  settings: Pick<StackSettings, "database" | "schema" | "dataSchema" | "registrySchema" | "warehouse" | "computePool" | "sourceTable"> &
    Partial<Pick<StackSettings, "notificationIntegration" | "errorIntegration" | "pipelineRole">>,
  file: string,
  at: (key: string) => string,
): ConfigProblem[] {
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
    return problem ? [{ file, path: at(key), message: problem }] : [];
  });
}

/** Checks of the platform's settings that a schema cannot express. */
export function platformProblems(settings: Pick<StackSettings, "warehouse" | "computePool" | "schema" | "dataSchema" | "registrySchema">, file: string, at: (key: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
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
  return problems;
}

/**
 * A pipeline's schedule and started state, checked; `at` names the key each came from. Its graph
 * config values are checked against the definition's configSchema by graphConfigProblems.
 */
export function rootSettingsProblems(
  root: { schedule?: string | number; started: boolean },
  file: string,
  at: { schedule: string; started: string },
): { problems: ConfigProblem[]; schedule?: TaskScheduleSpec } {
  const problems: ConfigProblem[] = [];
  let schedule: TaskScheduleSpec | undefined;
  try {
    schedule = parseSchedule(root.schedule);
  } catch (error) {
    problems.push({ file, path: at.schedule, message: (error as Error).message });
  }
  if (root.started && root.schedule === undefined) {
    problems.push({ file, path: at.started, message: "started: true needs a schedule (a root task without a schedule cannot be resumed); use started: false for manual runs" });
  }
  return { problems, schedule };
}

/** The root settings of the pipeline named `name`: its pipelineSettings over the stack-wide keys, checked. */
function pipelineRootSettings(settings: StackSettings, name: string, file: string): { problems: ConfigProblem[]; root: RootSettings; scheduleText: string } {
  const own = settings.pipelineSettings[name] ?? {};
  const key = (k: string, has: boolean) => `${PROJECT}:${has ? `pipelineSettings.${name}.${k}` : k}`;
  const scheduleRaw = own.schedule ?? settings.schedule;
  const started = own.started ?? settings.started;
  const graphConfig = { ...settings.graphConfig, ...(own.graphConfig ?? {}) };
  const checked = rootSettingsProblems({ schedule: scheduleRaw, started }, file, {
    schedule: key("schedule", own.schedule !== undefined),
    started: key("started", own.started !== undefined),
  });
  // A problem in a stack-wide key is reported once, not once per pipeline.
  return {
    problems: checked.problems,
    scheduleText: scheduleRaw === undefined ? "manual" : String(scheduleRaw),
    root: {
      schedule: checked.schedule,
      started,
      graphConfig,
      allowOverlappingExecution: settings.allowOverlappingExecution,
      timeoutMs: settings.taskTimeoutMs,
      retries: settings.taskRetries,
      suspendAfterFailures: settings.suspendAfterFailures,
      errorIntegration: settings.errorIntegration,
    },
  };
}

/**
 * dataQuality's checks against the pipeline's own data: expectations are attached to its source
 * table, so it needs one; where the stack stages the pipeline's sample data, that file is its source
 * table there (PREPARE_DATA loads it when the table is absent), so the file's header names the columns
 * an expectation may name. A sample file that is missing is pipelineDataSettings' problem, not this one's.
 */
export function dataQualitySourceProblems(
  definition: Pick<PipelineDefinition, "name" | "dataQuality">,
  data: { sourceTable?: string; sampleData?: { path?: string } },
  file: string,
  shownFrom: string,
): ConfigProblem[] {
  if (!definition.dataQuality) return [];
  if (data.sourceTable === undefined) {
    return [{
      file,
      path: "dataQuality",
      message: `the expectations are attached to the pipeline's source table, and ${definition.name} has none; expected sourceTable in ${file} (or pipelineSettings.${definition.name}.sourceTable in the stack), or no dataQuality`,
    }];
  }
  const path = data.sampleData?.path;
  if (path === undefined || !existsSync(path)) return [];
  const header = readFileSync(path, "utf8").split(/\r?\n/, 1)[0].split(",").map((c) => c.trim());
  return unknownColumnProblems(definition.dataQuality, header, file, `the staged sample ${relative(shownFrom, path)}`);
}

/**
 * A pipeline's data settings: its source table and its sample data (the definition's file, staged
 * when its pipelineSettings or, failing that, the stack-wide sampleData say so). Problems name the key.
 */
export function pipelineDataSettings(
  settings: Pick<StackSettings, "sourceTable" | "sampleData" | "pipelineSettings">,
  definition: PipelineDefinition,
  codeRoot: string,
  files: { definition: string; stack: string; shownFrom: string },
): { problems: ConfigProblem[]; sourceTable?: string; sampleData?: { path?: string } } {
  const own = settings.pipelineSettings[definition.name] ?? {};
  const problems: ConfigProblem[] = [];
  const sourceTable = own.sourceTable ?? definition.sourceTable ?? settings.sourceTable;
  const stage = own.sampleData ?? settings.sampleData;
  if (definition.sampleData === undefined) {
    if (own.sampleData === true) {
      problems.push({
        file: files.stack,
        path: `${PROJECT}:pipelineSettings.${definition.name}.sampleData`,
        message: `${files.definition} has no sampleData (the sample file the pipeline stages); expected sampleData: <file> there, or no sampleData setting for ${definition.name}`,
      });
    }
    return { problems, sourceTable };
  }
  if (!stage) return { problems, sourceTable, sampleData: {} };
  const problem = pythonFileProblem(codeRoot, definition.sampleData, files.shownFrom);
  if (problem) problems.push({ file: files.definition, path: "sampleData", message: problem });
  return { problems, sourceTable, sampleData: { path: resolve(codeRoot, definition.sampleData) } };
}

function pythonFileProblem(codeRoot: string, path: string, shownFrom: string): string | undefined {
  const full = resolve(codeRoot, path);
  if (relative(codeRoot, full).startsWith("..")) return `expected a file inside ${relative(shownFrom, codeRoot) || codeRoot}`;
  if (!existsSync(full) || !statSync(full).isFile()) return `file not found: ${relative(shownFrom, full) || full}`;
  return undefined;
}

/**
 * Checks of a pipeline definition a schema cannot express: the graph, its files (inside `codeRoot`,
 * shown relative to `shownFrom`), its SQL and its config keys.
 */
export function pipelineSemanticProblems(
  def: PipelineDefinition,
  context: { maxTargetInstances: number; sqlVariables: Record<string, string | undefined> },
  codeRoot: string,
  file: string,
  shownFrom: string,
): ConfigProblem[] {
  const problems = validateGraph(def, file, { maxTargetInstances: context.maxTargetInstances });
  if (def.dataQuality) problems.push(...dataQualityProblems(def.dataQuality, def.tasks, file));
  const variables = context.sqlVariables;
  def.tasks.forEach((task, i) => {
    if (task.entrypoint) {
      const problem = pythonFileProblem(codeRoot, task.entrypoint, shownFrom);
      if (problem) problems.push({ file, path: `${taskKey(def.tasks, i)}.entrypoint`, message: problem });
    }
    if (task.job) {
      const problem = pythonFileProblem(codeRoot, task.job.payload, shownFrom);
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
 * Problems between the pipelines of one stack: two with one name, or a Snowflake task name used
 * twice (pipeline A's task B$C and pipeline A$B's task C are both A$B$C). Stage paths start with the
 * pipeline's name (<PIPELINE>/<TASK>/…), so distinct names keep them apart.
 */
export function crossPipelineProblems(pipelines: { file: string; definition: PipelineDefinition }[], stackFile: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byName = new Map<string, string>();
  const taskOwner = new Map<string, string>();
  pipelines.forEach(({ file, definition }, i) => {
    const first = byName.get(definition.name);
    if (first !== undefined) {
      problems.push({ file: stackFile, path: `${PROJECT}:pipelines[${i}]`, message: `${file} names its pipeline ${definition.name}, as ${first} does; expected a name of its own` });
      return;
    }
    byName.set(definition.name, file);
    for (const name of [definition.name, ...definition.tasks.map((t) => `${definition.name}$${t.name}`)]) {
      const owner = taskOwner.get(name);
      if (owner !== undefined) {
        problems.push({ file, path: "name", message: `the Snowflake task ${name} is also a task of ${owner}; expected pipeline and task names that stay apart` });
      } else {
        taskOwner.set(name, file);
      }
    }
  });
  return problems;
}

/**
 * Validates the stack config and every pipeline definition together and returns everything the
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

  const at = (key: string) => `${PROJECT}:${key}`;
  const all = [...identifierProblems(settings, stackFile, at), ...platformProblems(settings, stackFile, at)];
  if (settings.errorIntegration !== undefined && settings.errorIntegration === settings.notificationIntegration) {
    all.push({
      file: stackFile,
      path: at("errorIntegration"),
      message:
        `${settings.errorIntegration} is also notificationIntegration; expected two integrations: errorIntegration a queue notification integration ` +
        "(Amazon SNS, Google Pub/Sub or Azure Event Grid) for the root's ERROR_INTEGRATION, notificationIntegration an email or webhook " +
        "notification integration for SEND_ALERT's message; one integration cannot be both types",
    });
  }
  const platform = platformNames(settings);
  const seenFiles = new Map<string, number>();
  const read: { file: string; path: string; definition: PipelineDefinition }[] = [];
  let unreadable = false;
  settings.pipelines.forEach((listed, i) => {
    const path = resolve(args.projectDir, listed);
    const file = relative(args.projectDir, path) || listed;
    if (seenFiles.has(path)) {
      all.push({ file: stackFile, path: at(`pipelines[${i}]`), message: `${listed} is listed twice (also pipelines[${seenFiles.get(path)}])` });
      return;
    }
    seenFiles.set(path, i);
    const result = readPipelineDefinition(path, file);
    all.push(...result.problems);
    if (result.definition) read.push({ file, path, definition: result.definition });
    else unreadable = true;
  });
  if (unreadable) throw new ConfigurationError(all);
  all.push(...crossPipelineProblems(read, stackFile));

  if (settings.modelMonitor) all.push(...modelMonitorProblems(settings.modelMonitor, settings.notificationIntegration, stackFile, at("modelMonitor")));
  const known = new Set(read.map((r) => r.definition.name));
  for (const name of Object.keys(settings.pipelineSettings)) {
    if (!known.has(name)) {
      all.push({ file: stackFile, path: at(`pipelineSettings.${name}`), message: `no pipeline of this stack is named ${name}; expected one of ${[...known].sort().join(", ")}` });
    }
  }

  const pipelines: ResolvedPipeline[] = [];
  const warnings: string[] = [];
  // A problem of a stack-wide key shows once, however many pipelines it applies to.
  const seenProblems = new Set<string>();
  const addOnce = (problems: ConfigProblem[]) => {
    for (const problem of problems) {
      const key = `${problem.file}\u0000${problem.path}\u0000${problem.message}`;
      if (!seenProblems.has(key)) all.push(problem);
      seenProblems.add(key);
    }
  };
  // Every pipeline's code is parsed first: an import of another pipeline's module is named as such.
  const parsed = read.map(({ path, definition }) => ({ codeRoot: dirname(path), name: definition.name, python: args.parsePython(dirname(path), definition.runtime) }));
  for (const [i, { file, path, definition }] of read.entries()) {
    const codeRoot = dirname(path);
    const data = pipelineDataSettings(settings, definition, codeRoot, { definition: file, stack: stackFile, shownFrom: args.projectDir });
    all.push(...data.problems);
    const names = pipelineNamesOn(platform, definition, data.sourceTable);
    const sqlVariables = sqlTemplateVariables(settings, names);
    all.push(...pipelineSemanticProblems(definition, { maxTargetInstances: settings.computePool.maxNodes, sqlVariables }, codeRoot, file, args.projectDir));
    const root = pipelineRootSettings(settings, definition.name, stackFile);
    addOnce(root.problems);
    const own = settings.pipelineSettings[definition.name]?.graphConfig;
    addOnce(
      graphConfigProblems(definition, file, [
        { values: definition.config, file, at: "config", label: "config" },
        { values: settings.graphConfig, file: stackFile, at: `${PROJECT}:graphConfig`, label: "the stack's graphConfig" },
        ...(own ? [{ values: own, file: stackFile, at: `${PROJECT}:pipelineSettings.${definition.name}.graphConfig`, label: `the stack's graphConfig of ${definition.name}` }] : []),
      ]),
    );
    const aliasProblem = modelAliasProblem({ ...definition.config, ...settings.graphConfig, ...(own ?? {}) });
    if (aliasProblem) all.push({ file, path: "config", message: aliasProblem });
    all.push(...dataQualitySourceProblems(definition, data, file, args.projectDir));
    const python = parsed[i].python;
    const others = parsed
      .filter((o) => o.codeRoot !== codeRoot)
      .map((o) => ({ codeDir: relative(args.projectDir, o.codeRoot) || ".", name: o.name, modules: topLevelModules(o.python) }));
    const pythonChecks = pythonProblems(definition, python, codeRoot, relative(args.projectDir, codeRoot), file, others);
    all.push(...pythonChecks.problems);
    warnings.push(...pythonChecks.warnings);
    pipelines.push({ file, codeRoot, definition, names, root: root.root, scheduleText: root.scheduleText, sqlVariables, python, sourceTable: data.sourceTable, sampleData: data.sampleData });
  }
  if (all.length > 0) throw new ConfigurationError(all);

  return { stack: args.stack, projectDir: args.projectDir, stackFile, settings, platform, pipelines, warnings };
}
