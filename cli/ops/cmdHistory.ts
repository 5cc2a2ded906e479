/**
 * `history [--limit N]`: past runs (TASK_HISTORY, 7 days) with duration and each task's outcome.
 *
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => …, ROOT_TASK_ID => '<id>'))
 *
 * and, when the root's CONFIG names the metric, that metric across the training runs of the
 * pipeline's experiment next to the threshold each was judged against (experimentRuns.ts).
 */
import { pastRunLine } from "./cmdStatus";
import { loadGraph, snowflake, writeJson, type CommandContext } from "./context";
import { formatDuration } from "./duration";
import { EXIT } from "./exitCodes";
import { allTasks } from "./graph";
import { pastRunJson, pastRuns } from "./pastRuns";
import { parseTaskRun, taskHistorySql } from "./queries";
import { formatMetric, ICONS, paint } from "./renderRun";
import { experimentOfConfig, experimentRuns, showRunMetricsSql, showRunsSql, showThresholdsSql, type ExperimentRun, type ExperimentTarget } from "./experimentRuns";

interface ExperimentSection {
  target: ExperimentTarget;
  runs: ExperimentRun[];
  /** Why the runs could not be read (e.g. no experiment yet). */
  unavailable?: string;
}

async function readExperiment(ctx: CommandContext, target: ExperimentTarget, limit: number): Promise<ExperimentSection> {
  try {
    const runs = await ctx.session.execute(showRunsSql(target.experiment));
    const metrics = await ctx.session.execute(showRunMetricsSql(target.experiment, target.metric));
    const thresholds = await ctx.session.execute(showThresholdsSql(target.experiment));
    return { target, runs: experimentRuns(target, runs, metrics, thresholds, limit) };
  } catch (err) {
    // 002003: does not exist or not authorized (no training run recorded yet, or no privilege on it).
    if ((err as { code?: string }).code === "002003") return { target, runs: [], unavailable: (err as Error).message };
    throw err;
  }
}

function experimentLines(section: ExperimentSection, ctx: CommandContext): string[] {
  const { target } = section;
  const now = target.threshold === undefined ? "" : `; threshold now ${target.threshold}`;
  const head = `${target.metric} across training runs (experiment ${target.experiment}${now})`;
  if (section.unavailable) return [head, ctx.pc.dim(`  not available: ${section.unavailable}`)];
  if (section.runs.length === 0) return [head, "  no training runs recorded"];
  const width = Math.max(...section.runs.map((r) => r.run.length));
  return [
    head,
    ...section.runs.map((r) => {
      const value = r.value === undefined ? "-" : formatMetric(r.value);
      const verdict = r.passes === undefined ? "" : r.passes ? ctx.pc.green("  passes") : ctx.pc.red("  below");
      return `  ${(r.createdOn ?? "").padEnd(19)}  ${r.run.padEnd(width)}  ${value.padStart(6)}  threshold ${r.threshold ?? "-"}${verdict}`;
    }),
  ];
}

export async function historyCommand(ctx: CommandContext, options: { limit: number }): Promise<number> {
  const graph = await loadGraph(ctx);
  // Room for every task of `limit` runs, retries, and the next scheduled run.
  const limit = Math.min(10_000, allTasks(graph).length * (options.limit + 1) * 2);
  const rows = (await snowflake(ctx, () => ctx.session.execute(taskHistorySql(graph.ref, { rootTaskId: graph.root.id ?? "", limit })))).map(parseTaskRun);
  const runs = pastRuns(graph, rows, options.limit);
  const target = experimentOfConfig(graph.root.config);
  const experiment = target ? await snowflake(ctx, () => readExperiment(ctx, target, options.limit)) : undefined;
  if (ctx.global.json) {
    writeJson(ctx.deps.stdout, {
      command: "history",
      rootTask: graph.root.fullName,
      runs: runs.map(pastRunJson),
      ...(experiment ? { experiment: { name: experiment.target.experiment, metric: experiment.target.metric, thresholdNow: experiment.target.threshold ?? null, runs: experiment.runs, unavailable: experiment.unavailable ?? null } } : {}),
    });
    return EXIT.OK;
  }
  const out = [`${ctx.pc.bold(graph.root.fullName)}: ${runs.length ? `last ${runs.length} run(s), newest first` : "no runs in the last 7 days"}`];
  for (const run of runs) {
    out.push(pastRunLine(run, ctx));
    const cells = run.tasks
      .filter((t) => t.role !== "root")
      .map((t) => {
        const d = t.startedMs !== undefined && t.completedMs !== undefined ? ` ${formatDuration(t.completedMs - t.startedMs)}` : "";
        return `${paint(ctx.pc, t.state, ICONS[t.state])} ${t.label}${t.state === "succeeded" ? d : ` ${t.state}${d}`}`;
      });
    out.push(`      ${cells.join("  ")}`);
    const failed = run.tasks.find((t) => t.state === "failed");
    if (failed?.error) out.push(ctx.pc.red(`      ${failed.label}: ${failed.error.code ?? ""} ${failed.error.message ?? ""}`.trimEnd()));
    const r = run.results;
    if (r.metrics) out.push(`      metrics: ${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatMetric(v)}`).join(" ")}`);
    if (r.promotedModel) out.push(`      promoted ${r.promotedModel.model} version ${r.promotedModel.version}`);
  }
  if (experiment) out.push(...experimentLines(experiment, ctx));
  ctx.deps.stdout.write(`${out.join("\n")}\n`);
  return EXIT.OK;
}
