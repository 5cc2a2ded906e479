// Per-task deploy rules: logical names by role, and content hashes that make case-only edits show.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { contentHash, taskLogicalName, taskRole, withBodyHash, withConditionHash } from "../../lib/deploy/taskRules";

/** What the provider's DiffSuppressStatement treats as equal: whitespace collapsed, case folded. */
const suppressed = (a: string, b: string) => a.replace(/\s+/g, " ").trim().toLowerCase() === b.replace(/\s+/g, " ").trim().toLowerCase();

describe("task logical names carry the role", () => {
  const cases: [spec: { name: string; finalizer?: boolean }, expected: string][] = [
    [{ name: "PREPARE_DATA" }, "task-prepare-data"],
    [{ name: "CLEANUP", finalizer: false }, "task-cleanup"],
    [{ name: "CLEANUP", finalizer: true }, "finalizer"],
    // A renamed finalizer keeps its logical name: the rename is a replacement.
    [{ name: "TIDY_UP", finalizer: true }, "finalizer"],
    [{ name: "A$B__C" }, "task-a-b-c"],
  ];
  for (const [spec, expected] of cases) {
    test(`${JSON.stringify(spec)} -> ${expected}`, () => assert.equal(taskLogicalName(spec), expected));
  }
  test("role", () => {
    assert.equal(taskRole({}), "step");
    assert.equal(taskRole({ finalizer: true }), "finalizer");
  });
});

describe("content hashes", () => {
  const body = "CALL SYSTEM$SEND_EMAIL('ML_ALERTS', 'ops@example.com', 'Model rejected', 'Quality gate failed')";
  test("the hash is the first 12 hex characters of the text's SHA-256", () => {
    assert.equal(contentHash("abc"), "ba7816bf8f01"); // SHA-256("abc") = ba7816bf8f01cfea…
    assert.equal(contentHash(body), createHash("sha256").update(body).digest("hex").slice(0, 12));
  });
  test("a body ends with a line comment holding the hash", () => {
    assert.equal(withBodyHash("SELECT 1"), `SELECT 1\n-- ${contentHash("SELECT 1")}`);
  });
  test("a WHEN ends with a block comment holding the hash", () => {
    const when = "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('P$CHECK') = 'PROMOTE_MODEL'";
    assert.equal(withConditionHash(when), `${when} /* ${contentHash(when)} */`);
  });
  const edits: [what: string, before: string, after: string][] = [
    ["case of a message", body, body.replace("Quality gate failed", "Quality gate FAILED")],
    ["whitespace in a literal", body, body.replace("Model rejected", "Model  rejected")],
    ["a line break", "SELECT 1", "SELECT\n1"],
  ];
  for (const [what, before, after] of edits) {
    test(`an edit of only ${what}: suppressed without the hash, visible with it`, () => {
      assert.ok(suppressed(before, after), "the provider would hide this edit");
      assert.ok(!suppressed(withBodyHash(before), withBodyHash(after)));
      assert.ok(!suppressed(withConditionHash(before), withConditionHash(after)));
    });
  }
  test("an unchanged text keeps its hash", () => assert.equal(withBodyHash(body), withBodyHash(`${body}`)));
});
