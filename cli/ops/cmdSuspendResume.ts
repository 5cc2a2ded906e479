/**
 * `suspend` and `resume` for the whole graph, in the order Snowflake needs:
 *
 * - suspend: the root first (no new scheduled run starts), then every started child in run order,
 *   the finalizer last. A run in progress finishes the tasks it already started.
 * - resume: every suspended child first (run order, finalizer last), the root last. If the root is
 *   started while a child is suspended, the root is suspended first, so no run starts half-resumed.
 *   A root without a schedule is never resumed: it would never run by itself, it runs through
 *   `run` (EXECUTE TASK runs a suspended root), and whether Snowflake accepts RESUME on it is
 *   unverified. `--children-only` gives the "ready for manual runs" state of a stack with
 *   `started: false`: root suspended, every child started.
 *
 * Statements: SHOW TASKS IN SCHEMA <DB>.<SCHEMA>, ALTER TASK <fqn> SUSPEND|RESUME per task that
 * needs it, then SHOW TASKS again to report what Snowflake now says. Stops at the first refusal.
 */
import { graphMode } from "./cmdStatus";
import { loadGraph, writeJson, type CommandContext } from "./context";
import { EXIT } from "./exitCodes";
import { allTasks, type DeployedGraph } from "./graph";
import { alterTaskSql } from "./queries";
import { runUntilRefused } from "./statements";
import { taskLabel } from "./renderRun";

export interface Step {
  task: string;
  sql: string;
  why?: string;
}

export function planSuspend(graph: DeployedGraph): Step[] {
  return allTasks(graph)
    .filter((t) => t.state === "started")
    .map((t) => ({ task: t.label, sql: alterTaskSql(t.fullName, "SUSPEND") }));
}

export function planResume(graph: DeployedGraph, options: { childrenOnly: boolean }): { steps: Step[]; notes: string[] } {
  const steps: Step[] = [];
  const notes: string[] = [];
  const suspended = graph.children.filter((c) => c.state !== "started");
  const rootStarted = graph.root.state === "started";
  let rootSuspendedByUs = false;
  if (rootStarted && (suspended.length > 0 || options.childrenOnly)) {
    steps.push({
      task: graph.root.label,
      sql: alterTaskSql(graph.root.fullName, "SUSPEND"),
      why: options.childrenOnly ? "--children-only leaves the root suspended" : "children are resumed while the root is suspended",
    });
    rootSuspendedByUs = true;
  }
  for (const child of suspended) steps.push({ task: child.label, sql: alterTaskSql(child.fullName, "RESUME") });
  if (options.childrenOnly) {
    notes.push("root left suspended (--children-only): the graph runs only through `run`");
  } else if (!graph.root.schedule) {
    notes.push("the root has no schedule, so it stays suspended: it runs only through `run` (EXECUTE TASK runs a suspended root)");
  } else if (!rootStarted || rootSuspendedByUs) {
    steps.push({ task: graph.root.label, sql: alterTaskSql(graph.root.fullName, "RESUME") });
  }
  return { steps, notes };
}

export async function suspendResumeCommand(ctx: CommandContext, action: "suspend" | "resume", options: { childrenOnly: boolean }): Promise<number> {
  const { pc } = ctx;
  const graph = await loadGraph(ctx);
  const { steps, notes } = action === "suspend" ? { steps: planSuspend(graph), notes: [] as string[] } : planResume(graph, options);

  const results: { task: string; sql: string; ok: boolean | null; error: string | null }[] = steps.map((s) => ({ task: s.task, sql: s.sql, ok: null, error: null }));
  const refusedAt = await runUntilRefused(ctx.session, results);
  const refused = refusedAt === undefined ? undefined : results[refusedAt].task;
  let after: DeployedGraph | undefined;
  let readError: string | undefined;
  try {
    after = await loadGraph(ctx);
  } catch (err) {
    readError = (err as Error).message;
  }
  const expected = (t: { role: string }) => (action === "suspend" ? "suspended" : t.role === "root" ? undefined : "started");
  const wrong = after ? allTasks(after).filter((t) => expected(t) !== undefined && t.state !== expected(t)).map((t) => t.label) : [];
  const code = refused || wrong.length ? EXIT.FAILED : readError ? EXIT.SNOWFLAKE : EXIT.OK;

  if (ctx.global.json) {
    writeJson(ctx.deps.stdout, {
      command: action,
      rootTask: graph.root.fullName,
      exitCode: code,
      statements: results,
      notes,
      refusedTask: refused ?? null,
      notInState: wrong,
      mode: after ? graphMode(after).mode : null,
      tasks: after ? allTasks(after).map((t) => ({ task: t.label, name: t.fullName, role: t.role, state: t.state })) : null,
    });
    return code;
  }
  const out: string[] = [];
  out.push(
    pc.bold(
      action === "suspend"
        ? `Suspending ${graph.root.fullName} (root first, then children)`
        : `Resuming ${graph.root.fullName} (children first, root last)`,
    ),
  );
  if (steps.length === 0) out.push("  nothing to change");
  for (const r of results) {
    const mark = r.ok === true ? pc.green("✔") : r.ok === false ? pc.red("✖") : pc.dim("-");
    out.push(`  ${mark} ${r.sql}${r.ok === null ? pc.dim(" (not run)") : ""}`);
    if (r.error) out.push(pc.red(`      ${r.error}`));
  }
  for (const note of notes) out.push(pc.dim(`  note: ${note}`));
  if (after) {
    out.push(`Now: ${graphMode(after).summary}`);
    const width = Math.max(...allTasks(after).map((t) => taskLabel(t).length));
    for (const t of allTasks(after)) out.push(`  ${taskLabel(t).padEnd(width)}  ${t.state === "started" ? pc.green(t.state) : pc.yellow(t.state)}`);
  } else if (readError) {
    out.push(pc.red(`Could not read the graph back: ${readError}`));
  }
  if (refused) out.push(pc.red(`Snowflake refused the statement for ${refused}; later statements were not run.`));
  else if (wrong.length) out.push(pc.red(`Not in the expected state afterwards: ${wrong.join(", ")}`));
  ctx.deps.stdout.write(`${out.join("\n")}\n`);
  return code;
}
