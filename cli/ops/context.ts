/**
 * What every command needs: injected dependencies (streams, clock, Pulumi stacks, connection factory,
 * Ctrl-C signal), the resolved target and connection, a paced reconnecting session, and the
 * deployed graph from SHOW TASKS.
 */
import type { Colors } from "picocolors/types";
import type { ConnectionSettings, SqlSession } from "../../snowflake";
import type { Clock } from "./clock";
import { resolveConnection, type Env } from "./connect";
import { CliError, EXIT } from "./exitCodes";
import { graphFromShowTasks, type DeployedGraph } from "./graph";
import type { OutputStream } from "./liveView";
import { DEFAULT_MAX_STATEMENTS_PER_MINUTE, StatementBudget, type BackoffSettings } from "./pacing";
import { showTasksSql } from "./queries";
import { ResilientSession } from "./session";
import type { StackAccess } from "./stackAccess";
import { resolveTarget, type Target } from "./target";

export interface CliDeps {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Env;
  clock: Clock;
  /** A fresh run token (a UUID in production). */
  newToken(): string;
  /** The Pulumi stacks of the project (production: the Automation API). */
  stacks: StackAccess;
  openSession(settings: ConnectionSettings): Promise<SqlSession>;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
  /** Colour on/off; default: picocolors' detection for a TTY stdout. */
  color?: boolean;
  /** Live view mode; default: frame on a TTY stdout, lines otherwise. */
  live?: "frame" | "lines" | "none";
  backoff?: BackoffSettings;
  maxStatementsPerMinute?: number;
  /** Default per-statement deadline for CLI sessions (ms). */
  statementTimeoutMs?: number;
}

export interface GlobalOptions {
  stack?: string;
  pipeline?: string;
  rootTask?: string;
  connection?: string;
  json?: boolean;
  color?: boolean;
}

export interface CommandContext {
  deps: CliDeps;
  global: GlobalOptions;
  pc: Colors;
  target: Target;
  session: ResilientSession;
  /** `npm run pipeline -- <args> <target options>`, for "follow it with" hints. */
  commandLine(args: string): string;
}

export function targetArgs(global: GlobalOptions): string {
  const parts: string[] = [];
  if (global.stack) parts.push(`--stack ${global.stack}`);
  if (global.pipeline) parts.push(`--pipeline ${global.pipeline}`);
  if (global.rootTask) parts.push(`--root-task ${global.rootTask}`);
  if (global.connection) parts.push(`--connection ${global.connection}`);
  return parts.join(" ");
}

/** Resolves target and connection, runs `work`, closes the session. */
export async function withContext<T>(deps: CliDeps, global: GlobalOptions, pc: Colors, work: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const target = await resolveTarget(global, deps.stacks);
  const connection = await resolveConnection(global, deps.env, deps.stacks);
  for (const warning of connection.warnings) deps.stderr.write(`${pc.yellow("warning:")} ${warning}\n`);
  const settings: ConnectionSettings = { statementTimeoutMs: deps.statementTimeoutMs ?? 120_000, ...connection.settings };
  const budget = new StatementBudget(deps.clock, deps.maxStatementsPerMinute ?? DEFAULT_MAX_STATEMENTS_PER_MINUTE);
  const session = new ResilientSession(
    async () => {
      try {
        return await deps.openSession(settings);
      } catch (err) {
        const e = err as Error & { code?: string };
        throw Object.assign(new Error(`${e.message} (settings from ${connection.source})`), { code: e.code });
      }
    },
    budget,
    deps.signal,
  );
  const ctx: CommandContext = {
    deps,
    global,
    pc,
    target,
    session,
    commandLine: (args) => `npm run pipeline -- ${args}${targetArgs(global) ? ` ${targetArgs(global)}` : ""}`,
  };
  try {
    return await work(ctx);
  } finally {
    await session.close();
  }
}

/** SHOW TASKS IN SCHEMA, narrowed to the graph; a missing root is a target error. */
export async function loadGraph(ctx: CommandContext): Promise<DeployedGraph> {
  const ref = ctx.target.ref;
  const rows = await snowflake(ctx, () => ctx.session.execute(showTasksSql(ref)));
  const graph = graphFromShowTasks(ref, rows);
  if (!graph) {
    throw new CliError(
      `root task ${ref.database}.${ref.schema}.${ref.name} was not found (SHOW TASKS IN SCHEMA ${ref.database}.${ref.schema}); is the stack deployed, and may this role see it?`,
      EXIT.USAGE,
    );
  }
  return graph;
}

/** Runs a Snowflake call; a failure ends the command with EXIT.SNOWFLAKE. */
export async function snowflake<T>(ctx: CommandContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, EXIT.SNOWFLAKE);
  }
}

export function writeJson(out: OutputStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
