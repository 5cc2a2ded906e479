// The root lease's state machine with a fake root: which transitions suspend and resume, and that
// they never interleave.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RootLease, type RootControl, type RootState } from "../../lib/deploy/rootLease";

/** A root whose calls are logged; each call yields to the event loop so interleavings would show. */
function fakeRoot(initial: RootState, failures: Partial<Record<"suspend" | "resume" | "state", Error>> = {}) {
  const log: string[] = [];
  let state = initial;
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
  };
  return { control, log, state: () => state };
}

describe("RootLease", () => {
  test("a burst of concurrent holders: one show+suspend at the start, one show+resume at the end", async () => {
    const root = fakeRoot("started");
    const lease = new RootLease(root.control, { declaredStarted: true });
    await Promise.all([lease.acquire(), lease.acquire(), lease.acquire()]);
    assert.equal(lease.holderCount, 3);
    assert.equal(root.state(), "suspended");
    await lease.release();
    await lease.release();
    assert.deepEqual(root.log, ["show", "suspend"]);
    await lease.release();
    assert.deepEqual(root.log, ["show", "suspend", "show", "resume"]);
    assert.equal(root.state(), "started");
  });

  test("a suspended root is not suspended again, and stays suspended when declared so", async () => {
    const root = fakeRoot("suspended");
    const lease = new RootLease(root.control, { declaredStarted: false });
    await lease.acquire();
    await lease.release();
    assert.deepEqual(root.log, ["show"]);
    assert.equal(root.state(), "suspended");
  });

  test("declared started but found suspended (a failed earlier up): the last release resumes it", async () => {
    const root = fakeRoot("suspended");
    const lease = new RootLease(root.control, { declaredStarted: true });
    await lease.acquire();
    await lease.release();
    assert.deepEqual(root.log, ["show", "show", "resume"]);
  });

  test("an acquire arriving during the last release's resume waits, then suspends again", async () => {
    const root = fakeRoot("started");
    const lease = new RootLease(root.control, { declaredStarted: true });
    await lease.acquire();
    const releasing = lease.release();
    const next = lease.acquire();
    await Promise.all([releasing, next]);
    assert.deepEqual(root.log, ["show", "suspend", "show", "resume", "show", "suspend"]);
    assert.equal(root.state(), "suspended");
    assert.equal(lease.holderCount, 1);
  });

  test("a refused suspend fails the acquire and holds nothing; the next acquire tries again", async () => {
    const root = fakeRoot("started", { suspend: new Error("insufficient privileges") });
    const lease = new RootLease(root.control, { declaredStarted: true });
    await assert.rejects(lease.acquire(), /insufficient privileges/);
    assert.equal(lease.holderCount, 0);
    await assert.rejects(lease.acquire(), /insufficient privileges/);
    assert.deepEqual(root.log, ["show", "suspend", "show", "suspend"]);
  });

  test("a refused resume is reported, and the lease is free again", async () => {
    const root = fakeRoot("started", { resume: new Error("resume refused") });
    const lease = new RootLease(root.control, { declaredStarted: true });
    await lease.acquire();
    await assert.rejects(lease.release(), /resume refused/);
    assert.equal(lease.holderCount, 0);
  });

  test("release without acquire is an error", async () => {
    const lease = new RootLease(fakeRoot("started").control, { declaredStarted: true });
    await assert.rejects(lease.release(), /released more often than acquired/);
  });
});
