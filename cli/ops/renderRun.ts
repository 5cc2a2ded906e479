/**
 * How a graph run looks: the live frame (TTY), progress lines (pipes, CI, --json on stderr), the
 * final summary, and the JSON document of `run`/`watch --json`. Pure functions of the snapshot, so
 * tests compare exact text (colours off).
 */
import type { Colors } from "picocolors/types";
import { formatDuration, formatElapsed, formatTime } from "./duration";
import type { DeployedGraph, TaskRunState, TaskView } from "./graph";
import { extractResults, parseReturnValue, type RunResults } from "./results";
import type { RunSnapshot, WatchOutcome, WatchResult } from "./runWatch";
import type { TaskRun } from "./queries";

export const ICONS: Record<TaskRunState, string> = {
  waiting: "·",
  running: "▶",
  succeeded: "✔",
  failed: "✖",
  skipped: "↷",
  cancelled: "⊘",
  "not run": "-",
};

export function paint(pc: Colors, state: TaskRunState, text: string): string {
  switch (state) {
    case "running":
      return pc.cyan(text);
    case "succeeded":
      return pc.green(text);
    case "failed":
    case "cancelled":
      return pc.red(text);
    case "skipped":
      return pc.yellow(text);
    default:
      return pc.dim(text);
  }
}

export function taskLabel(task: Pick<TaskView, "label" | "role">): string {
  return task.role === "finalizer" ? `${task.label} (finalizer)` : task.role === "root" ? `${task.label} (root)` : task.label;
}

function labelWidth(tasks: TaskView[]): number {
  return Math.max(...tasks.map((t) => taskLabel(t).length));
}

function taskDuration(task: TaskView): string {
  return task.startedMs !== undefined && task.completedMs !== undefined ? formatDuration(task.completedMs - task.startedMs) : "";
}

/** One line per task: icon, name, state, duration, and what it returned or the error. */
export function taskLine(task: TaskView, width: number, pc: Colors): string {
  const detail = taskDetail(task);
  const cells = [
    paint(pc, task.state, ICONS[task.state]),
    taskLabel(task).padEnd(width),
    paint(pc, task.state, task.state.padEnd(9)),
    taskDuration(task).padEnd(6),
    detail ? pc.dim(detail) : "",
  ];
  return `  ${cells.join(" ")}`.trimEnd();
}

/** A short note about what a task returned: the branch chosen, the job id, the promoted version. */
export function taskDetail(task: TaskView): string {
  if (task.state === "failed" && task.error) return oneLine(`${task.error.code ? `${task.error.code}: ` : ""}${task.error.message ?? ""}`, 100);
  const value = parseReturnValue(task.returnValue);
  if (value === undefined) return "";
  if (typeof value === "string") return `→ ${oneLine(value, 60)}`;
  if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.model === "string" && v.version !== undefined) return `${v.model} ${v.version}${v.is_default === true ? " (default)" : ""}`;
    if (v.job_id !== undefined) return `job ${v.job_id}`;
  }
  return "";
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface RunContext {
  command: "run" | "watch";
  graph: DeployedGraph;
  /** The command that follows this run again (printed on Ctrl-C and timeout). */
  follow?: string;
}

function header(ctx: RunContext, snap: RunSnapshot, pc: Colors): string {
  const what = snap.token ? `Run ${snap.token}` : `Run ${snap.runId}`;
  const id = snap.token && snap.runId !== undefined ? ` · run id ${snap.runId}` : "";
  return `${pc.bold(what)} of ${ctx.graph.ref.database}.${ctx.graph.ref.schema}.${ctx.graph.ref.name}${id} ${pc.dim(formatElapsed(snap.elapsedMs))}`;
}

/** The live frame log-update redraws on a terminal. */
export function renderFrame(ctx: RunContext, snap: RunSnapshot, pc: Colors): string {
  const width = labelWidth(snap.tasks);
  const lines = [header(ctx, snap, pc), ...snap.tasks.map((t) => taskLine(t, width, pc))];
  if (snap.phase === "queued") lines.push(pc.dim(`  waiting for the run to start${snap.note ? ` (${snap.note})` : ""}`));
  else if (snap.note) lines.push(pc.yellow(`  ${snap.note}`));
  lines.push(pc.dim("Ctrl-C stops following; the run continues in Snowflake."));
  return lines.join("\n");
}

/** Progress lines for what changed between two snapshots (first call: prev undefined). */
export function progressLines(ctx: RunContext, prev: RunSnapshot | undefined, next: RunSnapshot, pc: Colors): string[] {
  const at = pc.dim(formatElapsed(next.elapsedMs));
  const lines: string[] = [];
  if (!prev) {
    const subject = next.token ? `run token ${next.token}` : `run id ${next.runId}`;
    lines.push(`${at} following ${subject} of ${ctx.graph.ref.database}.${ctx.graph.ref.schema}.${ctx.graph.ref.name}`);
  }
  if (next.runId !== undefined && prev?.runId === undefined && next.token) lines.push(`${at} run identified: run id ${next.runId}`);
  if (next.note && next.note !== prev?.note) lines.push(`${at} ${next.note}`);
  const width = labelWidth(next.tasks);
  next.tasks.forEach((task, i) => {
    const before = prev?.tasks[i]?.state ?? "waiting";
    if (task.state === before) return;
    const detail = taskDetail(task);
    const duration = taskDuration(task);
    lines.push(
      `${at} ${taskLabel(task).padEnd(width)} ${paint(pc, task.state, task.state)}${duration ? ` ${duration}` : ""}${detail ? ` ${pc.dim(detail)}` : ""}`,
    );
  });
  return lines;
}

/** Start, end and duration of a run from its task rows. */
export function runSpan(tasks: TaskView[]): { startedMs?: number; completedMs?: number; durationMs?: number } {
  const starts = tasks.map((t) => t.startedMs).filter((v): v is number => v !== undefined);
  const ends = tasks.map((t) => t.completedMs).filter((v): v is number => v !== undefined);
  const startedMs = starts.length ? Math.min(...starts) : undefined;
  const completedMs = ends.length ? Math.max(...ends) : undefined;
  return { startedMs, completedMs, durationMs: startedMs !== undefined && completedMs !== undefined ? completedMs - startedMs : undefined };
}

export function formatMetric(value: unknown): string {
  return typeof value === "number" && !Number.isInteger(value) ? String(Math.round(value * 10_000) / 10_000) : String(value);
}

function resultLines(results: RunResults, pc: Colors): string[] {
  const lines: string[] = [];
  if (results.metrics) {
    const pairs = Object.entries(results.metrics).map(([k, v]) => `${k}=${formatMetric(v)}`);
    lines.push(`  metrics (${results.metricsTask}): ${pairs.join(" ")}`);
  }
  if (results.trainingJobId) lines.push(`  training job: ${results.trainingJobId}`);
  for (const [task, choice] of Object.entries(results.branches)) lines.push(`  ${task} chose ${choice}`);
  if (results.promotedModel) {
    const m = results.promotedModel;
    lines.push(`  ${pc.green("promoted")}: ${m.model} version ${m.version}${m.isDefault ? " (now the default)" : m.isDefault === false ? " (not the default)" : ""}`);
  }
  return lines.length ? ["Results:", ...lines] : [];
}

const OUTCOME_TEXT: Record<WatchOutcome, string> = {
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "was cancelled",
  timeout: "timed out",
  interrupted: "interrupted",
  unidentified: "could not be identified",
  error: "could not be followed",
};

function rootRunLine(run: TaskRun): string {
  const err = run.errorCode || run.errorMessage ? ` ${run.errorCode ?? ""}${run.errorMessage ? `: ${oneLine(run.errorMessage, 100)}` : ""}` : "";
  return `  ${formatTime(run.scheduledMs)}  ${run.state}${err}`;
}

/** The human summary printed when the command ends. */
export function renderRunSummary(ctx: RunContext, result: WatchResult, timeoutMs: number, pc: Colors): string {
  const snap = result.snapshot;
  const span = runSpan(snap.tasks);
  const lines: string[] = [];
  const width = labelWidth(snap.tasks);
  const subject = snap.token ? `Run ${snap.token}` : `Run ${snap.runId}`;
  const id = snap.token && snap.runId !== undefined ? ` (run id ${snap.runId})` : "";
  switch (result.outcome) {
    case "succeeded":
    case "failed":
    case "cancelled": {
      const colour = result.outcome === "succeeded" ? pc.green : pc.red;
      const took = span.durationMs !== undefined ? ` in ${formatDuration(span.durationMs)}` : "";
      lines.push(colour(pc.bold(`${subject}${id} ${OUTCOME_TEXT[result.outcome]}${took}`)));
      lines.push(...snap.tasks.map((t) => taskLine(t, width, pc)));
      lines.push(...resultLines(extractResults(snap.tasks), pc));
      if (result.firstError) {
        const e = result.firstError;
        lines.push(pc.red(`First error: ${e.task}${e.code ? ` (${e.code})` : ""}: ${e.message ?? "no message"}`));
      }
      break;
    }
    case "timeout":
      lines.push(
        pc.yellow(
          snap.runId === undefined
            ? `${subject} did not start within ${formatDuration(timeoutMs)}: no root run has returned its token yet. It may still be queued.`
            : `${subject}${id} is still running after ${formatDuration(timeoutMs)} (--timeout); it continues in Snowflake.`,
        ),
      );
      if (snap.runId !== undefined) lines.push(...snap.tasks.map((t) => taskLine(t, width, pc)));
      break;
    case "interrupted":
      lines.push(pc.yellow(`Stopped following ${subject}${id}; the run continues in Snowflake.`));
      break;
    case "unidentified":
      if (!snap.token) {
        lines.push(pc.red(`${subject} could not be found: TASK_HISTORY of ${ctx.graph.root.fullName} has no task run with this run id.`));
        break;
      }
      lines.push(pc.red(`${subject} could not be identified: no root run of ${ctx.graph.root.fullName} returned this run token.`));
      if (snap.otherRootRuns.length) {
        lines.push("Root runs seen in the search window (none is claimed as this run):");
        lines.push(...snap.otherRootRuns.map(rootRunLine));
      }
      lines.push('The root task body must echo run_token with SYSTEM$SET_RETURN_VALUE (docs/design.md "Root task").');
      break;
    case "error":
      lines.push(pc.red(`Lost track of ${subject}${id}: ${result.error?.message ?? "unknown error"}`));
      lines.push(pc.yellow("The run itself is not affected."));
      break;
  }
  if (ctx.follow && ["timeout", "interrupted", "error"].includes(result.outcome)) lines.push(`Follow it with: ${ctx.follow}`);
  return lines.join("\n");
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON document of run/watch --json. */
export function runJson(ctx: RunContext, result: WatchResult, exitCode: number): Record<string, unknown> {
  const snap = result.snapshot;
  const span = runSpan(snap.tasks);
  const results = extractResults(snap.tasks);
  return {
    command: ctx.command,
    rootTask: ctx.graph.root.fullName,
    outcome: result.outcome,
    exitCode,
    runToken: snap.token ?? null,
    runId: snap.runId ?? null,
    graphState: snap.graphState ?? null,
    startedAt: iso(span.startedMs),
    completedAt: snap.graphState ? iso(span.completedMs) : null,
    durationMs: snap.graphState ? (span.durationMs ?? null) : null,
    tasks: snap.tasks.map((t) => ({
      task: t.label,
      name: t.name,
      role: t.role,
      state: t.state,
      startedAt: iso(t.startedMs),
      completedAt: iso(t.completedMs),
      durationMs: t.startedMs !== undefined && t.completedMs !== undefined ? t.completedMs - t.startedMs : null,
      returnValue: t.returnValue === undefined ? null : parseReturnValue(t.returnValue),
      error: t.error ? { code: t.error.code ?? null, message: t.error.message ?? null } : null,
    })),
    firstError: result.firstError ? { task: result.firstError.task, code: result.firstError.code ?? null, message: result.firstError.message ?? null } : null,
    results: {
      metrics: results.metrics ?? null,
      trainingJobId: results.trainingJobId ?? null,
      branches: results.branches,
      promotedModel: results.promotedModel ?? null,
    },
    otherRootRuns: snap.otherRootRuns.map((r) => ({ scheduledAt: iso(r.scheduledMs), state: r.state, errorCode: r.errorCode ?? null, errorMessage: r.errorMessage ?? null })),
    error: result.error ? result.error.message : null,
    follow: ["timeout", "interrupted", "error"].includes(result.outcome) ? (ctx.follow ?? null) : null,
  };
}
