// The GitHub Actions workflows that carry a change from PR review to dev and, promoted, to prod.
// They cannot run here, so this checks their structure: valid YAML, triggers, jobs and their
// order, stacks, commands, and that every pulumi/actions input exists in v7.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PROJECT_DIR } from "./support/stackConfig";

const DIR = join(PROJECT_DIR, ".github", "workflows");

/** Inputs of pulumi/actions v7.0.0 (action.yml at deb0aa3). */
const PULUMI_ACTION_INPUTS = new Set([
  "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number",
  "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map",
  "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents", "policyPacks",
  "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
  "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
]);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  id?: string;
  "working-directory"?: string;
}
interface Job {
  name?: string;
  uses?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  env?: Record<string, string>;
  steps?: Step[];
  strategy?: { matrix?: Record<string, unknown> };
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

function load(file: string): Workflow {
  return parse(readFileSync(join(DIR, file), "utf8"), { uniqueKeys: true, strict: true }) as Workflow;
}

const pulumiSteps = (job: Job) => (job.steps ?? []).filter((s) => s.uses?.startsWith("pulumi/actions"));
const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? "").join("\n");
const needs = (job: Job) => (Array.isArray(job.needs) ? job.needs : job.needs ? [job.needs] : []);
const environment = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

describe("CI workflows", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml")).sort();

  it("are the test gate, PR review and deploy workflows, each valid YAML with a name, triggers and jobs", () => {
    assert.deepEqual(files, ["deploy.yml", "pr.yml", "test.yml"]);
    for (const file of files) {
      const wf = load(file);
      assert.equal(typeof wf.name, "string", file);
      assert.ok(wf.on && Object.keys(wf.on).length > 0, `${file} has no trigger`);
      assert.ok(Object.keys(wf.jobs).length > 0, `${file} has no jobs`);
    }
  });

  it("use pulumi/actions@v7 with its real inputs, a stack and the Pulumi token, and the policy pack", () => {
    for (const file of files) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        for (const step of pulumiSteps(job)) {
          assert.equal(step.uses, "pulumi/actions@v7", `${file} ${name}`);
          for (const key of Object.keys(step.with ?? {})) assert.ok(PULUMI_ACTION_INPUTS.has(key), `${file} ${name}: pulumi/actions has no input ${key}`);
          assert.match(String(step.with?.["stack-name"]), /^(dev|prod)$/, `${file} ${name}`);
          assert.equal(step.with?.policyPacks, "policies", `${file} ${name} runs the policy pack`);
          assert.equal({ ...job.env, ...step.env }.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}", `${file} ${name}`);
        }
      }
    }
  });

  it("test.yml: a reusable gate running npm ci and npm test, which provisions the pipeline code's Python environment itself", () => {
    const wf = load("test.yml");
    assert.deepEqual(Object.keys(wf.on), ["workflow_call"]);
    const text = runs(wf.jobs.test);
    assert.match(text, /npm ci/);
    assert.match(text, /^npm test$/m);
    assert.doesNotMatch(text, /pip install|apt-get/); // npm test builds .venv-pipeline from the pinned requirements
    assert.ok((wf.jobs.test.steps ?? []).some((step: { uses?: string }) => step.uses?.startsWith("actions/setup-python")));
  });

  it("pr.yml: on pull requests, the offline diff against the base branch in the job summary, for dev and prod", () => {
    const wf = load("pr.yml");
    assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
    assert.equal(wf.jobs.test.uses, "./.github/workflows/test.yml");
    const diff = wf.jobs["plan-diff"];
    assert.deepEqual(diff.strategy?.matrix?.stack, ["dev", "prod"]);
    assert.equal(pulumiSteps(diff).length, 0, "the offline diff needs no Pulumi CLI or credentials");
    assert.ok(!JSON.stringify(diff).includes("secrets."), "the offline diff uses no secrets");
    const base = diff.steps!.find((s) => s.with?.ref === "${{ github.event.pull_request.base.sha }}");
    assert.ok(base, "checks out the base branch");
    const basePlan = diff.steps!.find((s) => s["working-directory"] === base.with?.path)!;
    assert.match(basePlan.run!, /npm run -s plan -- --stack "\$STACK" --json > "\$RUNNER_TEMP\/base-plan\.json"/);
    const prDiff = diff.steps!.find((s) => s.run?.includes("--diff"))!;
    assert.notEqual(prDiff["working-directory"], base.with?.path, "the diff runs in the PR's checkout");
    assert.match(prDiff.run!, /npm run -s plan -- --stack "\$STACK" --diff "\$RUNNER_TEMP\/base-plan\.json"/);
    assert.match(prDiff.run!, />> "\$GITHUB_STEP_SUMMARY"/);
  });

  it("pr.yml: pulumi preview of dev with a PR comment, only when the secrets are there", () => {
    const wf = load("pr.yml");
    assert.equal(wf.permissions?.["pull-requests"], "write");
    const preview = wf.jobs.preview;
    assert.deepEqual(needs(preview), ["test"]);
    const [step] = pulumiSteps(preview);
    assert.deepEqual(step.with, { "pulumi-version": "3.248.0", command: "preview", "stack-name": "dev", diff: true, "comment-on-pr": true, policyPacks: "policies" });
    const check = preview.steps!.find((s) => s.id === "credentials")!;
    assert.match(check.run!, /PULUMI_ACCESS_TOKEN/);
    assert.match(check.run!, /SNOWFLAKE_PRIVATE_KEY/);
    assert.equal(step.if, "steps.credentials.outputs.available == 'true'");
    for (const s of preview.steps!.filter((x) => x !== check)) assert.equal(s.if, "steps.credentials.outputs.available == 'true'", JSON.stringify(s));
  });

  it("deploy.yml: on merge to main, test, then pulumi up on dev", () => {
    const wf = load("deploy.yml");
    assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
    assert.deepEqual(wf.concurrency, { group: "deploy", "cancel-in-progress": false });
    assert.equal(wf.jobs.test.uses, "./.github/workflows/test.yml");
    const dev = wf.jobs["deploy-dev"];
    assert.deepEqual(needs(dev), ["test"]);
    assert.deepEqual(pulumiSteps(dev).map((s) => [s.with?.command, s.with?.["stack-name"]]), [["up", "dev"]]);
  });

  it("deploy.yml: prod is previewed after dev, the plan saved, and applied after approval in the protected environment", () => {
    const wf = load("deploy.yml");
    const preview = wf.jobs["preview-prod"];
    const deploy = wf.jobs["deploy-prod"];
    assert.deepEqual(needs(preview), ["deploy-dev"], "prod is previewed against the dev that was just deployed");
    assert.deepEqual(needs(deploy), ["preview-prod"]);
    assert.match(runs(preview), /npm run -s plan -- --stack prod --diff dev/);
    const [previewStep] = pulumiSteps(preview);
    assert.equal(previewStep.with?.command, "preview");
    assert.equal(previewStep.with?.["stack-name"], "prod");
    const planFile = String(previewStep.with?.plan);
    assert.ok(planFile.length > 0, "the preview saves an update plan");
    const upload = preview.steps!.find((s) => s.uses === "actions/upload-artifact@v4")!;
    assert.equal(upload.with?.path, planFile);

    assert.equal(environment(deploy), "production", "prod deploys through the protected environment");
    assert.notEqual(environment(preview), "production", "the preview runs before the approval");
    const download = deploy.steps!.find((s) => s.uses === "actions/download-artifact@v4")!;
    assert.equal(download.with?.name, upload.with?.name);
    const [up] = pulumiSteps(deploy);
    assert.deepEqual([up.with?.command, up.with?.["stack-name"], up.with?.plan], ["up", "prod", planFile], "up applies the reviewed plan");
    const order = deploy.steps!.map((s) => s.uses ?? s.run);
    assert.ok(order.indexOf("actions/download-artifact@v4") < order.indexOf("pulumi/actions@v7"));
  });

  it("deploy.yml: every preview and up refreshes first, so a graph a failed deploy left suspended is repaired", () => {
    const wf = load("deploy.yml");
    const steps = Object.values(wf.jobs).flatMap((job) => pulumiSteps(job));
    assert.deepEqual(
      steps.map((s) => [s.with?.command, s.with?.["stack-name"], s.with?.refresh]),
      [["up", "dev", true], ["preview", "prod", true], ["up", "prod", true]],
    );
  });

  it("Pulumi.yaml refreshes before every preview, up and destroy (options.refresh: always)", () => {
    const project = parse(readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { options?: { refresh?: string } };
    assert.deepEqual(project.options, { refresh: "always" });
  });

  it("every pulumi/actions step pins a CLI the project file accepts: the @pulumi/pulumi version, at least 3.244.0", () => {
    const project = parse(readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { requiredPulumiVersion?: string };
    const sdk = (JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    assert.equal(project.requiredPulumiVersion, ">=3.244.0");
    for (const file of files) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        for (const step of pulumiSteps(job)) assert.equal(String(step.with?.["pulumi-version"]), sdk, `${file} ${name}`);
      }
    }
  });

  it("no workflow deploys prod without the approval gate", () => {
    for (const file of files) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        for (const step of pulumiSteps(job).filter((s) => s.with?.["stack-name"] === "prod" && s.with?.command === "up")) {
          assert.equal(environment(job), "production", `${file} ${name}: ${JSON.stringify(step.with)}`);
        }
      }
    }
  });
});
