import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { deterministicZip, ZipInput } from "../../lib/bundle/zip";

const PYTHON = "/usr/bin/python3";
const hex = (...parts: string[]) => Buffer.from(parts.join("").replace(/\s+/g, ""), "hex");

describe("deterministicZip", () => {
  it("one file: exactly the bytes the ZIP format gives (hand-assembled)", async () => {
    // "a.txt" holding "hello\n": CRC-32 0x363a3020 (zlib.crc32(b"hello\n")), 6 bytes stored.
    const expected = hex(
      // local file header
      "504b0304", // signature
      "1400", // version needed: 2.0
      "0008", // flags: bit 11, names are UTF-8
      "0000", // method: stored
      "0000", // DOS time 00:00:00
      "2100", // DOS date 1980-01-01: (0 << 9) | (1 << 5) | 1
      "20303a36", // CRC-32
      "06000000", // compressed size
      "06000000", // uncompressed size
      "0500", // name length
      "0000", // extra length: no extended timestamp
      "612e747874", // "a.txt"
      "68656c6c6f0a", // "hello\n"
      // central directory header (offset 41)
      "504b0102", // signature
      "3f03", // made by: Unix (3), spec 6.3
      "1400", "0008", "0000", "0000", "2100", "20303a36", "06000000", "06000000", "0500",
      "0000", // extra length
      "0000", // comment length
      "0000", // disk
      "0000", // internal attributes
      "0000a481", // external attributes: 0o100644 << 16
      "00000000", // local header offset
      "612e747874",
      // end of central directory
      "504b0506", "0000", "0000",
      "0100", "0100", // entries
      "33000000", // central directory size: 46 + 5
      "29000000", // central directory offset: 30 + 5 + 6
      "0000", // comment length
    );
    assert.deepEqual(await deterministicZip([{ path: "a.txt", data: Buffer.from("hello\n") }]), expected);
  });

  it("the comment goes at the end, after its length", async () => {
    const zip = await deterministicZip([{ path: "a.txt", data: Buffer.from("hello\n") }], { comment: "bundle v1" });
    assert.deepEqual(zip.subarray(-11), Buffer.concat([hex("0900"), Buffer.from("bundle v1")]));
  });

  const files: ZipInput[] = [
    { path: "tasks/prepare_data.py", data: Buffer.from("def main(session):\n    return None\n") },
    { path: "mlpipeline/__init__.py", data: Buffer.alloc(0) },
    { path: "tasks/__init__.py", data: Buffer.alloc(0) },
    { path: "mlpipeline/config.py", data: Buffer.from("X = 1\n") },
  ];

  it("same input, same bytes; input order does not matter", async () => {
    const a = await deterministicZip(files);
    const b = await deterministicZip(files);
    const c = await deterministicZip([...files].reverse());
    assert.ok(a.equals(b));
    assert.ok(a.equals(c));
  });

  it("byte-identical in UTC and Asia/Tokyo (separate processes)", async () => {
    const script = `
      const { deterministicZip } = require(${JSON.stringify(resolve(__dirname, "../../lib/bundle/zip.ts"))});
      const files = ${JSON.stringify(files.map((f) => ({ path: f.path, data: f.data.toString("base64") })))};
      deterministicZip(files.map((f) => ({ path: f.path, data: Buffer.from(f.data, "base64") })))
        .then((zip) => process.stdout.write(new Date(1980, 0, 1).getTimezoneOffset() + " " + zip.toString("base64")));
    `;
    const inZone = (tz: string) => {
      const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", env: { ...process.env, TZ: tz } });
      assert.equal(run.status, 0, run.stderr);
      const [offset, zip] = run.stdout.split(" ");
      return { offset: Number(offset), zip };
    };
    const utc = inZone("UTC");
    const tokyo = inZone("Asia/Tokyo");
    assert.equal(utc.offset, 0);
    assert.equal(tokyo.offset, -540, "the child really ran in Tokyo time");
    assert.equal(utc.zip, tokyo.zip);
    assert.equal(utc.zip, (await deterministicZip(files)).toString("base64"));
  });

  it("Python's zipfile reads it: sorted paths, stored, 1980-01-01, mode 644, CRCs good, no directories", { skip: existsSync(PYTHON) ? false : `${PYTHON} not found` }, async () => {
    const zip = await deterministicZip(files, { comment: "bundle v1" });
    const script = [
      "import io, json, sys, zipfile",
      "z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))",
      "print(json.dumps({'bad': z.testzip(), 'comment': z.comment.decode(), 'entries': [",
      "  [i.filename, i.compress_type, list(i.date_time), oct(i.external_attr >> 16), i.extra.hex(), i.is_dir()] for i in z.infolist()]}))",
    ].join("\n");
    const run = spawnSync(PYTHON, ["-c", script], { input: zip, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const entry = (name: string) => [name, 0, [1980, 1, 1, 0, 0, 0], "0o100644", "", false];
    assert.deepEqual(JSON.parse(run.stdout), {
      bad: null,
      comment: "bundle v1",
      entries: [entry("mlpipeline/__init__.py"), entry("mlpipeline/config.py"), entry("tasks/__init__.py"), entry("tasks/prepare_data.py")],
    });
  });

  it("an empty archive is the 22-byte end record", async () => {
    assert.deepEqual(await deterministicZip([]), hex("504b0506", "0000", "0000", "0000", "0000", "00000000", "00000000", "0000"));
  });

  const errors: [string, ZipInput[], string | undefined, string][] = [
    ["a path twice", [{ path: "a.py", data: Buffer.from("1") }, { path: "a.py", data: Buffer.from("2") }], undefined, 'cannot zip "a.py" twice'],
    ["an absolute path", [{ path: "/etc/a.py", data: Buffer.alloc(0) }], undefined, 'cannot zip "/etc/a.py": the path is absolute'],
    ["a drive path", [{ path: "C:/a.py", data: Buffer.alloc(0) }], undefined, 'cannot zip "C:/a.py": the path is absolute'],
    ["a backslash", [{ path: "tasks\\a.py", data: Buffer.alloc(0) }], undefined, 'cannot zip "tasks\\\\a.py": the path has a backslash; use /'],
    ["a directory", [{ path: "tasks/", data: Buffer.alloc(0) }], undefined, 'cannot zip "tasks/": directory entries are not written'],
    ["a .. part", [{ path: "tasks/../a.py", data: Buffer.alloc(0) }], undefined, 'cannot zip "tasks/../a.py": the path has an empty, . or .. part'],
    ["an empty path", [{ path: "", data: Buffer.alloc(0) }], undefined, 'cannot zip "": the path is empty'],
    ["a non-ASCII comment", [], "bündle", 'the zip comment must be printable ASCII, got "bündle"'],
  ];
  for (const [name, input, comment, message] of errors) {
    it(`rejects ${name}`, async () => {
      await assert.rejects(deterministicZip(input, { comment }), { message });
    });
  }
});
