/**
 * How often the CLI asks Snowflake: an exponential backoff between polls (reset when something
 * changed) and a hard cap on statements per rolling minute, whatever the caller does.
 */
import type { Clock } from "./clock";

export interface BackoffSettings {
  /** First interval and the interval after a change (ms). */
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** 5 s, 7.5 s, 11 s, 17 s, 25 s, then every 30 s while nothing changes. */
export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 5_000, factor: 1.5, maxMs: 30_000 };

/** At most this many statements in any 60 s window (a poll is 1-3 statements). */
export const DEFAULT_MAX_STATEMENTS_PER_MINUTE = 24;

export class Backoff {
  private current: number;
  constructor(private readonly settings: BackoffSettings = DEFAULT_BACKOFF) {
    this.current = settings.initialMs;
  }
  /** The interval to wait now; the next one grows by `factor` up to `maxMs`. */
  next(): number {
    const value = this.current;
    this.current = Math.min(this.settings.maxMs, Math.round(this.current * this.settings.factor));
    return value;
  }
  reset(): void {
    this.current = this.settings.initialMs;
  }
}

/** Sliding-window limiter: `acquire()` waits (on the injected clock) until a statement may be sent. */
export class StatementBudget {
  private readonly sent: number[] = [];
  constructor(
    private readonly clock: Clock,
    readonly maxPerMinute: number = DEFAULT_MAX_STATEMENTS_PER_MINUTE,
  ) {}
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.sent.length > 0 && this.sent[0] <= now - 60_000) this.sent.shift();
      if (this.sent.length < this.maxPerMinute || signal?.aborted) {
        this.sent.push(now);
        return;
      }
      await this.clock.sleep(this.sent[0] + 60_000 - now, signal);
    }
  }
}
