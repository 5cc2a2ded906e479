/**
 * Snowflake identifiers and SQL literals.
 *
 * Every name this program gives Snowflake is an explicit, unquoted, upper-case identifier
 * (docs/design.md "Names in Snowflake"): such a name is stored exactly as written, so plans,
 * SHOW output and SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<PIPELINE>$<TASK>') all agree without quoting.
 * Literals that embed user text go through sqlString or dollarQuote, never string concatenation.
 */

export const MAX_IDENTIFIER_LENGTH = 255;

const UNQUOTED_IDENTIFIER = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * Snowflake's reserved and limited keywords ("Reserved & limited keywords", docs.snowflake.com
 * sql-reference/reserved-keywords), plus ASOF and MATCH_CONDITION, which BCR 2024_01 made keywords.
 * A name on this list cannot be used unquoted everywhere (SHOW … IN <name>, FROM <name>, column
 * references), so it is refused rather than quoted: quoting would make the name case-sensitive and
 * break the "stored exactly as written" rule above.
 */
export const RESERVED_KEYWORDS: ReadonlySet<string> = new Set([
  "ACCOUNT", "ALL", "ALTER", "AND", "ANY", "AS", "ASOF",
  "BETWEEN", "BY",
  "CASE", "CAST", "CHECK", "COLUMN", "CONNECT", "CONNECTION", "CONSTRAINT", "CREATE", "CROSS",
  "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
  "DATABASE", "DELETE", "DISTINCT", "DROP",
  "ELSE", "EXISTS",
  "FALSE", "FOLLOWING", "FOR", "FROM", "FULL",
  "GRANT", "GROUP", "GSCLUSTER",
  "HAVING",
  "ILIKE", "IN", "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "ISSUE",
  "JOIN",
  "LATERAL", "LEFT", "LIKE", "LOCALTIME", "LOCALTIMESTAMP",
  "MATCH_CONDITION", "MINUS",
  "NATURAL", "NOT", "NULL",
  "OF", "ON", "OR", "ORDER", "ORGANIZATION",
  "QUALIFY",
  "REGEXP", "REVOKE", "RIGHT", "RLIKE", "ROW", "ROWS",
  "SAMPLE", "SCHEMA", "SELECT", "SET", "SOME", "START",
  "TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE", "TRY_CAST",
  "UNION", "UNIQUE", "UPDATE", "USING",
  "VALUES", "VIEW",
  "WHEN", "WHENEVER", "WHERE", "WINDOW", "WITH",
]);

/** True for a name Snowflake stores exactly as written without quotes, and that is not a keyword. */
export function isUnquotedIdentifier(s: string): boolean {
  return (
    typeof s === "string" &&
    s.length <= MAX_IDENTIFIER_LENGTH &&
    UNQUOTED_IDENTIFIER.test(s) &&
    !RESERVED_KEYWORDS.has(s)
  );
}

/** Renders any value for an error message: strings in JSON quotes, so blanks and case show. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value); // NaN and Infinity, which JSON would show as null
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") return `a ${typeof value}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Why value is not an unquoted identifier, or undefined when it is one. */
export function identifierProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !UNQUOTED_IDENTIFIER.test(value)) {
    return `expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got ${describeValue(value)}`;
  }
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    return `${describeValue(value)} is ${value.length} characters long; Snowflake identifiers are at most ${MAX_IDENTIFIER_LENGTH}`;
  }
  if (RESERVED_KEYWORDS.has(value)) {
    return `${describeValue(value)} is a Snowflake reserved keyword and cannot be used as an unquoted name; choose another name`;
  }
  return undefined;
}

/** A double-quoted identifier ("NAME"), inner double quotes doubled as Snowflake requires. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw new Error(`cannot quote ${describeValue(name)} as an identifier: it is empty`);
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    throw new Error(`cannot quote an identifier of ${name.length} characters; Snowflake identifiers are at most ${MAX_IDENTIFIER_LENGTH}`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** DB.SCHEMA.OBJECT from validated unquoted parts; throws naming the first bad part. */
export function qualifiedName(...parts: string[]): string {
  if (parts.length === 0) throw new Error("qualifiedName needs at least one name");
  parts.forEach((part, i) => {
    const problem = identifierProblem(part);
    if (problem) throw new Error(`part ${i + 1} of ${parts.length} of a qualified name: ${problem}`);
  });
  return parts.join(".");
}

/**
 * A single-quoted SQL string literal. Snowflake reads backslash escapes inside '…', so a backslash
 * is doubled first (it must stay a literal backslash), then each ' is doubled.
 */
export function sqlString(value: string): string {
  if (typeof value !== "string") throw new Error(`sqlString expects a string, got ${describeValue(value)}`);
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Why text cannot be the body of a $$…$$ literal (which has no escapes), or undefined.
 * The literal ends at the first "$$", so the text must not contain one, and must not end with "$"
 * (it would pair with the closing delimiter: $$a$$$ is the literal "a" followed by a stray "$").
 */
export function dollarQuoteProblem(text: string): string | undefined {
  if (typeof text !== "string") return `expected text, got ${describeValue(text)}`;
  if (text.includes("$$")) return 'contains "$$", which would end the $$…$$ literal it is embedded in; remove or split the "$$"';
  if (text.endsWith("$")) return 'ends with "$", which would merge with the closing "$$" of the $$…$$ literal it is embedded in';
  return undefined;
}

/** $$text$$, or throws with dollarQuoteProblem's message. */
export function dollarQuote(text: string): string {
  const problem = dollarQuoteProblem(text);
  if (problem) throw new Error(problem);
  return `$$${text}$$`;
}
