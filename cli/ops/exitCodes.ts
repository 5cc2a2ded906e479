/**
 * Exit codes of `npm run pipeline -- <command>`. Distinct per outcome so scripts and CI can tell a
 * failed run from a timeout, an unreachable account or a run that was not started at all.
 */
export const EXIT = {
  /** The command did what was asked; for run/watch: the graph run SUCCEEDED. */
  OK: 0,
  /** The graph run FAILED or was CANCELLED; for suspend/resume: a statement was refused. */
  FAILED: 1,
  /** Bad arguments, or the target (stack outputs, root task, connection settings) could not be resolved. */
  USAGE: 2,
  /** --timeout passed before the run finished; the run goes on in Snowflake. */
  TIMEOUT: 3,
  /** Snowflake could not be reached, refused the login, EXECUTE TASK or a monitoring query failed. */
  SNOWFLAKE: 4,
  /** run: another run of the graph is executing; nothing was started. */
  ALREADY_RUNNING: 5,
  /** run/watch: no root run returned this run's token, so the run cannot be identified (nothing is guessed). */
  UNIDENTIFIED: 6,
  /** run: the graph is not runnable as deployed (a task is missing, or a child task is suspended). */
  NOT_RUNNABLE: 7,
  /** run --retry-last: the last graph run did not fail (or there is none in TASK_HISTORY's 7 days); nothing was started. rollback: no previous version to return to. */
  NOTHING_TO_RETRY: 8,
  /** Ctrl-C: the CLI stopped following; the run goes on in Snowflake. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table printed by --help. */
export const EXIT_CODE_HELP = [
  [EXIT.OK, "success (run/watch: the graph run succeeded)"],
  [EXIT.FAILED, "the graph run failed or was cancelled; suspend/resume: a statement was refused"],
  [EXIT.USAGE, "bad arguments, or the stack/root task/connection could not be resolved"],
  [EXIT.TIMEOUT, "--timeout reached; the run continues in Snowflake"],
  [EXIT.SNOWFLAKE, "Snowflake unreachable, login refused, or EXECUTE TASK or a monitoring query refused"],
  [EXIT.ALREADY_RUNNING, "run: a run of this graph is already executing; nothing was started"],
  [EXIT.UNIDENTIFIED, "run/watch: no root run returned this run's token; nothing is guessed"],
  [EXIT.NOT_RUNNABLE, "run: a task of the graph is missing or a child task is suspended"],
  [EXIT.NOTHING_TO_RETRY, "run --retry-last: the last run did not fail (or none in 7 days); rollback: no previous version; nothing was sent"],
  [EXIT.INTERRUPTED, "Ctrl-C: stopped following; the run continues in Snowflake"],
] as const;

export function exitCodeHelp(): string {
  return ["Exit codes:", ...EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`)].join("\n");
}

/** An error that ends the command with a given exit code and a message for the user (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}
