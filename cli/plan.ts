// npm run plan -- [--stack <name>] [--json]
// Runs the Pulumi program under the mock runtime with the stack's configuration and prints what
// `pulumi up` would create. Invalid configuration: every problem on stderr, nothing on stdout, exit 1.
import { Command } from "commander";
import { StackFileError } from "../lib/config/stackFiles";
import { ConfigurationError } from "../lib/config/resolveConfiguration";
import { planStack } from "../lib/plan/mockPlan";
import { renderPlanText } from "../lib/plan/renderPlan";
import { PROJECT_DIR } from "../program";

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("npm run plan --")
    .description("Offline plan: the Pulumi program under @pulumi/pulumi's mock runtime; contacts nothing, needs no credentials")
    .option("--stack <name>", "stack whose Pulumi.<name>.yaml to use", "dev")
    .option("--json", "print one JSON document: {stack, resources, outputs}")
    .option("--update", "run as `pulumi up` would (default: as `pulumi preview`)")
    .option("--project <dir>", "project directory with Pulumi.yaml", PROJECT_DIR)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const options = program.opts<{ stack: string; json?: boolean; update?: boolean; project: string }>();
  try {
    const plan = await planStack({ projectDir: options.project, stack: options.stack, preview: !options.update });
    process.stdout.write(options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
    return 0;
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if ((error as { code?: string }).code?.startsWith("commander.")) process.exit((error as { exitCode: number }).exitCode);
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
