/**
 * The CLI's Snowflake session: opened lazily, paced by a StatementBudget, and re-opened after a
 * connection-level failure (a dropped connection, a login that timed out), so one network blip
 * during a long poll does not end the command. SQL errors are passed through unchanged.
 */
import type { SqlSession } from "../../snowflake";
import type { StatementBudget } from "./pacing";

export type OpenSession = () => Promise<SqlSession>;

/** Error of a statement or login, with Snowflake's code when it has one. */
export type SqlError = Error & { code?: string; sqlState?: string };

/**
 * True for failures worth retrying on a fresh connection: driver-side errors (snowflake-sdk codes
 * 4xxxxx: network, HTTP, connection state), our own statement deadline, and errors without a code.
 * Server-side SQL errors (a 6-digit code with a SQL state, e.g. 002003 / 02000) are not transient.
 */
export function isTransientError(err: unknown): boolean {
  const e = err as SqlError | undefined;
  const code = e?.code === undefined ? undefined : String(e.code);
  if (code && /^4\d{5}$/.test(code)) return true;
  if (code && e?.sqlState) return false;
  if (code && /^\d{6}$/.test(code)) return false;
  return true;
}

export class ResilientSession {
  private session: SqlSession | undefined;
  private opening: Promise<SqlSession> | undefined;
  /** Statements sent, in order (also those that failed). */
  readonly sent: string[] = [];

  constructor(
    private readonly open: OpenSession,
    private readonly budget?: StatementBudget,
    private readonly signal?: AbortSignal,
  ) {}

  private async connection(): Promise<SqlSession> {
    if (this.session) return this.session;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    this.session = await this.opening;
    return this.session;
  }

  async execute(sql: string): Promise<Record<string, unknown>[]> {
    const session = await this.connection();
    await this.budget?.acquire(this.signal);
    this.sent.push(sql);
    try {
      return await session.execute(sql);
    } catch (err) {
      if (isTransientError(err)) await this.discard();
      throw err;
    }
  }

  /** Drops the current connection; the next statement logs in again. */
  async discard(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.discard();
  }
}
