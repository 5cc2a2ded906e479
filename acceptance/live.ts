/**
 * Live acceptance test on a real Snowflake account (not part of `npm test`; see docs/operations.md).
 *
 *   SNOWFLAKE_ORGANIZATION_NAME=… SNOWFLAKE_ACCOUNT_NAME=… SNOWFLAKE_USER=… SNOWFLAKE_PRIVATE_KEY="$(cat key.p8)" \
 *   PULUMI_CONFIG_PASSPHRASE=… node --import tsx acceptance/live.ts --stack acc-$(date +%s)
 *
 * With the Pulumi Automation API (LocalWorkspace on this project directory) it:
 *  1. creates the throwaway stack with its own database, warehouse and compute pool (names derived
 *     from the stack name), started: false, sample data, and a quality threshold of 0 so the run
 *     always takes the PROMOTE_MODEL branch;
 *  2. `pulumi up`; then a preview must show no change (GraphActivation does nothing when nothing changed);
 *  3. `npm run pipeline -- status --stack <stack> --pipeline <name> --json`: the graph is "ready for
 *     manual runs";
 *  4. `npm run pipeline -- run --stack <stack> --pipeline <name> --json`: the run is identified by its
 *     token and succeeds;
 *  5. checks in Snowflake itself: the promoted version is the model's default in the registry schema
 *     (SHOW MODELS), and the finalizer ran in that run (TASK_HISTORY); records the SCHEDULED_FROM literal;
 *  6. `pulumi destroy --run-program`, then checks that the database, warehouse and compute pool are gone and the
 *     stack has no resources, and removes the stack (`--keep` skips step 6 for debugging).
 *
 * Without credentials or a stack name it prints why it is skipped and exits 0. Exit 1 on any failure.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { pulumiFailure } from "../cli/ops/stackAccess";
import { pipelinesOf } from "../cli/ops/target";
import { connectionSettingsFromConfig, openSession, type SqlSession } from "../snowflake";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PROJECT_DIR = path.resolve(__dirname, "..");
const PIPELINE = "MORTGAGE_PIPELINE";

interface Options {
  stack?: string;
  keep: boolean;
  timeout: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { keep: false, timeout: "2h", stack: process.env.PIPELINE_ACCEPTANCE_STACK };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") options.stack = argv[++i];
    else if (argv[i] === "--keep") options.keep = true;
    else if (argv[i] === "--timeout") options.timeout = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      process.stdout.write(
        "usage: node --import tsx acceptance/live.ts --stack <throwaway-stack> [--timeout 2h] [--keep]\n" +
          "needs SNOWFLAKE_ORGANIZATION_NAME, SNOWFLAKE_ACCOUNT_NAME, SNOWFLAKE_USER and SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD;\n" +
          "optional: SNOWFLAKE_ROLE, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE, PIPELINE_ACCEPTANCE_STACK, PIPELINE_ACCEPTANCE_INSTANCE_FAMILY,\n" +
          "PIPELINE_ACCEPTANCE_NOTIFICATION_INTEGRATION. See docs/operations.md.\n",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (see --help)`);
  }
  return options;
}

/** What is missing to run against a live account; empty when it can run. */
export function missingPrerequisites(env: NodeJS.ProcessEnv, stack: string | undefined): string[] {
  const missing: string[] = [];
  for (const name of ["SNOWFLAKE_ORGANIZATION_NAME", "SNOWFLAKE_ACCOUNT_NAME", "SNOWFLAKE_USER"]) if (!env[name]) missing.push(name);
  if (!env.SNOWFLAKE_PRIVATE_KEY && !env.SNOWFLAKE_PASSWORD) missing.push("SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD");
  if (!stack) missing.push("a throwaway stack name (--stack NAME or PIPELINE_ACCEPTANCE_STACK)");
  return missing;
}

/** Names of everything the throwaway stack creates, derived from the stack name. */
export function acceptanceNames(stack: string) {
  const suffix = stack.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40);
  const database = `MLACC_${suffix}`;
  return { database, warehouse: `${database}_WH`, computePool: `${database}_POOL`, rootTask: `${database}.PIPELINE.${PIPELINE}` };
}

const started = Date.now();
function step(text: string) {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${text}\n`);
}

/** Runs the operator CLI as users do, returning its exit code and parsed JSON. */
function pipelineCli(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_DIR, "cli", "pipeline.ts"), ...args], {
      cwd: PROJECT_DIR,
      env: process.env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ code: code ?? 1, json: JSON.parse(out) });
      } catch {
        reject(new Error(`pipeline ${args.join(" ")} exited ${code} without JSON:\n${out}`));
      }
    });
  });
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`FAILED: ${message}`);
  step(`✔ ${message}`);
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const missing = missingPrerequisites(process.env, options.stack);
  if (missing.length > 0) {
    process.stdout.write(
      `SKIP live acceptance test: it needs a Snowflake account and a throwaway stack name; missing: ${missing.join("; ")}.\n` +
        "See docs/operations.md, \"Live acceptance test\".\n",
    );
    return 0;
  }
  const stackName = options.stack!;
  if (!/^[A-Za-z0-9_.-]+$/.test(stackName) || ["dev", "prod"].includes(stackName) || fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stackName}.yaml`))) {
    throw new Error(`--stack ${stackName}: use a new throwaway stack name (not dev/prod, no existing Pulumi.${stackName}.yaml); the test destroys it`);
  }
  const names = acceptanceNames(stackName);
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  step(`creating stack ${stackName} in ${PROJECT_DIR} (database ${names.database})`);
  const stack = await LocalWorkspace.createStack({ stackName, workDir: PROJECT_DIR }).catch((err: unknown) => {
    throw pulumiFailure(err, `creating stack ${stackName}`, stackName);
  });
  const env = process.env;
  // Typed settings (objects, numbers, booleans) go straight into Pulumi.<stack>.yaml, written as the
  // dev stack's file is; `pulumi config set` would store numbers and booleans as strings.
  const stackFile = path.join(PROJECT_DIR, `Pulumi.${stackName}.yaml`);
  const settingsFile = (fs.existsSync(stackFile) ? YAML.parse(fs.readFileSync(stackFile, "utf8")) : null) ?? {};
  settingsFile.config = {
    ...(settingsFile.config ?? {}),
    "snowflake-ml-pipeline:database": names.database,
    "snowflake-ml-pipeline:schema": "PIPELINE",
    "snowflake-ml-pipeline:dataSchema": "DATA",
    "snowflake-ml-pipeline:registrySchema": "MODELS",
    "snowflake-ml-pipeline:warehouse": { name: names.warehouse, size: "XSMALL" },
    "snowflake-ml-pipeline:computePool": {
      name: names.computePool,
      instanceFamily: env.PIPELINE_ACCEPTANCE_INSTANCE_FAMILY ?? "CPU_X64_S",
      minNodes: 1,
      maxNodes: 2,
      autoSuspendSecs: 300,
    },
    "snowflake-ml-pipeline:started": false,
    "snowflake-ml-pipeline:sampleData": true,
    "snowflake-ml-pipeline:notificationIntegration": env.PIPELINE_ACCEPTANCE_NOTIFICATION_INTEGRATION ?? `${names.database}_ALERTS`,
    // Quality threshold 0: CHECK_MODEL_QUALITY always routes to PROMOTE_MODEL.
    "snowflake-ml-pipeline:graphConfig": { metric_threshold: 0 },
  };
  fs.writeFileSync(stackFile, YAML.stringify(settingsFile));
  const plain = (value: string | undefined) => ({ value: value ?? "" });
  const config: Record<string, { value: string; secret?: boolean }> = {
    "snowflake:organizationName": plain(env.SNOWFLAKE_ORGANIZATION_NAME),
    "snowflake:accountName": plain(env.SNOWFLAKE_ACCOUNT_NAME),
    "snowflake:user": plain(env.SNOWFLAKE_USER),
  };
  if (env.SNOWFLAKE_ROLE) config["snowflake:role"] = plain(env.SNOWFLAKE_ROLE);
  if (env.SNOWFLAKE_PRIVATE_KEY) config["snowflake:privateKey"] = { value: env.SNOWFLAKE_PRIVATE_KEY, secret: true };
  else config["snowflake:password"] = { value: env.SNOWFLAKE_PASSWORD!, secret: true };
  if (env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) config["snowflake:privateKeyPassphrase"] = { value: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE, secret: true };
  await stack.setAllConfig(config);

  let sql: SqlSession | undefined;
  let failure: unknown;
  try {
    step("pulumi up");
    const up = await stack.up({ onOutput: (o) => process.stdout.write(o) });
    check(up.summary.result === "succeeded", `pulumi up succeeded (${JSON.stringify(up.summary.resourceChanges)})`);
    const exported = pipelinesOf(Object.fromEntries(Object.entries(up.outputs).map(([key, output]) => [key, output.value])));
    check(exported.get(PIPELINE)?.rootTask === names.rootTask, `the stack exports pipeline ${PIPELINE} with rootTask ${names.rootTask}`);

    const preview = await stack.preview();
    // Pulumi.yaml refreshes before every preview (options.refresh: always): reads are not changes.
    const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && op !== "refresh" && op !== "read" && (n ?? 0) > 0);
    check(changes.length === 0, `a second preview changes nothing (${JSON.stringify(preview.changeSummary)})`);

    const status = await pipelineCli(["status", "--stack", stackName, "--pipeline", PIPELINE, "--json"]);
    check(status.code === 0 && status.json.mode === "manual", `after deploy the graph is ready for manual runs (mode ${status.json.mode}, problems ${JSON.stringify(status.json.problems)})`);

    step(`pipeline run --stack ${stackName} --pipeline ${PIPELINE} (timeout ${options.timeout})`);
    const run = await pipelineCli(["run", "--stack", stackName, "--pipeline", PIPELINE, "--json", "--timeout", options.timeout]);
    const doc = run.json as {
      outcome: string;
      runId: number;
      firstError: unknown;
      tasks: { task: string; name: string; role: string; state: string }[];
      results: { promotedModel: { model: string; version: string } | null; metrics: unknown };
    };
    check(doc.outcome !== "unidentified", "the run was identified by its run token (the root body echoes run_token)");
    check(run.code === 0 && doc.outcome === "succeeded", `the graph run succeeded (outcome ${doc.outcome}, first error ${JSON.stringify(doc.firstError)})`);
    const promoted = doc.results.promotedModel;
    check(promoted !== null, `PROMOTE_MODEL returned a model version (${JSON.stringify(promoted)})`);

    sql = await openSession(connectionSettingsFromConfig({ get: () => undefined }, env));
    const [db, schema, model] = promoted!.model.split(".");
    const models = await sql.execute(`SHOW MODELS LIKE '${model.replace(/'/g, "''")}' IN SCHEMA ${db}.${schema}`);
    const defaultVersion = String(models[0]?.default_version_name ?? "");
    check(
      db === names.database && schema === "MODELS" && defaultVersion.toUpperCase() === promoted!.version.toUpperCase(),
      `${promoted!.model} has default version ${defaultVersion} in the registry schema ${names.database}.MODELS`,
    );

    const finalizer = doc.tasks.find((t) => t.role === "finalizer");
    check(finalizer?.state === "succeeded", `the CLI saw the finalizer ${finalizer?.task} succeed`);
    const rows = await sql.execute(
      `SELECT STATE FROM TABLE(${names.database}.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '${finalizer!.name}', RESULT_LIMIT => 100)) ` +
        `WHERE DATABASE_NAME = '${names.database}' AND SCHEMA_NAME = 'PIPELINE' AND RUN_ID = ${doc.runId}`,
    );
    check(rows.some((r) => r.STATE === "SUCCEEDED"), `TASK_HISTORY shows the finalizer ran in run ${doc.runId}`);
    const graphs = await sql.execute(
      `SELECT SCHEDULED_FROM FROM TABLE(${names.database}.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => '${PIPELINE}')) ` +
        `WHERE DATABASE_NAME = '${names.database}' AND SCHEMA_NAME = 'PIPELINE' AND RUN_ID = ${doc.runId}`,
    );
    step(`finding: SCHEDULED_FROM of a run started by EXECUTE TASK is ${JSON.stringify(graphs[0]?.SCHEDULED_FROM ?? null)}`);
  } catch (err) {
    failure = err;
  } finally {
    await sql?.close().catch(() => undefined);
    sql = undefined;
  }

  if (options.keep) {
    step(`--keep: stack ${stackName} and its Snowflake objects are left in place; destroy with: pulumi destroy --run-program --stack ${stackName} && pulumi stack rm ${stackName}`);
  } else {
    try {
      step("pulumi destroy");
      // The engine refuses a destroy without the program when resources have delete hooks (README, "Removing a stack").
      const destroyed = await stack.destroy({ runProgram: true, onOutput: (o) => process.stdout.write(o) });
      check(destroyed.summary.result === "succeeded", "pulumi destroy succeeded");
      const deployment = await stack.exportStack();
      const left = ((deployment.deployment?.resources ?? []) as { type: string }[]).filter((r) => r.type !== "pulumi:pulumi:Stack");
      check(left.length === 0, "the stack has no resources left");
      sql = await openSession(connectionSettingsFromConfig({ get: () => undefined }, env));
      const like = (name: string) => `LIKE '${name}'`;
      check((await sql.execute(`SHOW DATABASES ${like(names.database)}`)).length === 0, `database ${names.database} is gone (and with it the tasks, stages, models)`);
      check((await sql.execute(`SHOW WAREHOUSES ${like(names.warehouse)}`)).length === 0, `warehouse ${names.warehouse} is gone`);
      check((await sql.execute(`SHOW COMPUTE POOLS ${like(names.computePool)}`)).length === 0, `compute pool ${names.computePool} is gone`);
      await stack.workspace.removeStack(stackName);
      step(`stack ${stackName} removed`);
    } catch (err) {
      failure ??= err;
      step(`cleanup failed; clean up by hand: pulumi destroy --run-program --stack ${stackName}; pulumi stack rm ${stackName}`);
    } finally {
      await sql?.close().catch(() => undefined);
    }
  }
  if (failure) throw failure;
  step("PASS");
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).message ?? err}\n`);
      process.exit(1);
    },
  );
}
