/**
 * A pipeline source's data-quality expectations as a dynamic provider: data metric functions
 * (DMFs) with expectations on the source table or view (@pulumi/snowflake 1.3.0 has no resource
 * for them). Type token `pulumi-nodejs:dynamic/snowflake-ml-pipeline:DataQualityExpectations`.
 *
 * SQL (lib/dataQuality/expectations.ts builds it; https://docs.snowflake.com/en/user-guide/data-quality-working,
 * https://docs.snowflake.com/en/user-guide/data-quality-expectations):
 *   every operation  SHOW OBJECTS LIKE '<NAME>' IN SCHEMA <DB>.<SCHEMA>   (the source's kind: TABLE or VIEW)
 *   create           CREATE OR REPLACE DATA METRIC FUNCTION … (custom metrics)
 *                    ALTER <kind> <source> SET DATA_METRIC_SCHEDULE = '<schedule>'
 *                    ALTER <kind> <source> ADD DATA METRIC FUNCTION <dmf> ON (<cols>) EXPECTATION <name> (<expr>)
 *   update           DROP (below) of the expectations removed or changed, then create of the new or changed ones;
 *                    SET DATA_METRIC_SCHEDULE when it changed
 *   delete           ALTER <kind> <source> DROP DATA METRIC FUNCTION <dmf> ON (<cols>); DROP FUNCTION IF EXISTS <custom dmf>(TABLE(<types>))
 *
 * A source that does not exist yet (a stack whose first run loads the sample data) gets nothing
 * attached: the outputs say `attached: false`, and every later preview shows an update until the
 * source exists and the expectations are attached. The gate (pipeline-code tasks/check_data_quality.py)
 * refuses to pass declared expectations that are not attached to an existing source.
 *
 * The provider has the shape of snowflake/dynamicProvider.ts: credentials only from the stack
 * config through `configure`, one session per operation, failures named by resource.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  addExpectationSql,
  createCustomDmfSql,
  dropCustomDmfSql,
  dropExpectationSql,
  scheduleProblem,
  setScheduleSql,
  type AttachedExpectation,
  type SourceKind,
} from "../../lib/dataQuality/expectations";
import { sqlString } from "../../lib/identifiers";
import { isUnknown, providerKit, show, type CheckFailure, type ProviderSessionOpener } from "../../snowflake/dynamicProvider";
import type { SqlSession } from "../../snowflake/session";

export interface DataQualityExpectationsInputs {
  /** DB.SCHEMA.NAME of the table or view. */
  source: string;
  schedule: string;
  expectations: AttachedExpectation[];
}

export interface DataQualityExpectationsOutputs extends DataQualityExpectationsInputs {
  /** False while the source does not exist (nothing attached). */
  attached: boolean;
  kind?: SourceKind;
}

export interface DataQualityExpectationsArgs {
  source: pulumi.Input<string>;
  schedule: pulumi.Input<string>;
  expectations: pulumi.Input<AttachedExpectation[]>;
}

const SOURCE = /^[A-Z_][A-Z0-9_$]*\.[A-Z_][A-Z0-9_$]*\.[A-Z_][A-Z0-9_$]*$/;

export function dataQualityProblems(p: Record<string, any>): CheckFailure[] {
  const problems: CheckFailure[] = [];
  if (!isUnknown(p.source) && (typeof p.source !== "string" || !SOURCE.test(p.source))) {
    problems.push({ property: "source", reason: `expected DB.SCHEMA.NAME of a table or view (unquoted upper-case identifiers), got ${show(p.source)}` });
  }
  if (!isUnknown(p.schedule)) {
    const problem = scheduleProblem(p.schedule);
    if (problem) problems.push({ property: "schedule", reason: problem });
  }
  if (!isUnknown(p.expectations) && (!Array.isArray(p.expectations) || p.expectations.length === 0)) {
    problems.push({ property: "expectations", reason: `expected at least one expectation, got ${show(p.expectations)}` });
  }
  return problems;
}

/** SHOW OBJECTS finds tables and views by name; LIKE treats `_` as a wildcard, so the row is matched exactly. */
export function showSourceSql(source: string): string {
  const [db, schema, name] = source.split(".");
  return `SHOW OBJECTS LIKE ${sqlString(name)} IN SCHEMA ${db}.${schema}`;
}

/** TABLE or VIEW of the exact-name row; undefined when absent; throws for kinds DMFs do not support. */
export function sourceKind(source: string, rows: Record<string, unknown>[]): SourceKind | undefined {
  const name = source.split(".")[2];
  const row = rows.find((r) => r.name === name);
  if (!row) return undefined;
  const kind = String(row.kind ?? "").toUpperCase();
  if (kind === "TABLE" || kind === "VIEW") return kind;
  throw new Error(
    `${source} is a ${kind || "object of unknown kind"}; data metric functions attach to tables and views only ` +
      "(https://docs.snowflake.com/en/user-guide/data-quality-intro)",
  );
}

const key = (e: AttachedExpectation) => JSON.stringify([e.name, e.dmf, e.on, e.expression, e.custom ?? null]);

/** The statements that attach `expectations` (custom DMFs first, then the schedule, then one ADD per expectation). */
export function attachSql(kind: SourceKind, source: string, schedule: string | undefined, expectations: AttachedExpectation[]): string[] {
  const statements: string[] = [];
  for (const e of expectations) {
    const create = createCustomDmfSql(e);
    if (create) statements.push(create);
  }
  if (schedule !== undefined) statements.push(setScheduleSql(kind, source, schedule));
  for (const e of expectations) statements.push(addExpectationSql(kind, source, e));
  return statements;
}

/** The statements that detach `expectations` and drop their custom DMFs. */
export function detachSql(kind: SourceKind, source: string, expectations: AttachedExpectation[]): string[] {
  const statements = expectations.map((e) => dropExpectationSql(kind, source, e));
  for (const e of expectations) {
    const drop = dropCustomDmfSql(e);
    if (drop) statements.push(drop);
  }
  return statements;
}

/** An update from attached `olds` to `news` on the same source: detach what went or changed, attach what came or changed. */
export function updateSql(kind: SourceKind, olds: DataQualityExpectationsInputs, news: DataQualityExpectationsInputs): string[] {
  const before = new Map(olds.expectations.map((e) => [key(e), e]));
  const after = new Map(news.expectations.map((e) => [key(e), e]));
  const removed = olds.expectations.filter((e) => !after.has(key(e)));
  const added = news.expectations.filter((e) => !before.has(key(e)));
  return [...detachSql(kind, olds.source, removed), ...attachSql(kind, news.source, olds.schedule === news.schedule ? undefined : news.schedule, added)];
}

export function dataQualityDiff(olds: Record<string, any>, news: Record<string, any>): pulumi.dynamic.DiffResult {
  if (olds.source !== news.source) return { changes: true, replaces: ["source"], deleteBeforeReplace: true };
  const changed = olds.attached === false || olds.schedule !== news.schedule || JSON.stringify(olds.expectations) !== JSON.stringify(news.expectations);
  return { changes: changed };
}

async function run(session: SqlSession, statements: string[]): Promise<void> {
  for (const sql of statements) await session.execute(sql);
}

export function createDataQualityProvider(openSession?: ProviderSessionOpener) {
  const kit = providerKit("DataQualityExpectations", openSession);
  const inputsOf = (p: Record<string, any>): DataQualityExpectationsInputs => ({ source: p.source, schedule: p.schedule, expectations: p.expectations });

  const attach = async (inputs: DataQualityExpectationsInputs): Promise<DataQualityExpectationsOutputs> =>
    kit.withSession(inputs.source, async (s) => {
      const kind = sourceKind(inputs.source, await s.execute(showSourceSql(inputs.source)));
      if (!kind) return { ...inputs, attached: false };
      await run(s, attachSql(kind, inputs.source, inputs.schedule, inputs.expectations));
      return { ...inputs, attached: true, kind };
    });

  return {
    configure: kit.configure,

    async check(_olds: Record<string, any>, news: Record<string, any>) {
      return kit.checked(news, dataQualityProblems(news));
    },

    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      return dataQualityDiff(olds, news);
    },

    async create(inputs: Record<string, any>) {
      const outs = await attach(inputsOf(inputs));
      return { id: outs.source, outs };
    },

    async update(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const next = inputsOf(news);
      if (olds.attached !== true) return { outs: await attach(next) };
      const outs = await kit.withSession(next.source, async (s) => {
        const kind = sourceKind(next.source, await s.execute(showSourceSql(next.source)));
        if (!kind) return { ...next, attached: false };
        await run(s, updateSql(kind, inputsOf(olds), next));
        return { ...next, attached: true, kind };
      });
      return { outs };
    },

    async delete(_id: string, props: Record<string, any>) {
      if (props.attached !== true) return;
      const inputs = inputsOf(props);
      await kit.withSession(inputs.source, async (s) => {
        const kind = sourceKind(inputs.source, await s.execute(showSourceSql(inputs.source)));
        if (!kind) return; // the source is gone, and its associations with it
        await run(s, detachSql(kind, inputs.source, inputs.expectations));
      });
    },
  };
}

/** The one provider object Pulumi serializes for every DataQualityExpectations (cached by identity). */
export const dataQualityProvider = createDataQualityProvider();

export class DataQualityExpectations extends pulumi.dynamic.Resource {
  declare readonly source: pulumi.Output<string>;
  declare readonly schedule: pulumi.Output<string>;
  declare readonly expectations: pulumi.Output<AttachedExpectation[]>;
  declare readonly attached: pulumi.Output<boolean>;

  constructor(name: string, args: DataQualityExpectationsArgs, opts?: pulumi.CustomResourceOptions) {
    super(dataQualityProvider, name, { ...args, attached: undefined, kind: undefined }, opts, "snowflake-ml-pipeline", "DataQualityExpectations");
  }
}
