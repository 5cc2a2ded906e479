// `npm run -s plan -- --json | …`: the whole document reaches a pipe, however large the plan.
// A plan that calls process.exit before stdout drains stops at the pipe's buffer (128 KiB here).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeGeneratedProject } from "../../cli/generatedProject";

const REPO = join(__dirname, "..", "..");
const TASKS = 150; // root + 149 tasks: a plan of about half a megabyte, far beyond any pipe buffer

describe("the plan through a pipe", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mlpipe-piped-"));
    writeGeneratedProject(dir, TASKS);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("delivers the whole JSON document to a reader on the other end of a pipe", () => {
    const result = spawnSync("sh", ["-c", '"$NODE" --import tsx "$PLAN" --json --project "$DIR" | cat'], {
      cwd: REPO,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE: process.execPath, PLAN: join(REPO, "cli", "plan.ts"), DIR: dir },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.length > 256 * 1024, `expected a large plan, got ${result.stdout.length} bytes`);
    const plan = JSON.parse(result.stdout) as { resources: { type: string }[] };
    const tasks = plan.resources.filter((r) => r.type === "snowflake:index/task:Task");
    assert.equal(tasks.length, TASKS);
  });
});
