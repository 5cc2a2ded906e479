/**
 * Past graph runs from TASK_HISTORY rows (7 days, no latency), grouped by RUN_ID. COMPLETE_TASK_GRAPHS
 * only keeps 60 minutes, so the outcome of older runs is derived from their task rows
 * (graph.ts outcomeFromRows). A root row that is only SCHEDULED (no query yet) is the next
 * scheduled run, not a past one, and is left out.
 */
import { allTasks, outcomeFromRows, taskViews, type DeployedGraph, type TaskView } from "./graph";
import type { TaskRun } from "./queries";
import { runSpan } from "./renderRun";
import { extractResults, type RunResults } from "./results";

export interface PastRun {
  runId: number;
  outcome: "running" | "succeeded" | "failed" | "cancelled" | "skipped";
  scheduledMs?: number;
  startedMs?: number;
  completedMs?: number;
  durationMs?: number;
  tasks: TaskView[];
  results: RunResults;
  /** The run token the root returned, when it was started by `run`. */
  runToken?: string;
}

export function pastRuns(graph: DeployedGraph, rows: TaskRun[], limit: number): PastRun[] {
  const byRun = new Map<number, TaskRun[]>();
  for (const row of rows) {
    if (row.runId === undefined) continue;
    if (!byRun.has(row.runId)) byRun.set(row.runId, []);
    byRun.get(row.runId)!.push(row);
  }
  const names = new Set(allTasks(graph).map((t) => t.name));
  const runs: PastRun[] = [];
  for (const [runId, runRows] of byRun) {
    const mine = runRows.filter((r) => names.has(r.name));
    if (mine.length === 0) continue;
    if (mine.every((r) => r.state === "SCHEDULED" && r.queryId === undefined)) continue;
    const outcome = outcomeFromRows(graph, mine);
    const tasks = taskViews(graph, mine, outcome === "running" ? undefined : outcome.toUpperCase());
    const span = runSpan(tasks);
    const root = mine.find((r) => r.name === graph.root.name);
    runs.push({
      runId,
      outcome,
      scheduledMs: root?.scheduledMs ?? Math.min(...mine.map((r) => r.scheduledMs ?? Infinity)),
      startedMs: span.startedMs,
      completedMs: outcome === "running" ? undefined : span.completedMs,
      durationMs: outcome === "running" ? undefined : span.durationMs,
      tasks,
      results: extractResults(tasks),
      runToken: root?.returnValue && root.returnValue !== "scheduled" ? root.returnValue : undefined,
    });
  }
  return runs.sort((a, b) => b.runId - a.runId).slice(0, limit);
}

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export function pastRunJson(run: PastRun): Record<string, unknown> {
  return {
    runId: run.runId,
    outcome: run.outcome,
    runToken: run.runToken ?? null,
    scheduledAt: iso(run.scheduledMs),
    startedAt: iso(run.startedMs),
    completedAt: iso(run.completedMs),
    durationMs: run.durationMs ?? null,
    tasks: run.tasks.map((t) => ({
      task: t.label,
      state: t.state,
      durationMs: t.startedMs !== undefined && t.completedMs !== undefined ? t.completedMs - t.startedMs : null,
      error: t.error ? { code: t.error.code ?? null, message: t.error.message ?? null } : null,
    })),
    results: {
      metrics: run.results.metrics ?? null,
      trainingJobId: run.results.trainingJobId ?? null,
      branches: run.results.branches,
      promotedModel: run.results.promotedModel ?? null,
    },
  };
}
