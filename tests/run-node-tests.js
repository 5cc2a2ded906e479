#!/usr/bin/env node
// Runs every tests/**/*.test.ts with node's test runner through tsx.
// Node 20's --test takes no glob patterns and only discovers .js files in directories,
// so the TypeScript test files are listed here. Arguments filter by substring.
// tests/engine/ (the real Pulumi engine: `npm run test:engine`) runs only with --engine, never in `npm test`.
"use strict";
const { mkdtempSync, readdirSync, rmSync, statSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, relative } = require("node:path");
const { spawnSync } = require("node:child_process");

const root = join(__dirname);
function collect(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) return entry === "support" || (entry === "engine" && !engine) ? [] : collect(full);
      return entry.endsWith(".test.ts") ? [full] : [];
    });
}
const engine = process.argv.includes("--engine");
const filters = process.argv.slice(2).filter((a) => a !== "--engine");
const files = (engine ? collect(join(root, "engine")) : collect(root)).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
// Every temporary folder the tests (and tsx's cache) make goes into one scratch folder, removed
// afterwards, so a test that forgets its clean-up leaves nothing in /tmp.
const scratch = mkdtempSync(join(tmpdir(), "mlpipe-node-tests-"));
let status = 1;
try {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=spec", ...files.map((f) => relative(process.cwd(), f))],
    { stdio: "inherit", env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", TMPDIR: scratch } },
  );
  status = result.status ?? 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
