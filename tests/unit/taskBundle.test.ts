import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parsePythonSources } from "../../build/pythonSources";
import { BUNDLE_SCHEME, buildPayload, buildTaskBundle } from "../../lib/bundle/taskBundle";

/** The tree as the program parses it (CPython's ast), read again each time since tests edit files. */
const parsed = (root: string) => parsePythonSources(root, "3.11");

const SHA256SUM = "/usr/bin/sha256sum";
const PYTHON = "/usr/bin/python3";
const hex = (...parts: string[]) => Buffer.from(parts.join(""), "hex");

/** sha256sum's own output for some files (cwd root), or for stdin. */
function sha256sum(args: string[], cwd: string, input?: Buffer | string): string {
  const run = spawnSync(SHA256SUM, args, { cwd, input, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const FIXTURE: Record<string, string> = {
  "tasks/__init__.py": "",
  "tasks/prepare_data.py": "from mlpipeline import config\n\ndef main(session):\n    return None\n",
  "tasks/other.py": "import mlpipeline.unused\n",
  "jobs/__init__.py": "",
  "jobs/train.py": "from mlpipeline import config, modeling\n",
  "mlpipeline/__init__.py": "",
  "mlpipeline/config.py": "THRESHOLD = 0.7\n",
  "mlpipeline/modeling.py": "import xgboost\nfrom .config import THRESHOLD\n",
  "mlpipeline/unused.py": "X = 1\n",
};

function writeTree(root: string, tree: Record<string, string>): void {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

describe("BUNDLE_SCHEME", () => {
  it("is v1", () => assert.equal(BUNDLE_SCHEME, "v1"));
});

describe("buildTaskBundle", { skip: existsSync(SHA256SUM) ? false : `${SHA256SUM} not found` }, () => {
  let root = "";
  before(() => {
    root = mkdtempSync(join(tmpdir(), "bundle-"));
    writeTree(root, FIXTURE);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("a one-file bundle: the hand-assembled zip, and sha256sum's hash of it", async () => {
    const tiny = mkdtempSync(join(tmpdir(), "bundle-tiny-"));
    try {
      writeTree(tiny, { "main.py": "print(1)\n" });
      // "main.py" holding "print(1)\n": CRC-32 0x3ce11e06, 9 bytes; comment "snowflake-ml-pipeline task bundle v1" (36 bytes).
      const expected = Buffer.concat([
        hex("504b0304", "1400", "0008", "0000", "0000", "2100", "061ee13c", "09000000", "09000000", "0700", "0000"),
        Buffer.from("main.py"),
        Buffer.from("print(1)\n"),
        hex("504b0102", "3f03", "1400", "0008", "0000", "0000", "2100", "061ee13c", "09000000", "09000000", "0700"),
        hex("0000", "0000", "0000", "0000", "0000a481", "00000000"),
        Buffer.from("main.py"),
        hex("504b0506", "0000", "0000", "0100", "0100", "35000000", "2e000000", "2400"),
        Buffer.from("snowflake-ml-pipeline task bundle v1"),
      ]);
      const bundle = await buildTaskBundle(tiny, "main.py", parsed(tiny));
      assert.deepEqual(bundle.zip, expected);
      assert.equal(bundle.sha256, sha256sum(["-"], tiny, expected).split(" ")[0]);
      assert.equal(bundle.fileName, "main.zip");
      assert.deepEqual(bundle.files, ["main.py"]);
    } finally {
      rmSync(tiny, { recursive: true, force: true });
    }
  });

  it("holds the entrypoint's closure, named after the entrypoint", async () => {
    const bundle = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
    assert.equal(bundle.fileName, "prepare_data.zip");
    assert.deepEqual(bundle.files, ["mlpipeline/__init__.py", "mlpipeline/config.py", "tasks/__init__.py", "tasks/prepare_data.py"]);
    const zipPath = join(root, "..", `${root.split("/").pop()}.zip`);
    writeFileSync(zipPath, bundle.zip);
    try {
      assert.equal(bundle.sha256, sha256sum([zipPath], root).split(" ")[0]);
    } finally {
      rmSync(zipPath);
    }
  });

  it("Python can import the handler from the zip", { skip: existsSync(PYTHON) ? false : `${PYTHON} not found` }, async () => {
    const bundle = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
    const script = [
      "import sys, zipfile, io",
      "path = sys.argv[1]",
      "sys.path.insert(0, path)",
      "import importlib",
      "m = importlib.import_module('tasks.prepare_data')",
      "print(m.main(None), m.config.THRESHOLD, zipfile.ZipFile(path).comment.decode())",
    ].join("\n");
    const zipPath = join(tmpdir(), `bundle-import-${process.pid}.zip`);
    writeFileSync(zipPath, bundle.zip);
    try {
      const run = spawnSync(PYTHON, ["-c", script, zipPath], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, "None 0.7 snowflake-ml-pipeline task bundle v1\n");
    } finally {
      rmSync(zipPath);
    }
  });

  it("file times and modes do not change the hash; an unrelated module does not either", async () => {
    const before = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
    utimesSync(join(root, "mlpipeline/config.py"), new Date(2001, 1, 3), new Date(2001, 1, 3));
    chmodSync(join(root, "tasks/prepare_data.py"), 0o755);
    writeFileSync(join(root, "mlpipeline/unused.py"), "X = 2\n");
    const afterTouch = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
    assert.equal(afterTouch.sha256, before.sha256);
    assert.ok(afterTouch.zip.equals(before.zip));
  });

  it("a change in an imported module changes the hash", async () => {
    const before = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
    writeFileSync(join(root, "mlpipeline/config.py"), "THRESHOLD = 0.8\n");
    try {
      const changed = await buildTaskBundle(root, "tasks/prepare_data.py", parsed(root));
      assert.notEqual(changed.sha256, before.sha256);
    } finally {
      writeFileSync(join(root, "mlpipeline/config.py"), FIXTURE["mlpipeline/config.py"]);
    }
  });

  it("refuses a non-Python entrypoint and reports a missing one", async () => {
    await assert.rejects(buildTaskBundle(root, "pipeline.yaml", parsed(root)), { message: "entrypoint pipeline.yaml is not a .py file" });
    await assert.rejects(buildTaskBundle(root, "tasks/missing.py", parsed(root)), {
      message: `entrypoint tasks/missing.py does not exist: no file ${join(root, "tasks/missing.py")}`,
    });
  });
});

describe("buildPayload", { skip: existsSync(SHA256SUM) ? false : `${SHA256SUM} not found` }, () => {
  let root = "";
  before(() => {
    root = mkdtempSync(join(tmpdir(), "payload-"));
    writeTree(root, FIXTURE);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("files with sha256sum's hashes and sizes; the hash of the scheme line plus sha256sum's output", () => {
    const paths = ["jobs/__init__.py", "jobs/train.py", "mlpipeline/__init__.py", "mlpipeline/config.py", "mlpipeline/modeling.py"];
    const listing = sha256sum(paths, root);
    const manifest = `# snowflake-ml-pipeline payload v1\n${listing}`;
    const payload = buildPayload(root, "jobs/train.py", parsed(root));
    assert.deepEqual(
      payload.files,
      listing
        .trim()
        .split("\n")
        .map((line) => {
          const [sha256, path] = line.split("  ");
          return { path, sha256, size: statSync(join(root, path)).size };
        }),
    );
    assert.deepEqual(
      payload.files.map((f) => f.path),
      paths,
    );
    assert.equal(payload.sha256, sha256sum(["-"], root, manifest).split(" ")[0]);
    // The empty __init__.py files hash to SHA-256 of nothing.
    assert.equal(payload.files[0].sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("is stable, and changes when a shipped file changes", () => {
    const first = buildPayload(root, "jobs/train.py", parsed(root));
    assert.deepEqual(buildPayload(root, "jobs/train.py", parsed(root)), first);
    writeFileSync(join(root, "mlpipeline/modeling.py"), "import xgboost\n");
    try {
      assert.notEqual(buildPayload(root, "jobs/train.py", parsed(root)).sha256, first.sha256);
    } finally {
      writeFileSync(join(root, "mlpipeline/modeling.py"), FIXTURE["mlpipeline/modeling.py"]);
    }
  });
});
