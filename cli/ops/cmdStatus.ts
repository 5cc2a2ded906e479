/**
 * `status`: each task's state (started/suspended), what that means for the graph, the schedule and
 * next run, a run in progress, and the last runs.
 *
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => '<ROOT>', …))
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => …, ROOT_TASK_ID => '<id>'))
 */
import { loadGraph, snowflake, writeJson, type CommandContext } from "./context";
import { formatDuration, formatTime } from "./duration";
import { EXIT } from "./exitCodes";
import { allTasks, type DeployedGraph, type DeployedTask } from "./graph";
import { pastRunJson, pastRuns, type PastRun } from "./pastRuns";
import { currentGraphsSql, parseCurrentGraph, parseTaskRun, taskHistorySql, type CurrentGraph } from "./queries";
import { ICONS, paint, taskLabel } from "./renderRun";

export type GraphMode = "scheduled" | "manual" | "suspended" | "inconsistent";

/** What the task states add up to, and what is wrong. */
export function graphMode(graph: DeployedGraph): { mode: GraphMode; summary: string; problems: string[] } {
  const suspendedChildren = graph.children.filter((c) => c.state !== "started");
  const rootStarted = graph.root.state === "started";
  const problems: string[] = [];
  if (graph.root.lastSuspendedReason && !rootStarted) {
    problems.push(`the root was suspended by Snowflake: ${graph.root.lastSuspendedReason}`);
  }
  if (suspendedChildren.length === 0 && rootStarted) return { mode: "scheduled", summary: "started: runs on its schedule", problems };
  if (suspendedChildren.length === 0) return { mode: "manual", summary: "root suspended, children started: runs only with `run` (EXECUTE TASK)", problems };
  if (suspendedChildren.length === graph.children.length && !rootStarted) return { mode: "suspended", summary: "suspended: nothing runs", problems };
  for (const c of suspendedChildren) problems.push(`${c.label} is ${c.state}: every run skips it${c.role === "task" ? " and its successors" : ""}`);
  return { mode: "inconsistent", summary: "partly suspended", problems };
}

function taskStateLine(task: DeployedTask, width: number, ctx: CommandContext): string {
  const colour = task.state === "started" ? ctx.pc.green : ctx.pc.yellow;
  const schedule = task.role === "root" ? `  schedule: ${task.schedule ?? "none (manual runs only)"}` : "";
  return `  ${taskLabel(task).padEnd(width)}  ${colour(task.state.padEnd(9))}${schedule}`.trimEnd();
}

export function pastRunLine(run: PastRun, ctx: CommandContext): string {
  const state = run.outcome === "running" ? "running" : run.outcome;
  const colour = state === "succeeded" ? ctx.pc.green : state === "running" || state === "skipped" ? ctx.pc.cyan : ctx.pc.red;
  const duration = run.durationMs !== undefined ? formatDuration(run.durationMs) : "";
  return `  ${formatTime(run.startedMs ?? run.scheduledMs)}  ${colour(state.padEnd(9))}  ${duration.padEnd(6)}  run id ${run.runId}${run.runToken ? `  token ${run.runToken}` : ""}`;
}

export async function statusCommand(ctx: CommandContext, options: { runs: number }): Promise<number> {
  const graph = await loadGraph(ctx);
  const current = (await snowflake(ctx, () => ctx.session.execute(currentGraphsSql(graph.ref)))).map(parseCurrentGraph);
  const limit = Math.min(10_000, allTasks(graph).length * (options.runs + 2) * 2);
  const rows = (await snowflake(ctx, () => ctx.session.execute(taskHistorySql(graph.ref, { rootTaskId: graph.root.id ?? "", limit })))).map(parseTaskRun);
  const runs = pastRuns(graph, rows, options.runs);
  const { mode, summary, problems } = graphMode(graph);
  const executing = current.filter((g) => g.state === "EXECUTING");
  const next = current.filter((g) => g.state === "SCHEDULED").sort((a, b) => (a.scheduledMs ?? 0) - (b.scheduledMs ?? 0))[0];
  const missing = (ctx.target.declaredTasks ?? []).filter((t) => !allTasks(graph).some((d) => d.fullName === t));
  for (const m of missing) problems.push(`${m} is declared by the stack but does not exist`);

  if (ctx.global.json) {
    const graphRun = (g: CurrentGraph) => ({ runId: g.runId ?? null, scheduledAt: g.scheduledMs === undefined ? null : new Date(g.scheduledMs).toISOString(), scheduledFrom: g.scheduledFrom ?? null });
    writeJson(ctx.deps.stdout, {
      command: "status",
      rootTask: graph.root.fullName,
      mode,
      summary,
      schedule: graph.root.schedule ?? null,
      nextRunAt: next?.scheduledMs === undefined ? null : new Date(next.scheduledMs).toISOString(),
      inProgress: executing.map(graphRun),
      tasks: allTasks(graph).map((t) => ({ task: t.label, name: t.fullName, role: t.role, state: t.state, lastSuspendedReason: t.lastSuspendedReason ?? null })),
      problems,
      lastRuns: runs.map(pastRunJson),
    });
    return EXIT.OK;
  }
  const out: string[] = [];
  const width = Math.max(...allTasks(graph).map((t) => taskLabel(t).length));
  out.push(`${ctx.pc.bold(graph.root.fullName)}: ${summary}`);
  out.push(...allTasks(graph).map((t) => taskStateLine(t, width, ctx)));
  out.push(`Next run: ${next ? `${formatTime(next.scheduledMs)}${next.scheduledFrom ? ` (${next.scheduledFrom})` : ""}` : "none scheduled"}`);
  for (const g of executing) out.push(ctx.pc.cyan(`In progress: run id ${g.runId} (scheduled ${formatTime(g.scheduledMs)}${g.scheduledFrom ? `, ${g.scheduledFrom}` : ""})`));
  for (const p of problems) out.push(ctx.pc.yellow(`Problem: ${p}`));
  out.push(runs.length ? "Last runs:" : "Last runs: none in the last 7 days");
  for (const run of runs) {
    out.push(pastRunLine(run, ctx));
    const failed = run.tasks.find((t) => t.state === "failed");
    if (failed) out.push(`      ${paint(ctx.pc, "failed", ICONS.failed)} ${failed.label}: ${failed.error?.code ?? ""} ${failed.error?.message ?? ""}`.trimEnd());
  }
  ctx.deps.stdout.write(`${out.join("\n")}\n`);
  return EXIT.OK;
}
