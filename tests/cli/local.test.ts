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
import { missingPackagesMessage, registerLocalCommand, type LocalDeps, type PythonResult } from "../../cli/local";

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

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "local-cmd-test-"));
  dirs.push(dir);
  mkdirSync(join(dir, "pipeline-code"));
  writeFileSync(join(dir, "pipeline-code", "pipeline.yaml"), PIPELINE_YAML);
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

function harness(options: { missing?: string[]; configs?: Record<string, unknown>[]; exit?: number; unstartable?: boolean } = {}) {
  const dir = project();
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
      "--pipeline <file>",
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

  test("a pipeline definition that does not exist fails before Python runs", async () => {
    const h = harness();
    const { code, err } = await h.run("local", "--pipeline", "nope.yaml");
    assert.equal(code, 2);
    assert.match(err, /^error: nope\.yaml: pipeline definition file not found/);
    assert.equal(h.calls.length, 0);
  });

  test("the message lists only what is missing and installs all three", () => {
    assert.equal(
      missingPackagesMessage(["snowflake.snowpark", "xgboost"], ["xgboost==2.1.4"]),
      "missing Python package(s): snowflake-snowpark-python, xgboost. Install them with:\n  pip install 'snowflake-snowpark-python' 'snowflake-ml-python' 'xgboost==2.1.4'\n",
    );
  });

  test("run_local.py's own --help, when a Python 3 is here", (t) => {
    const script = join(__dirname, "..", "..", "pipeline-code", "run_local.py");
    const probe = spawnSync("python3", ["--version"]);
    if (probe.status !== 0) return t.skip("no python3");
    const help = spawnSync("python3", [script, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--no-register/);
    assert.match(help.stdout, /finalizer running last/);
  });
});
