// npm run plan -- [--stack <name>] [--json] [--diff <stack | saved-plan.json>] [--source-outputs <file>]
// Runs the Pulumi program under the mock runtime with the stack's configuration and prints what
// `pulumi up` would create, or with --diff what would change from another stack or a saved plan.
// Invalid configuration or a refused promotion: the problem on stderr, nothing on stdout, exit 1.
// A diff exits 0 whether or not anything changes.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { StackFileError } from "../lib/config/stackFiles";
import { ConfigurationError } from "../lib/config/resolveConfiguration";
import { diffPlans } from "../lib/plan/diffPlans";
import { resolve } from "node:path";
import { Plan, planProgramModule } from "./mockPlan";
import { looksLikePlanFile, PlanFileError, readPlanFile } from "../lib/plan/planFile";
import { diffJson, renderDiffText } from "../lib/plan/renderDiff";
import { renderPlanText } from "../lib/plan/renderPlan";
import { planWithSourceStacks } from "./sourceStacks";
import { PromotionRefusedError } from "../lib/promotion";
import { PROJECT_DIR } from "../program";

interface Options {
  stack: string;
  json?: boolean;
  update?: boolean;
  project: string;
  diff?: string;
  sourceOutputs?: string;
  program?: string;
}

function readSourceOutputs(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PlanFileError(`${path}: cannot read the source stack's outputs: ${(error as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new PlanFileError(`${path}: expected the JSON object of pulumi stack output --json`);
  return doc as Record<string, unknown>;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("npm run plan --")
    .description("Offline plan: the Pulumi program under @pulumi/pulumi's mock runtime; contacts nothing, needs no credentials")
    .option("--stack <name>", "stack whose Pulumi.<name>.yaml to use", "dev")
    .option("--json", "print one JSON document: {stack, resources, outputs} (with --diff: the diff)")
    .option("--update", "run as `pulumi up` would (default: as `pulumi preview`)")
    .option("--project <dir>", "project directory with Pulumi.yaml", PROJECT_DIR)
    .option("--diff <stack|plan.json>", "show what changes from this stack, or this saved --json plan (a path ending in .json or containing /; save one with npm run -s plan -- --json > plan.json), to --stack")
    .option("--program <file>", "plan the program this module exports (your own program using the components) instead of this project's; with --project for its Pulumi.yaml and stacks")
    .option(
      "--source-outputs <file>",
      "for a stack with promoteFrom: the source stack's outputs (pulumi stack output --json --stack dev) instead of planning it offline",
    )
    .exitOverride();
  program.parse(argv, { from: "user" });
  const options = program.opts<Options>();
  try {
    // Paths on the command line are the user's: npm runs scripts in the package's folder and keeps theirs in INIT_CWD.
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const projectDir = resolve(cwd, options.project);
    const programFile = options.program === undefined ? undefined : resolve(cwd, options.program);
    const plan = (stack: string, sourceOutputs?: Record<string, unknown>): Promise<Plan> =>
      options.program === undefined
        ? planWithSourceStacks({ projectDir, stack, preview: !options.update, sourceOutputs })
        : planProgramModule({ projectDir, stack, preview: !options.update }, programFile!);
    const sourceOutputs = options.sourceOutputs === undefined ? undefined : readSourceOutputs(resolve(cwd, options.sourceOutputs));
    if (options.diff === undefined) {
      const result = await plan(options.stack, sourceOutputs);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : renderPlanText(result));
      return 0;
    }
    const fromFile = looksLikePlanFile(options.diff);
    const before = fromFile ? readPlanFile(resolve(cwd, options.diff)) : await plan(options.diff);
    const after = await plan(options.stack, sourceOutputs);
    const labels = {
      from: fromFile ? `plan ${options.diff} (stack "${before.stack}")` : `stack "${before.stack}"`,
      to: `stack "${after.stack}"`,
    };
    const diff = diffPlans(before, after);
    process.stdout.write(options.json ? `${JSON.stringify(diffJson(diff, before, after, labels), null, 2)}\n` : renderDiffText(diff, before, after, labels));
    return 0;
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof StackFileError || error instanceof PromotionRefusedError || error instanceof PlanFileError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Exit codes are set, never forced with process.exit: that would cut off whatever stdout still
// holds for a pipe (a large plan piped into another command stopped at 128 KiB). Node exits once
// the output has drained and nothing else is pending.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if ((error as { code?: string }).code?.startsWith("commander.")) {
      process.exitCode = (error as { exitCode: number }).exitCode;
      return;
    }
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
