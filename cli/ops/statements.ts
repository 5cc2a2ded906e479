/**
 * Running a planned sequence of statements the way every changing command does: in order, each
 * result recorded, stopping at the first one Snowflake refuses (the rest stay "not run").
 */
import type { ResilientSession } from "./session";

export interface StatementResult {
  sql: string;
  ok: boolean | null;
  error: string | null;
}

/** Runs `results` in order; the index of the refused statement, or undefined when all ran. */
export async function runUntilRefused(session: Pick<ResilientSession, "execute">, results: StatementResult[]): Promise<number | undefined> {
  for (const [i, result] of results.entries()) {
    try {
      await session.execute(result.sql);
      result.ok = true;
    } catch (err) {
      result.ok = false;
      result.error = (err as Error).message;
      return i;
    }
  }
  return undefined;
}
