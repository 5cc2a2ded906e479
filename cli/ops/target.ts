/**
 * Which graph a command operates on: the root task from the stack's outputs (`pulumi stack output
 * --json`, output `rootTask`, as components/pipeline.ts exports it), or `--root-task DB.SCHEMA.NAME`.
 */
import { CliError, EXIT } from "./exitCodes";
import { parseRootTask, type RootTaskRef } from "./queries";

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the Pulumi CLI in the project directory; rejects with code ENOENT when it is not installed. */
export type PulumiRunner = (args: string[]) => Promise<PulumiResult>;

export interface Target {
  ref: RootTaskRef;
  /** Stack the target came from, when --stack (or the selected stack) was used. */
  stack?: string;
  /** Fully qualified task names the stack declares (output `tasks`), when known. */
  declaredTasks?: string[];
  outputs?: Record<string, unknown>;
}

export async function pulumiJson(runPulumi: PulumiRunner, args: string[], what: string): Promise<unknown> {
  let result: PulumiResult;
  try {
    result = await runPulumi(args);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") {
      throw new CliError(`${what} needs the Pulumi CLI, which is not installed (or not on PATH). Give --root-task DB.SCHEMA.NAME instead, and --connection NAME or SNOWFLAKE_* variables for the connection.`, EXIT.USAGE);
    }
    throw new CliError(`${what}: could not run pulumi: ${(err as Error).message}`, EXIT.USAGE);
  }
  if (result.code !== 0) {
    throw new CliError(`${what}: \`pulumi ${args.join(" ")}\` failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`, EXIT.USAGE);
  }
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new CliError(`${what}: \`pulumi ${args.join(" ")}\` did not print JSON`, EXIT.USAGE);
  }
}

export async function resolveTarget(options: { stack?: string; rootTask?: string }, runPulumi: PulumiRunner): Promise<Target> {
  if (options.rootTask) {
    try {
      return { ref: parseRootTask(options.rootTask), stack: options.stack };
    } catch (err) {
      throw new CliError(`--root-task: ${(err as Error).message}`, EXIT.USAGE);
    }
  }
  const stackArgs = options.stack ? ["--stack", options.stack] : [];
  const what = options.stack ? `reading the outputs of stack ${options.stack}` : "reading the outputs of the selected stack (no --stack or --root-task given)";
  const outputs = await pulumiJson(runPulumi, ["stack", "output", "--json", ...stackArgs], what);
  if (typeof outputs !== "object" || outputs === null) throw new CliError(`${what}: expected a JSON object of outputs`, EXIT.USAGE);
  const record = outputs as Record<string, unknown>;
  const rootTask = record.rootTask;
  if (typeof rootTask !== "string") {
    const keys = Object.keys(record);
    throw new CliError(
      `${what}: no output \`rootTask\` (outputs: ${keys.length ? keys.join(", ") : "none; is the stack deployed?"}). Give --root-task DB.SCHEMA.NAME instead.`,
      EXIT.USAGE,
    );
  }
  let ref: RootTaskRef;
  try {
    ref = parseRootTask(rootTask);
  } catch (err) {
    throw new CliError(`${what}: output rootTask: ${(err as Error).message}`, EXIT.USAGE);
  }
  const tasks = record.tasks;
  const declaredTasks =
    tasks && typeof tasks === "object" ? Object.values(tasks as Record<string, unknown>).filter((v): v is string => typeof v === "string") : undefined;
  return { ref, stack: options.stack, declaredTasks, outputs: record };
}
