/**
 * The one table of Snowflake connection settings: every `snowflake:*` stack key the program reads,
 * the SNOWFLAKE_* environment variable that stands in for it, and whether it must be a secret.
 *
 * Everything that connects takes its settings from here:
 * - the stack validation (lib/config/stackSettings.ts) accepts exactly these keys and requires the
 *   secret ones to be Pulumi secrets;
 * - the Pulumi Snowflake provider gets them through `snowflakeProviderArgs` (program.ts);
 * - the dynamic providers, the operator CLI (`--stack`) and the acceptance test read them through
 *   `connectionSettingsFromConfig`, the stack config first and the environment variable second.
 *
 * The names and environment variables are those of the Pulumi Snowflake provider
 * (https://www.pulumi.com/registry/packages/snowflake/api-docs/provider/), so one stack config and
 * one environment drive both. Pure: no I/O, and no module that is not serializable (the dynamic
 * providers capture this module by value).
 */

/** One `snowflake:<key>` setting. */
export interface ConnectionSetting {
  /** Name after `snowflake:`. */
  key: string;
  /** Environment variable read when the stack config does not set the key. */
  env: string;
  /** Must be a Pulumi secret (`pulumi config set --secret`); never echoed in errors. */
  secret: boolean;
}

export const CONNECTION_SETTINGS = [
  { key: "organizationName", env: "SNOWFLAKE_ORGANIZATION_NAME", secret: false },
  { key: "accountName", env: "SNOWFLAKE_ACCOUNT_NAME", secret: false },
  { key: "user", env: "SNOWFLAKE_USER", secret: false },
  { key: "role", env: "SNOWFLAKE_ROLE", secret: false },
  { key: "warehouse", env: "SNOWFLAKE_WAREHOUSE", secret: false },
  /** SNOWFLAKE (password) or SNOWFLAKE_JWT (key pair); unset: key pair when a private key is set. */
  { key: "authenticator", env: "SNOWFLAKE_AUTHENTICATOR", secret: false },
  /** PEM private key (PKCS#8) for key-pair authentication. */
  { key: "privateKey", env: "SNOWFLAKE_PRIVATE_KEY", secret: true },
  { key: "privateKeyPassphrase", env: "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", secret: true },
  { key: "password", env: "SNOWFLAKE_PASSWORD", secret: true },
  /** Another endpoint than <org>-<account>.snowflakecomputing.com (private link; tests: the local stub). */
  { key: "host", env: "SNOWFLAKE_HOST", secret: false },
  { key: "port", env: "SNOWFLAKE_PORT", secret: false },
  /** https (default) or http. */
  { key: "protocol", env: "SNOWFLAKE_PROTOCOL", secret: false },
] as const satisfies readonly ConnectionSetting[];

export type ConnectionKey = (typeof CONNECTION_SETTINGS)[number]["key"];

/** Every accepted `snowflake:*` key, sorted. */
export const CONNECTION_KEYS: readonly ConnectionKey[] = CONNECTION_SETTINGS.map((s) => s.key).sort();

/** The keys that must be Pulumi secrets. */
export const SECRET_CONNECTION_KEYS: readonly ConnectionKey[] = CONNECTION_SETTINGS.filter((s) => s.secret).map((s) => s.key);

/** Anything with Pulumi `Config.get` semantics for fully qualified keys such as `snowflake:user`. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

export type Env = Record<string, string | undefined>;

export type Authenticator = "SNOWFLAKE" | "SNOWFLAKE_JWT";

/** What a snowflake-sdk session needs; produced by `connectionSettingsFromConfig` or the CLI's connections.toml. */
export interface ConnectionSettings {
  /** Account identifier `<organization>-<account>` (or anything the driver accepts, e.g. for the stub). */
  account: string;
  user: string;
  role?: string;
  warehouse?: string;
  /** PEM private key for key-pair authentication (SNOWFLAKE_JWT); preferred over password. */
  privateKey?: string;
  privateKeyPassphrase?: string;
  password?: string;
  /** Endpoint instead of https://<account>.snowflakecomputing.com (private link; tests: the local stub). */
  host?: string;
  port?: number;
  protocol?: "http" | "https";
  /** Login retries by the driver (default 3). */
  loginRetries?: number;
  /** Timeout of one HTTP request to Snowflake (default 90 s, the driver's own default). */
  requestTimeoutMs?: number;
  /** Deadline for one statement including the driver's transient-error retries (default 15 min). */
  statementTimeoutMs?: number;
}

const settingOf = (key: ConnectionKey): ConnectionSetting => CONNECTION_SETTINGS.find((s) => s.key === key)!;

/** `snowflake:user (or SNOWFLAKE_USER)`: how messages name a setting. */
export function describeSetting(key: ConnectionKey): string {
  return `snowflake:${key} (or ${settingOf(key).env})`;
}

/** Each setting's value: the stack config when set and not empty, else the environment variable. */
export function readSettings(config: ConfigSource, env: Env): Partial<Record<ConnectionKey, string>> {
  const values: Partial<Record<ConnectionKey, string>> = {};
  for (const { key, env: envName } of CONNECTION_SETTINGS) {
    const fromConfig = config.get(`snowflake:${key}`);
    const value = fromConfig !== undefined && fromConfig !== "" ? fromConfig : env[envName];
    if (value !== undefined && value !== "") values[key] = value;
  }
  return values;
}

/** The authenticator, the port and the protocol, checked; throws naming the setting and the value. */
function endpointAndAuth(values: Partial<Record<ConnectionKey, string>>): { authenticator?: Authenticator; port?: number; protocol?: "http" | "https" } {
  const out: { authenticator?: Authenticator; port?: number; protocol?: "http" | "https" } = {};
  if (values.authenticator !== undefined) {
    const upper = values.authenticator.toUpperCase();
    if (upper !== "SNOWFLAKE" && upper !== "SNOWFLAKE_JWT") {
      throw new Error(
        `${describeSetting("authenticator")} is ${JSON.stringify(values.authenticator)}; expected SNOWFLAKE (password) or SNOWFLAKE_JWT (key pair), the two the program logs in with.`,
      );
    }
    out.authenticator = upper;
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      throw new Error(`${describeSetting("port")} is ${JSON.stringify(values.port)}; expected a port number from 1 to 65535.`);
    }
    out.port = port;
  }
  if (values.protocol !== undefined) {
    const lower = values.protocol.toLowerCase();
    if (lower !== "http" && lower !== "https") {
      throw new Error(`${describeSetting("protocol")} is ${JSON.stringify(values.protocol)}; expected https or http.`);
    }
    out.protocol = lower;
  }
  return out;
}

/** A PEM pasted into an environment variable often arrives with literal "\n" sequences. */
function normalizedPem(text: string): string {
  let pem = text;
  if (!pem.includes("\n") && pem.includes("\\n")) pem = pem.replace(/\\n/g, "\n");
  pem = pem.trim() + "\n";
  if (!/^-----BEGIN (ENCRYPTED |RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (ENCRYPTED |RSA )?PRIVATE KEY-----\n$/.test(pem)) {
    throw new Error(`${describeSetting("privateKey")} is not a PEM private key (expected -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----).`);
  }
  return pem;
}

/**
 * Reads connection settings from stack config, falling back to environment variables.
 * Throws one error naming every missing setting (and never echoing a secret value).
 */
export function connectionSettingsFromConfig(config: ConfigSource, env: Env = process.env): ConnectionSettings {
  const values = readSettings(config, env);
  const { authenticator, port, protocol } = endpointAndAuth(values);
  const missing: string[] = (["organizationName", "accountName", "user"] as const).filter((k) => !values[k]).map(describeSetting);
  if (authenticator === "SNOWFLAKE_JWT" && !values.privateKey) missing.push(`${describeSetting("privateKey")} (authenticator SNOWFLAKE_JWT)`);
  else if (authenticator === "SNOWFLAKE" && !values.password) missing.push(`${describeSetting("password")} (authenticator SNOWFLAKE)`);
  else if (!values.privateKey && !values.password) missing.push(`${describeSetting("privateKey")} or ${describeSetting("password")}`);
  if (missing.length > 0) {
    throw new Error(
      `Snowflake connection settings missing: ${missing.join("; ")}. ` +
        "Set them with `pulumi config set snowflake:<name>` (secrets with --secret) or the environment variables.",
    );
  }
  const useKey = authenticator === "SNOWFLAKE_JWT" || (authenticator === undefined && values.privateKey !== undefined);
  const privateKey = useKey ? normalizedPem(values.privateKey!) : undefined;
  const settings: ConnectionSettings = {
    account: `${values.organizationName}-${values.accountName}`,
    user: values.user!,
    role: values.role,
    warehouse: values.warehouse,
    privateKey,
    privateKeyPassphrase: privateKey ? values.privateKeyPassphrase : undefined,
    password: privateKey ? undefined : values.password,
  };
  if (values.host !== undefined) settings.host = values.host;
  if (port !== undefined) settings.port = port;
  if (protocol !== undefined) settings.protocol = protocol;
  return settings;
}

/** Pulumi's `Config` for the `snowflake` namespace, as far as `snowflakeProviderArgs` uses it. */
export interface NamespaceConfig<Secret> {
  get(key: string): string | undefined;
  getSecret(key: string): Secret | undefined;
}

/**
 * The arguments of the Pulumi Snowflake provider (`new snowflake.Provider`) from the same table:
 * secrets stay Pulumi secrets (`getSecret`), everything else is passed as set. The provider reads
 * the SNOWFLAKE_* variables itself; only the authenticator depends on them here, because key-pair
 * login needs SNOWFLAKE_JWT spelled out.
 */
export function snowflakeProviderArgs<Secret>(config: NamespaceConfig<Secret>, env: Env = process.env) {
  const plain = (key: ConnectionKey) => {
    const value = config.get(key);
    return value === "" ? undefined : value;
  };
  const values: Partial<Record<ConnectionKey, string>> = {};
  for (const { key, secret } of CONNECTION_SETTINGS) if (!secret) values[key] = plain(key);
  const { authenticator, port, protocol } = endpointAndAuth(values);
  const privateKey = config.getSecret("privateKey");
  return {
    organizationName: values.organizationName,
    accountName: values.accountName,
    user: values.user,
    role: values.role,
    warehouse: values.warehouse,
    authenticator: authenticator ?? (privateKey !== undefined || env.SNOWFLAKE_PRIVATE_KEY ? "SNOWFLAKE_JWT" : undefined),
    privateKey,
    privateKeyPassphrase: config.getSecret("privateKeyPassphrase"),
    password: config.getSecret("password"),
    host: values.host,
    port,
    protocol,
  };
}
