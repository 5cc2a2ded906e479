/**
 * Reading result rows: column names are matched case-insensitively, because SHOW output is lower
 * case and SELECT output upper case
 * (https://docs.snowflake.com/en/sql-reference/identifiers-syntax#label-identifier-casing).
 */
export type Row = Record<string, unknown>;

export function col(row: Row, name: string): unknown {
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(row)) if (key.toLowerCase() === lower) return row[key];
  return undefined;
}

/** The column as text; undefined when absent, NULL or empty. */
export function str(row: Row, name: string): string | undefined {
  const v = col(row, name);
  return v === undefined || v === null || v === "" ? undefined : String(v);
}

/** The column as a finite number; undefined when absent, NULL, empty or not a number. */
export function num(row: Row, name: string): number | undefined {
  const v = col(row, name);
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}
