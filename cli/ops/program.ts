/**
 * The `pipeline` command line: commander setup, help texts, and the mapping of every outcome to an
 * exit code. `main(argv, deps)` never calls process.exit, so tests run it in-process.
 */
import { Command, CommanderError, Option } from "commander";
import { createColors } from "picocolors";
import { checkWatchUsage, DEFAULT_TIMEOUT, parseConfigOverrides, retryLastCommand, runCommand, watchCommand } from "./cmdRun";
import { historyCommand } from "./cmdHistory";
import { rollbackCommand } from "./cmdRollback";
import { statusCommand } from "./cmdStatus";
import { suspendResumeCommand } from "./cmdSuspendResume";
import { withContext, type CliDeps, type CommandContext, type GlobalOptions } from "./context";
import { parseDuration } from "./duration";
import { CliError, EXIT, exitCodeHelp } from "./exitCodes";
import { DEFAULT_BACKOFF, DEFAULT_MAX_STATEMENTS_PER_MINUTE } from "./pacing";
import { registerLocalCommand, type LocalDeps } from "../local";

const TARGET_HELP = `
Target (which graph):
  --stack NAME           the stack whose outputs name the graph (read through the Pulumi
                         Automation API; needs the Pulumi CLI). Without --stack or --root-task
                         the selected stack is used.
  --pipeline NAME        which of the stack's pipelines (output pipelines.NAME); may be left out
                         when the stack has only one.
  --root-task DB.SCHEMA.NAME
                         the root task directly; no Pulumi CLI needed.

Connection (first that applies):
  --connection NAME      a connection of Snowflake's connections.toml ($SNOWFLAKE_HOME, default
                         ~/.snowflake); SNOWFLAKE_CONNECTIONS_<NAME>_<KEY> and SNOWFLAKE_<KEY>
                         variables override its keys. Password or key-pair authentication.
  --stack NAME           the program's own settings: stack config snowflake:* (secrets shown,
                         through the Automation API), SNOWFLAKE_* variables as fallback.
  (neither)              SNOWFLAKE_ORGANIZATION_NAME, SNOWFLAKE_ACCOUNT_NAME, SNOWFLAKE_USER,
                         SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD (and SNOWFLAKE_ROLE,
                         SNOWFLAKE_WAREHOUSE); else the default connection of connections.toml.

Output is for people by default (live on a terminal, one line per change otherwise);
--json prints one JSON document on stdout (progress, if any, goes to stderr).`;

const EXAMPLES = `
Examples:
  npm run pipeline -- run --stack dev
  npm run pipeline -- status --stack dev --pipeline MORTGAGE_PIPELINE
  npm run pipeline -- run --stack dev --config metric_threshold=0.8 --timeout 2h
  npm run pipeline -- run --stack prod --retry-last
  npm run pipeline -- status --root-task ML_DEV.PIPELINE.MORTGAGE_PIPELINE --connection dev
  npm run pipeline -- history --stack dev --limit 5 --json
  npm run pipeline -- resume --stack prod
  npm run pipeline -- rollback --stack prod --dry-run`;

const RUN_HELP = `
Executes the root task once:
  EXECUTE TASK <DB>.<SCHEMA>.<ROOT> USING CONFIG = $\${...overrides, "run_token": "<uuid>"}$$
and follows exactly that run: the root task echoes run_token as its return value, so the run is
the one whose root row in TASK_HISTORY has RETURN_VALUE = run_token. Nothing else is ever taken
for it; if no root run returns the token the command says so (exit ${EXIT.UNIDENTIFIED}).

Before executing it checks that every child task is started (EXECUTE TASK skips suspended
children; exit ${EXIT.NOT_RUNNABLE}) and that no run is executing (exit ${EXIT.ALREADY_RUNNING}; nothing is started).

Shows each task as it changes: waiting, running, succeeded, failed, skipped (the branch not
taken), cancelled, not run; the finalizer runs last. At the end: the metrics, the training job
id, the branch chosen, the model version promoted, and the first error with its task.

Polling: every ${DEFAULT_BACKOFF.initialMs / 1000} s after a change, backing off x${DEFAULT_BACKOFF.factor} to every ${DEFAULT_BACKOFF.maxMs / 1000} s;
never more than ${DEFAULT_MAX_STATEMENTS_PER_MINUTE} statements a minute. A dropped connection is retried on a new one.

Ctrl-C stops following and prints the \`watch\` command that picks the run up again; the run
itself continues in Snowflake (exit ${EXIT.INTERRUPTED}). So does --timeout (exit ${EXIT.TIMEOUT}).
Exit ${EXIT.OK} only when the graph run succeeded; ${EXIT.FAILED} when it failed or was cancelled.

--retry-last retries the last run from its failed or cancelled tasks instead:
  EXECUTE TASK <DB>.<SCHEMA>.<ROOT> RETRY LAST
after reading the last run from TASK_HISTORY (7 days). Nothing is sent when that run succeeded or
there is none (exit ${EXIT.NOTHING_TO_RETRY}), or it is still running (exit ${EXIT.ALREADY_RUNNING}). Snowflake refuses it
when the graph changed since that run or the run is older than 14 days (exit ${EXIT.SNOWFLAKE}). The
retry keeps the run id, and is followed like any run (\`watch --run-id\` picks it up again).`;

const WATCH_HELP = `
Follows a run that is already going (or finished), e.g. after Ctrl-C or --timeout of \`run\`:
  --run-token TOKEN   the run whose root returned TOKEN (searched in the last --since, default 24h)
  --run-id ID         the run with this RUN_ID (as \`run\` reports for a run already executing)
Same display and exit codes as \`run\`.`;

const STATUS_HELP = `
Each task's state (started or suspended) and what it adds up to:
  started                 root and children started: the graph runs on its schedule
  ready for manual runs   root suspended, children started (stack started: false)
  suspended               nothing runs
  partly suspended        a child is suspended: every run skips it (a problem)
plus the schedule, the next scheduled run, a run in progress, and the last runs with their outcome.`;

const HISTORY_HELP = `
Past runs of the graph from TASK_HISTORY (the last 7 days), newest first: start, duration,
outcome, each task's outcome, the first error, metrics and promoted model version. Then the
chosen metric (the root's CONFIG metric_name) across the training runs recorded in the pipeline's
experiment (<registry_schema>.<pipeline_name>; every run, not only 7 days), each next to the
threshold it was judged against:
  SHOW RUNS IN EXPERIMENT <fqn>; SHOW RUN METRICS / PARAMETERS LIKE '…' IN EXPERIMENT <fqn>`;

const SUSPEND_HELP = `
Suspends the whole graph: the root first (no new scheduled run starts), then every child, the
finalizer last. A run already executing finishes the tasks it started. Exit ${EXIT.FAILED} if Snowflake
refuses a statement (the rest are not run) or a task is not suspended afterwards.`;

const RESUME_HELP = `
Resumes the whole graph: every suspended child first (finalizer included), the root last. If the
root is started while a child is suspended, it is suspended first so no run starts half-resumed.
A root without a schedule is left suspended (it would never run by itself; \`run\` executes it).
--children-only: the "ready for manual runs" state of a stack with started: false (root suspended,
every child started). Exit ${EXIT.FAILED} if Snowflake refuses a statement (the rest are not run).`;

const ROLLBACK_HELP = `
Makes the model version that promotion replaced the default again, after showing what changes.
The model and its aliases are read from the root task's CONFIG (registry_schema, model_name,
promoted_alias, previous_alias): the version with previous_alias becomes the default and takes
promoted_alias, the version rolled back from takes previous_alias (so CLEANUP keeps it, and a
second rollback undoes the first):
  ALTER MODEL <model> SET DEFAULT_VERSION = <previous>
  ALTER MODEL <model> VERSION <v> UNSET ALIAS / SET ALIAS = <alias>
--dry-run shows the statements and sends none. Exit ${EXIT.NOTHING_TO_RETRY} when no version has previous_alias
or it is the default already; ${EXIT.FAILED} when Snowflake refuses a statement (the rest are not run).
Code is rolled back separately: deploy an earlier commit (README "Rolling back").`;

type Action = (ctx: CommandContext, opts: Record<string, unknown>) => Promise<number>;
/** Checks the command's own options; runs before the target and connection are resolved, so a usage error is reported as one. */
type Validate = (opts: Record<string, unknown>) => void;

function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`, EXIT.USAGE);
    return n;
  };
}

function duration(name: string) {
  return (value: string) => {
    try {
      return parseDuration(value);
    } catch (err) {
      throw new CliError(`${name}: ${(err as Error).message}`, EXIT.USAGE);
    }
  };
}

export function buildProgram(deps: CliDeps & { local?: LocalDeps }, setCode: (code: number) => void): Command {
  const program = new Command();
  const write = (s: string) => void deps.stdout.write(s);
  const writeErr = (s: string) => void deps.stderr.write(s);
  program
    .name("pipeline")
    .description("Operate the task graph that `pulumi up` deployed: run it and follow the run, status, history, suspend, resume, rollback.")
    .option("--stack <name>", "stack whose outputs name the graph and whose config holds the connection settings")
    .option("--pipeline <name>", "which pipeline of the stack (default: its only one)")
    .option("--root-task <DB.SCHEMA.NAME>", "the root task, instead of reading it from the stack")
    .option("--connection <name>", "a connection of Snowflake's connections.toml")
    .option("--json", "print one JSON document instead of text")
    .option("--no-color", "no colours")
    .addHelpText("after", `${TARGET_HELP}\n\n${exitCodeHelp()}\n${EXAMPLES}`)
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: write, writeErr })
    .exitOverride();

  const act = (fn: Action, validate?: Validate) =>
    async function (this: Command) {
      const opts = this.opts();
      validate?.(opts);
      const global = this.optsWithGlobals() as GlobalOptions;
      const enabled = deps.color ?? (global.color !== false && deps.stdout.isTTY === true && !deps.env.NO_COLOR);
      const pc = createColors(enabled);
      setCode(await withContext(deps, global, pc, (ctx) => fn(ctx, opts)));
    };

  const sub = (name: string, description: string, help: string) =>
    program
      .command(name)
      .description(description)
      .addHelpText("after", `${help}\n${TARGET_HELP}\n\n${exitCodeHelp()}`)
      .configureHelp({ showGlobalOptions: true })
      .configureOutput({ writeOut: write, writeErr })
      .exitOverride();

  const validateRun: Validate = (opts) => {
    parseConfigOverrides(opts.config as string[]);
    if (opts.retryLast === true && (opts.config as string[]).length > 0) {
      throw new CliError("--retry-last retries the failed run with its own config; --config cannot be combined with it", EXIT.USAGE);
    }
  };
  sub("run", "execute the graph once and follow exactly this run until it ends", RUN_HELP)
    .option("--config <key=value>", "per-run graph config override (repeatable); numbers and true/false are typed", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--retry-last", "retry the last run, which failed, from its failed tasks (EXECUTE TASK … RETRY LAST), and follow it")
    .addOption(new Option("--timeout <duration>", "stop following after this long (45s, 90m, 2h30m)").default(DEFAULT_TIMEOUT).argParser(duration("--timeout")))
    .action(
      act((ctx, opts) => {
        const timeoutMs = typeof opts.timeout === "number" ? opts.timeout : parseDuration(String(opts.timeout));
        if (opts.retryLast === true) return retryLastCommand(ctx, { timeoutMs });
        return runCommand(ctx, { config: parseConfigOverrides(opts.config as string[]), timeoutMs });
      }, validateRun),
    );

  sub("watch", "follow a run already started (by run token or run id)", WATCH_HELP)
    .option("--run-token <token>", "the run_token the run was started with")
    .addOption(new Option("--run-id <id>", "the RUN_ID of the run").argParser(positiveInt("--run-id")))
    .addOption(new Option("--since <duration>", "how far back to look for the token").default("24h").argParser(duration("--since")))
    .addOption(new Option("--timeout <duration>", "stop following after this long").default(DEFAULT_TIMEOUT).argParser(duration("--timeout")))
    .action(
      act((ctx, opts) =>
        watchCommand(ctx, {
          token: opts.runToken as string | undefined,
          runId: opts.runId as number | undefined,
          timeoutMs: typeof opts.timeout === "number" ? opts.timeout : parseDuration(String(opts.timeout)),
          sinceMs: typeof opts.since === "number" ? opts.since : parseDuration(String(opts.since)),
        }),
        (opts) => checkWatchUsage({ token: opts.runToken as string | undefined, runId: opts.runId as number | undefined }),
      ),
    );

  sub("status", "task states, schedule, next run, run in progress, last runs", STATUS_HELP)
    .addOption(new Option("--runs <n>", "how many recent runs to show").default(5).argParser(positiveInt("--runs")))
    .action(act((ctx, opts) => statusCommand(ctx, { runs: opts.runs as number })));

  sub("history", "past runs with duration and each task's outcome", HISTORY_HELP)
    .addOption(new Option("--limit <n>", "how many runs").default(10).argParser(positiveInt("--limit")))
    .action(act((ctx, opts) => historyCommand(ctx, { limit: opts.limit as number })));

  sub("suspend", "suspend the whole graph (root first)", SUSPEND_HELP).action(act((ctx) => suspendResumeCommand(ctx, "suspend", { childrenOnly: false })));

  sub("resume", "resume the whole graph (children first, root last)", RESUME_HELP)
    .option("--children-only", "resume the children and leave the root suspended (ready for manual runs)")
    .action(act((ctx, opts) => suspendResumeCommand(ctx, "resume", { childrenOnly: opts.childrenOnly === true })));

  sub("rollback", "make the version promotion replaced the model's default again", ROLLBACK_HELP)
    .option("--dry-run", "show what would change and send nothing")
    .action(act((ctx, opts) => rollbackCommand(ctx, { dryRun: opts.dryRun === true })));

  registerLocalCommand(program, { stdout: deps.stdout, stderr: deps.stderr }, setCode, deps.local);

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], deps: CliDeps & { local?: LocalDeps }): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(deps, (c) => (code = c));
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help" || err.code === "commander.version") return EXIT.OK;
      return EXIT.USAGE;
    }
    const message = (err as Error).message;
    if (err instanceof CliError) {
      deps.stderr.write(`error: ${message}\n`);
      return err.exitCode;
    }
    deps.stderr.write(`error: ${message}\n`);
    return EXIT.SNOWFLAKE;
  }
}
