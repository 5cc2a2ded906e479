import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { planStack } from "../../cli/mockPlan";
import { fixtureProject } from "../support/fixtureProject";
import { withConfig } from "../support/stackConfig";

const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7THISISNOTAREALKEY\n-----END PRIVATE KEY-----";
const PASSPHRASE = "correct-horse-battery-staple";

describe("secrets", () => {
  const project = fixtureProject();
  after(() => project.cleanup());

  it("stay secret in the provider inputs, the plan and the dynamic providers' serialized code", async () => {
    const stackConfig = withConfig(project.stackConfig("dev"), { "snowflake:privateKey": KEY, "snowflake:privateKeyPassphrase": PASSPHRASE }, [
      "snowflake:privateKey",
      "snowflake:privateKeyPassphrase",
    ]);
    const plan = await planStack({ projectDir: project.dir, stack: "dev", stackConfig, keepProviderCode: true });
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:snowflake")!;
    assert.equal(provider.inputs.privateKey, "[secret]");
    assert.equal(provider.inputs.privateKeyPassphrase, "[secret]");
    assert.equal(provider.inputs.authenticator, "SNOWFLAKE_JWT");
    const text = JSON.stringify(plan);
    assert.ok(text.includes("__provider"), "the serialized dynamic providers were kept for this check");
    // The connection module's PEM check is code text, so look for the key material itself.
    for (const secret of ["THISISNOTAREALKEY", PASSPHRASE]) assert.ok(!text.includes(secret), `plan contains ${secret}`);
    const printed = JSON.stringify(await planStack({ projectDir: project.dir, stack: "dev", stackConfig }));
    assert.ok(!printed.includes("PRIVATE KEY"), "the printed plan mentions a private key");
  });

  it("a key set with pulumi config set --secret (secure: v1:…) in the stack file plans", async () => {
    const plan = await planStack({ projectDir: project.dir, stack: "dev" });
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:snowflake")!;
    assert.equal(provider.inputs.privateKey, "[secret]");
    assert.equal(provider.inputs.organizationName, "FXORG");
  });
});
