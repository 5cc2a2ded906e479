/**
 * The catalog mode of the Snowflake stub (snowflakeStub.ts): a small, in-memory Snowflake account
 * that keeps what was created (databases, schemas, warehouses, stages, tasks, compute pools, roles,
 * grants) and answers the statements the program sends through snowflake-sdk and the ones the
 * real Pulumi Snowflake provider (terraform-provider-snowflake v1.2.1 under @pulumi/snowflake
 * 1.3.0, through gosnowflake) sends, with the SHOW/DESCRIBE columns each of them reads.
 *
 * It stands for a Snowflake account in tests that run the real engine; it is not Snowflake. What
 * it enforces is what matters to a deploy of task graphs, each rule with the documentation it
 * follows (see `refusals` in the code, and docs/testing.md "The Snowflake stand-in" for what it
 * does differently from Snowflake).
 *
 * Every statement it answers is in `log` (with the outcome); every task DDL in `taskDdl` with the
 * state of its graph's root at that moment; every task state change in `transitions`.
 */
import { identifierValue, likePattern, quotedName, readName, sqlLiteral, stringValue, Token, tokenize, wordsAt } from "./sqlText";

export interface CatalogColumn {
  name: string;
  type: string;
}
export interface CatalogAnswer {
  columns?: CatalogColumn[];
  rows?: unknown[][];
  error?: { code: string; message: string; sqlState?: string };
  /** How gosnowflake tells a query from DDL (statementTypeId; 0x1000 = SELECT/SHOW). */
  statementTypeId?: number;
}

export type TaskState = "started" | "suspended";

export interface CatalogTask {
  database: string;
  schema: string;
  name: string;
  id: string;
  createdOn: number;
  warehouse?: string;
  schedule?: string;
  config?: string;
  definition: string;
  condition?: string;
  comment?: string;
  allowOverlappingExecution: boolean;
  errorIntegration?: string;
  /** Fully qualified (unquoted) predecessors, in the order given. */
  predecessors: string[];
  /** Fully qualified root this task finalizes. */
  finalize?: string;
  state: TaskState;
  /** Parameters set on the task (USER_TASK_TIMEOUT_MS, …): level TASK. */
  parameters: Record<string, string>;
  lastSuspendedOn?: number;
  /** Every EXECUTE TASK of it. */
  executions: number;
}

export interface CatalogStage {
  database: string;
  schema: string;
  name: string;
  comment: string;
  encryption?: string;
  createdOn: number;
}

export interface CatalogGrant {
  privilege: string;
  /** DATABASE, SCHEMA, WAREHOUSE, COMPUTE_POOL, INTEGRATION, STAGE, ... (underscored, as SHOW GRANTS has it). */
  grantedOn: string;
  /** Fully qualified, unquoted. */
  name: string;
  role: string;
}

export interface LogEntry {
  seq: number;
  at: number;
  sql: string;
  /** Snowflake's message when the statement was refused (by a rule of the catalog or an injected failure). */
  error?: string;
}

/** One task DDL (CREATE/ALTER other than RESUME/SUSPEND/DROP TASK) and its graph's root then. */
export interface TaskDdl {
  seq: number;
  sql: string;
  task: string;
  /** The root of the graph the statement changes (the task itself for a root or a standalone task). */
  root: string;
  rootState: TaskState | "missing";
  refused: boolean;
}

export interface Transition {
  seq: number;
  at: number;
  task: string;
  to: TaskState | "dropped" | "created";
}

export interface CatalogOptions {
  /** The account locator CURRENT_ACCOUNT() returns. */
  account?: string;
  /** Roles that exist before anything is deployed (a deployer's, an existing pipeline role). */
  roles?: string[];
  /** Integrations that exist (notification/error integrations are made by an admin, not the program). */
  integrations?: string[];
  /** Called when a stage is dropped (the stub removes its files). */
  onStageDropped?: (fqn: string) => void;
  /** Called when a stage is renamed with its database or schema (the stub moves its files). */
  onStageRenamed?: (from: string, to: string) => void;
}

const text = (name: string): CatalogColumn => ({ name, type: "text" });
const fixed = (name: string): CatalogColumn => ({ name, type: "fixed" });
const bool = (name: string): CatalogColumn => ({ name, type: "boolean" });
const time = (name: string): CatalogColumn => ({ name, type: "timestamp_ltz" });

/** A timestamp as Snowflake's JSON result format sends it: seconds since the epoch with 9 decimals. */
export const timestampValue = (ms: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}000000`;

const OK: CatalogAnswer = { columns: [text("status")], rows: [["Statement executed successfully."]] };

/** Snowflake's "does not exist" error (code 002003, SQL state 02000). */
function missing(kind: string, name: string): CatalogAnswer {
  return { error: { code: "002003", message: `SQL compilation error:\n${kind} '${name}' does not exist or not authorized.`, sqlState: "02000" } };
}
function exists(name: string): CatalogAnswer {
  return { error: { code: "002002", message: `SQL compilation error:\nObject '${name}' already exists.`, sqlState: "42710" } };
}
function invalid(message: string): CatalogAnswer {
  return { error: { code: "001003", message: `SQL compilation error:\n${message}`, sqlState: "42000" } };
}

/** `DB.SCHEMA.NAME` from name parts and defaults. */
function qualify(parts: string[], database?: string, schema?: string): string {
  if (parts.length === 3) return parts.join(".");
  if (parts.length === 2) return [database ?? "", ...parts].join(".");
  return [database ?? "", schema ?? "", parts[0]].join(".");
}

/** Top-level tokens of `sql` (outside parentheses) and a cursor over them. */
class Cursor {
  i = 0;
  constructor(readonly sql: string, readonly tokens: Token[]) {}
  get done() {
    return this.i >= this.tokens.length;
  }
  peek(k = 0) {
    return this.tokens[this.i + k];
  }
  is(...words: string[]) {
    return wordsAt(this.tokens, this.i, ...words);
  }
  accept(...words: string[]) {
    if (!this.is(...words)) return false;
    this.i += words.length;
    return true;
  }
  name(): string[] | undefined {
    const read = readName(this.tokens, this.i);
    if (!read) return undefined;
    this.i = read.next;
    return read.parts;
  }
  /** The raw text from the current token to the end of the statement. */
  rest(): string {
    const t = this.peek();
    return t ? this.sql.slice(t.start).trim().replace(/;\s*$/, "") : "";
  }
}

export class SnowflakeCatalog {
  readonly databases = new Map<string, { name: string; comment?: string; createdOn: number }>();
  readonly schemas = new Map<string, { database: string; name: string; comment?: string; createdOn: number }>();
  readonly warehouses = new Map<string, { name: string; size: string; autoSuspend: number; autoResume: boolean; state: "STARTED" | "SUSPENDED"; comment?: string; createdOn: number }>();
  readonly stages = new Map<string, CatalogStage>();
  readonly tasks = new Map<string, CatalogTask>();
  readonly computePools = new Map<string, { name: string; props: Record<string, string>; state: string; createdOn: number }>();
  readonly roles = new Set<string>();
  readonly integrations = new Set<string>();
  readonly grants: CatalogGrant[] = [];

  readonly log: LogEntry[] = [];
  readonly taskDdl: TaskDdl[] = [];
  readonly transitions: Transition[] = [];
  /** Statements the catalog does not model (answered with an empty result). */
  readonly unhandled: string[] = [];

  private seq = 0;
  private nextId = 1;
  private readonly account: string;

  constructor(private readonly options: CatalogOptions = {}) {
    this.account = options.account ?? "STANDIN1";
    for (const role of options.roles ?? []) this.roles.add(role.toUpperCase());
    for (const integration of options.integrations ?? []) this.integrations.add(integration.toUpperCase());
  }

  /** Records a statement and its outcome (called by the stub for every statement, answered by whoever). */
  record(sql: string, error?: string): LogEntry {
    const entry: LogEntry = { seq: ++this.seq, at: Date.now(), sql, ...(error ? { error } : {}) };
    this.log.push(entry);
    return entry;
  }

  /** The sequence number the next statement gets. */
  get nextSeq(): number {
    return this.seq + 1;
  }

  /** The root a task belongs to (following predecessors, or FINALIZE for a finalizer). */
  rootOf(fqn: string): string {
    const seen = new Set<string>();
    let current = fqn;
    for (;;) {
      if (seen.has(current)) return current;
      seen.add(current);
      const task = this.tasks.get(current);
      if (!task) return current;
      if (task.finalize) return task.finalize;
      if (task.predecessors.length === 0) return current;
      current = task.predecessors[0];
    }
  }

  /** Children (direct successors) of a task. */
  successorsOf(fqn: string): CatalogTask[] {
    return [...this.tasks.values()].filter((t) => t.predecessors.includes(fqn));
  }

  /** The finalizer of a root, if any. */
  finalizerOf(root: string): CatalogTask | undefined {
    return [...this.tasks.values()].find((t) => t.finalize === root);
  }

  stateOf(fqn: string): TaskState | "missing" {
    return this.tasks.get(fqn)?.state ?? "missing";
  }

  /** Answers one statement, or undefined when it is none the catalog models. */
  execute(statement: string, session: { database?: string; schema?: string; user?: string; role?: string; warehouse?: string } = {}): CatalogAnswer | undefined {
    // terraform-provider-snowflake appends a usage-tracking comment to every statement
    // (pkg/internal/tracking/query.go). It is not part of a task's definition: the provider reads
    // the definition back without trimming it and its acceptance tests end with empty plans.
    const sql = statement.replace(/\s*--terraform_provider_usage_tracking \{[^\n]*\}\s*$/, "");
    const tokens = tokenize(sql);
    const c = new Cursor(sql, tokens);
    try {
      if (c.is("SELECT")) return this.select(sql);
      if (c.accept("SHOW")) return this.show(c, session);
      if (c.accept("DESCRIBE") || c.accept("DESC")) return this.describe(c, session);
      if (c.accept("CREATE")) return this.create(c, session);
      if (c.accept("ALTER")) return this.alter(c, session);
      if (c.accept("DROP")) return this.drop(c, session);
      if (c.accept("GRANT")) return this.grant(c, true);
      if (c.accept("REVOKE")) return this.grant(c, false);
      if (c.accept("EXECUTE", "TASK")) {
        const fqn = qualify(c.name() ?? [], session.database, session.schema);
        const task = this.tasks.get(fqn);
        if (!task) return missing("Task", fqn.split(".").pop()!);
        // Only a standalone or root task can be executed (https://docs.snowflake.com/en/sql-reference/sql/execute-task).
        if (task.predecessors.length > 0 || task.finalize) return invalid(`Cannot execute task '${task.name}': only a root task or a standalone task can be executed.`);
        task.executions++;
        return OK;
      }
      if (c.is("USE") || c.is("ALTER", "SESSION")) return OK;
    } catch (error) {
      return invalid(String((error as Error).message));
    }
    return undefined;
  }

  // ---------------------------------------------------------------- SELECT (context functions)

  private select(sql: string): CatalogAnswer | undefined {
    const values: Record<string, string> = {
      CURRENT_ACCOUNT: this.account,
      CURRENT_ORGANIZATION_NAME: "STANDINORG",
      CURRENT_ACCOUNT_NAME: "STANDINACCOUNT",
      CURRENT_REGION: "AWS_US_WEST_2",
      CURRENT_SESSION: "1",
      CURRENT_ROLE: "STANDIN_ROLE",
      CURRENT_USER: "STANDIN_USER",
      CURRENT_DATABASE: "",
      CURRENT_SCHEMA: "",
      CURRENT_WAREHOUSE: "",
      CURRENT_SECONDARY_ROLES: '{"roles":"","value":""}',
      CURRENT_VERSION: "9.0.0",
    };
    const items = [...sql.matchAll(/(CURRENT_[A-Z_]+)\(\)(?:\s+as\s+"?([A-Za-z_]+)"?)?/gi)];
    if (items.length > 0) {
      return {
        columns: items.map((m) => text(m[2] ?? `${m[1].toUpperCase()}()`)),
        rows: [items.map((m) => values[m[1].toUpperCase()] ?? "")],
        statementTypeId: 0x1000,
      };
    }
    const constant = /^\s*SELECT\s+(\d+)\s*(?:AS\s+"?(\w+)"?)?\s*;?\s*$/i.exec(sql);
    if (constant) return { columns: [fixed(constant[2] ?? constant[1])], rows: [[constant[1]]], statementTypeId: 0x1000 };
    return undefined;
  }

  // ---------------------------------------------------------------- SHOW / DESCRIBE

  private show(c: Cursor, session: { database?: string; schema?: string }): CatalogAnswer | undefined {
    c.accept("TERSE");
    const what = c.peek()?.text.toUpperCase();
    c.i++;
    if (what === "COMPUTE") c.accept("POOLS");
    let like: RegExp | undefined;
    let scope: { database?: string; schema?: string; account?: boolean } = {};
    let onObject: { type: string; name: string } | undefined;
    let toRole: string | undefined;
    let inObject: { type: string; name: string } | undefined;
    while (!c.done) {
      if (c.accept("LIKE")) like = likePattern(stringValue(c.peek()!.text)), c.i++;
      else if (c.accept("IN", "ACCOUNT")) scope = { account: true };
      else if (c.accept("IN", "DATABASE")) scope = { database: c.name()!.join(".") };
      else if (c.accept("IN", "SCHEMA")) {
        const parts = c.name()!;
        scope = parts.length === 2 ? { database: parts[0], schema: parts[1] } : { database: session.database, schema: parts[0] };
      } else if (c.accept("IN")) {
        const type = c.peek()!.text.toUpperCase();
        c.i++;
        inObject = { type, name: qualify(c.name()!, session.database, session.schema) };
      } else if (c.accept("ON")) {
        onObject = typeAndName(c.tokens.slice(c.i));
        c.i = c.tokens.length;
      } else if (c.accept("TO", "ROLE")) toRole = c.name()!.join(".");
      else c.i++;
    }
    const keep = <T extends { name: string; database?: string; schema?: string }>(rows: T[]) =>
      rows
        .filter((r) => !like || like.test(r.name))
        .filter((r) => scope.database === undefined || r.database === scope.database)
        .filter((r) => scope.schema === undefined || r.schema === scope.schema)
        .sort((a, b) => a.name.localeCompare(b.name));
    switch (what) {
      case "DATABASES":
        return this.table(
          [time("created_on"), text("name"), text("is_default"), text("is_current"), text("origin"), text("owner"), text("comment"), text("options"), text("retention_time"), text("kind"), text("owner_role_type")],
          keep([...this.databases.values()]).map((d) => [timestampValue(d.createdOn), d.name, "N", "N", "", "STANDIN_ROLE", d.comment ?? "", "", "1", "STANDARD", "ROLE"]),
        );
      case "SCHEMAS":
        return this.table(
          [time("created_on"), text("name"), text("is_default"), text("is_current"), text("database_name"), text("owner"), text("comment"), text("options"), text("retention_time"), text("owner_role_type")],
          keep([...this.schemas.values()].map((s) => ({ ...s, schema: undefined }))).map((s) => [timestampValue(s.createdOn), s.name, "N", "N", s.database, "STANDIN_ROLE", s.comment ?? "", "", "1", "ROLE"]),
        );
      case "WAREHOUSES":
        return this.table(
          [text("name"), text("state"), text("type"), text("size"), fixed("min_cluster_count"), fixed("max_cluster_count"), fixed("started_clusters"), fixed("running"), fixed("queued"), text("is_default"), text("is_current"), fixed("auto_suspend"), bool("auto_resume"), text("available"), text("provisioning"), text("quiescing"), text("other"), time("created_on"), time("resumed_on"), time("updated_on"), text("owner"), text("comment"), bool("enable_query_acceleration"), fixed("query_acceleration_max_scale_factor"), text("resource_monitor"), text("scaling_policy"), text("owner_role_type")],
          keep([...this.warehouses.values()]).map((w) => [w.name, w.state, "STANDARD", warehouseSizeShown(w.size), 1, 1, 0, 0, 0, "N", "N", w.autoSuspend, w.autoResume, "", "", "", "", timestampValue(w.createdOn), timestampValue(w.createdOn), timestampValue(w.createdOn), "STANDIN_ROLE", w.comment ?? "", false, 8, "null", "STANDARD", "ROLE"]),
        );
      case "STAGES":
        return this.table(
          [time("created_on"), text("name"), text("database_name"), text("schema_name"), text("url"), text("has_credentials"), text("has_encryption_key"), text("owner"), text("comment"), text("region"), text("type"), text("cloud"), text("storage_integration"), text("endpoint"), text("owner_role_type"), text("directory_enabled")],
          keep([...this.stages.values()].map((s) => ({ ...s }))).map((s) => [timestampValue(s.createdOn), s.name, s.database, s.schema, "", "N", "N", "STANDIN_ROLE", s.comment, null, "INTERNAL", null, null, null, "ROLE", "N"]),
        );
      case "TASKS":
        return this.taskRows(keep([...this.tasks.values()]));
      case "COMPUTE":
        return this.table(
          [text("name"), text("state"), fixed("min_nodes"), fixed("max_nodes"), text("instance_family"), fixed("num_services"), fixed("num_jobs"), fixed("auto_suspend_secs"), text("auto_resume"), time("created_on"), text("owner"), text("comment")],
          keep([...this.computePools.values()]).map((p) => [p.name, p.state, p.props.MIN_NODES, p.props.MAX_NODES, p.props.INSTANCE_FAMILY, 0, 0, p.props.AUTO_SUSPEND_SECS ?? "3600", (p.props.AUTO_RESUME ?? "TRUE").toLowerCase(), timestampValue(p.createdOn), "STANDIN_ROLE", p.props.COMMENT === undefined ? null : stringValue(p.props.COMMENT)]),
        );
      case "ROLES":
        return this.table(
          [time("created_on"), text("name"), text("is_default"), text("is_current"), text("is_inherited"), fixed("assigned_to_users"), fixed("granted_to_roles"), fixed("granted_roles"), text("owner"), text("comment")],
          [...this.roles].filter((r) => !like || like.test(r)).sort().map((r) => [timestampValue(0), r, "N", "N", "N", 0, 0, 0, "SECURITYADMIN", ""]),
        );
      case "GRANTS":
        return this.grantRows(onObject, toRole);
      case "REPLICATION":
        // SHOW REPLICATION DATABASES: no database here is a replica or a primary of one.
        return this.table([text("snowflake_region"), time("created_on"), text("account_name"), text("name"), text("is_primary")], []);
      case "PARAMETERS": {
        const task = inObject?.type === "TASK" ? this.tasks.get(inObject.name) : undefined;
        if (inObject?.type === "TASK" && !task) return missing("Task", inObject.name.split(".").pop()!);
        const params = task ? Object.entries(task.parameters) : [];
        return this.table(
          [text("key"), text("value"), text("default"), text("level"), text("description"), text("type")],
          params.filter(([k]) => !like || like.test(k)).map(([k, v]) => [k, v, "", "TASK", "", "NUMBER"]),
        );
      }
      default:
        return undefined;
    }
  }

  private describe(c: Cursor, session: { database?: string; schema?: string }): CatalogAnswer | undefined {
    const what = c.peek()?.text.toUpperCase();
    c.i++;
    const parts = c.name() ?? [];
    if (what === "TASK") {
      const fqn = qualify(parts, session.database, session.schema);
      const task = this.tasks.get(fqn);
      return task ? this.taskRows([task]) : missing("Task", parts.join("."));
    }
    if (what === "STAGE") {
      const fqn = qualify(parts, session.database, session.schema);
      if (!this.stages.has(fqn)) return missing("Stage", parts.join("."));
      return this.table([text("parent_property"), text("property"), text("property_type"), text("property_value"), text("property_default")], [
        ["DIRECTORY", "ENABLE", "Boolean", "false", "false"],
        ["STAGE_LOCATION", "URL", "String", "", ""],
      ]);
    }
    if (what === "DATABASE") {
      if (!this.databases.has(parts.join("."))) return missing("Database", parts.join("."));
      return this.table([time("created_on"), text("name"), text("kind")], [...this.schemas.values()].filter((s) => s.database === parts[0]).map((s) => [timestampValue(s.createdOn), s.name, "SCHEMA"]));
    }
    if (what === "SCHEMA") {
      const key = parts.length === 2 ? parts.join(".") : `${session.database}.${parts[0]}`;
      if (!this.schemas.has(key)) return missing("Schema", parts.join("."));
      return this.table([time("created_on"), text("name"), text("kind")], []);
    }
    if (what === "WAREHOUSE") {
      const w = this.warehouses.get(parts.join("."));
      return w ? this.table([time("created_on"), text("name"), text("kind")], [[timestampValue(w.createdOn), w.name, "WAREHOUSE"]]) : missing("Warehouse", parts.join("."));
    }
    return undefined;
  }

  private table(columns: CatalogColumn[], rows: unknown[][]): CatalogAnswer {
    return { columns, rows, statementTypeId: 0x1000 };
  }

  /**
   * SHOW TASKS rows with the columns terraform-provider-snowflake v1.2.1 reads (pkg/sdk/tasks_gen.go
   * taskDBRow) and the program reads (snowflake/tasks.ts). Column meanings:
   * https://docs.snowflake.com/en/sql-reference/sql/show-tasks#output — `predecessors` is a JSON
   * array of quoted fully qualified names, `task_relations` a JSON object with Predecessors,
   * FinalizerTask (on a root) and FinalizedRootTask (on a finalizer).
   */
  private taskRows(tasks: CatalogTask[]): CatalogAnswer {
    const columns = [
      time("created_on"), text("name"), text("id"), text("database_name"), text("schema_name"), text("owner"), text("comment"), text("warehouse"),
      text("schedule"), text("predecessors"), text("state"), text("definition"), text("condition"), text("allow_overlapping_execution"),
      text("error_integration"), text("last_committed_on"), text("last_suspended_on"), text("owner_role_type"), text("config"), text("budget"),
      text("task_relations"), text("last_suspended_reason"),
    ];
    const fq = (fqn: string) => quotedName(...fqn.split("."));
    const rows = tasks.map((t) => {
      const own = `${t.database}.${t.schema}.${t.name}`;
      const finalizer = this.finalizerOf(own);
      const relations: Record<string, unknown> = { Predecessors: t.predecessors.map(fq) };
      if (finalizer) relations.FinalizerTask = fq(`${finalizer.database}.${finalizer.schema}.${finalizer.name}`);
      if (t.finalize) relations.FinalizedRootTask = fq(t.finalize);
      return [
        timestampValue(t.createdOn), t.name, t.id, t.database, t.schema, "STANDIN_ROLE", t.comment ?? null, t.warehouse ?? null,
        t.schedule ?? null, JSON.stringify(t.predecessors.map(fq), null, 2), t.state, t.definition, t.condition ?? null, String(t.allowOverlappingExecution),
        t.errorIntegration ?? null, timestampValue(t.createdOn), t.lastSuspendedOn === undefined ? null : timestampValue(t.lastSuspendedOn), "ROLE", t.config ?? null, null,
        JSON.stringify(relations), t.state === "suspended" ? "USER_SUSPENDED" : null,
      ];
    });
    return this.table(columns, rows);
  }

  private grantRows(on: { type: string; name: string } | undefined, toRole: string | undefined): CatalogAnswer {
    const columns = [time("created_on"), text("privilege"), text("granted_on"), text("name"), text("granted_to"), text("grantee_name"), bool("grant_option"), text("granted_by")];
    const matches = this.grants.filter((g) => (on ? g.grantedOn === on.type && g.name === on.name : true) && (toRole ? g.role === toRole : true));
    return this.table(columns, matches.map((g) => [timestampValue(0), g.privilege, g.grantedOn, g.name, "ROLE", g.role, false, "STANDIN_ROLE"]));
  }

  // ---------------------------------------------------------------- CREATE

  private create(c: Cursor, session: { database?: string; schema?: string }): CatalogAnswer | undefined {
    const orReplace = c.accept("OR", "REPLACE");
    const orAlter = !orReplace && c.accept("OR", "ALTER");
    c.accept("TRANSIENT");
    const what = c.peek()?.text.toUpperCase();
    c.i++;
    if (what === "COMPUTE") c.accept("POOL");
    const ifNotExists = c.accept("IF", "NOT", "EXISTS");
    const parts = c.name();
    if (!parts) return undefined;
    const props = () => readProperties(c);
    const now = Date.now();
    switch (what) {
      case "DATABASE": {
        const name = parts[0];
        if (this.databases.has(name) && !orReplace) return ifNotExists ? OK : exists(name);
        const p = props();
        this.databases.set(name, { name, comment: p.COMMENT === undefined ? undefined : stringValue(p.COMMENT), createdOn: now });
        // Every new database has a PUBLIC schema (https://docs.snowflake.com/en/sql-reference/sql/create-database).
        this.schemas.set(`${name}.PUBLIC`, { database: name, name: "PUBLIC", createdOn: now });
        return OK;
      }
      case "SCHEMA": {
        const [database, name] = parts.length === 2 ? parts : [session.database ?? "", parts[0]];
        if (!this.databases.has(database)) return missing("Database", database);
        const key = `${database}.${name}`;
        if (this.schemas.has(key) && !orReplace) return ifNotExists ? OK : exists(name);
        const p = props();
        this.schemas.set(key, { database, name, comment: p.COMMENT === undefined ? undefined : stringValue(p.COMMENT), createdOn: now });
        return OK;
      }
      case "WAREHOUSE": {
        const name = parts[0];
        if (this.warehouses.has(name) && !orReplace) return ifNotExists ? OK : exists(name);
        const p = props();
        this.warehouses.set(name, {
          name,
          size: (p.WAREHOUSE_SIZE ?? "XSMALL").replace(/'/g, "").toUpperCase(),
          autoSuspend: Number(p.AUTO_SUSPEND ?? 600),
          autoResume: (p.AUTO_RESUME ?? "TRUE").toUpperCase() === "TRUE",
          // INITIALLY_SUSPENDED defaults to FALSE (https://docs.snowflake.com/en/sql-reference/sql/create-warehouse).
          state: (p.INITIALLY_SUSPENDED ?? "FALSE").toUpperCase() === "TRUE" ? "SUSPENDED" : "STARTED",
          comment: p.COMMENT === undefined ? undefined : stringValue(p.COMMENT),
          createdOn: now,
        });
        return OK;
      }
      case "STAGE": {
        const fqn = qualify(parts, session.database, session.schema);
        const [database, schema, name] = fqn.split(".");
        if (!this.schemas.has(`${database}.${schema}`)) return missing("Schema", `${database}.${schema}`);
        if (this.stages.has(fqn) && !orReplace) return ifNotExists ? OK : exists(name);
        const p = props();
        this.stages.set(fqn, { database, schema, name, comment: p.COMMENT === undefined ? "" : stringValue(p.COMMENT), encryption: p.ENCRYPTION, createdOn: now });
        return OK;
      }
      case "COMPUTE": {
        const name = parts[0];
        // "OR REPLACE is not supported for compute pools" (https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool).
        if (orReplace) return invalid("OR REPLACE is not supported for compute pools.");
        if (this.computePools.has(name)) return ifNotExists ? OK : exists(name);
        const p = props();
        for (const required of ["MIN_NODES", "MAX_NODES", "INSTANCE_FAMILY"]) if (p[required] === undefined) return invalid(`missing required property ${required}`);
        this.computePools.set(name, { name, props: p, state: (p.INITIALLY_SUSPENDED ?? "FALSE").toUpperCase() === "TRUE" ? "SUSPENDED" : "IDLE", createdOn: now });
        return OK;
      }
      case "ROLE": {
        const name = parts[0];
        if (this.roles.has(name) && !orReplace) return ifNotExists ? OK : exists(name);
        this.roles.add(name);
        return OK;
      }
      case "TASK":
        return this.createTask(c, qualify(parts, session.database, session.schema), { orReplace, orAlter, ifNotExists });
      default:
        return undefined;
    }
  }

  /**
   * CREATE [OR REPLACE | OR ALTER] TASK (https://docs.snowflake.com/en/sql-reference/sql/create-task).
   * Rules enforced, each as Snowflake documents it:
   * - the schema must exist, and a name already taken needs OR REPLACE / OR ALTER / IF NOT EXISTS;
   * - every AFTER predecessor must exist and be in the same schema ("All tasks in a task graph must
   *   be in the same schema": https://docs.snowflake.com/en/user-guide/tasks-graphs);
   * - a task with AFTER or FINALIZE has no SCHEDULE, a finalizer has no predecessors
   *   (https://docs.snowflake.com/en/user-guide/tasks-graphs#finalizer-task);
   * - one finalizer per root ("A root task can have only one finalizer task", same page);
   * - a finalizer cannot be a predecessor (same page: "A finalizer task can't have child tasks");
   * - the graph it joins must have its root suspended (guardGraph).
   * New tasks are created suspended ("Tasks are created suspended", create-task usage notes).
   */
  private createTask(c: Cursor, fqn: string, mode: { orReplace: boolean; orAlter: boolean; ifNotExists: boolean }): CatalogAnswer {
    const [database, schema, name] = fqn.split(".");
    if (!this.schemas.has(`${database}.${schema}`)) return missing("Schema", `${database}.${schema}`);
    const existing = this.tasks.get(fqn);
    if (existing && mode.ifNotExists) return OK;
    if (existing && !mode.orReplace && !mode.orAlter) return exists(name);
    const clauses = readTaskClauses(c);
    if (clauses.body === undefined) return invalid("syntax error: CREATE TASK needs AS <sql>");
    const predecessors = clauses.after.map((p) => qualify(p, database, schema));
    for (const p of predecessors) {
      if (!this.tasks.has(p)) return missing("Task", p.split(".").pop()!);
      if (!p.startsWith(`${database}.${schema}.`)) return invalid(`Task '${p}' must be in the same schema as task '${name}'.`);
      if (this.tasks.get(p)!.finalize) return invalid(`Finalizer task '${p.split(".").pop()}' cannot have child tasks.`);
    }
    const finalize = clauses.props.FINALIZE === undefined ? undefined : qualify(readName(tokenize(clauses.props.FINALIZE), 0)!.parts, database, schema);
    if (finalize !== undefined) {
      if (!this.tasks.has(finalize)) return missing("Task", finalize.split(".").pop()!);
      if (predecessors.length > 0 || clauses.props.SCHEDULE !== undefined) return invalid("A finalizer task cannot have a schedule or predecessors.");
      const other = this.finalizerOf(finalize);
      if (other && `${other.database}.${other.schema}.${other.name}` !== fqn) {
        return invalid(`Root task '${finalize.split(".").pop()}' already has finalizer task '${other.name}'; a root task can have only one finalizer.`);
      }
    }
    if (predecessors.length > 0 && clauses.props.SCHEDULE !== undefined) return invalid("A task with predecessors cannot have a schedule.");
    // The graph(s) touched: the one joined, and the one left when an existing task is replaced.
    const roots = new Set<string>();
    for (const p of predecessors) roots.add(this.rootOf(p));
    if (finalize) roots.add(finalize);
    if (existing) roots.add(this.rootOf(fqn));
    const refusal = this.guardGraph(c.sql, fqn, [...roots], existing === undefined ? "create" : "replace");
    if (refusal) return refusal;

    const task: CatalogTask = {
      database,
      schema,
      name,
      id: existing?.id ?? `01b0-task-${this.nextId++}`,
      createdOn: Date.now(),
      definition: clauses.body,
      predecessors,
      finalize,
      state: "suspended",
      allowOverlappingExecution: false,
      parameters: {},
      executions: existing?.executions ?? 0,
    };
    applyTaskProps(task, clauses.props);
    if (clauses.when !== undefined) task.condition = clauses.when;
    if (existing && mode.orAlter) task.state = existing.state;
    this.tasks.set(fqn, task);
    this.transition(fqn, "created");
    return OK;
  }

  /**
   * Refuses DDL on a task of a graph whose root is started: "The root task in a task graph must be
   * suspended before any task in the task graph is recreated (using CREATE OR REPLACE TASK) or a
   * child task is added (using CREATE TASK … AFTER or ALTER TASK … ADD AFTER)"
   * (https://docs.snowflake.com/en/sql-reference/sql/create-task, usage notes); "suspend the root
   * task before modifying any task in the graph" (https://docs.snowflake.com/en/sql-reference/sql/alter-task);
   * "The root task in a task graph must be suspended before any task in the task graph is dropped"
   * (https://docs.snowflake.com/en/sql-reference/sql/drop-task). A singleton task (no predecessors,
   * successors or finalizer) may be altered while started (https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_06/bcr-2363).
   * The message is the one users of terraform-provider-snowflake report
   * (https://github.com/snowflakedb/terraform-provider-snowflake/issues/3435).
   * Records the statement in `taskDdl` with the root's state, refused or not.
   */
  private guardGraph(sql: string, task: string, roots: string[], kind: "create" | "replace" | "alter" | "drop"): CatalogAnswer | undefined {
    const primary = roots[0] ?? task;
    const started = roots.find((r) => this.stateOf(r) === "started");
    const singleton = roots.length === 1 && roots[0] === task && this.successorsOf(task).length === 0 && !this.finalizerOf(task) && kind === "alter";
    const refused = started !== undefined && !singleton;
    this.taskDdl.push({ seq: this.nextSeq, sql, task, root: started ?? primary, rootState: this.stateOf(started ?? primary), refused });
    if (!refused) return undefined;
    return {
      error: {
        code: "091092",
        message: `Unable to update graph with root task ${started} since that root task is not suspended.`,
        sqlState: "0A000",
      },
    };
  }

  private transition(task: string, to: Transition["to"]) {
    this.transitions.push({ seq: this.nextSeq, at: Date.now(), task, to });
  }

  // ---------------------------------------------------------------- ALTER

  private alter(c: Cursor, session: { database?: string; schema?: string }): CatalogAnswer | undefined {
    const { what, ifExists, parts } = objectHead(c);
    if (!parts) return undefined;
    switch (what) {
      case "TASK":
        return this.alterTask(c, qualify(parts, session.database, session.schema), ifExists);
      case "DATABASE": {
        const db = this.databases.get(parts[0]);
        if (!db) return ifExists ? OK : missing("Database", parts[0]);
        if (c.accept("RENAME", "TO")) {
          const to = c.name()!.join(".");
          if (this.databases.has(to)) return exists(to);
          this.databases.delete(parts[0]);
          this.databases.set(to, { ...db, name: to });
          this.movePrefix(`${parts[0]}.`, `${to}.`);
          return OK;
        }
        setOrUnsetComment(c, db);
        return OK;
      }
      case "SCHEMA": {
        const key = parts.length === 2 ? parts.join(".") : `${session.database}.${parts[0]}`;
        const schema = this.schemas.get(key);
        if (!schema) return ifExists ? OK : missing("Schema", parts.join("."));
        if (c.accept("RENAME", "TO")) {
          const target = c.name()!;
          const to = target.length === 2 ? target.join(".") : `${schema.database}.${target[0]}`;
          if (this.schemas.has(to)) return exists(to);
          this.movePrefix(`${key}.`, `${to}.`);
          this.schemas.delete(key);
          this.schemas.set(to, { ...schema, database: to.split(".")[0], name: to.split(".")[1] });
          return OK;
        }
        setOrUnsetComment(c, schema);
        return OK;
      }
      case "WAREHOUSE": {
        const w = this.warehouses.get(parts[0]);
        if (!w) return ifExists ? OK : missing("Warehouse", parts[0]);
        if (c.accept("RENAME", "TO")) {
          const to = c.name()!.join(".");
          if (this.warehouses.has(to)) return exists(to);
          this.warehouses.delete(parts[0]);
          this.warehouses.set(to, { ...w, name: to });
          for (const g of this.grants) if (g.grantedOn === "WAREHOUSE" && g.name === parts[0]) g.name = to;
          return OK;
        }
        if (c.accept("SUSPEND")) w.state = "SUSPENDED";
        else if (c.accept("RESUME")) w.state = "STARTED";
        else if (c.accept("SET")) {
          const p = readProperties(c);
          if (p.WAREHOUSE_SIZE !== undefined) w.size = p.WAREHOUSE_SIZE.replace(/'/g, "").toUpperCase();
          if (p.AUTO_SUSPEND !== undefined) w.autoSuspend = Number(p.AUTO_SUSPEND);
          if (p.AUTO_RESUME !== undefined) w.autoResume = p.AUTO_RESUME.toUpperCase() === "TRUE";
          if (p.COMMENT !== undefined) w.comment = stringValue(p.COMMENT);
        }
        return OK;
      }
      case "STAGE": {
        const stage = this.stages.get(qualify(parts, session.database, session.schema));
        if (!stage) return ifExists ? OK : missing("Stage", parts.join("."));
        setOrUnsetComment(c, stage);
        return OK;
      }
      case "COMPUTE": {
        const pool = this.computePools.get(parts[0]);
        if (!pool) return ifExists ? OK : missing("Compute pool", parts[0]);
        if (c.accept("SUSPEND")) pool.state = "SUSPENDED";
        else if (c.accept("RESUME")) pool.state = "IDLE";
        else if (c.accept("STOP", "ALL")) return OK;
        else if (c.accept("SET")) Object.assign(pool.props, readProperties(c));
        else if (c.accept("UNSET")) for (const t of c.tokens.slice(c.i)) if (t.kind === "word") delete pool.props[t.text.toUpperCase()];
        return OK;
      }
      default:
        return undefined;
    }
  }

  /** ALTER TASK (https://docs.snowflake.com/en/sql-reference/sql/alter-task): one action per statement. */
  private alterTask(c: Cursor, fqn: string, ifExists: boolean): CatalogAnswer {
    const task = this.tasks.get(fqn);
    if (!task) return ifExists ? OK : missing("Task", fqn.split(".").pop()!);
    if (c.accept("RESUME")) {
      // Resuming a task that has a schedule and predecessors cannot happen here (CREATE refuses it).
      if (task.state !== "started") {
        task.state = "started";
        this.transition(fqn, "started");
      }
      return OK;
    }
    if (c.accept("SUSPEND")) {
      if (task.state !== "suspended") {
        task.state = "suspended";
        task.lastSuspendedOn = Date.now();
        this.transition(fqn, "suspended");
      }
      return OK;
    }
    const root = this.rootOf(fqn);
    const [database, schema] = fqn.split(".");
    if (c.accept("ADD", "AFTER") || c.accept("REMOVE", "AFTER")) {
      const adding = c.tokens[c.i - 2].text.toUpperCase() === "ADD";
      const names: string[] = [];
      while (!c.done) {
        const parts = c.name();
        if (!parts) break;
        names.push(qualify(parts, database, schema));
        if (c.peek()?.text === ",") c.i++;
      }
      for (const p of names) {
        if (!this.tasks.has(p)) return missing("Task", p.split(".").pop()!);
        if (adding && this.tasks.get(p)!.finalize) return invalid(`Finalizer task '${p.split(".").pop()}' cannot have child tasks.`);
      }
      if (adding && task.finalize) return invalid("A finalizer task cannot have predecessors.");
      const roots = [root, ...names.map((p) => this.rootOf(p))];
      const refusal = this.guardGraph(c.sql, fqn, [...new Set(roots)], "alter");
      if (refusal) return refusal;
      task.predecessors = adding ? [...task.predecessors, ...names.filter((n) => !task.predecessors.includes(n))] : task.predecessors.filter((p) => !names.includes(p));
      return OK;
    }
    if (c.accept("SET", "FINALIZE")) {
      if (c.peek()?.text === "=") c.i++;
      const target = qualify(c.name() ?? [], database, schema);
      if (!this.tasks.has(target)) return missing("Task", target.split(".").pop()!);
      const other = this.finalizerOf(target);
      if (other && `${other.database}.${other.schema}.${other.name}` !== fqn) {
        return invalid(`Root task '${target.split(".").pop()}' already has finalizer task '${other.name}'; a root task can have only one finalizer.`);
      }
      if (task.predecessors.length > 0) return invalid("A finalizer task cannot have predecessors.");
      const refusal = this.guardGraph(c.sql, fqn, [...new Set([root, target])], "alter");
      if (refusal) return refusal;
      task.finalize = target;
      return OK;
    }
    if (c.accept("UNSET", "FINALIZE")) {
      const refusal = this.guardGraph(c.sql, fqn, [root], "alter");
      if (refusal) return refusal;
      task.finalize = undefined;
      return OK;
    }
    const refusal = this.guardGraph(c.sql, fqn, [root], "alter");
    if (refusal) return refusal;
    if (c.accept("MODIFY", "AS")) {
      task.definition = c.sql.slice(c.tokens[c.i - 1].end).trim();
      return OK;
    }
    if (c.accept("MODIFY", "WHEN")) {
      task.condition = c.sql.slice(c.tokens[c.i - 1].end).trim();
      return OK;
    }
    if (c.accept("REMOVE", "WHEN")) {
      task.condition = undefined;
      return OK;
    }
    if (c.accept("SET")) {
      applyTaskProps(task, readProperties(c));
      return OK;
    }
    if (c.accept("UNSET")) {
      for (const t of c.tokens.slice(c.i)) {
        if (t.kind !== "word") continue;
        const key = t.text.toUpperCase();
        if (key === "WAREHOUSE") task.warehouse = undefined;
        else if (key === "SCHEDULE") task.schedule = undefined;
        else if (key === "CONFIG") task.config = undefined;
        else if (key === "COMMENT") task.comment = undefined;
        else if (key === "ERROR_INTEGRATION") task.errorIntegration = undefined;
        else if (key === "ALLOW_OVERLAPPING_EXECUTION") task.allowOverlappingExecution = false;
        else delete task.parameters[key];
      }
      return OK;
    }
    return invalid(`unsupported ALTER TASK action: ${c.rest()}`);
  }

  /**
   * Renaming a database or schema renames what is in it: schemas, stages, tasks (and the task
   * references between them) and the grants on them
   * (https://docs.snowflake.com/en/sql-reference/sql/alter-database, alter-schema: RENAME TO).
   */
  private movePrefix(from: string, to: string) {
    const moved = (name: string) => (name.startsWith(from) ? to + name.slice(from.length) : name);
    for (const [key, schema] of [...this.schemas]) {
      if (!key.startsWith(from)) continue;
      this.schemas.delete(key);
      const next = moved(key);
      this.schemas.set(next, { ...schema, database: next.split(".")[0], name: next.split(".")[1] });
    }
    for (const [key, stage] of [...this.stages]) {
      if (!key.startsWith(from)) continue;
      this.stages.delete(key);
      const [database, schema, name] = moved(key).split(".");
      this.stages.set(moved(key), { ...stage, database, schema, name });
      this.options.onStageRenamed?.(key, moved(key));
    }
    for (const [key, task] of [...this.tasks]) {
      task.predecessors = task.predecessors.map(moved);
      if (task.finalize) task.finalize = moved(task.finalize);
      if (!key.startsWith(from)) continue;
      this.tasks.delete(key);
      const [database, schema] = moved(key).split(".");
      this.tasks.set(moved(key), Object.assign(task, { database, schema }));
    }
    for (const g of this.grants) {
      if (g.grantedOn === "DATABASE" && `${g.name}.` === from) g.name = to.slice(0, -1);
      else g.name = moved(g.name);
    }
  }

  // ---------------------------------------------------------------- DROP

  private drop(c: Cursor, session: { database?: string; schema?: string }): CatalogAnswer | undefined {
    const { what, ifExists, parts } = objectHead(c);
    if (!parts) return undefined;
    switch (what) {
      case "DATABASE": {
        if (!this.databases.has(parts[0])) return ifExists ? OK : missing("Database", parts[0]);
        for (const key of [...this.schemas.keys()]) if (key.startsWith(`${parts[0]}.`)) this.dropSchema(key);
        this.databases.delete(parts[0]);
        return OK;
      }
      case "SCHEMA": {
        const key = parts.length === 2 ? parts.join(".") : `${session.database}.${parts[0]}`;
        if (!this.schemas.has(key)) return ifExists ? OK : missing("Schema", parts.join("."));
        this.dropSchema(key);
        return OK;
      }
      case "WAREHOUSE":
        if (!this.warehouses.delete(parts[0]) && !ifExists) return missing("Warehouse", parts[0]);
        return OK;
      case "STAGE": {
        const fqn = qualify(parts, session.database, session.schema);
        if (!this.stages.has(fqn)) return ifExists ? OK : missing("Stage", parts.join("."));
        this.stages.delete(fqn);
        this.options.onStageDropped?.(fqn);
        return OK;
      }
      case "COMPUTE":
        if (!this.computePools.delete(parts[0]) && !ifExists) return missing("Compute pool", parts[0]);
        return OK;
      case "ROLE":
        if (!this.roles.delete(parts[0]) && !ifExists) return missing("Role", parts[0]);
        return OK;
      case "TASK": {
        const fqn = qualify(parts, session.database, session.schema);
        if (!this.tasks.has(fqn)) return ifExists ? OK : missing("Task", parts.join("."));
        const refusal = this.guardGraph(c.sql, fqn, [this.rootOf(fqn)], "drop");
        if (refusal) return refusal;
        this.dropTask(fqn);
        return OK;
      }
      default:
        return undefined;
    }
  }

  /**
   * Drops a task. Its successors lose it as a predecessor (one left with none becomes a standalone
   * task, suspended), and a finalizer of it is no longer attached
   * (https://docs.snowflake.com/en/sql-reference/sql/drop-task usage notes).
   */
  private dropTask(fqn: string) {
    this.tasks.delete(fqn);
    this.transition(fqn, "dropped");
    for (const t of this.tasks.values()) {
      const key = `${t.database}.${t.schema}.${t.name}`;
      if (t.predecessors.includes(fqn)) {
        t.predecessors = t.predecessors.filter((p) => p !== fqn);
        if (t.predecessors.length === 0 && t.state === "started") {
          t.state = "suspended";
          this.transition(key, "suspended");
        }
      }
      if (t.finalize === fqn) t.finalize = undefined;
    }
  }

  private dropSchema(key: string) {
    for (const [fqn] of [...this.tasks]) if (fqn.startsWith(`${key}.`)) this.dropTask(fqn);
    for (const [fqn] of [...this.stages]) {
      if (fqn.startsWith(`${key}.`)) {
        this.stages.delete(fqn);
        this.options.onStageDropped?.(fqn);
      }
    }
    this.schemas.delete(key);
  }

  // ---------------------------------------------------------------- GRANT / REVOKE

  /**
   * GRANT <privileges> ON <object type> <name> TO ROLE <role> and its REVOKE
   * (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege): the role and the object must exist.
   */
  private grant(c: Cursor, granting: boolean): CatalogAnswer | undefined {
    const on = c.tokens.findIndex((t, k) => k >= c.i && t.kind === "word" && t.text.toUpperCase() === "ON");
    const target = c.tokens.findIndex((t, k) => k > on && t.kind === "word" && t.text.toUpperCase() === (granting ? "TO" : "FROM"));
    if (on < 0 || target < 0) return undefined;
    const privileges = c.sql
      .slice(c.tokens[c.i].start, c.tokens[on].start)
      .split(",")
      .map((p) => p.trim().toUpperCase().replace(/\s+/g, " "))
      .filter(Boolean);
    const { type, name } = typeAndName(c.tokens.slice(on + 1, target));
    c.i = target + 1;
    c.accept("ROLE");
    const role = c.name()?.join(".") ?? "";
    if (!this.roles.has(role)) return missing("Role", role);
    if (!this.objectExists(type, name)) return missing(type.replace(/_/g, " ").toLowerCase().replace(/^./, (x) => x.toUpperCase()), name);
    for (const privilege of privileges) {
      const index = this.grants.findIndex((g) => g.privilege === privilege && g.grantedOn === type && g.name === name && g.role === role);
      if (granting && index < 0) this.grants.push({ privilege, grantedOn: type, name, role });
      if (!granting && index >= 0) this.grants.splice(index, 1);
    }
    return OK;
  }

  private objectExists(type: string, name: string): boolean {
    switch (type) {
      case "DATABASE":
        return this.databases.has(name);
      case "SCHEMA":
        return this.schemas.has(name);
      case "WAREHOUSE":
        return this.warehouses.has(name);
      case "COMPUTE_POOL":
        return this.computePools.has(name);
      case "INTEGRATION":
        return this.integrations.has(name);
      case "STAGE":
        return this.stages.has(name);
      default:
        return true;
    }
  }

  /** Whether a stage location `@DB.SCHEMA.STAGE/…` names a stage that exists. */
  stageExists(stageFqn: string): boolean {
    return this.stages.has(stageFqn);
  }

  /** A readable summary: every object by kind (for assertions and the separate-process control API). */
  snapshot() {
    return {
      databases: [...this.databases.keys()].sort(),
      schemas: [...this.schemas.keys()].sort(),
      warehouses: [...this.warehouses.keys()].sort(),
      stages: [...this.stages.keys()].sort(),
      computePools: [...this.computePools.keys()].sort(),
      roles: [...this.roles].sort(),
      grants: this.grants.map((g) => `${g.privilege} ON ${g.grantedOn} ${g.name} TO ${g.role}`).sort(),
      tasks: Object.fromEntries(
        [...this.tasks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([fqn, t]) => [
          fqn,
          { state: t.state, predecessors: t.predecessors, finalize: t.finalize, schedule: t.schedule, condition: t.condition, config: t.config, warehouse: t.warehouse, definition: t.definition, parameters: t.parameters },
        ]),
      ),
    };
  }
}

/** The object kind, IF EXISTS and the name after ALTER or DROP (`COMPUTE POOL` is one kind, "COMPUTE"). */
function objectHead(c: Cursor): { what?: string; ifExists: boolean; parts?: string[] } {
  const what = c.peek()?.text.toUpperCase();
  c.i++;
  if (what === "COMPUTE") c.accept("POOL");
  const ifExists = c.accept("IF", "EXISTS");
  return { what, ifExists, parts: c.name() };
}

/**
 * `COMPUTE POOL "X"` -> { type: "COMPUTE_POOL", name: "X" }: the name is the trailing dotted
 * identifier, the type every word before it (underscored, as SHOW GRANTS's granted_on has it).
 */
function typeAndName(tokens: Token[]): { type: string; name: string } {
  let start = tokens.length - 1;
  while (start >= 2 && tokens[start - 1].text === ".") start -= 2;
  return {
    type: tokens.slice(0, Math.max(start, 0)).map((t) => t.text.toUpperCase()).join("_"),
    name: readName(tokens, Math.max(start, 0))?.parts.join(".") ?? "",
  };
}

/** Snowflake shows sizes as `X-Small`, `Small`, … (https://docs.snowflake.com/en/sql-reference/sql/show-warehouses). */
function warehouseSizeShown(size: string): string {
  const map: Record<string, string> = { XSMALL: "X-Small", "X-SMALL": "X-Small", SMALL: "Small", MEDIUM: "Medium", LARGE: "Large", XLARGE: "X-Large", "X-LARGE": "X-Large" };
  return map[size.toUpperCase()] ?? size;
}

/**
 * `KEY = value` pairs from the cursor to the end (or to AFTER / WHEN / AS at the top level):
 * keys upper-cased, values as written (strings keep their quotes; stringValue() unquotes).
 */
function readProperties(c: Cursor, stopWords: string[] = []): Record<string, string> {
  const props: Record<string, string> = {};
  while (!c.done) {
    const t = c.peek()!;
    if (t.depth === 0 && t.kind === "word" && stopWords.includes(t.text.toUpperCase())) break;
    if (t.kind === "word" && c.peek(1)?.text === "=") {
      const key = t.text.toUpperCase();
      c.i += 2;
      const first = c.peek();
      if (!first) break;
      if (first.text === "(") {
        // ( … ) value, e.g. ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE')
        let k = c.i + 1;
        while (k < c.tokens.length && !(c.tokens[k].text === ")" && c.tokens[k].depth === first.depth)) k++;
        props[key] = c.sql.slice(first.start + 1, c.tokens[k]?.start ?? c.sql.length).trim();
        c.i = k + 1;
      } else {
        // A value is one token, or a dotted name.
        const name = first.kind === "word" || first.kind === "quoted" ? readName(c.tokens, c.i) : undefined;
        const end = name ? name.next : c.i + 1;
        props[key] = c.sql.slice(first.start, c.tokens[end - 1].end);
        c.i = end;
      }
      if (c.peek()?.text === ",") c.i++;
    } else {
      c.i++;
    }
  }
  return props;
}

/** The clauses of CREATE TASK after its name: properties, AFTER list, WHEN and the AS body. */
function readTaskClauses(c: Cursor): { props: Record<string, string>; after: string[][]; when?: string; body?: string } {
  const stop = ["AFTER", "WHEN", "AS"];
  const props = readProperties(c, stop);
  const after: string[][] = [];
  let when: string | undefined;
  let body: string | undefined;
  while (!c.done) {
    if (c.accept("AFTER")) {
      for (;;) {
        const parts = c.name();
        if (!parts) break;
        after.push(parts);
        if (c.peek()?.text === ",") c.i++;
        else break;
      }
    } else if (c.accept("WHEN")) {
      const start = c.peek()!.start;
      while (!c.done && !(c.peek()!.depth === 0 && c.is("AS"))) c.i++;
      when = c.sql.slice(start, c.peek()?.start ?? c.sql.length).trim();
    } else if (c.accept("AS")) {
      body = c.sql.slice(c.tokens[c.i - 1].end).trim();
      break;
    } else {
      Object.assign(props, readProperties(c, stop));
      if (!c.done && !stop.some((w) => c.is(w))) c.i++;
    }
  }
  return { props, after, when, body };
}

/** `SET … COMMENT = '…'` or `UNSET COMMENT` of an ALTER, on `target` (other properties are not kept). */
function setOrUnsetComment(c: Cursor, target: { comment?: string }) {
  if (c.accept("SET")) {
    const p = readProperties(c);
    if (p.COMMENT !== undefined) target.comment = stringValue(p.COMMENT);
  } else if (c.accept("UNSET") && c.rest().toUpperCase().includes("COMMENT")) {
    target.comment = "";
  }
}

/** Task properties of CREATE / ALTER … SET (parameters are kept as text at level TASK). */
function applyTaskProps(task: CatalogTask, props: Record<string, string>) {
  for (const [key, raw] of Object.entries(props)) {
    switch (key) {
      case "WAREHOUSE":
        task.warehouse = readName(tokenize(raw), 0)?.parts.join(".");
        break;
      case "SCHEDULE":
        task.schedule = stringValue(raw);
        break;
      case "CONFIG":
        task.config = stringValue(raw);
        break;
      case "COMMENT":
        task.comment = stringValue(raw);
        break;
      case "ALLOW_OVERLAPPING_EXECUTION":
        task.allowOverlappingExecution = raw.toUpperCase() === "TRUE";
        break;
      case "ERROR_INTEGRATION":
        task.errorIntegration = readName(tokenize(raw), 0)?.parts.join(".");
        break;
      case "FINALIZE":
        break;
      default:
        task.parameters[key] = stringValue(raw);
    }
  }
}

export { sqlLiteral, identifierValue };
