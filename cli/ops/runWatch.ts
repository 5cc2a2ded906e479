/**
 * Follows one graph run until it ends: correlation by run token, then polling with backoff.
 *
 * Correlation: `run` adds a fresh `run_token` to EXECUTE TASK … USING CONFIG, and the root task's
 * body echoes it with SYSTEM$SET_RETURN_VALUE (docs/design.md "Root task"). The run is ours only
 * when the root's TASK_HISTORY row has RETURN_VALUE = token; its RUN_ID then selects the task rows
 * of exactly this run. There is no fallback to "the latest run": when no root run returns the token,
 * the watcher says so (outcome "unidentified") or times out.
 *
 * End of the run: COMPLETE_TASK_GRAPHS has a row for the RUN_ID (asked only when no task of the run
 * is scheduled or executing; the newest row counts). A FAILED or CANCELLED end is final only after
 * it has stood for 30 s with no task of the run active again, because TASK_AUTO_RETRY_ATTEMPTS may
 * retry the graph from the failed task. A task with no row in a SUCCEEDED graph was skipped (the branch not
 * taken). For a run older than COMPLETE_TASK_GRAPHS' 60 minutes, the outcome comes from the task rows.
 *
 * Statements per poll: 1 TASK_HISTORY, plus COMPLETE_TASK_GRAPHS when nothing is active, plus one
 * last TASK_HISTORY when the run has ended. Polls back off (pacing.ts) and the session's
 * StatementBudget caps statements per minute. Transient failures (dropped connection, timeouts)
 * are retried on a fresh connection up to `maxConsecutiveErrors` polls in a row.
 */
import type { Clock } from "./clock";
import { isActive, taskViews, outcomeFromRows, type DeployedGraph, type TaskView } from "./graph";
import { Backoff, DEFAULT_BACKOFF, type BackoffSettings } from "./pacing";
import {
  completeGraphSql,
  parseCompleteGraph,
  parseTaskRun,
  taskHistorySql,
  type CompleteGraph,
  type TaskRun,
} from "./queries";
import { isTransientError } from "./session";

export interface StatementRunner {
  execute(sql: string): Promise<Record<string, unknown>[]>;
}

export type WatchOutcome = "succeeded" | "failed" | "cancelled" | "timeout" | "interrupted" | "unidentified" | "error";

export interface RunSnapshot {
  /** queued: our run is not identified yet; running: identified; done: the graph run ended. */
  phase: "queued" | "running" | "done";
  token?: string;
  runId?: number;
  tasks: TaskView[];
  /** Final graph state (COMPLETE_TASK_GRAPHS, or derived from task rows). */
  graphState?: string;
  /** Root runs seen in the window that are not ours (did not return the token). */
  otherRootRuns: TaskRun[];
  elapsedMs: number;
  /** Something to tell the operator now (connection retry, run not visible yet, ...). */
  note?: string;
}

export interface FirstError {
  task: string;
  code?: string;
  message?: string;
}

export interface WatchResult {
  outcome: WatchOutcome;
  snapshot: RunSnapshot;
  firstError?: FirstError;
  /** For outcome "error": what failed. */
  error?: Error;
  polls: number;
}

export interface WatchOptions {
  graph: DeployedGraph;
  runner: StatementRunner;
  clock: Clock;
  /** Follow the run whose root returned this token ... */
  token?: string;
  /** ... or the run with this RUN_ID. */
  runId?: number;
  /**
   * Follow a retry (EXECUTE TASK … RETRY LAST) of run `runId`: only task rows scheduled after this
   * time (epoch ms, Snowflake's clock: the failed attempt's last completion) and COMPLETE_TASK_GRAPHS
   * rows completed after it belong to the retry. Until such a row appears the retry is "queued", and
   * if none appears within `unidentifiedGraceMs` the outcome is "unidentified" (never the old failure).
   */
  retryAfterMs?: number;
  /** When the command started (epoch ms, client clock). */
  startedMs: number;
  /** TASK_HISTORY window start for finding the token (epoch ms); default startedMs - 10 min. */
  searchSinceMs?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  backoff?: BackoffSettings;
  maxConsecutiveErrors?: number;
  /** How long "no pending root run, none with our token" must last before giving up (default 60 s). */
  unidentifiedGraceMs?: number;
  /**
   * When to start that grace period: "root-run-ended" (run: a root run scheduled after the command
   * started has ended without the token; right after EXECUTE TASK the run may not be visible yet) or
   * "no-pending-root-run" (watch: nothing pending at all). With a run id: no task row of that run.
   */
  unidentifiedWhen?: "root-run-ended" | "no-pending-root-run";
  /** How long an ended run may lack a COMPLETE_TASK_GRAPHS row before the outcome is derived from task rows. */
  completeGraceMs?: number;
  /** How long a FAILED/CANCELLED end must stand (no task of the run active again) before it is final (default 30 s). */
  failureGraceMs?: number;
  onUpdate?: (snapshot: RunSnapshot) => void;
}

/** Slack for the token search window: the client clock may be ahead of Snowflake's. */
export const SEARCH_SLACK_MS = 10 * 60_000;

export async function watchRun(options: WatchOptions): Promise<WatchResult> {
  const { graph, runner, clock, signal } = options;
  const ref = graph.ref;
  const rootTaskId = graph.root.id;
  if (!rootTaskId) throw new Error(`SHOW TASKS gave no id for ${graph.root.fullName}; TASK_HISTORY needs it`);
  if (options.token === undefined && options.runId === undefined) throw new Error("watchRun needs a token or a run id");

  const backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
  const maxErrors = options.maxConsecutiveErrors ?? 5;
  const unidentifiedGrace = options.unidentifiedGraceMs ?? 60_000;
  const completeGrace = options.completeGraceMs ?? 120_000;
  const deadline = options.startedMs + options.timeoutMs;
  const searchSince = options.searchSinceMs ?? options.startedMs - SEARCH_SLACK_MS;

  let runId = options.runId;
  let rows: TaskRun[] = [];
  let otherRoots: TaskRun[] = [];
  let complete: CompleteGraph | undefined;
  let derivedState: string | undefined;
  let errors = 0;
  let polls = 0;
  let lastKey = "";
  let noPendingSince: number | undefined;
  let idleSince: number | undefined;
  /** When a FAILED/CANCELLED end was first seen: final only after `failureGraceMs`, as TASK_AUTO_RETRY_ATTEMPTS may retry the graph. */
  let failedSince: number | undefined;
  const failureGrace = options.failureGraceMs ?? 30_000;
  let note: string | undefined;
  const retryAfter = options.retryAfterMs;
  /** The rows of the attempt being followed: all rows of the run, or only the retry's. */
  const ownRows = () => (retryAfter === undefined ? rows : rows.filter((r) => (r.scheduledMs ?? 0) > retryAfter));

  const history = (filter: { sinceMs?: number; runId?: number }) =>
    runner.execute(taskHistorySql(ref, { rootTaskId, limit: 1000, ...filter })).then((r) => r.map(parseTaskRun));

  const snapshot = (): RunSnapshot => {
    const graphState = complete?.state ?? derivedState;
    return {
      phase: graphState ? "done" : runId === undefined || (retryAfter !== undefined && ownRows().length === 0) ? "queued" : "running",
      token: options.token,
      runId,
      tasks: taskViews(graph, rows, graphState),
      graphState,
      otherRootRuns: otherRoots,
      elapsedMs: clock.now() - options.startedMs,
      note,
    };
  };
  const finish = (outcome: WatchOutcome, extra: Partial<WatchResult> = {}): WatchResult => {
    const snap = snapshot();
    return { outcome, snapshot: snap, firstError: firstError(snap, complete), polls, ...extra };
  };

  for (;;) {
    if (signal?.aborted) return finish("interrupted");
    polls++;
    note = undefined;
    try {
      if (runId === undefined) {
        const all = await history({ sinceMs: searchSince });
        const mine = all.find((r) => r.name === graph.root.name && r.returnValue === options.token && r.runId !== undefined);
        if (mine) {
          runId = mine.runId;
          rows = all.filter((r) => r.runId === runId);
          otherRoots = [];
        } else {
          const now = clock.now();
          otherRoots = all.filter((r) => r.name === graph.root.name);
          // A root row scheduled in the future is the next scheduled run, not a pending one.
          const pending = otherRoots.some((r) => isActive(r) && (r.scheduledMs === undefined || r.scheduledMs <= now + 60_000));
          const endedSinceStart = otherRoots.some((r) => !isActive(r) && (r.scheduledMs ?? 0) >= options.startedMs - 60_000);
          const givingUp = (options.unidentifiedWhen ?? "root-run-ended") === "root-run-ended" ? !pending && endedSinceStart : !pending;
          if (givingUp) noPendingSince ??= now;
          else noPendingSince = undefined;
          note = pending ? "a root run is pending; waiting for it to return this run's token" : "waiting for the run to appear in TASK_HISTORY";
        }
      } else {
        rows = await history({ sinceMs: runId - 60_000, runId });
        if (ownRows().length === 0 && options.runId !== undefined) {
          noPendingSince ??= clock.now();
          note = retryAfter !== undefined ? `waiting for the retry of run id ${runId} to appear in TASK_HISTORY` : `no task run with run id ${runId} yet`;
        } else noPendingSince = undefined;
      }
      if (runId !== undefined && ownRows().length > 0 && !rows.some(isActive)) {
        const ends = (await runner.execute(completeGraphSql(ref, runId)))
          .map(parseCompleteGraph)
          .filter((end) => retryAfter === undefined || (end.completedMs ?? 0) > retryAfter);
        const found = ends.sort((a, b) => (b.completedMs ?? 0) - (a.completedMs ?? 0))[0];
        if (found?.state && found.state !== "SUCCEEDED") failedSince ??= clock.now();
        if (found?.state && (found.state === "SUCCEEDED" || clock.now() - failedSince! >= failureGrace)) {
          complete = found;
          rows = await history({ sinceMs: runId - 60_000, runId });
        } else if (found?.state) {
          note = `the graph run ended ${found.state}; watching ${Math.round(failureGrace / 1000)} s for an automatic retry`;
        } else if (rows.length > 0) {
          idleSince ??= clock.now();
          if (clock.now() - idleSince >= completeGrace) derivedState = outcomeFromRows(graph, rows).toUpperCase();
        }
      } else {
        idleSince = undefined;
        failedSince = undefined;
      }
      errors = 0;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!isTransientError(err)) return finish("error", { error });
      errors++;
      if (errors >= maxErrors) return finish("error", { error });
      note = `Snowflake did not answer (${errors} of ${maxErrors} attempts): ${error.message}; retrying`;
    }

    const snap = snapshot();
    const key = JSON.stringify([snap.phase, snap.runId, snap.tasks.map((t) => t.state), snap.note]);
    const changed = key !== lastKey;
    lastKey = key;
    if (changed) options.onUpdate?.(snap);

    if (snap.graphState) {
      const state = snap.graphState;
      return finish(state === "SUCCEEDED" ? "succeeded" : state === "CANCELLED" ? "cancelled" : "failed");
    }
    const now = clock.now();
    if ((runId === undefined || ownRows().length === 0) && noPendingSince !== undefined && now - noPendingSince >= unidentifiedGrace) {
      return finish("unidentified");
    }
    if (signal?.aborted) return finish("interrupted");
    if (now >= deadline) return finish("timeout");
    if (changed) backoff.reset();
    await clock.sleep(Math.min(backoff.next(), deadline - now), signal);
  }
}

/** The first error of the run: COMPLETE_TASK_GRAPHS' FIRST_ERROR_*, else the earliest failed task. */
function firstError(snap: RunSnapshot, complete: CompleteGraph | undefined): FirstError | undefined {
  if (complete?.firstErrorTask) {
    const task = snap.tasks.find((t) => t.name === complete.firstErrorTask);
    return { task: task?.label ?? complete.firstErrorTask, code: complete.firstErrorCode, message: complete.firstErrorMessage };
  }
  const failed = snap.tasks
    .filter((t) => t.state === "failed" || t.state === "cancelled")
    .sort((a, b) => (a.completedMs ?? Infinity) - (b.completedMs ?? Infinity))[0];
  return failed ? { task: failed.label, code: failed.error?.code, message: failed.error?.message } : undefined;
}
