/**
 * `rollback [--dry-run]`: make the version promotion replaced the model's default again, in one
 * command, after showing what changes.
 *
 * The model and its aliases come from the root task's CONFIG (SHOW TASKS `config`): registry_schema
 * and model_name name the model, promoted_alias and previous_alias the aliases PROMOTE_MODEL moves
 * (pipeline-code/mlpipeline/model_aliases.py). The version holding previous_alias becomes the
 * default and takes promoted_alias; the version rolled back from takes previous_alias, so CLEANUP
 * keeps it and a second rollback undoes the first.
 *
 *   SHOW TASKS IN SCHEMA <DB>.<SCHEMA>
 *   SHOW VERSIONS IN MODEL <model>              https://docs.snowflake.com/sql-reference/sql/show-versions-in-model
 *   ALTER MODEL <model> SET DEFAULT_VERSION = <previous>
 *   ALTER MODEL <model> VERSION <previous> UNSET ALIAS
 *   ALTER MODEL <model> VERSION <current> UNSET ALIAS
 *   ALTER MODEL <model> VERSION <previous> SET ALIAS = <promoted_alias>
 *   ALTER MODEL <model> VERSION <current> SET ALIAS = <previous_alias>
 *   SHOW VERSIONS IN MODEL <model>              (what Snowflake now says)
 *
 * ALTER MODEL: https://docs.snowflake.com/sql-reference/sql/alter-model (a version has at most one
 * alias and an alias names one version, hence UNSET before SET). The default moves first: from the
 * first statement on, the model serves the previous version, and neither version can be removed by
 * CLEANUP in between (one is the default, the other still aliased until its own UNSET, then aliased
 * again). The library issues the same statement forms (snowflake-ml-python 1.48.0,
 * snowflake/ml/model/_client/sql/model_version.py).
 */
import { identifierProblem } from "../../lib/identifiers";
import { ALIAS_KEYS, modelAliasesOf, SYSTEM_ALIASES, type ModelAliases } from "../../lib/config/modelAliases";
import { col, str, type Row } from "../../snowflake/rows";
import { loadGraph, snowflake, writeJson, type CommandContext } from "./context";
import { CliError, EXIT } from "./exitCodes";
import { runUntilRefused, type StatementResult } from "./statements";

export interface ModelVersion {
  name: string;
  /** The version's own aliases (system aliases left out), upper case. */
  aliases: string[];
  isDefault: boolean;
}

export function showVersionsSql(model: string): string {
  return `SHOW VERSIONS IN MODEL ${model}`;
}

export function setDefaultVersionSql(model: string, version: string): string {
  return `ALTER MODEL ${model} SET DEFAULT_VERSION = ${version}`;
}

export function setAliasSql(model: string, version: string, alias: string): string {
  return `ALTER MODEL ${model} VERSION ${version} SET ALIAS = ${alias}`;
}

export function unsetAliasSql(model: string, version: string): string {
  return `ALTER MODEL ${model} VERSION ${version} UNSET ALIAS`;
}

function aliasList(value: unknown): string[] {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = value.trim() ? [value] : [];
    }
  }
  return Array.isArray(parsed) ? parsed.map((a) => String(a).toUpperCase()).filter((a) => !(SYSTEM_ALIASES as readonly string[]).includes(a)) : [];
}

const truthy = (value: unknown) => value === true || String(value).trim().toLowerCase() === "true";

/** SHOW VERSIONS IN MODEL rows: `name`, `aliases` (ARRAY of VARCHAR), `is_default_version`. */
export function parseVersions(rows: Row[]): ModelVersion[] {
  return rows
    .map((row) => ({ name: str(row, "name") ?? "", aliases: aliasList(col(row, "aliases")), isDefault: truthy(col(row, "is_default_version")) }))
    .filter((v) => v.name !== "");
}

/** DB.SCHEMA.MODEL and the aliases, from the root task's CONFIG; a usage error says what is missing. */
export function modelOfConfig(config: Record<string, unknown> | undefined, root: string): { model: string; aliases: ModelAliases } {
  if (!config) throw new CliError(`root task ${root} shows no CONFIG (SHOW TASKS column config); is it deployed by this program?`, EXIT.USAGE);
  const schema = config.registry_schema;
  const name = config.model_name;
  const parts = typeof schema === "string" && typeof name === "string" ? [...schema.split("."), name].map((p) => p.toUpperCase()) : [];
  if (parts.length !== 3 || parts.some((p) => identifierProblem(p) !== undefined)) {
    throw new CliError(
      `root task ${root}: CONFIG registry_schema ${JSON.stringify(schema)} and model_name ${JSON.stringify(name)} do not name a model DB.SCHEMA.NAME`,
      EXIT.USAGE,
    );
  }
  const aliases = modelAliasesOf(config as Record<string, string>);
  if (!aliases) {
    throw new CliError(
      `root task ${root}: the pipeline declares no model aliases (graph config ${ALIAS_KEYS.promoted} and ${ALIAS_KEYS.previous}), so promotion did not record the version to roll back to. ` +
        `Declare them in pipeline.yaml config and deploy; until a promotion has run with them, set the default by hand (ALTER MODEL … SET DEFAULT_VERSION).`,
      EXIT.USAGE,
    );
  }
  return { model: parts.join("."), aliases };
}

export interface RollbackPlan {
  from: string;
  to: string;
  statements: string[];
}

/** The statements that make the holder of the previous alias the default; a reason when there is nothing to do. */
export function planRollback(model: string, versions: ModelVersion[], aliases: ModelAliases): RollbackPlan | { nothing: string } {
  const target = versions.find((v) => v.aliases.includes(aliases.previous));
  const current = versions.find((v) => v.isDefault);
  if (!target) return { nothing: `no version of ${model} has the alias ${aliases.previous}: there is no previous version to roll back to` };
  if (!current) return { nothing: `${model} shows no default version` };
  if (current.name === target.name) return { nothing: `${target.name} (${aliases.previous}) is already the default of ${model}` };
  const statements = [setDefaultVersionSql(model, target.name), unsetAliasSql(model, target.name)];
  if (current.aliases.length > 0) statements.push(unsetAliasSql(model, current.name));
  const holder = versions.find((v) => v.aliases.includes(aliases.promoted) && v.name !== current.name && v.name !== target.name);
  if (holder) statements.push(unsetAliasSql(model, holder.name));
  statements.push(setAliasSql(model, target.name, aliases.promoted), setAliasSql(model, current.name, aliases.previous));
  return { from: current.name, to: target.name, statements };
}

const describe = (v: ModelVersion) => `${v.name}${v.isDefault ? " (default)" : ""}${v.aliases.length ? ` alias ${v.aliases.join(", ")}` : ""}`;

export async function rollbackCommand(ctx: CommandContext, options: { dryRun: boolean }): Promise<number> {
  const { pc } = ctx;
  const graph = await loadGraph(ctx);
  const { model, aliases } = modelOfConfig(graph.root.config, graph.root.fullName);
  const before = parseVersions(await snowflake(ctx, () => ctx.session.execute(showVersionsSql(model))));
  const plan = planRollback(model, before, aliases);
  const shown = (v: ModelVersion[]) => v.filter((x) => x.isDefault || x.aliases.length > 0);

  if ("nothing" in plan) {
    if (ctx.global.json) writeJson(ctx.deps.stdout, { command: "rollback", model, exitCode: EXIT.NOTHING_TO_RETRY, nothing: plan.nothing, statements: [] });
    else ctx.deps.stdout.write(`${pc.bold(`Rollback of ${model}`)}\n  ${plan.nothing}\n`);
    return EXIT.NOTHING_TO_RETRY;
  }

  const results: StatementResult[] = plan.statements.map((sql) => ({ sql, ok: null, error: null }));
  const out: string[] = [
    pc.bold(`Rollback of ${model}: default ${plan.from} -> ${plan.to}`),
    ...shown(before).map((v) => `  now:   ${describe(v)}`),
    `  after: ${plan.to} (default) alias ${aliases.promoted}; ${plan.from} alias ${aliases.previous}`,
  ];
  if (!ctx.global.json) ctx.deps.stdout.write(`${out.join("\n")}\n${options.dryRun ? "Would run (--dry-run, nothing sent):" : "Running:"}\n`);

  const refused = options.dryRun ? false : (await runUntilRefused(ctx.session, results)) !== undefined;
  let after: ModelVersion[] | undefined;
  if (!options.dryRun) after = parseVersions(await snowflake(ctx, () => ctx.session.execute(showVersionsSql(model))));
  const restored = after?.find((v) => v.isDefault)?.name === plan.to;
  const code = options.dryRun ? EXIT.OK : refused || !restored ? EXIT.FAILED : EXIT.OK;

  if (ctx.global.json) {
    writeJson(ctx.deps.stdout, {
      command: "rollback",
      model,
      dryRun: options.dryRun,
      exitCode: code,
      from: plan.from,
      to: plan.to,
      statements: results,
      versions: after ? shown(after) : shown(before),
    });
    return code;
  }
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.ok === true ? pc.green("✔") : r.ok === false ? pc.red("✖") : pc.dim("-");
    lines.push(`  ${mark} ${r.sql}${r.ok === null && !options.dryRun ? pc.dim(" (not run)") : ""}`);
    if (r.error) lines.push(pc.red(`      ${r.error}`));
  }
  if (after) {
    lines.push("Now:");
    for (const v of shown(after)) lines.push(`  ${describe(v)}`);
  }
  if (refused) lines.push(pc.red("Snowflake refused a statement; later statements were not run."));
  else if (after && !restored) lines.push(pc.red(`The default is not ${plan.to} afterwards.`));
  ctx.deps.stdout.write(`${lines.join("\n")}\n`);
  return code;
}
