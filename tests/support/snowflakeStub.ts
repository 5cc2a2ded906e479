/**
 * A local stub of Snowflake's REST protocol (plain HTTP on 127.0.0.1, random port) that the real
 * snowflake-sdk talks to, so providers and CLIs can be tested without an account.
 *
 *   const stub = await startSnowflakeStub();
 *   stub.on(/^SHOW COMPUTE POOLS/, { columns: [{ name: "name", type: "text" }], rows: [["ML_POOL"]] });
 *   stub.on("DROP COMPUTE POOL ML_POOL", { error: { code: "002003", message: "does not exist", sqlState: "02000" } });
 *   stub.on(/^CREATE/, { httpStatus: 503, times: 1 });     // one transient 503, then the next matching rule
 *   const session = await openConnection(stubConnectionSettings(stub));
 *   ...; assert.deepEqual(stub.statements, ["SHOW COMPUTE POOLS LIKE 'ML_POOL'"]);
 *   await stub.close();
 *
 * Rules are tried newest first; a rule with `times` stops matching after that many uses, so the next
 * matching rule (or the built-in behaviour) answers. Built in, below every rule: PUT (answered with a
 * LOCAL_FS stage so the driver copies the file into `stub.stageDir(...)`), LIST and REMOVE over those
 * directories. Anything else gets an empty result, or an error when started with `{ strict: true }`.
 * Endpoints and response shapes: those snowflake-sdk 3.3.0 calls (/session/v1/login-request,
 * /queries/v1/query-request, /session?delete=true; https://github.com/snowflakedb/snowflake-connector-nodejs)
 * and those gosnowflake v1.13.1 (the Go driver of the Pulumi Snowflake provider) reads: login
 * `data.token`/`masterToken`/`sessionInfo`, query `rowtype`/`rowset`/`queryResultFormat: "json"`/
 * `statementTypeId` (https://github.com/snowflakedb/gosnowflake/blob/v1.13.1/query.go).
 *
 * Catalog mode (`{ catalog: {...} }`): below the rules, a SnowflakeCatalog (snowflakeCatalog.ts)
 * answers the DDL and SHOW/DESCRIBE of databases, schemas, warehouses, stages, tasks, compute
 * pools, roles and grants, keeps what was created, enforces the task-graph rules, and logs every
 * statement with its outcome; PUT/LIST/REMOVE then need the stage to exist. With `users`, logins
 * must be key-pair (JWT) logins signed by that user's key (or the user's password).
 * Failure injection: `stub.failOn(matcher, { message, afterMs, times })`.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { ConnectionSettings } from "../../snowflake";
import { CatalogAnswer, CatalogOptions, SnowflakeCatalog } from "./snowflakeCatalog";

export interface StubColumn {
  name: string;
  /** Snowflake JSON result type: text, fixed, real, boolean, timestamp_ltz, variant, ... */
  type: string;
}

/** What the stub answers to one statement (or login). Fields combine: delayMs applies before the rest. */
export interface StubOutcome {
  columns?: StubColumn[];
  /** Row values; non-strings are sent as Snowflake does (numbers as text, booleans as "true"/"false"). */
  rows?: unknown[][];
  /** A Snowflake error; a query error without sqlState gets 42000. */
  error?: { code: string; message: string; sqlState?: string };
  /** Destroy the socket without answering. */
  dropConnection?: boolean;
  /** Answer with this HTTP status and an empty body (e.g. 503 for a transient failure). */
  httpStatus?: number;
  delayMs?: number;
}
/** A function response may return undefined: the statement then goes on to the next rule (or the catalog). */
export type StubResponse = StubOutcome | ((sql: string, call: number) => StubOutcome | undefined);
export type StubMatcher = RegExp | string | ((sql: string) => boolean);

interface Rule {
  matches: (sql: string) => boolean;
  response: StubResponse;
  remaining: number;
  calls: number;
}

export interface SnowflakeStub {
  /** Base URL, e.g. http://127.0.0.1:40123 (see stubEndpoint for connection settings). */
  url: string;
  /** Every sqlText received, in order, including retried requests. */
  statements: string[];
  /** Every query request: sqlText and bindings as the driver sent them. */
  queries: { sql: string; bindings: unknown }[];
  /** Every login request: query-string parameters and the body's `data` (LOGIN_NAME, AUTHENTICATOR, ...). */
  logins: { params: Record<string, string>; data: Record<string, unknown> }[];
  /** Root of the per-stub temp dir that stands in for internal stages. */
  stageRoot: string;
  /** Answer statements matching `matcher` with `response`; `times` limits how often (default: always). */
  on(matcher: StubMatcher, response: StubResponse & { times?: number }, times?: number): SnowflakeStub;
  /** Answer login requests (error, httpStatus, dropConnection, delayMs), optionally only `times` times. */
  onLogin(response: StubOutcome & { times?: number }): SnowflakeStub;
  /** Local directory of a stage location such as `@ML_DEV.PIPELINE.CODE_STAGE/dir/sub` (or without `@`). */
  stageDir(location: string): string;
  /**
   * Makes matching statements fail with a Snowflake error: `times` of them (default all), only
   * those arriving `afterMs` after this call (default at once). The failure is logged in the catalog.
   */
  failOn(matcher: StubMatcher, failure: { message: string; code?: string; sqlState?: string; times?: number; afterMs?: number }): SnowflakeStub;
  /** The catalog in catalog mode. */
  catalog?: SnowflakeCatalog;
  close(): Promise<void>;
}

export interface StubOptions {
  /** Unmatched statements fail with error 000999 instead of returning an empty result. */
  strict?: boolean;
  /** Catalog mode: a SnowflakeCatalog with these options answers below the rules. */
  catalog?: CatalogOptions;
  /**
   * Users that may log in: a PEM public key (key-pair/JWT login) or `{ password }`. Absent: any
   * login is accepted (the stub's historic behaviour).
   */
  users?: Record<string, string | { password: string }>;
  /** Listen on this port (default: any free one). */
  port?: number;
}

/**
 * Checks a key-pair login's JWT as Snowflake does
 * (https://docs.snowflake.com/en/user-guide/key-pair-auth and
 * https://docs.snowflake.com/en/developer-guide/sql-api/authenticating#using-key-pair-authentication):
 * RS256 signed by the user's private key; `iss` is `<ACCOUNT>.<USER>.SHA256:<base64 SHA-256 of the
 * public key's DER>`, `sub` is `<ACCOUNT>.<USER>`, `exp` in the future. Returns what is wrong, or undefined.
 */
export function jwtProblem(token: unknown, user: string, publicKeyPem: string): string | undefined {
  if (typeof token !== "string") return "no JWT in the login request";
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return "malformed JWT";
  const key = crypto.createPublicKey(publicKeyPem);
  const valid = crypto.verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"));
  if (!valid) return "JWT signature does not verify against the user's public key";
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: string; sub?: string; exp?: number };
  const fingerprint = crypto.createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("base64");
  const subject = String(claims.sub ?? "").toUpperCase();
  if (!subject.endsWith(`.${user.toUpperCase()}`)) return `JWT subject ${claims.sub} is not user ${user}`;
  if (claims.iss !== `${claims.sub}.SHA256:${fingerprint}` && String(claims.iss).toUpperCase() !== `${subject}.SHA256:${fingerprint}`.toUpperCase()) return `JWT issuer ${claims.iss} does not name the public key's fingerprint`;
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return "JWT has expired";
  return undefined;
}

/** host, port and protocol of the stub, as connection settings or `snowflake:*` stack config take them. */
export function stubEndpoint(stub: SnowflakeStub): { host: string; port: number; protocol: "http" } {
  const url = new URL(stub.url);
  return { host: url.hostname, port: Number(url.port), protocol: "http" };
}

/** Connection settings (snowflake/settings.ts) that point at the stub and fail fast. */
export function stubConnectionSettings(stub: SnowflakeStub): ConnectionSettings {
  return {
    ...stubEndpoint(stub),
    account: "STUBORG-STUBACCT",
    user: "STUB_USER",
    password: "stub-password",
    role: "STUB_ROLE",
    warehouse: "STUB_WH",
    loginRetries: 0,
    requestTimeoutMs: 5_000,
    statementTimeoutMs: 20_000,
  };
}

const sqlText = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === "string" ? value
    : typeof value === "object" ? JSON.stringify(value) : String(value);

const unquote = (s: string) => (s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s);

/** `@DB.SCHEMA.STAGE/a/b` -> { stage: "DB.SCHEMA.STAGE", sub: "a/b" }. */
function splitLocation(location: string) {
  const bare = unquote(location.trim()).replace(/^@/, "");
  const slash = bare.indexOf("/");
  const stage = (slash < 0 ? bare : bare.slice(0, slash)).toUpperCase();
  return { stage, sub: slash < 0 ? "" : bare.slice(slash + 1) };
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

export async function startSnowflakeStub(options: StubOptions = {}): Promise<SnowflakeStub> {
  const rules: Rule[] = [];
  const loginRules: Rule[] = [];
  const stageRoot = fs.mkdtempSync(path.join(os.tmpdir(), "sf-stub-stage-"));
  let queryCount = 0;
  const catalog = options.catalog
    ? new SnowflakeCatalog({
        ...options.catalog,
        onStageDropped: (fqn) => {
          fs.rmSync(path.join(stageRoot, fqn), { recursive: true, force: true });
          options.catalog?.onStageDropped?.(fqn);
        },
        onStageRenamed: (from, to) => {
          if (fs.existsSync(path.join(stageRoot, from))) fs.renameSync(path.join(stageRoot, from), path.join(stageRoot, to));
          options.catalog?.onStageRenamed?.(from, to);
        },
      })
    : undefined;

  const stageDir = (location: string) => {
    const { stage, sub } = splitLocation(location);
    return path.join(stageRoot, stage, ...sub.split("/").filter(Boolean));
  };

  /** Built-in answers for PUT, LIST and REMOVE; `undefined` when the statement is none of these. */
  function builtIn(sql: string): Record<string, unknown> | undefined {
    const put = /^\s*PUT\s+('(?:[^']|'')*'|\S+)\s+('(?:[^']|'')*'|\S+)(.*)$/is.exec(sql);
    if (put) {
      const local = unquote(put[1]).replace(/^file:\/\//i, "");
      const autoCompress = !/AUTO_COMPRESS\s*=\s*FALSE/i.test(put[3]);
      return {
        command: "UPLOAD", src_locations: [local], sourceCompression: "auto_detect", autoCompress,
        overwrite: /OVERWRITE\s*=\s*TRUE/i.test(put[3]), parallel: 1,
        stageInfo: { locationType: "LOCAL_FS", location: stageDir(put[2]) },
      };
    }
    const list = /^\s*(?:LIST|LS)\s+('(?:[^']|'')*'|\S+)/i.exec(sql);
    const remove = /^\s*(?:REMOVE|RM)\s+('(?:[^']|'')*'|\S+)/i.exec(sql);
    const target = list?.[1] ?? remove?.[1];
    if (!target) return undefined;
    const { stage, sub } = splitLocation(target);
    const base = path.join(stageRoot, stage);
    const files = walk(base).map((f) => ({ full: f, rel: path.relative(base, f).split(path.sep).join("/") }))
      .filter((f) => f.rel.startsWith(sub)).sort((a, b) => a.rel.localeCompare(b.rel));
    const shortStage = stage.split(".").pop()!.toLowerCase();
    if (remove) {
      files.forEach((f) => fs.rmSync(f.full));
      return result([{ name: "name", type: "text" }, { name: "result", type: "text" }],
        files.map((f) => [`${shortStage}/${f.rel}`, "removed"]));
    }
    return result(
      [{ name: "name", type: "text" }, { name: "size", type: "fixed" }, { name: "md5", type: "text" },
        { name: "last_modified", type: "text" }],
      files.map((f) => {
        const bytes = fs.readFileSync(f.full);
        return [`${shortStage}/${f.rel}`, bytes.length, crypto.createHash("md5").update(bytes).digest("hex"),
          fs.statSync(f.full).mtime.toUTCString()];
      }));
  }

  function result(columns: StubColumn[], rows: unknown[][], statementTypeId?: number) {
    queryCount++;
    return {
      queryId: `01b0-stub-${queryCount}`, returned: rows.length, total: rows.length,
      rowtype: columns.map((c) => ({ name: c.name, type: c.type, nullable: true, scale: 0, precision: 38, length: 16777216, byteLength: 16777216 })),
      rowset: rows.map((r) => r.map(sqlText)),
      queryResultFormat: "json",
      // gosnowflake tells a result set (0x1000) from DDL by this; it reads rowtype[0] then, so only with columns.
      ...(columns.length > 0 ? { statementTypeId: statementTypeId ?? 0x1000 } : { statementTypeId: statementTypeId ?? 0x6000 }),
    };
  }

  function pick(list: Rule[], sql: string): StubOutcome | undefined {
    for (let i = list.length - 1; i >= 0; i--) {
      const rule = list[i];
      if (rule.remaining <= 0 || !rule.matches(sql)) continue;
      const outcome = typeof rule.response === "function" ? rule.response(sql, rule.calls + 1) : rule.response;
      if (outcome === undefined) continue;
      rule.remaining--;
      rule.calls++;
      return outcome;
    }
    return undefined;
  }

  /**
   * Sends an outcome. A query error always carries a SQL state (default 42000) as Snowflake's do:
   * without one the driver tries to fetch the result again instead of failing the statement.
   */
  async function send(res: http.ServerResponse, outcome: StubOutcome | undefined, ok: () => unknown, defaultSqlState?: string) {
    if (outcome?.delayMs) await new Promise((r) => setTimeout(r, outcome.delayMs));
    if (outcome?.dropConnection) return void res.socket?.destroy();
    if (outcome?.httpStatus) return void res.writeHead(outcome.httpStatus, { "content-type": "text/plain" }).end();
    const body = outcome?.error
      ? { success: false, code: outcome.error.code, message: outcome.error.message,
          data: { queryId: "01b0-stub-error", ...((outcome.error.sqlState ?? defaultSqlState) ? { sqlState: outcome.error.sqlState ?? defaultSqlState } : {}) } }
      : { success: true, data: ok() };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  /** In catalog mode PUT, LIST and REMOVE need the stage to exist (Snowflake: "Stage '…' does not exist or not authorized."). */
  function stageCheck(sql: string): CatalogAnswer | undefined {
    const put = /^\s*PUT\s+('(?:[^']|'')*'|\S+)\s+('(?:[^']|'')*'|\S+)/is.exec(sql);
    const other = /^\s*(?:LIST|LS|REMOVE|RM)\s+('(?:[^']|'')*'|\S+)/i.exec(sql);
    const location = put?.[2] ?? other?.[1];
    if (!catalog || !location) return undefined;
    const { stage } = splitLocation(location);
    if (catalog.stageExists(stage)) return undefined;
    return { error: { code: "002003", message: `SQL compilation error:\nStage '${stage}' does not exist or not authorized.`, sqlState: "02000" } };
  }

  /** Why a login is refused when `users` is set, or undefined. */
  function loginProblem(data: Record<string, unknown>): { code: string; message: string } | undefined {
    if (!options.users) return undefined;
    // gosnowflake sends no LOGIN_NAME with a key-pair login: the user is the JWT's subject <ACCOUNT>.<USER>.
    const jwtSubject = () => {
      try {
        return String(JSON.parse(Buffer.from(String(data.TOKEN).split(".")[1], "base64url").toString("utf8")).sub ?? "");
      } catch {
        return "";
      }
    };
    const user = String(data.LOGIN_NAME ?? jwtSubject().split(".").pop() ?? "").toUpperCase();
    const entry = Object.entries(options.users).find(([name]) => name.toUpperCase() === user)?.[1];
    if (entry === undefined) return { code: "390100", message: "Incorrect username or password was specified." };
    if (typeof entry === "string") {
      if (String(data.AUTHENTICATOR ?? "").toUpperCase() !== "SNOWFLAKE_JWT") return { code: "390100", message: "Incorrect username or password was specified." };
      const problem = jwtProblem(data.TOKEN, user, entry);
      return problem ? { code: "390144", message: `JWT token is invalid. [${problem}]` } : undefined;
    }
    return data.PASSWORD === entry.password ? undefined : { code: "390100", message: "Incorrect username or password was specified." };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") raw = zlib.gunzipSync(raw);
    const body = raw.length ? JSON.parse(raw.toString("utf8")) : {};
    const url = new URL(req.url ?? "/", "http://stub");

    if (url.pathname === "/session/v1/login-request") {
      const data = body.data ?? {};
      stub.logins.push({ params: Object.fromEntries(url.searchParams), data });
      const refusal = loginProblem(data);
      // 390144 is Snowflake's "JWT token is invalid", 390100 "Incorrect username or password was specified".
      const outcome = pick(loginRules, "") ?? (refusal ? { error: { code: refusal.code, message: refusal.message } } : undefined);
      return send(res, outcome, () => ({
        token: "stub-session-token", masterToken: "stub-master-token", validityInSeconds: 3600,
        masterValidityInSeconds: 14400, sessionId: 1, serverVersion: "9.0.0",
        sessionInfo: { databaseName: url.searchParams.get("databaseName"), schemaName: url.searchParams.get("schemaName"), warehouseName: url.searchParams.get("warehouse"), roleName: url.searchParams.get("roleName") ?? "STANDIN_ROLE" },
        parameters: [{ name: "CLIENT_SESSION_KEEP_ALIVE", value: false }, { name: "TIMEZONE", value: "UTC" }],
      }));
    }
    if (url.pathname === "/queries/v1/query-request") {
      const sql: string = body.sqlText ?? "";
      stub.statements.push(sql);
      stub.queries.push({ sql, bindings: body.bindings });
      const outcome = pick(rules, sql);
      if (outcome?.columns || outcome?.rows) {
        catalog?.record(sql);
        return send(res, outcome, () => result(outcome.columns ?? [], outcome.rows ?? []));
      }
      if (catalog) {
        if (outcome?.delayMs) await new Promise((r) => setTimeout(r, outcome.delayMs));
        if (outcome?.error || outcome?.dropConnection || outcome?.httpStatus) {
          catalog.record(sql, outcome.error?.message ?? (outcome.dropConnection ? "connection dropped" : `HTTP ${outcome.httpStatus}`));
          return send(res, { ...outcome, delayMs: 0 }, () => 0, "42000");
        }
        const answer = stageCheck(sql) ?? catalog.execute(sql);
        if (answer) {
          catalog.record(sql, answer.error?.message);
          return send(res, answer.error ? { error: answer.error } : undefined, () => result(answer.columns ?? [], answer.rows ?? [], answer.statementTypeId), "42000");
        }
        const known = builtIn(sql);
        if (!known) catalog.unhandled.push(sql);
        catalog.record(sql, !known && options.strict ? "stub: not modelled" : undefined);
        if (!known && options.strict) {
          return send(res, { error: { code: "000999", message: `stand-in: statement not modelled: ${sql}` } }, () => 0, "42000");
        }
        return send(res, undefined, () => known ?? result([], []), "42000");
      }
      const known = outcome?.error ? undefined : builtIn(sql);
      if (!outcome && !known && options.strict) {
        return send(res, { error: { code: "000999", message: `stub: no response configured for: ${sql}` } }, () => 0, "42000");
      }
      return send(res, outcome, () => known ?? result([], []), "42000");
    }
    // Control API of the stand-in when it runs as its own process (standInServer.ts); not Snowflake's.
    if (url.pathname.startsWith("/__standin/") && catalog) {
      const json = (value: unknown) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (url.pathname === "/__standin/catalog") return json(catalog.snapshot());
      if (url.pathname === "/__standin/log") return json({ log: catalog.log, taskDdl: catalog.taskDdl, transitions: catalog.transitions, unhandled: catalog.unhandled });
      if (url.pathname === "/__standin/fail" && req.method === "POST") {
        stub.failOn(new RegExp(String(body.pattern), "s"), { message: String(body.message), code: body.code, sqlState: body.sqlState, times: body.times, afterMs: body.afterMs });
        return json({ ok: true });
      }
      return void res.writeHead(404).end();
    }
    // telemetry, heartbeat, session delete, abort: acknowledge.
    return send(res, undefined, () => ({}));
  }

  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    const done: Promise<void> = handle(req, res)
      .catch((err) => void (res.headersSent || res.writeHead(500).end(String(err))))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const stub: SnowflakeStub = {
    url: `http://127.0.0.1:${port}`,
    statements: [],
    queries: [],
    logins: [],
    stageRoot,
    on(matcher, response, times) {
      const matches = typeof matcher === "function" ? matcher
        : typeof matcher === "string" ? (sql: string) => sql.trim() === matcher.trim()
        : (sql: string) => matcher.test(sql);
      const limit = times ?? (typeof response === "object" ? response.times : undefined) ?? Infinity;
      rules.push({ matches, response, remaining: limit, calls: 0 });
      return stub;
    },
    onLogin(response) {
      loginRules.push({ matches: () => true, response, remaining: response.times ?? Infinity, calls: 0 });
      return stub;
    },
    stageDir,
    catalog,
    failOn(matcher, failure) {
      const from = Date.now() + (failure.afterMs ?? 0);
      const error = { code: failure.code ?? "000603", message: failure.message, sqlState: failure.sqlState ?? "XX000" };
      return stub.on(matcher, () => (Date.now() >= from ? { error } : undefined), failure.times ?? Infinity);
    },
    async close() {
      // Let delayed answers go out first: a socket cut mid-answer makes the driver retry for a long time.
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(stageRoot, { recursive: true, force: true });
    },
  };
  return stub;
}
