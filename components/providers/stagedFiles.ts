/**
 * A content-addressed set of files on an internal stage, as a dynamic provider.
 * Type token `pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles`.
 *
 * The directory holds the content hash (docs/design.md "Names in Snowflake"), so the bytes under a
 * path never change: a new bundle is a new directory, created before the old one is removed.
 *
 * SQL:
 *   create  PUT 'file://<absolute local path>' '@<stage>/<directory>[/<subdir>]' AUTO_COMPRESS=FALSE OVERWRITE=TRUE   (per file)
 *   read    LIST '@<stage>/<directory>/'       (a file missing or of another size: gone)
 *   delete  REMOVE '@<stage>/<directory>/'
 *
 * `source` is relative to the process working directory (the project directory, where `pulumi`
 * runs); the absolute local path is only used to upload and never lands in inputs, outputs or state.
 * The provider has the shape of snowflake/dynamicProvider.ts: credentials only from the stack
 * config through `configure`, one session per operation, failures named by resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { isUnknown, providerKit, show, type CheckFailure, type ProviderSessionOpener } from "../../snowflake/dynamicProvider";

export interface StagedFileSpec {
  /** Path under the directory on the stage, e.g. prepare_data.zip or jobs/train.py. */
  path: string;
  /** sha256 of the bytes (lower-case hex). */
  sha256: string;
  size: number;
  /** Local file relative to the project directory, e.g. .build/bundles/<sha>/prepare_data.zip. */
  source: string;
}

export interface StagedFilesInputs {
  /** Fully qualified, unquoted: ML_DEV.PIPELINE.CODE_STAGE. */
  stage: string;
  /** Directory on the stage, e.g. MORTGAGE_PIPELINE/PREPARE_DATA/<sha256>. */
  directory: string;
  files: StagedFileSpec[];
}

export interface StagedFilesOutputs extends StagedFilesInputs {
  /** `@<stage>/<directory>/` */
  location: string;
}

export interface StagedFilesArgs {
  stage: pulumi.Input<string>;
  directory: pulumi.Input<string>;
  files: pulumi.Input<pulumi.Input<StagedFileSpec>[]>;
}

const STAGE = /^[A-Z_][A-Z0-9_$]*\.[A-Z_][A-Z0-9_$]*\.[A-Z_][A-Z0-9_$]*$/;
/** Path segments allowed on the stage (no quotes, blanks, wildcards or `..`). */
const SEGMENT = /^[A-Za-z0-9_$=+-][A-Za-z0-9_.$=+-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const stageLocation = (stage: string, directory: string) => `@${stage}/${directory}/`;

const relativePathOk = (p: unknown) =>
  typeof p === "string" && p.length > 0 && p.split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..");

/** Validation problems of new inputs; unknown (preview) values are not judged. */
export function stagedFilesProblems(p: Record<string, any>): CheckFailure[] {
  const problems: CheckFailure[] = [];
  const known = (v: unknown) => !isUnknown(v);
  if (known(p.stage) && (typeof p.stage !== "string" || !STAGE.test(p.stage))) {
    problems.push({ property: "stage", reason: `expected a fully qualified unquoted stage name DB.SCHEMA.STAGE, got ${show(p.stage)}` });
  }
  if (known(p.directory) && !relativePathOk(p.directory)) {
    problems.push({ property: "directory", reason: `expected a relative path of plain segments (A-Z a-z 0-9 _ . $ = + -), got ${show(p.directory)}` });
  }
  if (!known(p.files)) return problems;
  if (!Array.isArray(p.files) || p.files.length === 0) {
    problems.push({ property: "files", reason: `expected a non-empty list of files, got ${show(p.files)}` });
    return problems;
  }
  const seen = new Set<string>();
  p.files.forEach((f: any, i: number) => {
    if (!known(f)) return;
    const bad = (reason: string) => problems.push({ property: "files", reason: `files[${i}]: ${reason}` });
    if (typeof f !== "object" || f === null) return void bad(`expected {path, sha256, size, source}, got ${show(f)}`);
    if (known(f.path) && !relativePathOk(f.path)) bad(`path: expected a relative path of plain segments, got ${show(f.path)}`);
    if (known(f.path) && seen.has(f.path)) bad(`path ${show(f.path)} appears twice`);
    seen.add(f.path);
    if (known(f.sha256) && !(typeof f.sha256 === "string" && SHA256.test(f.sha256))) bad(`sha256: expected 64 lower-case hex digits, got ${show(f.sha256)}`);
    if (known(f.size) && !(Number.isInteger(f.size) && f.size >= 0)) bad(`size: expected an integer >= 0, got ${show(f.size)}`);
    if (known(f.source)) {
      if (typeof f.source !== "string" || f.source === "" || /^([/\\]|[A-Za-z]:)/.test(f.source) || f.source.includes("'")) {
        bad(`source: expected a path relative to the project directory (no quotes), got ${show(f.source)}`);
      } else if (known(f.path) && typeof f.path === "string" && f.source.split(/[/\\]/).pop() !== f.path.split("/").pop()) {
        bad(`source ${show(f.source)} must have the same file name as path ${show(f.path)} (PUT keeps the local file name)`);
      }
    }
  });
  return problems;
}

const fileKey = (f: StagedFileSpec) => `${f.path}\n${f.sha256}\n${f.size}`;
const sortFiles = (files: StagedFileSpec[]) =>
  Array.isArray(files) ? [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) : files;

/** The PUT of one file: its directory on the stage is the set's directory plus the file's subdirectory. */
export function putSql(stage: string, directory: string, file: StagedFileSpec, absolutePath: string): string {
  const slash = file.path.lastIndexOf("/");
  const target = `@${stage}/${directory}${slash > 0 ? `/${file.path.slice(0, slash)}` : ""}`;
  return `PUT 'file://${absolutePath.replace(/\\/g, "/")}' '${target}' AUTO_COMPRESS=FALSE OVERWRITE=TRUE`;
}

/**
 * Another location is a replacement that uploads first; other files under the same location remove
 * first; only a moved local source is an update with nothing to upload.
 */
export function stagedFilesDiff(olds: Record<string, any>, news: Record<string, any>): pulumi.dynamic.DiffResult {
  const moved = ["stage", "directory"].filter((k) => olds[k] !== news[k]);
  // Another location: upload the new directory, then remove the old one (the default order).
  if (moved.length > 0) return { changes: true, replaces: moved };
  const same = (a: unknown, b: unknown) =>
    Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((f, i) => fileKey(f) === fileKey(b[i]));
  const before = sortFiles(olds.files);
  const after = sortFiles(news.files);
  // Other files under the same location: creating first and removing after would remove the new
  // upload, so remove first. (With the hash in the directory this only happens by mistake.)
  if (!same(before, after)) return { changes: true, replaces: ["files"], deleteBeforeReplace: true };
  // Only a local source path moved (same bytes by hash): record it, nothing to upload.
  const sources = (fs: StagedFileSpec[]) => JSON.stringify(fs.map((f) => f.source));
  return { changes: sources(before) !== sources(after) };
}

/**
 * Builds the provider. Pulumi uses `stagedFilesProvider` (sessions from `configure`); tests pass
 * `openSession` to run the methods against the Snowflake stub.
 */
export function createStagedFilesProvider(openSession?: ProviderSessionOpener) {
  const kit = providerKit("StagedFiles", openSession);
  const outputs = (p: Record<string, any>): StagedFilesOutputs => ({
    stage: p.stage,
    directory: p.directory,
    files: sortFiles(p.files).map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, source: f.source })),
    location: stageLocation(p.stage, p.directory),
  });

  const provider = {
    configure: kit.configure,

    async check(_olds: Record<string, any>, news: Record<string, any>) {
      return kit.checked({ ...news, files: sortFiles(news.files) }, stagedFilesProblems(news));
    },

    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      return stagedFilesDiff(olds, news);
    },

    async create(inputs: Record<string, any>) {
      const outs = outputs(inputs);
      // Local modules, required here so the serialized provider does not capture them.
      const fs: typeof import("node:fs") = require("node:fs");
      const path: typeof import("node:path") = require("node:path");
      const crypto: typeof import("node:crypto") = require("node:crypto");
      const uploads = outs.files.map((file) => {
        const absolute = path.resolve(process.cwd(), file.source);
        const where = `StagedFiles ${outs.location}: local file ${file.source} (for ${file.path})`;
        const rerun = `Run pulumi from the project directory (current directory: ${process.cwd()}) so the build output is found and current.`;
        if (!fs.existsSync(absolute)) throw new Error(`${where} does not exist. ${rerun}`);
        const actual = crypto.createHash("sha256").update(fs.readFileSync(absolute)).digest("hex");
        if (actual !== file.sha256) {
          throw new Error(`${where} has sha256 ${actual}, but the program expected ${file.sha256}. ${rerun}`);
        }
        if (absolute.includes("'")) throw new Error(`${where}: the absolute path contains a quote, which PUT cannot take.`);
        return putSql(outs.stage, outs.directory, file, absolute);
      });
      await kit.withSession(outs.location, async (s) => {
        for (const sql of uploads) {
          const rows = await s.execute(sql);
          const failed = rows.filter((r) => r.status !== "UPLOADED" && r.status !== "SKIPPED");
          if (failed.length > 0) {
            throw new Error(`upload failed: ${failed.map((r) => `${r.source}: ${r.status} ${r.message ?? ""}`).join("; ")}`);
          }
        }
      });
      return { id: outs.location, outs };
    },

    async update(_id: string, _olds: Record<string, any>, news: Record<string, any>) {
      // Reached only when nothing but local source paths changed (see diff): nothing to upload.
      return { outs: outputs(news) };
    },

    async read(id: string, props: Record<string, any>) {
      const outs = outputs(props);
      const rows = await kit.withSession(outs.location, (s) => s.execute(`LIST '${outs.location}'`));
      // LIST names look like code_stage/<directory>/<path>; sizes of client-side encrypted internal
      // stages may be rounded up to the 16-byte AES block, so accept that size as well.
      const present = outs.files.every((f) =>
        rows.some((r) => {
          const name = String(r.name);
          const size = Number(r.size);
          return name.endsWith(`/${outs.directory}/${f.path}`) && (size === f.size || size === (Math.floor(f.size / 16) + 1) * 16);
        }),
      );
      return present ? { id, props: outs } : {};
    },

    async delete(_id: string, props: Record<string, any>) {
      const location = stageLocation(props.stage, props.directory);
      await kit.withSession(location, (s) => s.execute(`REMOVE '${location}'`));
    },
  };
  return provider;
}

/** The one provider object Pulumi serializes for every StagedFiles (cached by identity). */
export const stagedFilesProvider = createStagedFilesProvider();

export class StagedFiles extends pulumi.dynamic.Resource {
  declare readonly stage: pulumi.Output<string>;
  declare readonly directory: pulumi.Output<string>;
  declare readonly files: pulumi.Output<StagedFileSpec[]>;
  /** `@<stage>/<directory>/` */
  declare readonly location: pulumi.Output<string>;

  constructor(name: string, args: StagedFilesArgs, opts?: pulumi.CustomResourceOptions) {
    super(stagedFilesProvider, name, { ...args, location: undefined }, opts, "snowflake-ml-pipeline", "StagedFiles");
  }
}
