/**
 * What the CLI reads from a Pulumi stack: its outputs (which graph) and its config (the program's
 * connection settings). Production reads them through the Pulumi Automation API
 * (https://www.pulumi.com/docs/iac/automation-api/concepts-terminology/); tests pass a fake `StackAccess`.
 *
 * The workspace's `stackOutputs(name)` and `getAllConfig(name)` name the stack on each call, so
 * reading never changes which stack the user has selected (`LocalWorkspace.selectStack` would).
 */
import { CliError, EXIT } from "./exitCodes";

export interface StackAccess {
  /** The stack `pulumi` commands use when none is named; undefined when none is selected. */
  selectedStack(): Promise<string | undefined>;
  /** The stack's outputs as plain values (secret outputs unwrapped). */
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** The stack's config with secrets shown, by fully qualified key (`snowflake:user`). */
  config(stack: string): Promise<Record<string, string>>;
}

/** Why a Pulumi Automation API call failed, in words; `what` says what the CLI was doing. */
export function pulumiFailure(err: unknown, what: string, stack?: string): CliError {
  const e = err as { name?: string; message?: string; commandResult?: { stderr?: string } };
  const message = String(e?.message ?? err);
  if (/\bENOENT\b/.test(message) && /pulumi/.test(message)) {
    return new CliError(
      `${what} needs the Pulumi CLI, which is not installed (or not on PATH; https://www.pulumi.com/docs/install/). ` +
        "Give --root-task DB.SCHEMA.NAME instead, and --connection NAME or SNOWFLAKE_* variables for the connection.",
      EXIT.USAGE,
    );
  }
  if (e?.name === "StackNotFoundError") {
    return new CliError(`${what}: there is no stack${stack ? ` ${stack}` : ""} in this project (see \`pulumi stack ls\`).`, EXIT.USAGE);
  }
  const detail = (e?.commandResult?.stderr ?? message).trim();
  return new CliError(`${what}: pulumi failed: ${detail}`, EXIT.USAGE);
}

/** StackAccess through the Automation API on the project in `workDir`. */
export function automationStackAccess(workDir: string): StackAccess {
  let workspace: Promise<import("@pulumi/pulumi/automation").LocalWorkspace> | undefined;
  const open = () => {
    // Loaded on first use: commands given --root-task never need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    workspace ??= LocalWorkspace.create({ workDir });
    return workspace;
  };
  return {
    async selectedStack() {
      try {
        return (await (await open()).stack())?.name;
      } catch (err) {
        throw pulumiFailure(err, "reading the selected stack (no --stack or --root-task given)");
      }
    },
    async outputs(stack) {
      try {
        const outputs = await (await open()).stackOutputs(stack);
        return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
      } catch (err) {
        throw pulumiFailure(err, `reading the outputs of stack ${stack}`, stack);
      }
    },
    async config(stack) {
      try {
        const config = await (await open()).getAllConfig(stack);
        return Object.fromEntries(Object.entries(config).map(([key, item]) => [key, item.value]));
      } catch (err) {
        throw pulumiFailure(err, `reading the connection settings of stack ${stack}`, stack);
      }
    },
  };
}
