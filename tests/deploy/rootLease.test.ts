// The root lease's state machine with a fake root: when it suspends, when it resumes, and that a
// deploy's root stays suspended from its first task operation to its last (a chain included).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RootLease, type RootControl, type RootState } from "../../lib/deploy/rootLease";

const ROOT = "DB.S.FLOW";
const DECLARED = new Set(["FLOW", "FLOW$A", "FLOW$B", "FLOW$TIDY"]);

/** A root whose calls are logged; each call yields to the event loop so interleavings would show. */
function fakeRoot(initial: RootState, graph: Iterable<string> = DECLARED, failures: Partial<Record<"suspend" | "resume" | "state", Error>> = {}) {
  const log: string[] = [];
  let state = initial;
  const live = new Set(graph);
  const tick = () => new Promise((r) => setImmediate(r));
  const control: RootControl = {
    async state() {
      log.push("show");
      await tick();
      if (failures.state) throw failures.state;
      return state;
    },
    async suspend() {
      log.push("suspend");
      await tick();
      if (failures.suspend) throw failures.suspend;
      state = "suspended";
    },
    async resume() {
      log.push("resume");
      await tick();
      if (failures.resume) throw failures.resume;
      state = "started";
    },
    async graphTasks() {
      log.push("graph");
      await tick();
      return new Set(live);
    },
  };
  return {
    control,
    log,
    live,
    state: () => state,
    /** What the provider does at the end of a root create/update declared started. */
    providerResumes: () => void (state = "started"),
  };
}

function declaredLease(root: ReturnType<typeof fakeRoot>, started = true, messages: string[] = []) {
  const lease = new RootLease(ROOT, root.control, { declared: { started, tasks: DECLARED }, log: (m) => messages.push(m) });
  lease.expectRegistration();
  return lease;
}

describe("RootLease", () => {
  test("concurrent holders: one show+suspend at the start; nothing resumes until the registrations are done", async () => {
    const root = fakeRoot("started");
    const lease = declaredLease(root);
    await Promise.all([lease.acquire(), lease.acquire(), lease.acquire()]);
    assert.equal(lease.holderCount, 3);
    assert.deepEqual(root.log, ["show", "suspend"]);
    await Promise.all([lease.release(true), lease.release(true), lease.release(true)]);
    assert.deepEqual(root.log, ["show", "suspend"], "no resume while registrations are pending");
    assert.equal(await lease.registered(), "resumed");
    assert.deepEqual(root.log, ["show", "suspend", "graph", "show", "resume"]);
    assert.equal(root.state(), "started");
  });

  test("a dependency chain: the count drops to zero between two links, and the root stays suspended", async () => {
    const root = fakeRoot("started");
    const lease = declaredLease(root);
    await lease.acquire(); // link A
    assert.equal(await lease.release(true), "nothing-to-do");
    assert.equal(root.state(), "suspended", "suspended between the links");
    await lease.acquire(); // link B, after A
    await lease.release(true);
    assert.equal(root.state(), "suspended");
    assert.equal(await lease.registered(), "resumed");
    // Link B's acquire finds no holder and looks at the root again (it may have been resumed by
    // someone else): a SHOW, but no second suspend.
    assert.deepEqual(root.log, ["show", "suspend", "show", "graph", "show", "resume"], "one suspend and one resume for the whole chain");
  });

  test("a task still in the graph but no longer declared (its delete comes later): suspended until it is gone", async () => {
    const root = fakeRoot("started", [...DECLARED, "FLOW$OLD"]);
    const messages: string[] = [];
    const lease = declaredLease(root, true, messages);
    await lease.acquire();
    await lease.release(true);
    assert.equal(await lease.registered(), "kept-suspended");
    assert.deepEqual(messages, ["DB.S.FLOW stays suspended until its graph is the declared one (still in the graph but not declared: FLOW$OLD)"]);
    // The delete phase: the engine deletes FLOW$OLD under the same lease.
    await lease.acquire();
    root.live.delete("FLOW$OLD");
    assert.equal(await lease.release(true), "resumed");
    assert.equal(root.state(), "started");
    assert.deepEqual(root.log.filter((c) => c === "suspend" || c === "resume"), ["suspend", "resume"]);
  });

  test("destroy: tasks declared but gone from the graph keep the root suspended", async () => {
    const root = fakeRoot("started");
    const messages: string[] = [];
    const lease = declaredLease(root, true, messages);
    assert.equal(await lease.registered(), "nothing-to-do", "destroy registers without operations");
    await lease.acquire();
    root.live.delete("FLOW$B");
    assert.equal(await lease.release(true), "kept-suspended");
    assert.equal(root.state(), "suspended");
    assert.deepEqual(messages, ["DB.S.FLOW stays suspended until its graph is the declared one (declared but not in the graph: FLOW$B)"]);
  });

  test("a failed operation keeps the root suspended for the rest of the deploy, and says so", async () => {
    const root = fakeRoot("started");
    const messages: string[] = [];
    const lease = declaredLease(root, true, messages);
    await lease.acquire();
    await lease.acquire();
    await lease.release(false);
    await lease.release(true);
    assert.equal(await lease.registered(), "kept-suspended");
    assert.equal(root.state(), "suspended");
    assert.deepEqual(messages, [
      "DB.S.FLOW stays suspended: a task operation of its graph failed, so the graph may be half-updated; the next `pulumi up` completes it and resumes the root",
    ]);
  });

  test("a root the program does not declare (a removed pipeline) is suspended and never resumed", async () => {
    const root = fakeRoot("started");
    const lease = new RootLease(ROOT, root.control);
    await lease.acquire();
    assert.equal(await lease.release(true), "kept-suspended");
    assert.equal(root.state(), "suspended");
    assert.deepEqual(root.log, ["show", "suspend"]);
  });

  test("declared suspended (started: false): never resumed", async () => {
    const root = fakeRoot("suspended");
    const lease = declaredLease(root, false);
    await lease.acquire();
    await lease.release(true);
    assert.equal(await lease.registered(), "kept-suspended");
    assert.deepEqual(root.log, ["show"]);
  });

  test("no operation in this deploy: nothing is inspected or resumed, even a suspended root (the activation repairs drift)", async () => {
    const root = fakeRoot("suspended");
    const lease = declaredLease(root);
    assert.equal(await lease.registered(), "nothing-to-do");
    assert.deepEqual(root.log, []);
  });

  test("the provider resumed the root at the end of the root's own update: suspended again while the deploy goes on", async () => {
    const root = fakeRoot("started");
    const lease = declaredLease(root);
    await lease.acquire();
    root.providerResumes();
    assert.equal(await lease.release(true, { rootOperation: true }), "nothing-to-do");
    assert.equal(root.state(), "suspended");
    assert.deepEqual(root.log, ["show", "suspend", "show", "suspend"]);
  });

  test("an acquire that arrives while the last release resumes waits, then suspends again", async () => {
    const root = fakeRoot("started");
    const lease = declaredLease(root);
    await lease.acquire();
    await lease.release(true);
    const resumed = lease.registered();
    const again = lease.acquire();
    await Promise.all([resumed, again]);
    assert.deepEqual(root.log, ["show", "suspend", "graph", "show", "resume", "show", "suspend"]);
    assert.equal(root.state(), "suspended");
  });

  test("a failed suspend leaves the lease unheld and passes the error on", async () => {
    const root = fakeRoot("started", DECLARED, { suspend: new Error("insufficient privileges") });
    const lease = declaredLease(root);
    await assert.rejects(lease.acquire(), /insufficient privileges/);
    assert.equal(lease.holderCount, 0);
  });

  test("releasing more often than acquiring is an error naming the root", async () => {
    const lease = declaredLease(fakeRoot("suspended"));
    await assert.rejects(lease.release(true), /^Error: root lease of DB\.S\.FLOW released more often than acquired$/);
  });
});
