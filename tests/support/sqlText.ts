/**
 * Just enough SQL reading for the Snowflake stand-in (snowflakeCatalog.ts): identifiers, string
 * literals, `$$…$$` blocks, comments and parentheses, so a statement's clauses can be found at its
 * top level. Identifier rules: https://docs.snowflake.com/en/sql-reference/identifiers-syntax
 * (unquoted: stored upper case; double-quoted: kept exactly, `""` is a quote).
 */

export interface Token {
  text: string;
  start: number;
  end: number;
  kind: "word" | "quoted" | "string" | "dollar" | "number" | "punct";
  /** Parenthesis depth at the token (0: top level). */
  depth: number;
}

/** Splits `sql` into tokens, skipping whitespace and comments. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let depth = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    const start = i;
    if (c === "'") {
      i++;
      while (i < sql.length) {
        if (sql[i] === "\\") i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
      tokens.push({ text: sql.slice(start, i), start, end: i, kind: "string", depth });
      continue;
    }
    if (c === "$" && sql[i + 1] === "$") {
      const close = sql.indexOf("$$", i + 2);
      i = close < 0 ? sql.length : close + 2;
      tokens.push({ text: sql.slice(start, i), start, end: i, kind: "dollar", depth });
      continue;
    }
    if (c === '"') {
      i++;
      while (i < sql.length) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      i++;
      tokens.push({ text: sql.slice(start, i), start, end: i, kind: "quoted", depth });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i])) i++;
      tokens.push({ text: sql.slice(start, i), start, end: i, kind: "word", depth });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < sql.length && /[0-9.]/.test(sql[i])) i++;
      tokens.push({ text: sql.slice(start, i), start, end: i, kind: "number", depth });
      continue;
    }
    // A parenthesis carries the depth outside it, like the tokens around it.
    if (c === ")") depth = Math.max(0, depth - 1);
    tokens.push({ text: c, start, end: i + 1, kind: "punct", depth });
    if (c === "(") depth++;
    i++;
  }
  return tokens;
}

/** The value of one identifier token: unquoted upper-cased, quoted as written. */
export function identifierValue(token: Token): string {
  return token.kind === "quoted" ? token.text.slice(1, -1).replace(/""/g, '"') : token.text.toUpperCase();
}

/** The value of a string literal `'…'` (`''` and backslash escapes undone). */
export function stringValue(text: string): string {
  if (text.startsWith("$$")) return text.slice(2, -2);
  if (!text.startsWith("'")) return text;
  return text.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, "$1");
}

/** `'text'` as a SQL string literal. */
export const sqlLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `"A"."B"."C"` for identifiers (how Snowflake's JSON columns name objects). */
export const quotedName = (...parts: string[]) => parts.map((p) => `"${p.replace(/"/g, '""')}"`).join(".");

/**
 * Reads a dotted object name at `tokens[at]`: returns its parts (1 to 3) and the index after it,
 * or undefined when no identifier is there.
 */
export function readName(tokens: Token[], at: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  let i = at;
  while (i < tokens.length && (tokens[i].kind === "word" || tokens[i].kind === "quoted")) {
    parts.push(identifierValue(tokens[i]));
    i++;
    if (tokens[i]?.text === "." && parts.length < 3) i++;
    else break;
  }
  return parts.length === 0 ? undefined : { parts, next: i };
}

/** Whether the words at `tokens[at…]` are `words` (case-insensitive, top level or not). */
export function wordsAt(tokens: Token[], at: number, ...words: string[]): boolean {
  return words.every((w, k) => tokens[at + k]?.kind === "word" && tokens[at + k].text.toUpperCase() === w);
}

/** A LIKE pattern as a RegExp: `%` any run, `_` any one character, case-insensitive. */
export function likePattern(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`, "is");
}
