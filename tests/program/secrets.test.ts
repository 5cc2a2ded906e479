import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack } from "../../cli/mockPlan";
import { devStackConfig, PROJECT_DIR, withConfig } from "../support/stackConfig";

const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7THISISNOTAREALKEY\n-----END PRIVATE KEY-----";
const PASSPHRASE = "correct-horse-battery-staple";

describe("secrets", () => {
  it("stay secret in the provider inputs, the plan and the dynamic providers' serialized code", async () => {
    const stackConfig = withConfig(devStackConfig(), { "snowflake:privateKey": KEY, "snowflake:privateKeyPassphrase": PASSPHRASE }, [
      "snowflake:privateKey",
      "snowflake:privateKeyPassphrase",
    ]);
    const plan = await planStack({ projectDir: PROJECT_DIR, stack: "dev", stackConfig, keepProviderCode: true });
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:snowflake")!;
    assert.equal(provider.inputs.privateKey, "[secret]");
    assert.equal(provider.inputs.privateKeyPassphrase, "[secret]");
    assert.equal(provider.inputs.authenticator, "SNOWFLAKE_JWT");
    const text = JSON.stringify(plan);
    assert.ok(text.includes("__provider"), "the serialized dynamic providers were kept for this check");
    // The connection module's PEM check is code text, so look for the key material itself.
    for (const secret of ["THISISNOTAREALKEY", PASSPHRASE]) assert.ok(!text.includes(secret), `plan contains ${secret}`);
    const printed = JSON.stringify(await planStack({ projectDir: PROJECT_DIR, stack: "dev", stackConfig }));
    assert.ok(!printed.includes("PRIVATE KEY"), "the printed plan mentions a private key");
  });
});
