// `npm run pipeline -- local`: help, the missing-library message, and what it hands to Python (the
// pipeline definition, the planned graph config, the flags), with Python and the plan stubbed; and
// once with the real run_local.py --help when a Python is available.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Command } from "commander";
import { defaultLocalDeps, missingPackagesMessage, registerLocalCommand, type LocalDeps, type PythonResult } from "../../cli/local";
import { churnPipeline, demoPipeline, demoStack, fixtureProject } from "../support/fixtureProject";

const PIPELINE_YAML = `name: LOANS
runtime: "3.11"
packages: [snowflake-snowpark-python, snowflake-ml-python==1.48.0, xgboost==2.1.4]
config:
  model_name: loan_model
tasks:
  - name: LOAD
    entrypoint: tasks/prepare_data.py
  - name: TIDY
    finalizer: true
    entrypoint: tasks/cleanup.py
`;

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CHURN_YAML = `name: CHURN_PIPELINE
runtime: "3.11"
packages: [snowflake-snowpark-python, scikit-learn]
tasks:
  - name: LOAD
    entrypoint: steps/load.py
  - name: TRAIN
    after: [LOAD]
    entrypoint: steps/train.py
  - name: EVALUATE
    after: [TRAIN]
    entrypoint: steps/evaluate.py
  - name: CLEANUP
    finalizer: true
    entrypoint: steps/cleanup.py
`;

/** A project whose stack lists the LOANS pipeline (pipeline-code/) and, with churn, CHURN_PIPELINE (churn/) first. */
function project(churn = false): string {
  const dir = mkdtempSync(join(tmpdir(), "local-cmd-test-"));
  dirs.push(dir);
  mkdirSync(join(dir, "pipeline-code"));
  writeFileSync(join(dir, "pipeline-code", "pipeline.yaml"), PIPELINE_YAML);
  writeFileSync(join(dir, "pipeline-code", "run_local.py"), "# the pipeline's runner (not run: Python is stubbed here)\n");
  if (churn) {
    mkdirSync(join(dir, "churn"));
    writeFileSync(join(dir, "churn", "pipeline.yaml"), CHURN_YAML);
    writeFileSync(join(dir, "churn", "run_local.py"), "# churn's runner\n");
  }
  return dir;
}

interface Call {
  python: string;
  args: string[];
  cwd: string;
  capture: boolean;
  definition?: unknown;
  definitionPath?: string;
}

function harness(options: { missing?: string[]; configs?: Record<string, unknown>[]; exit?: number; unstartable?: boolean; churn?: boolean; cwd?: string } = {}) {
  const dir = project(options.churn);
  const calls: Call[] = [];
  const stacks: string[] = [];
  const deps: LocalDeps = {
    projectDir: dir,
    async runPython(python, args, { cwd, capture }): Promise<PythonResult> {
      if (options.unstartable) throw new Error(`spawn ${python} ENOENT`);
      const call: Call = { python, args, cwd, capture };
      const at = args.indexOf("--definition");
      if (at >= 0) {
        call.definitionPath = args[at + 1];
        call.definition = JSON.parse(readFileSync(args[at + 1], "utf8"));
      }
      calls.push(call);
      if (capture) return { code: 0, stdout: JSON.stringify(options.missing ?? []) + "\n" };
      return { code: options.exit ?? 0, stdout: "" };
    },
    // Stands for reading Pulumi.<stack>.yaml's `pipelines`: the churn project lists churn first.
    stackPipelineFiles: () => (options.churn ? ["churn/pipeline.yaml", "pipeline-code/pipeline.yaml"] : ["pipeline-code/pipeline.yaml"]),
    cwd: () => options.cwd ?? dir,
    async plannedGraphConfigs(_dir, stack) {
      stacks.push(stack);
      return options.configs ?? [{ pipeline_name: "LOANS", database: "ML_DEV", model_name: "loan_model" }];
    },
  };
  let out = "";
  let err = "";
  let code = -1;
  const program = new Command()
    .name("pipeline")
    .option("--stack <name>")
    .option("--connection <name>")
    .option("--pipeline <name>")
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerLocalCommand(program, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, (c) => (code = c), deps);
  return {
    dir,
    calls,
    stacks,
    async run(...argv: string[]) {
      try {
        await program.parseAsync(argv, { from: "user" });
      } catch (error) {
        if ((error as { code?: string }).code !== "commander.helpDisplayed") throw error;
        code = 0;
      }
      return { code, out, err };
    },
  };
}

describe("pipeline local", () => {
  test("--help explains the standalone run", async () => {
    const { code, out } = await harness().run("local", "--help");
    assert.equal(code, 0);
    for (const text of [
      "--no-register",
      "--force-refresh",
      "--config <key=value>",
      "connections.toml",
      "the finalizer (clean-up) runs last, always",
      "the stack's (as its plan deploys it) plus --config overrides",
      "3 a required Python package is missing",
    ]) {
      assert.ok(out.includes(text), `help lacks ${JSON.stringify(text)}:\n${out}`);
    }
  });

  test("a missing library: what to install, with the pins of the pipeline definition", async () => {
    const h = harness({ missing: ["snowflake.ml"] });
    const { code, err } = await h.run("local");
    assert.equal(code, 3);
    assert.equal(
      err,
      "missing Python package(s): snowflake-ml-python. Install them with:\n" +
        "  pip install 'snowflake-snowpark-python' 'snowflake-ml-python==1.48.0' 'xgboost==2.1.4'\n",
    );
    assert.equal(h.calls.length, 1); // only the probe ran
    assert.deepEqual(h.stacks, []); // nothing planned
  });

  test("an interpreter that cannot be started is named", async () => {
    const { code, err } = await harness({ unstartable: true }).run("local", "--python", "/nowhere/python");
    assert.equal(code, 3);
    assert.match(err, /^error: cannot start \/nowhere\/python \(spawn \/nowhere\/python ENOENT\); install Python 3 or pass --python <path>\n$/);
  });

  test("hands run_local.py the definition, the planned graph config and the flags, and cleans up", async () => {
    const h = harness({ exit: 1 });
    const result = await h.run("local", "--stack", "prod", "--connection", "ci", "--no-register", "--force-refresh", "--config", "metric_threshold=0.8", "--config", "retention_days=7");
    assert.equal(result.code, 1); // Python's exit code
    assert.deepEqual(h.stacks, ["prod"]);
    const run = h.calls[1];
    assert.equal(run.python, "python3");
    assert.equal(run.cwd, join(h.dir, "pipeline-code"));
    assert.equal(run.capture, false);
    assert.deepEqual(run.args, [
      join(h.dir, "pipeline-code", "run_local.py"), "--definition", run.definitionPath,
      "--connection", "ci", "--no-register", "--force-refresh", "--config", "metric_threshold=0.8", "--config", "retention_days=7",
    ]);
    const definition = run.definition as { pipeline: { name: string; tasks: unknown[]; packages: string[] }; graphConfig: unknown };
    assert.equal(definition.pipeline.name, "LOANS");
    assert.equal(definition.pipeline.tasks.length, 2);
    assert.deepEqual(definition.graphConfig, { pipeline_name: "LOANS", database: "ML_DEV", model_name: "loan_model" });
    assert.equal(existsSync(run.definitionPath!), false); // the temporary definition is removed
  });

  test("several planned graphs: the one named like the pipeline; none: a clear error", async () => {
    const configs = [{ pipeline_name: "OTHER" }, { pipeline_name: "LOANS", database: "ML_PROD" }];
    const h = harness({ configs });
    assert.equal((await h.run("local")).code, 0);
    assert.deepEqual((h.calls[1].definition as { graphConfig: unknown }).graphConfig, configs[1]);
    assert.deepEqual(h.stacks, ["dev"]);

    const none = await harness({ configs: [{ pipeline_name: "A" }, { pipeline_name: "B" }] }).run("local");
    assert.equal(none.code, 2);
    assert.match(none.err, /^error: stack dev plans 2 task graph\(s\), none named LOANS \(from pipeline-code\/pipeline\.yaml\)\n$/);
  });

  test("--pipeline NAME runs that pipeline's tasks from its folder with its own graph config", async () => {
    const configs = [
      { pipeline_name: "CHURN_PIPELINE", source_table: "FX_DB.RAW.CUSTOMER_EVENTS", min_auc: 0.7 },
      { pipeline_name: "LOANS", source_table: "FX_DB.RAW.LOANS" },
    ];
    const h = harness({ churn: true, configs });
    const { code } = await h.run("local", "--pipeline", "CHURN_PIPELINE", "--no-register");
    assert.equal(code, 0);
    const run = h.calls[1];
    assert.equal(h.calls[0].cwd, join(h.dir, "churn"), "the package probe runs in churn's folder");
    assert.equal(run.cwd, join(h.dir, "churn"));
    assert.equal(run.args[0], join(h.dir, "churn", "run_local.py"));
    const definition = run.definition as { pipeline: { name: string; tasks: { name: string }[] }; graphConfig: unknown };
    assert.equal(definition.pipeline.name, "CHURN_PIPELINE");
    assert.deepEqual(definition.pipeline.tasks.map((t) => t.name), ["LOAD", "TRAIN", "EVALUATE", "CLEANUP"]);
    assert.deepEqual(definition.graphConfig, configs[0]);
  });

  test("with the stack's real plan: churn's tasks get churn's graph config, none of the other pipeline's keys", async () => {
    // Only Python is stubbed (it stands for the interpreter running churn/run_local.py); the stack's
    // pipelines are read from its files and the graph config comes from the offline plan.
    const churn = churnPipeline();
    churn.files["run_local.py"] = "# churn's runner\n";
    const demo = demoPipeline();
    demo.files["sample_data/mortgage_sample.csv"] = "a,b\n1,2\n";
    const project = fixtureProject({ pipelines: [demo, churn], stacks: { dev: demoStack(["churn/pipeline.yaml", "flows/demo/pipeline.yaml"], { sampleData: true }) } });
    dirs.push(project.dir);
    const calls: { args: string[]; cwd: string; definition?: { pipeline: { name: string; tasks: { name: string }[] }; graphConfig: Record<string, unknown> } }[] = [];
    const deps: LocalDeps = {
      ...defaultLocalDeps(project.dir),
      async runPython(_python, args, { cwd, capture }) {
        if (capture) return { code: 0, stdout: "[]\n" };
        calls.push({ args, cwd, definition: JSON.parse(readFileSync(args[args.indexOf("--definition") + 1], "utf8")) });
        return { code: 0, stdout: "" };
      },
    };
    let err = "";
    let code = -1;
    const program = new Command().name("pipeline").option("--stack <name>").option("--connection <name>").option("--pipeline <name>").exitOverride();
    registerLocalCommand(program, { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } }, (c) => (code = c), deps);
    await program.parseAsync(["local", "--pipeline", "CHURN_PIPELINE"], { from: "user" });
    assert.equal(code, 0, err);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].cwd, join(project.dir, "churn"));
    const { pipeline, graphConfig } = calls[0].definition!;
    assert.deepEqual(pipeline.tasks.map((t) => t.name), ["LOAD", "TRAIN", "EVALUATE", "CLEANUP"]);
    assert.equal(graphConfig.pipeline_name, "CHURN_PIPELINE");
    assert.equal(graphConfig.source_table, "FX_DB.RAW.CUSTOMER_EVENTS");
    assert.equal(graphConfig.min_auc, 0.7);
    assert.match(String(graphConfig.sample_data_file), /\/CHURN_PIPELINE\/sample\/[0-9a-f]{64}\/churn_sample\.csv$/);
    assert.equal("metric_threshold" in graphConfig, false, "none of the demo pipeline's keys");
  });

  test("a stack of several pipelines needs --pipeline; an unknown name is refused before Python runs", async () => {
    const h = harness({ churn: true });
    const none = await h.run("local");
    assert.equal(none.code, 2);
    assert.equal(none.err, "error: stack dev has 2 pipelines: CHURN_PIPELINE, LOANS. Say which one with --pipeline NAME.\n");
    const h2 = harness({ churn: true });
    const unknown = await h2.run("local", "--pipeline", "NOPE");
    assert.equal(unknown.code, 2);
    assert.equal(unknown.err, "error: stack dev has no pipeline NOPE; expected one of CHURN_PIPELINE, LOANS\n");
    assert.equal(h.calls.length + h2.calls.length, 0);
  });

  test("a relative --python resolves against the working directory", async () => {
    const h = harness({ cwd: "/home/me/work" });
    await h.run("local", "--python", "venv/bin/python");
    assert.equal(h.calls[0].python, "/home/me/work/venv/bin/python");
  });

  test("the help lists --pipeline once", async () => {
    const { out } = await harness().run("local", "--help");
    assert.equal(out.split("--pipeline <name>").length - 1, 1, out);
  });

  test("the message lists only what is missing and installs all three", () => {
    assert.equal(
      missingPackagesMessage(["snowflake.snowpark", "xgboost"], ["xgboost==2.1.4"]),
      "missing Python package(s): snowflake-snowpark-python, xgboost. Install them with:\n  pip install 'snowflake-snowpark-python' 'snowflake-ml-python' 'xgboost==2.1.4'\n",
    );
  });

  test("run_local.py's own --help, when a Python 3 is here", (t) => {
    const script = join(__dirname, "..", "..", "pipeline-code", "run_local.py");
    if (!existsSync(script)) return t.skip("the sample pipeline (pipeline-code/) is not in this project");
    const probe = spawnSync("python3", ["--version"]);
    if (probe.status !== 0) return t.skip("no python3");
    const help = spawnSync("python3", [script, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--no-register/);
    assert.match(help.stdout, /finalizer running last/);
  });
});
