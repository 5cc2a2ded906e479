/**
 * `history [--limit N]`: past runs (TASK_HISTORY, 7 days) with duration and each task's outcome.
 *
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => …, ROOT_TASK_ID => '<id>'))
 */
import { pastRunLine } from "./cmdStatus";
import { loadGraph, snowflake, writeJson, type CommandContext } from "./context";
import { formatDuration } from "./duration";
import { EXIT } from "./exitCodes";
import { allTasks } from "./graph";
import { pastRunJson, pastRuns } from "./pastRuns";
import { parseTaskRun, taskHistorySql } from "./queries";
import { formatMetric, ICONS, paint } from "./renderRun";

export async function historyCommand(ctx: CommandContext, options: { limit: number }): Promise<number> {
  const graph = await loadGraph(ctx);
  // Room for every task of `limit` runs, retries, and the next scheduled run.
  const limit = Math.min(10_000, allTasks(graph).length * (options.limit + 1) * 2);
  const rows = (await snowflake(ctx, () => ctx.session.execute(taskHistorySql(graph.ref, { rootTaskId: graph.root.id ?? "", limit })))).map(parseTaskRun);
  const runs = pastRuns(graph, rows, options.limit);
  if (ctx.global.json) {
    writeJson(ctx.deps.stdout, { command: "history", rootTask: graph.root.fullName, runs: runs.map(pastRunJson) });
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
  ctx.deps.stdout.write(`${out.join("\n")}\n`);
  return EXIT.OK;
}
