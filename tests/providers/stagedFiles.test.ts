// StagedFiles dynamic provider: every method against the real snowflake-sdk talking to the stub,
// which answers PUT with a LOCAL_FS stage so the uploaded bytes can be checked.
// Expected SQL is written out from Snowflake's PUT / LIST / REMOVE syntax.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { openSession } from "../../snowflake";
import { StagedFiles, createStagedFilesProvider, type StagedFileSpec } from "../../components/providers/stagedFiles";
import { startSnowflakeStub, stubConnectionSettings, type SnowflakeStub } from "../support/snowflakeStub";
import { registerUnderMocks } from "../support/registerUnderMocks";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const sha = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");

const ZIP = Buffer.from("PK\u0003\u0004 not really a zip, but bytes that gzip would change\n");
const TRAIN = Buffer.from("import mlpipeline\nprint('train')\n");
const INIT = Buffer.from("");
const BUNDLE_SHA = sha(ZIP);
const PAYLOAD_SHA = sha(Buffer.concat([TRAIN, INIT]));
const STAGE = "ML_DEV.PIPELINE.CODE_STAGE";
const BUNDLE_DIR = `MORTGAGE_PIPELINE/PREPARE_DATA/${BUNDLE_SHA}`;
const PAYLOAD_DIR = `MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${PAYLOAD_SHA}`;

const bundleFile: StagedFileSpec = {
  path: "prepare_data.zip", sha256: BUNDLE_SHA, size: ZIP.length, source: `.build/bundles/${BUNDLE_SHA}/prepare_data.zip`,
};
const trainFile: StagedFileSpec = {
  path: "jobs/train.py", sha256: sha(TRAIN), size: TRAIN.length, source: `.build/payloads/${PAYLOAD_SHA}/jobs/train.py`,
};
const initFile: StagedFileSpec = {
  path: "mlpipeline/__init__.py", sha256: sha(INIT), size: 0, source: `.build/payloads/${PAYLOAD_SHA}/mlpipeline/__init__.py`,
};
const BUNDLE = { stage: STAGE, directory: BUNDLE_DIR, files: [bundleFile] };
const PAYLOAD = { stage: STAGE, directory: PAYLOAD_DIR, files: [trainFile, initFile] };

let stub: SnowflakeStub;
let provider: ReturnType<typeof createStagedFilesProvider>;
let projectDir: string;
const originalCwd = process.cwd();

before(async () => {
  stub = await startSnowflakeStub();
  provider = createStagedFilesProvider(() => openSession(stubConnectionSettings(stub)));
  projectDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "staged-files-project-")));
  for (const [file, bytes] of [[bundleFile, ZIP], [trainFile, TRAIN], [initFile, INIT]] as const) {
    fs.mkdirSync(path.dirname(path.join(projectDir, file.source)), { recursive: true });
    fs.writeFileSync(path.join(projectDir, file.source), bytes);
  }
  process.chdir(projectDir);
});
after(async () => {
  process.chdir(originalCwd);
  await stub.close();
  fs.rmSync(projectDir, { recursive: true, force: true });
});
beforeEach(() => {
  stub.statements.length = 0;
});

describe("check", () => {
  test("valid inputs pass, with files in path order", async () => {
    assert.deepEqual(await provider.check({}, { ...PAYLOAD, files: [initFile, trainFile] }), { inputs: PAYLOAD, failures: [] });
    assert.deepEqual(stub.statements, []);
  });

  test("reports invalid stage, directory and files", async () => {
    const { failures } = await provider.check({}, {
      stage: "CODE_STAGE",
      directory: "MORTGAGE_PIPELINE/../x",
      files: [
        { ...trainFile, sha256: "ABC" },
        { ...bundleFile, size: -1, source: "/abs/prepare_data.zip" },
        { ...initFile, source: ".build/other.py" },
        { ...initFile },
      ],
    });
    assert.deepEqual(failures.map((f) => `${f.property}: ${f.reason}`), [
      'stage: expected a fully qualified unquoted stage name DB.SCHEMA.STAGE, got "CODE_STAGE"',
      'directory: expected a relative path of plain segments (A-Z a-z 0-9 _ . $ = + -), got "MORTGAGE_PIPELINE/../x"',
      'files: files[0]: sha256: expected 64 lower-case hex digits, got "ABC"',
      "files: files[1]: size: expected an integer >= 0, got -1",
      'files: files[1]: source: expected a path relative to the project directory (no quotes), got "/abs/prepare_data.zip"',
      'files: files[2]: source ".build/other.py" must have the same file name as path "mlpipeline/__init__.py" (PUT keeps the local file name)',
      'files: files[3]: path "mlpipeline/__init__.py" appears twice',
    ]);
    const empty = await provider.check({}, { ...BUNDLE, files: [] });
    assert.deepEqual(empty.failures, [{ property: "files", reason: "expected a non-empty list of files, got []" }]);
  });

  test("tolerates unknown values during preview", async () => {
    assert.deepEqual((await provider.check({}, { stage: UNKNOWN, directory: UNKNOWN, files: UNKNOWN })).failures, []);
    assert.deepEqual((await provider.check({}, { ...BUNDLE, files: [{ ...bundleFile, sha256: UNKNOWN }, UNKNOWN] })).failures, []);
  });
});

describe("diff", () => {
  test("no change (in any file order) is no diff", async () => {
    assert.deepEqual(await provider.diff("id", PAYLOAD, { ...PAYLOAD, files: [initFile, trainFile] }), { changes: false });
  });

  test("a new directory or stage replaces, creating the new one first", async () => {
    const other = { ...BUNDLE, directory: `MORTGAGE_PIPELINE/PREPARE_DATA/${sha("new")}`, files: [{ ...bundleFile, sha256: sha("new") }] };
    assert.deepEqual(await provider.diff("id", BUNDLE, other), { changes: true, replaces: ["directory"] });
    assert.deepEqual(await provider.diff("id", BUNDLE, { ...BUNDLE, stage: "ML_PROD.PIPELINE.CODE_STAGE" }), {
      changes: true, replaces: ["stage"],
    });
  });

  test("other files under the same directory replace, removing first", async () => {
    assert.deepEqual(await provider.diff("id", PAYLOAD, { ...PAYLOAD, files: [trainFile] }), {
      changes: true, replaces: ["files"], deleteBeforeReplace: true,
    });
    assert.deepEqual(await provider.diff("id", BUNDLE, { ...BUNDLE, files: [{ ...bundleFile, size: 1 }] }), {
      changes: true, replaces: ["files"], deleteBeforeReplace: true,
    });
  });

  test("only a moved local source is an in-place change that uploads nothing", async () => {
    const moved = { ...BUNDLE, files: [{ ...bundleFile, source: `build2/prepare_data.zip` }] };
    assert.deepEqual(await provider.diff("id", BUNDLE, moved), { changes: true });
    assert.deepEqual(await provider.update("id", BUNDLE, moved), {
      outs: { ...moved, location: `@${STAGE}/${BUNDLE_DIR}/` },
    });
    assert.deepEqual(stub.statements, []);
  });
});

describe("create", () => {
  test("PUTs each file uncompressed under the directory (and its subdirectory) and returns full outputs", async () => {
    const result = await provider.create(PAYLOAD);
    assert.deepEqual(stub.statements, [
      `PUT 'file://${projectDir}/.build/payloads/${PAYLOAD_SHA}/jobs/train.py' '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${PAYLOAD_SHA}/jobs' AUTO_COMPRESS=FALSE OVERWRITE=TRUE`,
      `PUT 'file://${projectDir}/.build/payloads/${PAYLOAD_SHA}/mlpipeline/__init__.py' '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${PAYLOAD_SHA}/mlpipeline' AUTO_COMPRESS=FALSE OVERWRITE=TRUE`,
    ]);
    const location = `@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${PAYLOAD_SHA}/`;
    assert.deepEqual(result, { id: location, outs: { ...PAYLOAD, location } });
    assert.deepEqual(fs.readFileSync(path.join(stub.stageDir(location), "jobs", "train.py")), TRAIN);
    assert.deepEqual(fs.readFileSync(path.join(stub.stageDir(location), "mlpipeline", "__init__.py")), INIT);
    assert.ok(!JSON.stringify(result).includes(projectDir), "the absolute local path stays out of the outputs");
  });

  test("a zip stays a zip (AUTO_COMPRESS=FALSE), byte for byte", async () => {
    await provider.create(BUNDLE);
    assert.deepEqual(stub.statements, [
      `PUT 'file://${projectDir}/.build/bundles/${BUNDLE_SHA}/prepare_data.zip' '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/${BUNDLE_SHA}' AUTO_COMPRESS=FALSE OVERWRITE=TRUE`,
    ]);
    const dir = stub.stageDir(`@${STAGE}/${BUNDLE_DIR}`);
    assert.deepEqual(fs.readdirSync(dir), ["prepare_data.zip"]);
    assert.deepEqual(fs.readFileSync(path.join(dir, "prepare_data.zip")), ZIP);
  });

  test("a local file with other content fails before any upload, naming it and the project directory", async () => {
    const stale = { ...PAYLOAD, files: [trainFile, { ...initFile, sha256: sha("something else") }] };
    await assert.rejects(provider.create(stale), (err: Error) => {
      assert.equal(
        err.message,
        `StagedFiles @${STAGE}/${PAYLOAD_DIR}/: local file ${initFile.source} (for mlpipeline/__init__.py) has sha256 ${sha(INIT)}, ` +
          `but the program expected ${sha("something else")}. Run pulumi from the project directory (current directory: ${projectDir}) ` +
          "so the build output is found and current.",
      );
      return true;
    });
    assert.deepEqual(stub.statements, []);
  });

  test("run from another directory, the missing file is named", async () => {
    process.chdir(os.tmpdir());
    try {
      await assert.rejects(provider.create(BUNDLE), /local file \.build\/bundles\/[0-9a-f]{64}\/prepare_data\.zip \(for prepare_data\.zip\) does not exist\. Run pulumi from the project directory/);
    } finally {
      process.chdir(projectDir);
    }
    assert.deepEqual(stub.statements, []);
  });

  test("a SQL error on PUT surfaces code and message and is not retried", async () => {
    stub.on(/^PUT .* '@ML_DEV\.PIPELINE\.MISSING_STAGE\//, {
      error: { code: "002003", message: "SQL compilation error: Stage 'ML_DEV.PIPELINE.MISSING_STAGE' does not exist or not authorized.", sqlState: "02000" },
    });
    await assert.rejects(provider.create({ ...BUNDLE, stage: "ML_DEV.PIPELINE.MISSING_STAGE" }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "002003");
      assert.match(err.message, /002003 \(02000\) SQL compilation error: Stage 'ML_DEV.PIPELINE.MISSING_STAGE' does not exist/);
      return true;
    });
    assert.equal(stub.statements.length, 1);
  });

  test("a transient 503 on PUT is retried and the upload succeeds", async () => {
    stub.on(/^PUT .* '@ML_DEV\.PIPELINE\.FLAKY_STAGE\//, { httpStatus: 503, times: 1 });
    const flaky = { ...BUNDLE, stage: "ML_DEV.PIPELINE.FLAKY_STAGE" };
    await provider.create(flaky);
    assert.equal(stub.statements.length, 2);
    assert.deepEqual(fs.readFileSync(path.join(stub.stageDir(`@ML_DEV.PIPELINE.FLAKY_STAGE/${BUNDLE_DIR}`), "prepare_data.zip")), ZIP);
  });
});

describe("read", () => {
  test("LISTs the directory; every file present with its size keeps the resource", async () => {
    await provider.create(PAYLOAD);
    stub.statements.length = 0;
    const location = `@${STAGE}/${PAYLOAD_DIR}/`;
    assert.deepEqual(await provider.read(location, { ...PAYLOAD, location }), { id: location, props: { ...PAYLOAD, location } });
    assert.deepEqual(stub.statements, [`LIST '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${PAYLOAD_SHA}/'`]);
  });

  test("sizes rounded up to the AES block, as encrypted internal stages may list them, count as present", async () => {
    const location = `@${STAGE}/${BUNDLE_DIR}/`;
    stub.on(`LIST '${location}'`, {
      columns: [{ name: "name", type: "text" }, { name: "size", type: "fixed" }, { name: "md5", type: "text" }, { name: "last_modified", type: "text" }],
      rows: [[`code_stage/${BUNDLE_DIR}/prepare_data.zip`, (Math.floor(ZIP.length / 16) + 1) * 16, "0".repeat(32), "Mon, 2 Nov 2026 10:00:00 GMT"]],
    }, 1);
    assert.deepEqual(await provider.read(location, BUNDLE), { id: location, props: { ...BUNDLE, location } });
  });

  test("a missing file or one of another size reads as gone", async () => {
    await provider.create(PAYLOAD);
    const dir = stub.stageDir(`@${STAGE}/${PAYLOAD_DIR}`);
    fs.writeFileSync(path.join(dir, "jobs", "train.py"), "changed by hand, and longer than before\n");
    assert.deepEqual(await provider.read("id", PAYLOAD), {});
    fs.rmSync(path.join(dir, "jobs", "train.py"));
    assert.deepEqual(await provider.read("id", PAYLOAD), {});
    stub.statements.length = 0;
    assert.deepEqual(await provider.read("id", { ...BUNDLE, directory: "MORTGAGE_PIPELINE/PREPARE_DATA/never-uploaded" }), {});
    assert.deepEqual(stub.statements, ["LIST '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/never-uploaded/'"]);
  });
});

describe("delete", () => {
  test("REMOVEs the directory and nothing else", async () => {
    await provider.create(BUNDLE);
    await provider.create(PAYLOAD);
    stub.statements.length = 0;
    await provider.delete(`@${STAGE}/${BUNDLE_DIR}/`, { ...BUNDLE, location: `@${STAGE}/${BUNDLE_DIR}/` });
    assert.deepEqual(stub.statements, [`REMOVE '@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/${BUNDLE_SHA}/'`]);
    assert.deepEqual(fs.readdirSync(stub.stageDir(`@${STAGE}/${BUNDLE_DIR}`)), []);
    assert.deepEqual(fs.readdirSync(stub.stageDir(`@${STAGE}/${PAYLOAD_DIR}`)).sort(), ["jobs", "mlpipeline"]);
  });
});

describe("serialization as Pulumi does it", () => {
  test("registers with the dynamic type token; __provider serializes, carries no secrets or local paths, and works", async () => {
    const registered = await registerUnderMocks(
      { "snowflake:password": "serialized-Secret-55", "snowflake:privateKey": "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----" },
      "env-Secret-77",
      () => new StagedFiles("bundle", BUNDLE),
    );
    assert.equal(registered.length, 1);
    const { type, inputs } = registered[0];
    assert.equal(type, "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles");
    assert.deepEqual({ ...inputs, __provider: undefined }, { ...BUNDLE, __provider: undefined });
    const code = inputs.__provider;
    assert.equal(typeof code, "string");
    assert.match(code, /AUTO_COMPRESS=FALSE OVERWRITE=TRUE/);
    for (const secret of ["serialized-Secret-55", "MIIfake", "env-Secret-77", projectDir]) {
      assert.ok(!code.includes(secret), `__provider contains ${secret}`);
    }
    assert.deepEqual([...new Set(code.match(/require\([^)]*\)/g))].sort(), [
      'require("node:crypto")', 'require("node:fs")', 'require("node:path")', 'require("snowflake-sdk")',
    ]);

    const mod = new Module("stagedFiles-provider");
    (mod as unknown as { _compile(code: string, file: string): void })._compile(code, "stagedFiles-provider.js");
    const revived = (mod.exports as { handler(): ReturnType<typeof createStagedFilesProvider> }).handler();
    assert.deepEqual(await revived.diff("id", BUNDLE, { ...BUNDLE, stage: "ML_PROD.PIPELINE.CODE_STAGE" }), {
      changes: true, replaces: ["stage"],
    });
  });
});
