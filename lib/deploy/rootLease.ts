/**
 * The root lease: while any task operation of a graph is in flight, its root stays suspended, and
 * it is suspended once and resumed once around each burst of operations, not per operation.
 *
 * The state machine is pure: it holds a holder count and serializes the two transitions that touch
 * Snowflake (the first acquire, the last release) through one promise chain. What the transitions
 * do is injected as a `RootControl`, so tests drive the logic with a fake and the SQL part
 * (components/deploy/rootControl.ts) stays a thin layer.
 *
 *   idle --acquire--> [inspect root; SUSPEND if started] --> held(1)
 *   held(n) --acquire--> held(n+1)          (no statement: the root is already suspended)
 *   held(n>1) --release--> held(n-1)        (no statement)
 *   held(1) --release--> [RESUME if declared started and the root is suspended] --> idle
 *
 * An acquire that arrives while the last release is resuming waits for it, then suspends again:
 * no operation ever runs between a RESUME and the next SUSPEND.
 */

export type RootState = "started" | "suspended" | "missing";

/** How the lease inspects and changes its root (SQL in production, a fake in unit tests). */
export interface RootControl {
  state(): Promise<RootState>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
}

export interface RootLeaseOptions {
  /** The stack declares the root started: the last release resumes it. */
  declaredStarted: boolean;
}

export class RootLease {
  private holders = 0;
  /** Serializes acquire/release so a transition never interleaves with another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly control: RootControl,
    private readonly options: RootLeaseOptions,
  ) {}

  /** Operations holding the lease now. */
  get holderCount(): number {
    return this.holders;
  }

  /**
   * Resolves once the root is suspended (or was not started) and this caller holds the lease.
   * Rejects, holding nothing, when the root cannot be inspected or suspended.
   */
  acquire(): Promise<void> {
    return this.serialized(async () => {
      if (this.holders === 0 && (await this.control.state()) === "started") await this.control.suspend();
      this.holders++;
    });
  }

  /**
   * Gives the lease back; the last holder resumes the root when the stack declares it started.
   * The count drops even when the resume fails, so the lease is never stuck; the error is passed on.
   */
  release(): Promise<void> {
    return this.serialized(async () => {
      if (this.holders === 0) throw new Error("root lease released more often than acquired");
      this.holders--;
      if (this.holders === 0 && this.options.declaredStarted && (await this.control.state()) === "suspended") {
        await this.control.resume();
      }
    });
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
