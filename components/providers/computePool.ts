/**
 * Snowpark Container Services compute pool as a dynamic provider (@pulumi/snowflake 1.3.0 has no
 * compute pool resource). Type token `pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool`.
 *
 * SQL (https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool and the ALTER, SHOW and
 * DROP COMPUTE POOL pages beside it):
 *   create  CREATE COMPUTE POOL <name> MIN_NODES = n MAX_NODES = n INSTANCE_FAMILY = f AUTO_RESUME = b AUTO_SUSPEND_SECS = n [COMMENT = '…']
 *   update  ALTER COMPUTE POOL <name> SET <changed properties>   (and/or ALTER COMPUTE POOL <name> UNSET COMMENT)
 *   read    SHOW COMPUTE POOLS LIKE '<name>'                      (no row with that exact name: gone)
 *   delete  ALTER COMPUTE POOL <name> STOP ALL; DROP COMPUTE POOL <name>
 * A new name or instance family replaces the pool, deleting the old one first (the name is fixed).
 *
 * The provider has the shape of snowflake/dynamicProvider.ts: credentials only from the stack
 * config through `configure`, one session per operation, failures named by resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { sqlString } from "../../lib/identifiers";
import { isUnknown, providerKit, show, type CheckFailure, type ProviderSessionOpener } from "../../snowflake/dynamicProvider";

/** The provider's inputs after `check` (defaults applied); the outputs are the same fields. */
export interface ComputePoolInputs {
  name: string;
  instanceFamily: string;
  minNodes: number;
  maxNodes: number;
  autoSuspendSecs: number;
  autoResume: boolean;
  comment?: string;
}

export interface ComputePoolArgs {
  name: pulumi.Input<string>;
  /** e.g. CPU_X64_XS, CPU_X64_S, HIGHMEM_X64_S, GPU_NV_S (SHOW COMPUTE POOL INSTANCE FAMILIES). */
  instanceFamily: pulumi.Input<string>;
  minNodes: pulumi.Input<number>;
  /** At least the largest ML Job targetInstances. */
  maxNodes: pulumi.Input<number>;
  /** 0 disables auto-suspend. */
  autoSuspendSecs: pulumi.Input<number>;
  /** Default true. */
  autoResume?: pulumi.Input<boolean>;
  comment?: pulumi.Input<string>;
}

const IDENTIFIER = /^[A-Z_][A-Z0-9_$]*$/;
const FIELDS = ["name", "instanceFamily", "minNodes", "maxNodes", "autoSuspendSecs", "autoResume", "comment"] as const;
const REPLACING = ["name", "instanceFamily"];

const bool = (b: boolean) => (b ? "TRUE" : "FALSE");

export function createComputePoolSql(p: ComputePoolInputs): string {
  return (
    `CREATE COMPUTE POOL ${p.name} MIN_NODES = ${p.minNodes} MAX_NODES = ${p.maxNodes} ` +
    `INSTANCE_FAMILY = ${p.instanceFamily} AUTO_RESUME = ${bool(p.autoResume)} AUTO_SUSPEND_SECS = ${p.autoSuspendSecs}` +
    (p.comment !== undefined ? ` COMMENT = ${sqlString(p.comment)}` : "")
  );
}

/** The ALTER statements that turn `olds` into `news` in place (empty when nothing changed). */
export function alterComputePoolSql(olds: ComputePoolInputs, news: ComputePoolInputs): string[] {
  const set: string[] = [];
  if (olds.minNodes !== news.minNodes) set.push(`MIN_NODES = ${news.minNodes}`);
  if (olds.maxNodes !== news.maxNodes) set.push(`MAX_NODES = ${news.maxNodes}`);
  if (olds.autoResume !== news.autoResume) set.push(`AUTO_RESUME = ${bool(news.autoResume)}`);
  if (olds.autoSuspendSecs !== news.autoSuspendSecs) set.push(`AUTO_SUSPEND_SECS = ${news.autoSuspendSecs}`);
  if (news.comment !== undefined && olds.comment !== news.comment) set.push(`COMMENT = ${sqlString(news.comment)}`);
  const statements = set.length > 0 ? [`ALTER COMPUTE POOL ${news.name} SET ${set.join(" ")}`] : [];
  if (news.comment === undefined && olds.comment !== undefined) statements.push(`ALTER COMPUTE POOL ${news.name} UNSET COMMENT`);
  return statements;
}

/** Applies defaults to stored or new properties (older state may lack autoResume; "" comment = none). */
function normalize(p: Record<string, any>): ComputePoolInputs {
  const out: ComputePoolInputs = {
    name: p.name,
    instanceFamily: p.instanceFamily,
    minNodes: p.minNodes,
    maxNodes: p.maxNodes,
    autoSuspendSecs: p.autoSuspendSecs,
    autoResume: p.autoResume ?? true,
  };
  if (p.comment !== undefined && p.comment !== null && p.comment !== "") out.comment = p.comment;
  return out;
}

/** Validation problems of new inputs; unknown (preview) values are not judged. */
export function computePoolProblems(p: Record<string, any>): CheckFailure[] {
  const problems: CheckFailure[] = [];
  const known = (v: unknown) => !isUnknown(v);
  if (known(p.name) && (typeof p.name !== "string" || !IDENTIFIER.test(p.name) || p.name.length > 255)) {
    problems.push({ property: "name", reason: `expected an unquoted upper-case identifier (^[A-Z_][A-Z0-9_$]*$), got ${show(p.name)}` });
  }
  if (known(p.instanceFamily) && (typeof p.instanceFamily !== "string" || !IDENTIFIER.test(p.instanceFamily))) {
    problems.push({ property: "instanceFamily", reason: `expected an instance family such as CPU_X64_S, got ${show(p.instanceFamily)}` });
  }
  for (const key of ["minNodes", "maxNodes"]) {
    if (known(p[key]) && !(Number.isInteger(p[key]) && p[key] >= 1)) {
      problems.push({ property: key, reason: `expected an integer >= 1, got ${show(p[key])}` });
    }
  }
  if (Number.isInteger(p.minNodes) && Number.isInteger(p.maxNodes) && p.minNodes > p.maxNodes) {
    problems.push({ property: "maxNodes", reason: `maxNodes (${p.maxNodes}) must be at least minNodes (${p.minNodes})` });
  }
  if (known(p.autoSuspendSecs) && !(Number.isInteger(p.autoSuspendSecs) && p.autoSuspendSecs >= 0)) {
    problems.push({ property: "autoSuspendSecs", reason: `expected an integer >= 0, got ${show(p.autoSuspendSecs)}` });
  }
  if (known(p.autoResume) && p.autoResume !== undefined && typeof p.autoResume !== "boolean") {
    problems.push({ property: "autoResume", reason: `expected true or false, got ${show(p.autoResume)}` });
  }
  if (known(p.comment) && p.comment !== undefined && p.comment !== null && typeof p.comment !== "string") {
    problems.push({ property: "comment", reason: `expected a string, got ${show(p.comment)}` });
  }
  return problems;
}

/** Maps a SHOW COMPUTE POOLS row back to the provider's properties. */
function fromShowRow(row: Record<string, unknown>): ComputePoolInputs {
  const flag = (v: unknown) => v === true || String(v).toLowerCase() === "true";
  const out: ComputePoolInputs = {
    name: String(row.name),
    instanceFamily: String(row.instance_family),
    minNodes: Number(row.min_nodes),
    maxNodes: Number(row.max_nodes),
    autoSuspendSecs: Number(row.auto_suspend_secs),
    autoResume: flag(row.auto_resume),
  };
  if (row.comment !== undefined && row.comment !== null && row.comment !== "") out.comment = String(row.comment);
  return out;
}

/** The new inputs with defaults applied (autoResume true; an empty comment is none). */
function checkedInputs(news: Record<string, any>): Record<string, any> {
  const inputs: Record<string, any> = { ...news, autoResume: news.autoResume ?? true };
  if (inputs.comment === undefined || inputs.comment === null || inputs.comment === "") delete inputs.comment;
  return inputs;
}

/** A new name or instance family replaces the pool, deleting the old one first (the name is fixed). */
export function computePoolDiff(olds: Record<string, any>, news: Record<string, any>): pulumi.dynamic.DiffResult {
  const before = normalize(olds);
  const after = normalize(news);
  const changed = FIELDS.filter((f) => before[f] !== after[f]);
  const replaces = changed.filter((f) => REPLACING.includes(f));
  return replaces.length > 0 ? { changes: true, replaces, deleteBeforeReplace: true } : { changes: changed.length > 0 };
}

/**
 * Builds the provider. Pulumi uses `computePoolProvider` (sessions from `configure`); tests pass
 * `openSession` to run the methods against the Snowflake stub.
 */
export function createComputePoolProvider(openSession?: ProviderSessionOpener) {
  const kit = providerKit("ComputePool", openSession);

  const provider = {
    configure: kit.configure,

    async check(_olds: Record<string, any>, news: Record<string, any>) {
      return kit.checked(checkedInputs(news), computePoolProblems(news));
    },

    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      return computePoolDiff(olds, news);
    },

    async create(inputs: Record<string, any>) {
      const outs = normalize(inputs);
      await kit.withSession(outs.name, (s) => s.execute(createComputePoolSql(outs)));
      return { id: outs.name, outs };
    },

    async update(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const outs = normalize(news);
      const statements = alterComputePoolSql(normalize(olds), outs);
      if (statements.length > 0) {
        await kit.withSession(outs.name, async (s) => {
          for (const sql of statements) await s.execute(sql);
        });
      }
      return { outs };
    },

    async read(id: string, props: Record<string, any>) {
      const name = props?.name ?? id;
      const rows = await kit.withSession(name, (s) => s.execute(`SHOW COMPUTE POOLS LIKE ${sqlString(name)}`));
      const row = rows.find((r) => r.name === name);
      return row ? { id: name, props: fromShowRow(row) } : {};
    },

    async delete(id: string, props: Record<string, any>) {
      const name = props?.name ?? id;
      await kit.withSession(name, async (s) => {
        try {
          await s.execute(`ALTER COMPUTE POOL ${name} STOP ALL`);
        } catch (err) {
          // Already gone (002003: does not exist or not authorized): nothing to delete.
          if ((err as { code?: string }).code === "002003") return;
          throw err;
        }
        await s.execute(`DROP COMPUTE POOL ${name}`);
      });
    },
  };
  return provider;
}

/** The one provider object Pulumi serializes for every ComputePool (cached by identity). */
export const computePoolProvider = createComputePoolProvider();

export class ComputePool extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly instanceFamily: pulumi.Output<string>;
  declare readonly minNodes: pulumi.Output<number>;
  declare readonly maxNodes: pulumi.Output<number>;
  declare readonly autoSuspendSecs: pulumi.Output<number>;
  declare readonly autoResume: pulumi.Output<boolean>;
  declare readonly comment: pulumi.Output<string | undefined>;

  constructor(name: string, args: ComputePoolArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      computePoolProvider,
      name,
      { ...args, autoResume: args.autoResume ?? true, comment: args.comment },
      opts,
      "snowflake-ml-pipeline",
      "ComputePool",
    );
  }
}
