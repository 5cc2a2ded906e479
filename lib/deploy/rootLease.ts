/**
 * The root lease: from a deploy's first task operation on a graph to its last, the graph's root
 * stays suspended, so no scheduled run starts on a half-updated graph, and no operation's DDL meets
 * a started root (Snowflake refuses DDL on a task of a graph whose root is started:
 * https://docs.snowflake.com/en/user-guide/tasks-graphs#modify-a-task-graph).
 *
 * The state machine is pure. What touches Snowflake is injected as a `RootControl`, so tests drive
 * the logic with a fake and the SQL part (components/deploy/rootControl.ts) stays a thin layer.
 *
 *   acquire: the first holder inspects the root and suspends it if it is started; later holders
 *            join with no statement. Every acquire marks the lease "operated".
 *   release: the holder count drops. The root is NOT resumed merely because it reached zero: a
 *            dependency chain runs its links one after another, and between two links the count is
 *            zero while the deploy is only half done.
 *   finish:  the root is resumed only when all of these hold:
 *            - no operation holds the lease;
 *            - every task the program declares for this graph has finished registering (the engine
 *              answers a registration only after its create/update step, hooks included, is done);
 *            - the tasks Snowflake now has in the graph are exactly the declared ones (a task still
 *              there but no longer declared is deleted later in the same deploy: its delete is still
 *              to come);
 *            - an operation of this lease suspended it or ran while it was suspended, no operation
 *              failed, and the stack declares the root started.
 *            Otherwise the root stays suspended and the lease says why. A deploy that failed halfway
 *            leaves it suspended on purpose: its graph is half-updated. The next `pulumi up` repairs
 *            it (refresh shows the drift on the graph's activation, docs/design.md "Deploy safety").
 *
 * Transitions are serialized through one promise chain, so a resume never interleaves with a
 * suspend, and an acquire that arrives while the lease is resuming waits, then suspends again.
 */

export type RootState = "started" | "suspended" | "missing";

/** How the lease inspects and changes its root (SQL in production, a fake in unit tests). */
export interface RootControl {
  state(): Promise<RootState>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
  /** Unqualified names of every task now in the root's graph: the root, its descendants, its finalizer. */
  graphTasks(): Promise<Set<string>>;
}

/** What the program declares of a graph; absent for a root it does not declare (a removed pipeline). */
export interface DeclaredGraph {
  /** The stack declares the root started: the lease resumes it when the deploy of its graph is done. */
  started: boolean;
  /** Unqualified names of the root and every task of the graph. */
  tasks: ReadonlySet<string>;
}

export interface RootLeaseOptions {
  declared?: DeclaredGraph;
  /** Where the lease says why it leaves a root suspended (pulumi.log in the program). */
  log?: (message: string) => void;
}

/** What the lease did at a finish, for logs and tests. */
export type FinishOutcome = "resumed" | "left-started" | "kept-suspended" | "nothing-to-do";

export class RootLease {
  private holders = 0;
  private pendingRegistrations = 0;
  private operated = false;
  private failed = false;
  private declared?: DeclaredGraph;
  private readonly log: (message: string) => void;
  /** Serializes the transitions so one never interleaves with another. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Outcomes of the finishes so far, in order. */
  readonly outcomes: FinishOutcome[] = [];

  constructor(
    readonly rootTask: string,
    private readonly control: RootControl,
    options: RootLeaseOptions = {},
  ) {
    this.declared = options.declared;
    this.log = options.log ?? (() => undefined);
  }

  /** Operations holding the lease now. */
  get holderCount(): number {
    return this.holders;
  }

  /** Declares (or re-declares) the graph the program registers for this root. */
  declare(graph: DeclaredGraph): void {
    this.declared = graph;
  }

  /** A registration of one of the graph's tasks is under way; `registered()` ends it. */
  expectRegistration(): void {
    this.pendingRegistrations++;
  }

  /** A registration ended (its step, hooks included, is done). May resume the root. */
  registered(): Promise<FinishOutcome> {
    return this.serialized(async () => {
      if (this.pendingRegistrations === 0) throw new Error(`root lease of ${this.rootTask}: more registrations ended than began`);
      this.pendingRegistrations--;
      return this.finish();
    });
  }

  /**
   * Resolves once the root is suspended (or was not started, or does not exist yet) and this caller
   * holds the lease. Rejects, holding nothing, when the root cannot be inspected or suspended.
   */
  acquire(): Promise<void> {
    return this.serialized(async () => {
      if (this.holders === 0 && (await this.control.state()) === "started") await this.control.suspend();
      this.holders++;
      this.operated = true;
    });
  }

  /**
   * Gives the lease back after an operation that succeeded (`ok`) or failed. A failure keeps the
   * root suspended for the rest of this deploy. Never resumes while registrations are pending.
   *
   * `rootOperation`: the operation was on the root itself. The provider resumes a root declared
   * started at the end of its own create or update (terraform-provider-snowflake v1.2.1
   * pkg/resources/task.go, https://github.com/snowflakedb/terraform-provider-snowflake/blob/v1.2.1/pkg/resources/task.go),
   * whatever else of the graph is still to change; unless this release resumes it anyway, the lease
   * suspends it again at once.
   */
  release(ok: boolean, options: { rootOperation?: boolean } = {}): Promise<FinishOutcome> {
    return this.serialized(async () => {
      if (this.holders === 0) throw new Error(`root lease of ${this.rootTask} released more often than acquired`);
      this.holders--;
      if (!ok && !this.failed) {
        this.failed = true;
        this.log(`${this.rootTask} stays suspended: a task operation of its graph failed, so the graph may be half-updated; the next \`pulumi up\` completes it and resumes the root`);
      }
      const outcome = await this.finish();
      if (options.rootOperation === true && outcome !== "resumed" && outcome !== "left-started" && (await this.control.state()) === "started") {
        await this.control.suspend();
      }
      return outcome;
    });
  }

  private async finish(): Promise<FinishOutcome> {
    if (this.holders > 0 || this.pendingRegistrations > 0 || !this.operated) return this.record("nothing-to-do");
    if (this.failed) return this.record("kept-suspended");
    const declared = this.declared;
    if (declared === undefined || !declared.started) return this.record("kept-suspended");
    const live = await this.control.graphTasks();
    const missing = [...declared.tasks].filter((t) => !live.has(t)).sort();
    const extra = [...live].filter((t) => !declared.tasks.has(t)).sort();
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        ...(extra.length > 0 ? [`still in the graph but not declared: ${extra.join(", ")}`] : []),
        ...(missing.length > 0 ? [`declared but not in the graph: ${missing.join(", ")}`] : []),
      ];
      this.log(`${this.rootTask} stays suspended until its graph is the declared one (${parts.join("; ")})`);
      return this.record("kept-suspended");
    }
    this.operated = false;
    if ((await this.control.state()) !== "suspended") return this.record("left-started");
    await this.control.resume();
    return this.record("resumed");
  }

  private record(outcome: FinishOutcome): FinishOutcome {
    this.outcomes.push(outcome);
    return outcome;
  }

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
