/**
 * The model version aliases a pipeline may declare in its graph config: `promoted_alias` (the
 * version PROMOTE_MODEL made the default) and `previous_alias` (the version it replaced, which
 * `npm run pipeline -- rollback` makes the default again and CLEANUP keeps). Both or neither.
 *
 * Snowflake's rules (https://docs.snowflake.com/sql-reference/sql/alter-model): an alias is an
 * identifier, unique within the model, a version has at most one, and DEFAULT, FIRST and LAST are
 * system aliases. pipeline-code/mlpipeline/model_aliases.py checks the same rules at run time.
 */
import { describeValue } from "../identifiers";
import { GraphConfig } from "../types";

export const ALIAS_KEYS = { promoted: "promoted_alias", previous: "previous_alias" } as const;
export const SYSTEM_ALIASES = ["DEFAULT", "FIRST", "LAST"] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export interface ModelAliases {
  promoted: string;
  previous: string;
}

/** Why the graph config's alias keys cannot be used, or undefined. */
export function modelAliasProblem(config: GraphConfig): string | undefined {
  const promoted = config[ALIAS_KEYS.promoted];
  const previous = config[ALIAS_KEYS.previous];
  if (promoted === undefined && previous === undefined) return undefined;
  if (promoted === undefined || previous === undefined) {
    const [given, missing] = previous === undefined ? [ALIAS_KEYS.promoted, ALIAS_KEYS.previous] : [ALIAS_KEYS.previous, ALIAS_KEYS.promoted];
    return `graph config key '${given}' is set but '${missing}' is not; promotion moves both aliases, so set both or neither`;
  }
  for (const [key, value] of [[ALIAS_KEYS.promoted, promoted], [ALIAS_KEYS.previous, previous]] as const) {
    if (typeof value !== "string" || !IDENTIFIER.test(value)) {
      return `graph config key '${key}' must be an unquoted identifier (letters, digits, _ and $, not starting with a digit or $), got ${describeValue(value)}`;
    }
    if ((SYSTEM_ALIASES as readonly string[]).includes(value.toUpperCase())) {
      return `graph config key '${key}' must not be a system alias (${SYSTEM_ALIASES.join(", ")}), got ${describeValue(value)}`;
    }
  }
  if (String(promoted).toUpperCase() === String(previous).toUpperCase()) {
    return `graph config keys '${ALIAS_KEYS.promoted}' and '${ALIAS_KEYS.previous}' must differ (an alias names one version), both are ${describeValue(String(promoted).toUpperCase())}`;
  }
  return undefined;
}

/** The declared aliases (upper case, as Snowflake stores unquoted identifiers), or undefined when none are declared. */
export function modelAliasesOf(config: GraphConfig): ModelAliases | undefined {
  if (modelAliasProblem(config) !== undefined) return undefined;
  const promoted = config[ALIAS_KEYS.promoted];
  const previous = config[ALIAS_KEYS.previous];
  if (typeof promoted !== "string" || typeof previous !== "string") return undefined;
  return { promoted: promoted.toUpperCase(), previous: previous.toUpperCase() };
}
