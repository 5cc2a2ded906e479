// The one table of connection settings: the keys it accepts, which are secrets, and how the
// Pulumi Snowflake provider's arguments and a session's settings are read from it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CONNECTION_KEYS,
  SECRET_CONNECTION_KEYS,
  connectionSettingsFromConfig,
  snowflakeProviderArgs,
} from "../../snowflake/settings";

const configOf = (values: Record<string, string>) => ({ get: (key: string) => values[key] });
const BASE = { "snowflake:organizationName": "O", "snowflake:accountName": "A", "snowflake:user": "U", "snowflake:password": "pw-1" };

/** A namespace config like `new pulumi.Config("snowflake")`: secrets come back wrapped. */
const namespaceOf = (values: Record<string, string>) => ({
  get: (key: string) => values[key],
  getSecret: (key: string) => (values[key] === undefined ? undefined : { secret: values[key] }),
});

describe("the settings table", () => {
  test("accepted keys and secret keys", () => {
    assert.deepEqual(CONNECTION_KEYS, [
      "accountName",
      "authenticator",
      "host",
      "organizationName",
      "password",
      "port",
      "privateKey",
      "privateKeyPassphrase",
      "protocol",
      "role",
      "user",
      "warehouse",
    ]);
    assert.deepEqual([...SECRET_CONNECTION_KEYS].sort(), ["password", "privateKey", "privateKeyPassphrase"]);
  });

  test("host, port and protocol are read from config or the environment", () => {
    const fromConfig = connectionSettingsFromConfig(configOf({ ...BASE, "snowflake:host": "acme.privatelink.snowflakecomputing.com", "snowflake:port": "443" }), {});
    assert.deepEqual([fromConfig.host, fromConfig.port, fromConfig.protocol], ["acme.privatelink.snowflakecomputing.com", 443, undefined]);
    const fromEnv = connectionSettingsFromConfig(configOf(BASE), { SNOWFLAKE_HOST: "127.0.0.1", SNOWFLAKE_PORT: "8080", SNOWFLAKE_PROTOCOL: "http" });
    assert.deepEqual([fromEnv.host, fromEnv.port, fromEnv.protocol], ["127.0.0.1", 8080, "http"]);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ["a port that is not a number", { "snowflake:port": "https" }, /^snowflake:port \(or SNOWFLAKE_PORT\) is "https"; expected a port number from 1 to 65535\.$/],
    ["a port out of range", { "snowflake:port": "70000" }, /snowflake:port \(or SNOWFLAKE_PORT\) is "70000"/],
    ["an unknown protocol", { "snowflake:protocol": "ftp" }, /^snowflake:protocol \(or SNOWFLAKE_PROTOCOL\) is "ftp"; expected https or http\.$/],
    ["a browser authenticator", { "snowflake:authenticator": "externalbrowser" }, /^snowflake:authenticator \(or SNOWFLAKE_AUTHENTICATOR\) is "externalbrowser"; expected SNOWFLAKE \(password\) or SNOWFLAKE_JWT \(key pair\)/],
    ["SNOWFLAKE_JWT without a key", { "snowflake:authenticator": "SNOWFLAKE_JWT" }, /missing: snowflake:privateKey \(or SNOWFLAKE_PRIVATE_KEY\) \(authenticator SNOWFLAKE_JWT\)/],
  ];
  for (const [name, extra, message] of bad) {
    test(`rejected: ${name}`, () => {
      assert.throws(() => connectionSettingsFromConfig(configOf({ ...BASE, ...extra }), {}), (err: Error) => {
        assert.match(err.message, message);
        assert.ok(!err.message.includes("pw-1"));
        return true;
      });
    });
  }

  test("authenticator SNOWFLAKE logs in with the password even when a key is set", () => {
    const settings = connectionSettingsFromConfig(configOf({ ...BASE, "snowflake:authenticator": "snowflake", "snowflake:privateKey": "not a pem" }), {});
    assert.equal(settings.password, "pw-1");
    assert.equal(settings.privateKey, undefined);
  });
});

describe("snowflakeProviderArgs", () => {
  test("secrets through getSecret, the rest as set, port as a number", () => {
    const args = snowflakeProviderArgs(
      namespaceOf({
        organizationName: "O",
        accountName: "A",
        user: "U",
        role: "R",
        warehouse: "W",
        privateKey: "PEM",
        privateKeyPassphrase: "PASS",
        host: "h.example",
        port: "8443",
        protocol: "HTTPS",
      }),
      {},
    );
    assert.deepEqual(args, {
      organizationName: "O",
      accountName: "A",
      user: "U",
      role: "R",
      warehouse: "W",
      authenticator: "SNOWFLAKE_JWT",
      privateKey: { secret: "PEM" },
      privateKeyPassphrase: { secret: "PASS" },
      password: undefined,
      host: "h.example",
      port: 8443,
      protocol: "https",
    });
  });

  test("the authenticator: as set; else key pair when SNOWFLAKE_PRIVATE_KEY is set; else the provider's default", () => {
    assert.equal(snowflakeProviderArgs(namespaceOf({ authenticator: "snowflake" }), { SNOWFLAKE_PRIVATE_KEY: "k" }).authenticator, "SNOWFLAKE");
    assert.equal(snowflakeProviderArgs(namespaceOf({}), { SNOWFLAKE_PRIVATE_KEY: "k" }).authenticator, "SNOWFLAKE_JWT");
    assert.equal(snowflakeProviderArgs(namespaceOf({ password: "p" }), {}).authenticator, undefined);
  });
});
