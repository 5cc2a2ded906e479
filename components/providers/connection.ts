/**
 * The single Snowflake connection factory used by the dynamic providers (and the operator CLI).
 *
 * - Settings come from stack config (`snowflake:*`, as the dynamic provider host passes it to
 *   `configure({config})`) with `SNOWFLAKE_*` environment variables as fallbacks; never from inputs.
 * - snowflake-sdk is `require`d inside the functions: a top-level `import * as` breaks Pulumi's
 *   closure serialization of the providers that use this module (build-environment-notes.md §5.3).
 * - Errors never contain the password, private key or passphrase.
 * - Retries: the driver retries a login `loginRetries` times, and retries a statement's HTTP request
 *   itself on 5xx/408/429 and dropped connections, with the same request id so Snowflake does not run
 *   it twice. That loop is not configurable in snowflake-sdk 3.3.0, so each statement also has an
 *   overall deadline (`statementTimeoutMs`). SQL errors come back as errors and are never retried.
 */

/** Anything with Pulumi `Config.get` semantics for fully qualified keys such as `snowflake:user`. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

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
  /** Full base URL instead of https://<account>.snowflakecomputing.com (tests: the local stub). */
  accessUrl?: string;
  /** Login retries by the driver (default 3). */
  loginRetries?: number;
  /** Timeout of one HTTP request to Snowflake (default 90 s, the driver's own default). */
  requestTimeoutMs?: number;
  /** Deadline for one statement including the driver's transient-error retries (default 15 min). */
  statementTimeoutMs?: number;
}

export interface SqlSession {
  /** Runs one statement; rows keyed by column name. Rejects with an Error carrying `code` and `sqlState`. */
  execute(sql: string, binds?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** An Error from Snowflake or the driver, with Snowflake's error code and SQL state when known. */
export type SnowflakeError = Error & { code?: string; sqlState?: string };

const SETTINGS: Array<[field: keyof ConnectionSettings | "organizationName" | "accountName", key: string, env?: string]> = [
  ["organizationName", "snowflake:organizationName", "SNOWFLAKE_ORGANIZATION_NAME"],
  ["accountName", "snowflake:accountName", "SNOWFLAKE_ACCOUNT_NAME"],
  ["user", "snowflake:user", "SNOWFLAKE_USER"],
  ["role", "snowflake:role", "SNOWFLAKE_ROLE"],
  ["warehouse", "snowflake:warehouse", "SNOWFLAKE_WAREHOUSE"],
  ["privateKey", "snowflake:privateKey", "SNOWFLAKE_PRIVATE_KEY"],
  ["privateKeyPassphrase", "snowflake:privateKeyPassphrase", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"],
  ["password", "snowflake:password", "SNOWFLAKE_PASSWORD"],
  ["accessUrl", "snowflake:accessUrl"],
];

/**
 * Reads connection settings from stack config, falling back to environment variables.
 * Throws one error naming every missing setting (and never echoing a secret value).
 */
export function connectionSettingsFromConfig(
  config: ConfigSource,
  env: Record<string, string | undefined> = process.env,
): ConnectionSettings {
  const values: Record<string, string | undefined> = {};
  for (const [field, key, envName] of SETTINGS) {
    const fromConfig = config.get(key);
    const value = fromConfig !== undefined && fromConfig !== "" ? fromConfig : envName ? env[envName] : undefined;
    values[field] = value === "" ? undefined : value;
  }
  const describe = (field: string) => {
    const [, key, envName] = SETTINGS.find(([f]) => f === field)!;
    return `${key} (or ${envName})`;
  };
  const missing = ["organizationName", "accountName", "user"].filter((f) => !values[f]).map(describe);
  if (!values.privateKey && !values.password) {
    missing.push(`${describe("privateKey")} or ${describe("password")}`);
  }
  if (missing.length > 0) {
    throw new Error(
      `Snowflake connection settings missing: ${missing.join("; ")}. ` +
        "Set them with `pulumi config set snowflake:<name>` (secrets with --secret) or the environment variables.",
    );
  }
  let privateKey = values.privateKey;
  if (privateKey) {
    // A PEM pasted into an environment variable often arrives with literal "\n" sequences.
    if (!privateKey.includes("\n") && privateKey.includes("\\n")) privateKey = privateKey.replace(/\\n/g, "\n");
    privateKey = privateKey.trim() + "\n";
    if (!/^-----BEGIN (ENCRYPTED |RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (ENCRYPTED |RSA )?PRIVATE KEY-----\n$/.test(privateKey)) {
      throw new Error(
        `${describe("privateKey")} is not a PEM private key (expected -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----).`,
      );
    }
  }
  return {
    account: `${values.organizationName}-${values.accountName}`,
    user: values.user!,
    role: values.role,
    warehouse: values.warehouse,
    privateKey,
    privateKeyPassphrase: privateKey ? values.privateKeyPassphrase : undefined,
    password: privateKey ? undefined : values.password,
    accessUrl: values.accessUrl,
  };
}

/** Builds an Error from a driver error with every secret of `settings` removed from its text. */
export function sanitizedError(err: unknown, settings: ConnectionSettings, context: string): SnowflakeError {
  const raw = err as { code?: unknown; sqlState?: unknown; message?: unknown } | undefined;
  let message = String(raw?.message ?? err);
  for (const secret of [settings.password, settings.privateKey, settings.privateKey?.trim(), settings.privateKeyPassphrase]) {
    if (secret) message = message.split(secret).join("[redacted]");
  }
  message = message.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[redacted]");
  const code = raw?.code === undefined || raw?.code === null ? undefined : String(raw.code);
  const sqlState = raw?.sqlState === undefined || raw?.sqlState === null ? undefined : String(raw.sqlState);
  const detail = [code, sqlState ? `(${sqlState})` : undefined].filter(Boolean).join(" ");
  const error: SnowflakeError = new Error(`${context}: ${detail ? `${detail} ` : ""}${message}`);
  if (code !== undefined) error.code = code;
  if (sqlState !== undefined) error.sqlState = sqlState;
  return error;
}

/** Opens a session (logs in). The caller must `close()` it. */
export async function openConnection(settings: ConnectionSettings): Promise<SqlSession> {
  // Lazy require: see the module comment (closure serialization, start-up time).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const snowflake = require("snowflake-sdk");
  snowflake.configure({ logLevel: "OFF" });

  const options: Record<string, unknown> = {
    account: settings.account,
    username: settings.user,
    role: settings.role,
    warehouse: settings.warehouse,
    accessUrl: settings.accessUrl,
    sfRetryMaxLoginRetries: settings.loginRetries ?? 3,
    timeout: settings.requestTimeoutMs ?? 90_000,
    clientSessionKeepAlive: false,
  };
  if (settings.privateKey) {
    options.authenticator = "SNOWFLAKE_JWT";
    options.privateKey = settings.privateKey;
    if (settings.privateKeyPassphrase) options.privateKeyPass = settings.privateKeyPassphrase;
  } else {
    options.password = settings.password;
  }
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];

  const where = `account ${settings.account} as user ${settings.user}`;
  let connection: any;
  try {
    connection = snowflake.createConnection(options);
    await new Promise<void>((resolve, reject) => connection.connect((err: unknown) => (err ? reject(err) : resolve())));
  } catch (err) {
    throw sanitizedError(err, settings, `Snowflake login to ${where} failed`);
  }

  const deadline = settings.statementTimeoutMs ?? 15 * 60_000;
  return {
    execute(sql: string, binds?: unknown[]) {
      const shown = sql.length > 200 ? `${sql.slice(0, 200)}...` : sql;
      return new Promise<Record<string, unknown>[]>((resolve, reject) => {
        let statement: any;
        const timer = setTimeout(() => {
          try {
            statement?.cancel(() => undefined);
          } catch {
            // best effort
          }
          reject(sanitizedError(new Error(`no answer within ${deadline} ms`), settings, `Snowflake statement failed [${shown}]`));
        }, deadline);
        timer.unref?.();
        try {
          statement = connection.execute({
            sqlText: sql,
            binds,
            complete: (err: unknown, _stmt: unknown, rows: Record<string, unknown>[] | undefined) => {
              clearTimeout(timer);
              if (err) reject(sanitizedError(err, settings, `Snowflake statement failed [${shown}]`));
              else resolve(rows ?? []);
            },
          });
        } catch (err) {
          clearTimeout(timer);
          reject(sanitizedError(err, settings, `Snowflake statement failed [${shown}]`));
        }
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        try {
          connection.destroy(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}

/** Opens a session, runs `work`, and always closes the session. */
export async function withConnection<T>(settings: ConnectionSettings, work: (session: SqlSession) => Promise<T>): Promise<T> {
  const session = await openConnection(settings);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Opens a session to run one provider operation on (tests pass one that reaches the stub). */
export type SessionOpener = () => Promise<SqlSession>;

/**
 * Where a dynamic provider's configure() keeps the stack config: on `process`, which closure
 * serialization emits as a reference to the host's global, so a config set in this process (tests)
 * never ends up in the serialized provider text stored in the state. Every provider of the host
 * gets the same stack config, so they share the slot.
 */
const PROVIDER_CONFIG_SLOT = "snowflake-ml-pipeline.providerConfig";
export function providerConfig(): { config?: ConfigSource } {
  const holder = process as unknown as Record<symbol, { config?: ConfigSource } | undefined>;
  return (holder[Symbol.for(PROVIDER_CONFIG_SLOT)] ??= {});
}

/**
 * The Snowflake access of one dynamic provider: `configure` keeps the stack config the provider
 * host passes, and `withSession` runs an operation on a fresh session (from `openSession` when
 * given, else from that config and SNOWFLAKE_*) and always closes it.
 */
export function providerSessions(openSession?: SessionOpener): {
  configure(config: ConfigSource): void;
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
} {
  return {
    configure(source) {
      providerConfig().config = source;
    },
    async withSession(work) {
      const config = providerConfig().config ?? { get: () => undefined };
      const session = openSession ? await openSession() : await openConnection(connectionSettingsFromConfig(config));
      try {
        return await work(session);
      } finally {
        await session.close();
      }
    },
  };
}
