/**
 * `run`: execute the root task once with a fresh run token and follow exactly that run.
 * `watch`: follow a run again (by its token or RUN_ID), e.g. after Ctrl-C or a timeout.
 *
 * Statements of `run`, in order:
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>                                     (graph, root id, states)
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(…))   (a run already executing?)
 *   EXECUTE TASK <DB>.<SCHEMA>.<ROOT> USING CONFIG = $${…,"run_token":"<uuid>"}$$
 *   then the polls of runWatch.ts (TASK_HISTORY, COMPLETE_TASK_GRAPHS).
 *
 * `run --retry-last`:
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>
 *   SELECT … FROM TABLE(<DB>.INFORMATION_SCHEMA.TASK_HISTORY(… 7 days …))   (the last graph run and its outcome)
 *   EXECUTE TASK <DB>.<SCHEMA>.<ROOT> RETRY LAST
 *   then the same polls, for that run id, counting only rows newer than the failed attempt.
 */
import { PROGRAM_CONFIG_KEYS, RUN_CONFIG_KEYS } from "../../lib/graphConfig";
import type { GraphConfig } from "../../lib/types";
import { loadGraph, snowflake, writeJson, type CommandContext } from "./context";
import { formatDuration, formatTime } from "./duration";
import { CliError, EXIT, type ExitCode } from "./exitCodes";
import { allTasks, isActive, outcomeFromRows, type DeployedGraph } from "./graph";
import { canRedraw, FrameView, LineView, silentView, type LiveView } from "./liveView";
import { currentGraphsSql, executeTaskSql, parseCurrentGraph, parseTaskRun, retryLastSql, taskHistorySql, type TaskRun } from "./queries";
import { renderRunSummary, runJson, type RunContext } from "./renderRun";
import { watchRun, type WatchOutcome, type WatchResult } from "./runWatch";

export const DEFAULT_TIMEOUT = "6h";

export const OUTCOME_EXIT: Record<WatchOutcome, ExitCode> = {
  succeeded: EXIT.OK,
  failed: EXIT.FAILED,
  cancelled: EXIT.FAILED,
  timeout: EXIT.TIMEOUT,
  interrupted: EXIT.INTERRUPTED,
  unidentified: EXIT.UNIDENTIFIED,
  error: EXIT.SNOWFLAKE,
};

/** `--config key=value`: value parsed as JSON when it is a number or boolean, else kept as text. */
export function parseConfigOverrides(pairs: string[]): GraphConfig {
  const reserved = new Set<string>([...PROGRAM_CONFIG_KEYS, ...RUN_CONFIG_KEYS]);
  const config: GraphConfig = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--config ${JSON.stringify(pair)}: expected key=value`, EXIT.USAGE);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new CliError(`--config ${JSON.stringify(pair)}: the key must be a plain name (letters, digits, _)`, EXIT.USAGE);
    if (reserved.has(key)) {
      throw new CliError(`--config ${key}: the program sets this key (docs/design.md "Graph config"); it cannot be overridden per run`, EXIT.USAGE);
    }
    const trimmed = raw.trim();
    let value: string | number | boolean = raw;
    if (trimmed === "true" || trimmed === "false") value = trimmed === "true";
    else if (trimmed !== "" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) value = Number(trimmed);
    config[key] = value;
  }
  return config;
}

/** Children that are suspended (EXECUTE TASK skips them) and declared tasks that are missing. */
export function runnableProblems(graph: DeployedGraph, declaredTasks?: string[]): string[] {
  const problems: string[] = [];
  const present = new Set(allTasks(graph).map((t) => t.fullName));
  for (const declared of declaredTasks ?? []) if (!present.has(declared)) problems.push(`${declared} does not exist`);
  for (const child of graph.children) {
    if (child.state !== "started") problems.push(`${child.fullName} is ${child.state}: EXECUTE TASK would skip it`);
  }
  return problems;
}

function liveView(ctx: CommandContext, runCtx: RunContext): LiveView {
  const { deps, pc } = ctx;
  const mode = deps.live ?? (ctx.global.json ? "lines" : canRedraw(deps.stdout) ? "frame" : "lines");
  if (mode === "none") return silentView;
  // Under --json stdout carries only the JSON document; progress goes to stderr.
  const out = ctx.global.json ? deps.stderr : deps.stdout;
  if (mode === "frame" && !ctx.global.json) return new FrameView(out as unknown as NodeJS.WritableStream, runCtx, pc);
  return new LineView(out, runCtx, pc);
}

async function follow(
  ctx: CommandContext,
  runCtx: RunContext,
  graph: DeployedGraph,
  options: {
    token?: string;
    runId?: number;
    startedMs: number;
    timeoutMs: number;
    searchSinceMs?: number;
    retryAfterMs?: number;
    unidentifiedWhen?: "root-run-ended" | "no-pending-root-run";
  },
): Promise<number> {
  const view = liveView(ctx, runCtx);
  let result: WatchResult;
  try {
    result = await watchRun({
      graph,
      runner: ctx.session,
      clock: ctx.deps.clock,
      signal: ctx.deps.signal,
      backoff: ctx.deps.backoff,
      onUpdate: (snap) => view.update(snap),
      ...options,
    });
  } finally {
    view.stop();
  }
  const code = OUTCOME_EXIT[result.outcome];
  if (ctx.global.json) writeJson(ctx.deps.stdout, runJson(runCtx, result, code));
  else ctx.deps.stdout.write(`${renderRunSummary(runCtx, result, options.timeoutMs, ctx.pc)}\n`);
  return code;
}

/** The deployed graph, refused (NOT_RUNNABLE) when a run would skip tasks: both a run and a retry need it whole. */
async function loadRunnableGraph(ctx: CommandContext): Promise<Awaited<ReturnType<typeof loadGraph>>> {
  const graph = await loadGraph(ctx);
  const problems = runnableProblems(graph, ctx.target.declaredTasks);
  if (problems.length) {
    throw new CliError(
      `${graph.root.fullName} is not runnable as deployed:\n  ${problems.join("\n  ")}\n` +
        `Resume the children with \`${ctx.commandLine("resume --children-only")}\` (or \`pulumi up\`, whose GraphActivation repairs this).`,
      EXIT.NOT_RUNNABLE,
    );
  }
  return graph;
}

export async function runCommand(ctx: CommandContext, options: { config: GraphConfig; timeoutMs: number }): Promise<number> {
  const { deps, pc } = ctx;
  const startedMs = deps.clock.now();
  const graph = await loadRunnableGraph(ctx);
  const current = (await snowflake(ctx, () => ctx.session.execute(currentGraphsSql(graph.ref)))).map(parseCurrentGraph);
  const executing = current.filter((g) => g.state === "EXECUTING");
  if (executing.length) {
    const runs = executing.map((g) => ({
      runId: g.runId ?? null,
      scheduledAt: g.scheduledMs === undefined ? null : new Date(g.scheduledMs).toISOString(),
      scheduledFrom: g.scheduledFrom ?? null,
      follow: g.runId !== undefined ? ctx.commandLine(`watch --run-id ${g.runId}`) : null,
    }));
    if (ctx.global.json) {
      writeJson(deps.stdout, { command: "run", rootTask: graph.root.fullName, outcome: "already_running", exitCode: EXIT.ALREADY_RUNNING, runs });
    } else {
      deps.stdout.write(`${pc.yellow(`A run of ${graph.root.fullName} is already executing; no new run was started.`)}\n`);
      for (const r of executing) {
        deps.stdout.write(`  run id ${r.runId ?? "?"} scheduled ${formatTime(r.scheduledMs)}${r.scheduledFrom ? ` (${r.scheduledFrom})` : ""}\n`);
        if (r.runId !== undefined) deps.stdout.write(`  follow it with: ${ctx.commandLine(`watch --run-id ${r.runId}`)}\n`);
      }
    }
    return EXIT.ALREADY_RUNNING;
  }

  const token = deps.newToken();
  const sql = executeTaskSql(graph.ref, { ...options.config, run_token: token });
  try {
    await ctx.session.execute(sql);
  } catch (err) {
    // A statement that timed out or lost its connection may still have reached Snowflake.
    throw new CliError(
      `EXECUTE TASK failed: ${(err as Error).message}\nIf it reached Snowflake a run may have started; look with \`${ctx.commandLine(`watch --run-token ${token}`)}\`.`,
      EXIT.SNOWFLAKE,
    );
  }
  const runCtx: RunContext = { command: "run", graph, follow: ctx.commandLine(`watch --run-token ${token}`) };
  return follow(ctx, runCtx, graph, { token, startedMs, timeoutMs: options.timeoutMs });
}

/** TASK_HISTORY answers for the last 7 days; a minute less, so the window start is always accepted. */
const HISTORY_WINDOW_MS = 7 * 86_400_000 - 60_000;

/** The newest graph run in `rows` (a root row only scheduled for later is the next run, not a past one). */
export function lastGraphRun(rows: TaskRun[], nowMs: number): { runId: number; rows: TaskRun[] } | undefined {
  const past = rows.filter((r) => r.runId !== undefined && !(r.state === "SCHEDULED" && (r.scheduledMs ?? 0) > nowMs));
  if (past.length === 0) return undefined;
  const runId = Math.max(...past.map((r) => r.runId!));
  return { runId, rows: past.filter((r) => r.runId === runId) };
}

/**
 * `run --retry-last`: EXECUTE TASK <root> RETRY LAST retries the last graph run from its failed or
 * cancelled tasks (Snowflake refuses unless that run FAILED or was CANCELLED, within 14 days, and
 * the graph is unchanged since). The retry keeps the failed run's RUN_ID (TASK_HISTORY's RUN_ID is
 * the run's original schedule time), so it is followed by that run id, counting only task rows
 * scheduled after the failed attempt ended. Refused before anything is sent: no run in the last
 * 7 days, or the last one succeeded (NOTHING_TO_RETRY), or one is executing (ALREADY_RUNNING).
 */
export async function retryLastCommand(ctx: CommandContext, options: { timeoutMs: number }): Promise<number> {
  const { deps } = ctx;
  const startedMs = deps.clock.now();
  const graph = await loadRunnableGraph(ctx);
  const rootTaskId = graph.root.id;
  if (!rootTaskId) throw new CliError(`SHOW TASKS gave no id for ${graph.root.fullName}; TASK_HISTORY needs it`, EXIT.SNOWFLAKE);
  const history = await snowflake(ctx, () =>
    ctx.session.execute(taskHistorySql(graph.ref, { rootTaskId, sinceMs: startedMs - HISTORY_WINDOW_MS, limit: 1000 })),
  );
  const last = lastGraphRun(history.map(parseTaskRun), startedMs);
  if (!last) {
    throw new CliError(`nothing to retry: ${graph.root.fullName} has no run in TASK_HISTORY's last 7 days; start one with \`${ctx.commandLine("run")}\``, EXIT.NOTHING_TO_RETRY);
  }
  const outcome = outcomeFromRows(graph, last.rows);
  const when = formatTime(last.runId);
  if (outcome === "running" || last.rows.some(isActive)) {
    throw new CliError(
      `run id ${last.runId} of ${graph.root.fullName} (${when}) is still running; nothing was retried. Follow it with \`${ctx.commandLine(`watch --run-id ${last.runId}`)}\``,
      EXIT.ALREADY_RUNNING,
    );
  }
  if (outcome !== "failed" && outcome !== "cancelled") {
    throw new CliError(
      `nothing to retry: the last run of ${graph.root.fullName} (run id ${last.runId}, ${when}) ${outcome}; RETRY LAST retries only a run that failed or was cancelled`,
      EXIT.NOTHING_TO_RETRY,
    );
  }
  // Snowflake's clock: the retry's rows are scheduled after the failed attempt's last row.
  const retryAfterMs = Math.max(...last.rows.map((r) => r.completedMs ?? r.startedMs ?? r.scheduledMs ?? 0));
  try {
    await ctx.session.execute(retryLastSql(graph.ref));
  } catch (err) {
    throw new CliError(
      `EXECUTE TASK … RETRY LAST was refused: ${(err as Error).message}\n` +
        "Snowflake retries only the last run, when it failed or was cancelled within 14 days and the graph has not changed since; " +
        `if the statement reached Snowflake a retry may have started: \`${ctx.commandLine(`watch --run-id ${last.runId}`)}\`.`,
      EXIT.SNOWFLAKE,
    );
  }
  if (!ctx.global.json) deps.stdout.write(`Retrying run id ${last.runId} of ${graph.root.fullName} (${when}, ${outcome}) from its ${outcome} tasks.\n`);
  const runCtx: RunContext = { command: "run", graph, follow: ctx.commandLine(`watch --run-id ${last.runId}`) };
  return follow(ctx, runCtx, graph, { runId: last.runId, retryAfterMs, startedMs, timeoutMs: options.timeoutMs, unidentifiedWhen: "no-pending-root-run" });
}

/** Usage of `watch`, checked before anything is resolved or connected. */
export function checkWatchUsage(options: { token?: string; runId?: number }): void {
  if ((options.token === undefined) === (options.runId === undefined)) {
    throw new CliError("watch needs exactly one of --run-token TOKEN or --run-id ID", EXIT.USAGE);
  }
}

export async function watchCommand(
  ctx: CommandContext,
  options: { token?: string; runId?: number; timeoutMs: number; sinceMs: number },
): Promise<number> {
  checkWatchUsage(options);
  const startedMs = ctx.deps.clock.now();
  const graph = await loadGraph(ctx);
  // TASK_HISTORY answers only for the last 7 days.
  const sinceMs = Math.min(options.sinceMs, 7 * 86_400_000 - 60_000);
  const again = options.token !== undefined ? `watch --run-token ${options.token}` : `watch --run-id ${options.runId}`;
  const runCtx: RunContext = { command: "watch", graph, follow: ctx.commandLine(again) };
  return follow(ctx, runCtx, graph, {
    token: options.token,
    runId: options.runId,
    startedMs,
    timeoutMs: options.timeoutMs,
    searchSinceMs: startedMs - sinceMs,
    unidentifiedWhen: "no-pending-root-run",
  });
}

export { formatDuration };
