/**
 * A Snowflake session over snowflake-sdk, shared by the dynamic providers, the operator CLI and the
 * acceptance test. Settings come from settings.ts.
 *
 * - snowflake-sdk is `require`d inside the functions: Pulumi serializes a dynamic provider's
 *   functions with what they capture, and a top-level `import * as` of the driver makes that fail
 *   on a native function reached through the import wrapper ("could not be serialized because it
 *   was a native code function"; pulumi/pulumi#5294). Requiring it inside the function is the fix
 *   the serializer suggests, and keeps the driver's start-up cost off commands that never connect.
 * - Errors never contain the password, private key or passphrase.
 * - Retries: the driver retries a login `loginRetries` times, and retries a statement's HTTP request
 *   itself on 5xx/408/429 and dropped connections, with the same request id so Snowflake does not run
 *   it twice. That loop is not configurable in snowflake-sdk 3.3.0, so each statement also has an
 *   overall deadline (`statementTimeoutMs`). SQL errors come back as errors and are never retried.
 */
import type { ConnectionSettings } from "./settings";

export interface SqlSession {
  /** Runs one statement; rows keyed by column name. Rejects with an Error carrying `code` and `sqlState`. */
  execute(sql: string, binds?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** An Error from Snowflake or the driver, with Snowflake's error code and SQL state when known. */
export type SnowflakeError = Error & { code?: string; sqlState?: string };

/** Opens a session with the given settings (production: `openSession`; tests: one that records). */
export type SessionOpener = (settings: ConnectionSettings) => Promise<SqlSession>;

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
export async function openSession(settings: ConnectionSettings): Promise<SqlSession> {
  // Lazy require: see the module comment (closure serialization, start-up time).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const snowflake = require("snowflake-sdk");
  snowflake.configure({ logLevel: "OFF" });

  const options: Record<string, unknown> = {
    account: settings.account,
    username: settings.user,
    role: settings.role,
    warehouse: settings.warehouse,
    host: settings.host,
    port: settings.port,
    protocol: settings.protocol,
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
export async function withSession<T>(settings: ConnectionSettings, work: (session: SqlSession) => Promise<T>, open: SessionOpener = openSession): Promise<T> {
  const session = await open(settings);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
