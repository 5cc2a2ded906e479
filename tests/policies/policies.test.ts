// The CrossGuard policies over the resources the program registers under mocks (dev and prod
// plans), passing, and failing on mutated resource sets. The policies are called directly with
// hand-built arguments, as pulumi-policy's own tests do; the PolicyPack (policies/index.ts) is never
// constructed here, because its constructor starts a gRPC server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { Plan, planStack, PlannedResource } from "../../cli/mockPlan";
import { planWithSourceStacks } from "../../cli/sourceStacks";
import {
  computePoolCoversJobs,
  credentialFindings,
  jobTargetInstances,
  noPlaintextCredentials,
  oneFinalizerAtRoot,
  policies,
  previewFeaturesEnabled,
  prodGraphSettings,
  stackOfUrn,
  taskHasPredecessors,
} from "../../policies/policies";
import { devAndProdProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

// A dev and prod fixture project (tests/support/fixtureProject.ts): the names below are its own.
const PROJECT = devAndProdProject();
const PROJECT_DIR = PROJECT.dir;
after(() => PROJECT.cleanup());

// The proxy the policy server wraps props in: reading an unknown (preview) value throws.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(o: T): T; unknownStringValue: string; unknownArrayValue: string };

type Policy = ResourceValidationPolicy | StackValidationPolicy;
interface Violation {
  message: string;
  urn?: string;
}

function policyResource(r: PlannedResource): PolicyResource {
  const props = proxy.unknownCheckingProxy(structuredClone(r.inputs));
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: ((cls: { __pulumiType?: string }) => cls.__pulumiType === r.type) as PolicyResource["isType"],
    asType: ((cls: { __pulumiType?: string }) => (cls.__pulumiType === r.type ? props : undefined)) as PolicyResource["asType"],
  };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

/** Runs one policy over a plan's resources: each resource for a resource policy, the set for a stack policy. */
function run(policy: Policy, resources: PlannedResource[], config: object = {}): Violation[] {
  const violations: Violation[] = [];
  const report = (message: string, urn?: string) => violations.push({ message, urn });
  if ("validateResource" in policy && policy.validateResource) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const r of resources) {
      const { type, props, urn, name, opts, isType } = policyResource(r);
      const args: ResourceValidationArgs = {
        type,
        props,
        urn,
        name,
        opts,
        isType,
        asType: ((cls: { __pulumiType?: string }) => (cls.__pulumiType === type ? props : undefined)) as ResourceValidationArgs["asType"],
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
      };
      for (const validate of validations) void validate(args, (message, urn) => report(message, urn ?? r.urn));
    }
  } else if ("validateStack" in policy && policy.validateStack) {
    const args: StackValidationArgs = { resources: resources.map(policyResource), stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable };
    void policy.validateStack(args, report);
  }
  return violations;
}

const messages = (vs: Violation[]) => vs.map((v) => v.message);

/** A deep copy of the plan's resources with one resource's inputs changed. */
function mutate(plan: Plan, name: string, change: (inputs: Record<string, unknown>) => void): PlannedResource[] {
  const resources = structuredClone(plan.resources);
  const target = resources.find((r) => r.name === name && Object.keys(r.inputs).length > 0);
  assert.ok(target, `no resource ${name} with inputs`);
  change(target.inputs);
  return resources;
}

const FQ = (db: string, task: string) => `${db}.PIPE.DEMO_FLOW${task ? `$${task}` : ""}`;

describe("policies over the program's resources", () => {
  let dev: Plan;
  let prod: Plan;
  let devWithSecrets: Plan;
  before(async () => {
    dev = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
    prod = await planWithSourceStacks({ projectDir: PROJECT_DIR, stack: "prod" });
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7NOTAREALKEY\n-----END PRIVATE KEY-----";
    const stackConfig = withConfig(PROJECT.stackConfig("dev"), { "snowflake:privateKey": key }, ["snowflake:privateKey"]);
    devWithSecrets = await planStack({ projectDir: PROJECT_DIR, stack: "dev", stackConfig, keepProviderCode: true });
  });

  it("the pack has each policy once, all mandatory", () => {
    assert.deepEqual(
      policies.map((p) => [p.name, p.enforcementLevel]),
      [
        ["task-has-predecessors", "mandatory"],
        ["one-finalizer-at-root", "mandatory"],
        ["prod-graph-settings", "mandatory"],
        ["compute-pool-covers-ml-jobs", "mandatory"],
        ["no-plaintext-credentials", "mandatory"],
        ["preview-features-enabled", "mandatory"],
      ],
    );
  });

  it("every policy passes on the dev and prod plans (and dev with a secret key and the dynamic providers' code)", () => {
    for (const policy of policies) {
      for (const [label, plan] of [
        ["dev", dev],
        ["prod", prod],
        ["dev with secrets", devWithSecrets],
      ] as const) {
        assert.deepEqual(run(policy, plan.resources), [], `${policy.name} on ${label}`);
      }
    }
  });

  describe("task-has-predecessors", () => {
    it("fails a child task without predecessors, naming it", () => {
      const resources = mutate(dev, "demo-flow-task-fit", (i) => delete i.afters);
      const violations = run(taskHasPredecessors, resources);
      assert.equal(violations.length, 1);
      assert.match(violations[0].message, /^task FX_DB\.PIPE\.DEMO_FLOW\$FIT has no predecessor and is not the finalizer/);
      assert.equal(violations[0].urn, resources.find((r) => r.name === "demo-flow-task-fit")!.urn);
    });

    it("fails an empty predecessor list", () => {
      assert.equal(run(taskHasPredecessors, mutate(prod, "demo-flow-task-warn", (i) => (i.afters = []))).length, 1);
    });

    it("passes predecessors that are unknown during a preview", () => {
      const resources = mutate(dev, "demo-flow-task-fit", (i) => (i.afters = [proxy.unknownStringValue]));
      assert.deepEqual(run(taskHasPredecessors, resources), []);
      const whole = mutate(dev, "demo-flow-task-fit", (i) => (i.afters = proxy.unknownArrayValue));
      assert.deepEqual(run(taskHasPredecessors, whole), []);
    });
  });

  describe("one-finalizer-at-root", () => {
    it("fails a graph without a finalizer", () => {
      const resources = mutate(dev, "demo-flow-finalizer", (i) => {
        delete i.finalize;
        i.afters = ['"FX_DB"."PIPE"."DEMO_FLOW"'];
      });
      assert.deepEqual(messages(run(oneFinalizerAtRoot, resources)), [
        `task graph ${FQ("FX_DB", "")} has 0 finalizers; expected exactly one (finalizer: true in pipeline.yaml), which cleans up after every run, successful or not`,
      ]);
    });

    it("fails two finalizers, naming both", () => {
      const resources = mutate(prod, "demo-flow-task-warn", (i) => {
        delete i.afters;
        i.finalize = '"FX_PROD"."PIPE"."DEMO_FLOW"';
      });
      assert.deepEqual(messages(run(oneFinalizerAtRoot, resources)), [
        `task graph ${FQ("FX_PROD", "")} has 2 finalizers (${FQ("FX_PROD", "TIDY")}, ${FQ("FX_PROD", "WARN")}); expected exactly one (finalizer: true in pipeline.yaml), which cleans up after every run, successful or not`,
      ]);
    });

    it("fails a finalizer that points at another task than the root", () => {
      const resources = mutate(dev, "demo-flow-finalizer", (i) => (i.finalize = '"FX_DB"."PIPE"."DEMO_FLOW$FIT"'));
      assert.deepEqual(messages(run(oneFinalizerAtRoot, resources)), [
        `finalizer ${FQ("FX_DB", "TIDY")} points at ${FQ("FX_DB", "FIT")}, not at its graph's root ${FQ("FX_DB", "")}`,
      ]);
    });

    it("passes a finalizer target that is unknown during a preview", () => {
      assert.deepEqual(run(oneFinalizerAtRoot, mutate(dev, "demo-flow-finalizer", (i) => (i.finalize = proxy.unknownStringValue))), []);
    });
  });

  describe("prod-graph-settings", () => {
    it("fails a prod root task without retries, naming what is missing", () => {
      const resources = mutate(prod, "demo-flow-root", (i) => delete i.taskAutoRetryAttempts);
      assert.deepEqual(messages(run(prodGraphSettings, resources)), [`root task ${FQ("FX_PROD", "")} of production stack "prod" lacks retries (taskRetries ≥ 1)`]);
    });

    it("fails zero retries, no timeout and no error integration", () => {
      const resources = mutate(prod, "demo-flow-root", (i) => {
        i.taskAutoRetryAttempts = 0;
        delete i.userTaskTimeoutMs;
        delete i.errorIntegration;
      });
      assert.deepEqual(messages(run(prodGraphSettings, resources, { productionStacks: ["prod"] })), [
        `root task ${FQ("FX_PROD", "")} of production stack "prod" lacks retries (taskRetries ≥ 1), a timeout (taskTimeoutMs), an error integration (errorIntegration)`,
      ]);
    });

    it("leaves other stacks alone unless configured as production", () => {
      assert.deepEqual(run(prodGraphSettings, dev.resources), []);
      assert.deepEqual(messages(run(prodGraphSettings, dev.resources, { productionStacks: ["dev", "prod"] })), [
        `root task ${FQ("FX_DB", "")} of production stack "dev" lacks retries (taskRetries ≥ 1), a timeout (taskTimeoutMs), an error integration (errorIntegration)`,
      ]);
    });

    it("reads the stack from the URN", () => {
      assert.equal(stackOfUrn("urn:pulumi:prod::snowflake-ml-pipeline::snowflake:index/task:Task::x"), "prod");
    });
  });

  describe("compute-pool-covers-ml-jobs", () => {
    it("fails a pool smaller than the training job, naming task, instances and pool", () => {
      const resources = mutate(prod, "platform-compute-pool", (i) => (i.maxNodes = 1));
      const violations = run(computePoolCoversJobs, resources);
      assert.deepEqual(messages(violations), [
        `task ${FQ("FX_PROD", "FIT")} runs an ML Job on 2 instances, but compute pool FX_PROD_POOL has maxNodes 1; raise computePool.maxNodes or lower job.targetInstances`,
      ]);
      assert.equal(violations[0].urn, resources.find((r) => r.name === "demo-flow-task-fit")!.urn);
    });

    it("passes a pool exactly as large as the job", () => {
      assert.deepEqual(run(computePoolCoversJobs, mutate(dev, "platform-compute-pool", (i) => (i.maxNodes = 2))), []);
    });

    it("reads target instances from the task definition", () => {
      const sql = (name: string) => String(dev.resources.find((r) => r.name === name)!.inputs.sqlStatement);
      assert.equal(jobTargetInstances(sql("demo-flow-task-fit")), 2);
      assert.equal(jobTargetInstances(sql("demo-flow-task-load")), undefined);
      assert.equal(jobTargetInstances(sql("demo-flow-task-warn")), undefined);
      const withCommas = "WITH T AS PROCEDURE (A VARCHAR, TARGET_INSTANCES NUMBER)\nRETURNS STRING\nCALL T('a, b', 4)";
      assert.equal(jobTargetInstances(withCommas), 4);
    });
  });

  describe("no-plaintext-credentials", () => {
    it("fails a credential in the graph config, naming the path, never the value", () => {
      const resources = mutate(dev, "demo-flow-root", (i) => {
        const config = JSON.parse(String(i.config));
        i.config = JSON.stringify({ ...config, api_key: "sk-live-1234" });
      });
      const found = messages(run(noPlaintextCredentials, resources));
      assert.deepEqual(found, ['snowflake:index/task:Task demo-flow-root: input config.api_key holds a credential ("api_key") in plain text']);
      assert.ok(!found.join().includes("sk-live-1234"));
    });

    it("fails a password input, a PASSWORD literal in SQL and a private key in a dynamic provider's code", () => {
      const resources = structuredClone(dev.resources);
      resources.find((r) => r.name === "platform-code-stage")!.inputs.password = "hunter2";
      const alert = resources.find((r) => r.name === "demo-flow-task-warn")!;
      alert.inputs.sqlStatement = "CREATE USER BOT PASSWORD = 'hunter2'";
      resources.find((r) => r.name === "platform-compute-pool")!.inputs.__provider = `exports.handler = {key: "-----BEGIN RSA PRIVATE KEY-----\\n${"MIIEowIBAAKCAQEA".repeat(4)}\\n-----END RSA PRIVATE KEY-----"}`;
      const found = messages(run(noPlaintextCredentials, resources));
      assert.deepEqual(found.sort(), [
        'pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool platform-compute-pool: input __provider holds a PEM private key in plain text',
        'snowflake:index/stage:Stage platform-code-stage: input password holds a credential ("password") in plain text',
        "snowflake:index/task:Task demo-flow-task-warn: input sqlStatement holds a PASSWORD = '…' literal in plain text",
      ]);
      assert.ok(!found.join().includes("hunter2"));
    });

    it("allows the provider's own credential inputs, which come from secret stack config", () => {
      const resources = mutate(dev, "snowflake", (i) => (i.privateKey = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"));
      assert.deepEqual(run(noPlaintextCredentials, resources), []);
    });

    it("tells a private key from a mention of its format", () => {
      const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
      const found = (text: string) => credentialFindings(text, "x", undefined).map(([, what]) => what);
      assert.deepEqual(found(`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`), ["a PEM private key"]);
      assert.deepEqual(found(`"-----BEGIN ENCRYPTED PRIVATE KEY-----\\n${body}"`), ["a PEM private key"], "escaped newline, as in serialized code");
      assert.deepEqual(found(`-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n${body}`), ["a PEM private key"]);
      assert.deepEqual(found("is not a PEM private key (expected -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)."), []);
    });

    it("finds credentials in nested values and lists", () => {
      assert.deepEqual(credentialFindings({ a: [{ token: "t" }], b: "x" }, "", undefined), [["a[0].token", 'a credential ("token")']]);
      assert.deepEqual(credentialFindings({ password: "[secret]", secret: "" }, "", undefined), []);
    });
  });

  describe("preview-features-enabled", () => {
    it("fails when the provider does not enable the stage feature, for every stage", () => {
      const resources = mutate(dev, "snowflake", (i) => (i.previewFeaturesEnabled = "[]"));
      const found = messages(run(previewFeaturesEnabled, resources));
      assert.equal(found.length, 4);
      assert.match(found[0], /^snowflake:index\/stage:Stage platform-\w+-stage needs the preview feature snowflake_stage_resource, which provider snowflake does not enable \(previewFeaturesEnabled: \[\]\)/);
    });

    it("fails a preview-feature type the program does not enable (a Table)", () => {
      const resources = structuredClone(prod.resources);
      const table = { ...structuredClone(resources.find((r) => r.name === "platform-database")!), type: "snowflake:index/table:Table", name: "features" };
      table.urn = table.urn.replace("snowflake:index/database:Database::platform-database", "snowflake:index/table:Table::features");
      resources.push(table);
      assert.deepEqual(messages(run(previewFeaturesEnabled, resources)), [
        'snowflake:index/table:Table features needs the preview feature snowflake_table_resource, which provider snowflake does not enable (previewFeaturesEnabled: ["snowflake_stage_resource"]); add the type to components/previewFeatures.ts',
      ]);
    });

    it("accepts the feature list as a list as well as JSON text", () => {
      assert.deepEqual(run(previewFeaturesEnabled, mutate(dev, "snowflake", (i) => (i.previewFeaturesEnabled = ["snowflake_stage_resource"]))), []);
    });
  });
});
