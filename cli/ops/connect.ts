/**
 * Connection settings for the CLI, in this order:
 *
 * 1. `--connection NAME`: Snowflake's standard connections.toml (`$SNOWFLAKE_HOME/connections.toml`,
 *    default `~/.snowflake/connections.toml`, or the `[connections.NAME]` tables of `config.toml`),
 *    with `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` and then `SNOWFLAKE_<KEY>` variables overriding keys,
 *    as Snowflake's own tools do.
 * 2. `--stack NAME`: the program's own settings, i.e. the stack config `snowflake:*`
 *    (through the Automation API), with `SNOWFLAKE_*` fallbacks (snowflake/settings.ts).
 * 3. Neither: the `SNOWFLAKE_*` variables of snowflake/settings.ts; if they are incomplete, the default
 *    connection of connections.toml (`SNOWFLAKE_DEFAULT_CONNECTION_NAME`, `default_connection_name`, or `default`).
 *
 * Authentication: password or key pair (private_key_file / private_key_raw), as snowflake/session.ts supports.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connectionSettingsFromConfig, type ConfigSource, type ConnectionSettings } from "../../snowflake";
import { CliError, EXIT } from "./exitCodes";
import type { StackAccess } from "./stackAccess";

export type Env = Record<string, string | undefined>;

export interface ResolvedConnection {
  settings: ConnectionSettings;
  /** Where the settings came from, for messages (never a secret). */
  source: string;
  warnings: string[];
}

/** The keys read from a connections.toml entry (Snowflake connector names). */
const TOML_KEYS = [
  "account",
  "user",
  "password",
  "role",
  "warehouse",
  "host",
  "port",
  "protocol",
  "authenticator",
  "private_key_file",
  "private_key_path",
  "private_key_file_pwd",
  "private_key_passphrase",
  "private_key_raw",
] as const;

interface TomlFile {
  path: string;
  connections: Record<string, Record<string, unknown>>;
  defaultName?: string;
  worldReadable: boolean;
}

export function snowflakeHome(env: Env): string {
  return env.SNOWFLAKE_HOME && env.SNOWFLAKE_HOME !== "" ? env.SNOWFLAKE_HOME : path.join(env.HOME || os.homedir(), ".snowflake");
}

function parseToml(file: string): Record<string, unknown> {
  // smol-toml is an ES module with a CommonJS build; loaded only when a TOML file is read.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require("smol-toml") as typeof import("smol-toml");
  try {
    return parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** connections.toml, or failing that the [connections] of config.toml; undefined when neither exists. */
export function readConnectionsFile(env: Env): TomlFile | undefined {
  const home = snowflakeHome(env);
  const connectionsPath = path.join(home, "connections.toml");
  const configPath = path.join(home, "config.toml");
  const config = fs.existsSync(configPath) ? parseToml(configPath) : undefined;
  const defaultName = typeof config?.default_connection_name === "string" ? config.default_connection_name : undefined;
  const worldReadable = (file: string) => process.platform !== "win32" && (fs.statSync(file).mode & 0o077) !== 0;
  if (fs.existsSync(connectionsPath)) {
    const parsed = parseToml(connectionsPath);
    const connections = Object.fromEntries(Object.entries(parsed).filter(([, v]) => isTable(v))) as TomlFile["connections"];
    return { path: connectionsPath, connections, defaultName, worldReadable: worldReadable(connectionsPath) };
  }
  if (config && isTable(config.connections)) {
    const connections = Object.fromEntries(Object.entries(config.connections).filter(([, v]) => isTable(v))) as TomlFile["connections"];
    return { path: configPath, connections, defaultName, worldReadable: worldReadable(configPath) };
  }
  return undefined;
}

function expandHome(file: string, env: Env): string {
  return file.startsWith("~/") ? path.join(env.HOME || os.homedir(), file.slice(2)) : file;
}

/** Settings from one connections.toml entry, with environment overrides. */
export function settingsFromToml(name: string, entry: Record<string, unknown>, env: Env, file: string): ConnectionSettings {
  const values: Record<string, string | undefined> = {};
  const envName = name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  for (const key of TOML_KEYS) {
    const fromFile = entry[key];
    const override = env[`SNOWFLAKE_CONNECTIONS_${envName}_${key.toUpperCase()}`] ?? env[`SNOWFLAKE_${key.toUpperCase()}`];
    const value = override !== undefined && override !== "" ? override : fromFile === undefined || fromFile === null ? undefined : String(fromFile);
    values[key] = value === "" ? undefined : value;
  }
  const where = `connection "${name}" in ${file}`;
  const authenticator = (values.authenticator ?? "snowflake").toUpperCase();
  if (!["SNOWFLAKE", "SNOWFLAKE_JWT"].includes(authenticator)) {
    throw new CliError(`${where}: authenticator ${values.authenticator} is not supported by this CLI; use a password or key-pair (SNOWFLAKE_JWT) connection`, EXIT.USAGE);
  }
  let privateKey = values.private_key_raw;
  const keyFile = values.private_key_file ?? values.private_key_path;
  if (!privateKey && keyFile) {
    try {
      privateKey = fs.readFileSync(expandHome(keyFile, env), "utf8");
    } catch (err) {
      throw new CliError(`${where}: cannot read private_key_file ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE);
    }
  }
  if (authenticator === "SNOWFLAKE_JWT" && !privateKey) throw new CliError(`${where}: authenticator SNOWFLAKE_JWT needs private_key_file or private_key_raw`, EXIT.USAGE);
  const missing = [
    values.account ? undefined : "account",
    values.user ? undefined : "user",
    privateKey || values.password ? undefined : "password or private_key_file",
  ].filter(Boolean);
  if (missing.length) throw new CliError(`${where}: missing ${missing.join(", ")}`, EXIT.USAGE);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw new CliError(`${where}: port ${JSON.stringify(values.port)} is not a port number (1 to 65535)`, EXIT.USAGE);
  }
  const protocol = values.protocol?.toLowerCase();
  if (protocol !== undefined && protocol !== "http" && protocol !== "https") {
    throw new CliError(`${where}: protocol ${JSON.stringify(values.protocol)} is neither https nor http`, EXIT.USAGE);
  }
  return {
    account: values.account!,
    user: values.user!,
    role: values.role,
    warehouse: values.warehouse,
    privateKey: privateKey ? privateKey.trim() + "\n" : undefined,
    privateKeyPassphrase: privateKey ? (values.private_key_file_pwd ?? values.private_key_passphrase) : undefined,
    password: privateKey ? undefined : values.password,
    host: values.host,
    port,
    protocol,
  };
}

function fromToml(name: string | undefined, env: Env, required: boolean): ResolvedConnection | undefined {
  const file = readConnectionsFile(env);
  if (!file) {
    if (!required) return undefined;
    throw new CliError(`--connection ${name}: no connections.toml (or config.toml with [connections]) in ${snowflakeHome(env)}`, EXIT.USAGE);
  }
  const chosen = name ?? env.SNOWFLAKE_DEFAULT_CONNECTION_NAME ?? file.defaultName ?? "default";
  const entry = file.connections[chosen];
  if (!entry) {
    if (!required) return undefined;
    const known = Object.keys(file.connections);
    throw new CliError(`connection "${chosen}" is not in ${file.path} (it has: ${known.length ? known.join(", ") : "none"})`, EXIT.USAGE);
  }
  const warnings = file.worldReadable ? [`${file.path} can be read by other users; restrict it with chmod 0600`] : [];
  return { settings: settingsFromToml(chosen, entry, env, file.path), source: `connection "${chosen}" (${file.path})`, warnings };
}

/** A stack's config (fully qualified key -> value, secrets shown) as a ConfigSource. */
export function configSourceOf(config: Record<string, string>): ConfigSource {
  return { get: (key: string) => config[key] };
}

export async function resolveConnection(
  options: { connection?: string; stack?: string },
  env: Env,
  stacks: StackAccess,
): Promise<ResolvedConnection> {
  if (options.connection) return fromToml(options.connection, env, true)!;
  if (options.stack) {
    const config = await stacks.config(options.stack);
    try {
      return { settings: connectionSettingsFromConfig(configSourceOf(config), env), source: `stack ${options.stack} config`, warnings: [] };
    } catch (err) {
      throw new CliError((err as Error).message, EXIT.USAGE);
    }
  }
  try {
    return { settings: connectionSettingsFromConfig({ get: () => undefined }, env), source: "SNOWFLAKE_* environment variables", warnings: [] };
  } catch (err) {
    const fallback = fromToml(undefined, env, false);
    if (fallback) return fallback;
    throw new CliError(
      `${(err as Error).message} Or name a connection of connections.toml with --connection NAME, or use --stack NAME to take the stack's settings.`,
      EXIT.USAGE,
    );
  }
}
