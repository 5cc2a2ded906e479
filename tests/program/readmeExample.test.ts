// The README's component example, exactly as printed, as a user's program: copied into a project of
// its own (with the package installed as `snowflake-ml-pipeline` and the demo pipeline at the path
// the example names), type-checked with tsc and planned offline, in-process and through the CLI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { planProgramModule, type Plan } from "../../cli";
import { demoPipeline, fixtureProject, type FixtureProject } from "../support/fixtureProject";

const REPO = join(__dirname, "..", "..");

/** The one ```ts block of README.md's "Using the component in your own program". */
function readmeComponentExample(readme: string): string {
  const section = readme.slice(readme.indexOf("### Using the component in your own program"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README.md: no ```ts block under \"Using the component in your own program\"");
  return match[1];
}

describe("the README's component example", () => {
  let project: FixtureProject;
  let example: string;
  before(() => {
    example = readmeComponentExample(readFileSync(join(REPO, "README.md"), "utf8"));
    const pipeline = demoPipeline("MORTGAGE_PIPELINE", "pipeline-code");
    pipeline.files["sample_data/mortgage_sample.csv"] = "a,b\n1,2\n";
    project = fixtureProject({ pipelines: [pipeline] });
    project.write("index.ts", example);
    project.write(
      "tsconfig.json",
      JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "commonjs", moduleResolution: "node10", types: ["node"], esModuleInterop: true, skipLibCheck: true, noEmit: true, ignoreDeprecations: "6.0" }, files: ["index.ts"] }),
    );
    // The package as a user installs it: node_modules/snowflake-ml-pipeline, with its dependencies.
    mkdirSync(join(project.dir, "node_modules", "@pulumi"), { recursive: true });
    mkdirSync(join(project.dir, "node_modules", "@types"), { recursive: true });
    symlinkSync(REPO, join(project.dir, "node_modules", "snowflake-ml-pipeline"), "dir");
    for (const dep of ["@pulumi/pulumi", "@pulumi/snowflake", "@types/node"]) symlinkSync(join(REPO, "node_modules", dep), join(project.dir, "node_modules", dep), "dir");
    // The stack files name the demo pipeline; the example's Pipeline takes it from its definition path.
    project.write("Pulumi.dev.yaml", stringify({ config: { "snowflake:organizationName": "FXORG", "snowflake:accountName": "FXACCOUNT", "snowflake:user": "FX_DEPLOYER", "snowflake:role": "FX_ROLE" } }));
  });
  after(() => project.cleanup());

  it("is the program README.md prints: a module that exports it, with the role as another resource's output and the outputs awaited", () => {
    assert.match(example, /^import \* as snowflake from "@pulumi\/snowflake";\n/);
    assert.match(example, /pipelineRole: mlEngineerRole\.name,/);
    assert.match(example, /return \{ mortgage: await mortgage\.ready \};/);
  });

  it("type-checks with tsc", () => {
    const tsc = spawnSync(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", project.dir], { encoding: "utf8" });
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
  });

  it("plans offline: the platform, the role's grants on it, the pipeline's tasks, and the awaited outputs", async () => {
    const plan: Plan = await planProgramModule({ projectDir: project.dir, stack: "dev" }, join(project.dir, "index.ts"));
    const named = (name: string) => plan.resources.find((r) => r.name === name);
    assert.ok(named("platform-database"));
    assert.equal(named("ml-engineer")?.inputs.name, "ML_ENGINEER");
    const grants = plan.resources.filter((r) => r.type === "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole");
    assert.ok(grants.length > 0);
    for (const grant of grants) assert.equal(grant.inputs.accountRoleName, "ML_ENGINEER", grant.name);
    const root = plan.resources.find((r) => r.type === "snowflake:index/task:Task" && r.inputs.name === "MORTGAGE_PIPELINE")!;
    const config = JSON.parse(String(root.inputs.config)) as Record<string, unknown>;
    assert.equal(config.metric_threshold, 0.75);
    assert.match(String(config.sample_data_file), /^@ML_DEV\.PIPELINE\.DATA_STAGE\/MORTGAGE_PIPELINE\/sample\/[0-9a-f]{64}\/mortgage_sample\.csv$/);
    assert.equal(root.inputs.started, true);
    const outputs = plan.outputs.mortgage as { rootTask: string; tasks: Record<string, string>; bundleSha256: Record<string, string> };
    assert.equal(outputs.rootTask, "ML_DEV.PIPELINE.MORTGAGE_PIPELINE");
    assert.deepEqual(Object.keys(outputs.bundleSha256).sort(), ["FIT", "JUDGE", "LOAD", "PUBLISH", "TIDY"]);
    for (const sha of Object.values(outputs.bundleSha256)) assert.match(sha, /^[0-9a-f]{64}$/);
  });

  it("plans through the CLI: npm run plan -- --project <dir> --program <file>", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "cli", "plan.ts"), "--project", project.dir, "--program", join(project.dir, "index.ts"), "--json"], {
      encoding: "utf8",
      cwd: REPO,
    });
    assert.equal(run.status, 0, run.stderr);
    const plan = JSON.parse(run.stdout) as Plan;
    assert.ok(plan.resources.some((r) => r.name === "mortgage-task-fit"));
  });
});
