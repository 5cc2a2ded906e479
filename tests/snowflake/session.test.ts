// The connection factory against the real snowflake-sdk talking to the local REST stub.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";
import { connectionSettingsFromConfig, openSession, type ConnectionSettings } from "../../snowflake";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";

const configOf = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

const PASSWORD = "pw-Secret-9f1c2e";
const { privateKey: PEM } = crypto.generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const PASSPHRASE = "pass-Phrase-77ab";
const ENCRYPTED_PEM = crypto.createPrivateKey(PEM).export({
  type: "pkcs8",
  format: "pem",
  cipher: "aes-256-cbc",
  passphrase: PASSPHRASE,
}) as string;

function assertNoSecrets(text: string) {
  for (const secret of [PASSWORD, PASSPHRASE, PEM.trim(), ENCRYPTED_PEM.trim(), PEM.split("\n")[1]]) {
    assert.ok(!text.includes(secret), `text leaks a secret: ${text}`);
  }
}

describe("connectionSettingsFromConfig", () => {
  test("reads snowflake:* config, config wins over the environment", () => {
    const settings = connectionSettingsFromConfig(
      configOf({
        "snowflake:organizationName": "MYORG",
        "snowflake:accountName": "MYACCT",
        "snowflake:user": "DEPLOYER",
        "snowflake:role": "ML_DEPLOYER",
        "snowflake:warehouse": "ML_DEV_WH",
        "snowflake:privateKey": PEM,
        "snowflake:privateKeyPassphrase": PASSPHRASE,
      }),
      { SNOWFLAKE_USER: "ENV_USER", SNOWFLAKE_ROLE: "ENV_ROLE" },
    );
    assert.deepEqual(settings, {
      account: "MYORG-MYACCT",
      user: "DEPLOYER",
      role: "ML_DEPLOYER",
      warehouse: "ML_DEV_WH",
      privateKey: PEM,
      privateKeyPassphrase: PASSPHRASE,
      password: undefined,
    });
  });

  test("falls back to SNOWFLAKE_* environment variables; a PEM with literal \\n is repaired", () => {
    const settings = connectionSettingsFromConfig(configOf({ "snowflake:host": "127.0.0.1" }), {
      SNOWFLAKE_ORGANIZATION_NAME: "O",
      SNOWFLAKE_ACCOUNT_NAME: "A",
      SNOWFLAKE_USER: "U",
      SNOWFLAKE_ROLE: "R",
      SNOWFLAKE_WAREHOUSE: "W",
      SNOWFLAKE_PRIVATE_KEY: PEM.trim().replace(/\n/g, "\\n"),
      SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: "",
      SNOWFLAKE_PORT: "8080",
      SNOWFLAKE_PROTOCOL: "HTTP",
    });
    assert.equal(settings.account, "O-A");
    assert.equal(settings.user, "U");
    assert.equal(settings.role, "R");
    assert.equal(settings.warehouse, "W");
    assert.equal(settings.privateKey, PEM);
    assert.equal(settings.privateKeyPassphrase, undefined);
    assert.deepEqual([settings.host, settings.port, settings.protocol], ["127.0.0.1", 8080, "http"]);
  });

  test("password auth when no key is set; the key wins when both are", () => {
    const base = { "snowflake:organizationName": "O", "snowflake:accountName": "A", "snowflake:user": "U" };
    assert.equal(connectionSettingsFromConfig(configOf(base), { SNOWFLAKE_PASSWORD: PASSWORD }).password, PASSWORD);
    const both = connectionSettingsFromConfig(configOf({ ...base, "snowflake:privateKey": PEM }), { SNOWFLAKE_PASSWORD: PASSWORD });
    assert.equal(both.password, undefined);
    assert.equal(both.privateKey, PEM);
  });

  test("missing settings are all named in one error", () => {
    assert.throws(
      () => connectionSettingsFromConfig(configOf({ "snowflake:accountName": "A" }), {}),
      (err: Error) => {
        assert.match(err.message, /snowflake:organizationName \(or SNOWFLAKE_ORGANIZATION_NAME\)/);
        assert.match(err.message, /snowflake:user \(or SNOWFLAKE_USER\)/);
        assert.match(err.message, /snowflake:privateKey \(or SNOWFLAKE_PRIVATE_KEY\) or snowflake:password \(or SNOWFLAKE_PASSWORD\)/);
        assert.doesNotMatch(err.message, /accountName/);
        return true;
      },
    );
  });

  test("errors about settings do not echo secrets", () => {
    assert.throws(
      () => connectionSettingsFromConfig(configOf({ "snowflake:password": PASSWORD, "snowflake:privateKeyPassphrase": PASSPHRASE }), {}),
      (err: Error) => (assertNoSecrets(err.message), true),
    );
    assert.throws(
      () =>
        connectionSettingsFromConfig(
          configOf({ "snowflake:organizationName": "O", "snowflake:accountName": "A", "snowflake:user": "U" }),
          { SNOWFLAKE_PRIVATE_KEY: `not-a-key-${PASSWORD}` },
        ),
      (err: Error) => {
        assert.match(err.message, /snowflake:privateKey \(or SNOWFLAKE_PRIVATE_KEY\) is not a PEM private key/);
        assertNoSecrets(err.message);
        return true;
      },
    );
  });
});

describe("openSession against the stub", () => {
  let stub: SnowflakeStub;
  before(async () => {
    stub = await startSnowflakeStub();
  });
  after(async () => {
    await stub.close();
  });
  const settings = (extra: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
    ...stubConnectionSettings(stub),
    password: PASSWORD,
    ...extra,
  });

  test("password login sends user, role and warehouse; execute returns rows keyed by column", async () => {
    stub.logins.length = 0;
    stub.on("SELECT CURRENT_ROLE() AS ROLE, ? AS N", {
      columns: [{ name: "ROLE", type: "text" }, { name: "N", type: "fixed" }],
      rows: [["STUB_ROLE", 42]],
    });
    const session = await openSession(settings());
    try {
      assert.deepEqual(await session.execute("SELECT CURRENT_ROLE() AS ROLE, ? AS N", [42]), [{ ROLE: "STUB_ROLE", N: 42 }]);
    } finally {
      await session.close();
    }
    const login = stub.logins[0];
    assert.equal(login.data.LOGIN_NAME, "STUB_USER");
    assert.equal(login.data.AUTHENTICATOR, "SNOWFLAKE");
    assert.equal(login.data.PASSWORD, PASSWORD);
    assert.equal(login.params.roleName, "STUB_ROLE");
    assert.equal(login.params.warehouse, "STUB_WH");
    const query = stub.queries.at(-1)!;
    assert.equal(query.sql, "SELECT CURRENT_ROLE() AS ROLE, ? AS N");
    assert.deepEqual(query.bindings, { "1": { type: "FIXED", value: "42" } });
  });

  test("key-pair login (encrypted PKCS#8 with passphrase) sends SNOWFLAKE_JWT and a signed token, no password", async () => {
    stub.logins.length = 0;
    const session = await openSession({
      ...stubConnectionSettings(stub),
      password: undefined,
      privateKey: ENCRYPTED_PEM,
      privateKeyPassphrase: PASSPHRASE,
    });
    await session.close();
    const data = stub.logins[0].data;
    assert.equal(data.AUTHENTICATOR, "SNOWFLAKE_JWT");
    assert.equal(data.PASSWORD, undefined);
    const [, payload] = String(data.TOKEN).split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    assert.match(claims.sub, /^STUBORG-STUBACCT\.STUB_USER$/);
    assert.match(claims.iss, /^STUBORG-STUBACCT\.STUB_USER\.SHA256:/);
    assertNoSecrets(JSON.stringify(stub.logins[0]));
  });

  test("a SQL error surfaces code, SQL state and message, and is not retried", async () => {
    stub.on("DROP TABLE NOPE", {
      error: { code: "002003", message: "SQL compilation error: Table 'NOPE' does not exist or not authorized.", sqlState: "02000" },
    });
    const session = await openSession(settings());
    const before = stub.statements.length;
    try {
      await assert.rejects(session.execute("DROP TABLE NOPE"), (err: Error & { code?: string; sqlState?: string }) => {
        assert.equal(err.code, "002003");
        assert.equal(err.sqlState, "02000");
        assert.equal(
          err.message,
          "Snowflake statement failed [DROP TABLE NOPE]: 002003 (02000) SQL compilation error: Table 'NOPE' does not exist or not authorized.",
        );
        return true;
      });
    } finally {
      await session.close();
    }
    assert.deepEqual(stub.statements.slice(before), ["DROP TABLE NOPE"]);
  });

  test("a transient 503 is retried by the driver and then succeeds", async () => {
    stub.on("SELECT 'after 503' AS R", { columns: [{ name: "R", type: "text" }], rows: [["ok"]] });
    stub.on("SELECT 'after 503' AS R", { httpStatus: 503, times: 1 });
    const session = await openSession(settings());
    const before = stub.statements.length;
    try {
      assert.deepEqual(await session.execute("SELECT 'after 503' AS R"), [{ R: "ok" }]);
    } finally {
      await session.close();
    }
    assert.deepEqual(stub.statements.slice(before), ["SELECT 'after 503' AS R", "SELECT 'after 503' AS R"]);
  });

  test("a dropped connection is retried by the driver and then succeeds", async () => {
    stub.on("SELECT 'after drop' AS R", { columns: [{ name: "R", type: "text" }], rows: [["ok"]] });
    stub.on("SELECT 'after drop' AS R", { dropConnection: true, times: 1 });
    const session = await openSession(settings());
    const before = stub.statements.length;
    try {
      assert.deepEqual(await session.execute("SELECT 'after drop' AS R"), [{ R: "ok" }]);
    } finally {
      await session.close();
    }
    assert.deepEqual(stub.statements.slice(before), ["SELECT 'after drop' AS R", "SELECT 'after drop' AS R"]);
  });

  test("a statement that never completes fails at the statement deadline", async () => {
    stub.on("CALL SLOW()", { delayMs: 500 });
    const session = await openSession(settings({ statementTimeoutMs: 150 }));
    try {
      const started = Date.now();
      await assert.rejects(session.execute("CALL SLOW()"), /Snowflake statement failed \[CALL SLOW\(\)\]: no answer within 150 ms/);
      assert.ok(Date.now() - started < 450);
    } finally {
      // Closing a session cuts its in-flight request, which the driver then retries (against a stub
      // that is gone, for a long time); let the slow answer arrive first.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await session.close();
    }
  });

  test("a rejected login names account and user, keeps the code, and does not echo the password", async () => {
    stub.onLogin({ error: { code: "390100", message: `Incorrect username or password was specified.` }, times: 1 });
    await assert.rejects(openSession(settings()), (err: Error & { code?: string }) => {
      assert.equal(err.code, "390100");
      assert.match(err.message, /^Snowflake login to account STUBORG-STUBACCT as user STUB_USER failed: 390100 .*Incorrect username or password/);
      assertNoSecrets(err.message);
      assertNoSecrets(String(err.stack));
      return true;
    });
  });

  test("a secret echoed by the server is redacted from the error", async () => {
    stub.onLogin({ error: { code: "390144", message: `bad key ${PEM} or ${PASSWORD}` }, times: 1 });
    await assert.rejects(openSession(settings()), (err: Error) => {
      assert.match(err.message, /bad key \[redacted\]\s+or \[redacted\]/);
      assertNoSecrets(err.message);
      return true;
    });
  });

  test("an unreachable endpoint fails fast with loginRetries 0", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const started = Date.now();
    await assert.rejects(
      openSession({ ...settings(), host: "127.0.0.1", port, protocol: "http" }),
      (err: Error) => {
        assert.match(err.message, /^Snowflake login to account STUBORG-STUBACCT as user STUB_USER failed: .*ECONNREFUSED/);
        assertNoSecrets(err.message);
        return true;
      },
    );
    assert.ok(Date.now() - started < 3_000);
  });

  test("a transient 503 at login is retried when loginRetries allows it", async () => {
    stub.onLogin({ httpStatus: 503, times: 1 });
    const count = stub.logins.length;
    const session = await openSession(settings({ loginRetries: 1 }));
    await session.close();
    assert.equal(stub.logins.length - count, 2);
  });

  test("stub: a function response sees the SQL and its call count; a strict stub fails unmatched statements", async () => {
    stub.on((sql) => sql.startsWith("SELECT SYSTEM$TASK_RUN"), (sql, call) => ({
      columns: [{ name: "SQL", type: "text" }, { name: "CALL", type: "fixed" }],
      rows: [[sql, call]],
    }));
    const session = await openSession(settings());
    try {
      assert.deepEqual(await session.execute("SELECT SYSTEM$TASK_RUN(1)"), [{ SQL: "SELECT SYSTEM$TASK_RUN(1)", CALL: 1 }]);
      assert.deepEqual(await session.execute("SELECT SYSTEM$TASK_RUN(2)"), [{ SQL: "SELECT SYSTEM$TASK_RUN(2)", CALL: 2 }]);
      assert.deepEqual(await session.execute("ANYTHING ELSE"), []);
    } finally {
      await session.close();
    }
    const strict = await startSnowflakeStub({ strict: true });
    try {
      const strictSession = await openSession({ ...stubConnectionSettings(strict), password: PASSWORD });
      await assert.rejects(strictSession.execute("SELECT 1"), /000999 \(42000\) stub: no response configured for: SELECT 1/);
      await strictSession.close();
    } finally {
      await strict.close();
    }
  });
});
