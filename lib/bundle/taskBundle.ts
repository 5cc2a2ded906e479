/**
 * The code a task ships, and the hashes that name it on the stage
 * (docs/design.md "Names in Snowflake": …/<TASK>/<sha256>/<file>.zip and …/<TASK>/payload/<sha256>/).
 *
 * A hash changes exactly when the shipped code changes: only the entrypoint's local module closure is
 * included (lib/bundle/pythonImports.ts), paths are relative to pipeline-code/, and neither file times,
 * modes nor the machine's time zone enter the bytes (lib/bundle/zip.ts).
 *
 * BUNDLE_SCHEME names the way bundles and payload manifests are built and is part of what is hashed
 * (the zip comment, the manifest's first line). Changing how bundles are built without changing it
 * could give different bytes under an old hash, or the same code two hashes across versions; bump it
 * whenever the layout changes, which deliberately moves every task to a new stage path.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { localModuleClosure, PythonSources } from "./pythonImports";
import { deterministicZip } from "./zip";

export const BUNDLE_SCHEME = "v1";
export const BUNDLE_ZIP_COMMENT = `snowflake-ml-pipeline task bundle ${BUNDLE_SCHEME}`;
export const PAYLOAD_MANIFEST_HEADER = `# snowflake-ml-pipeline payload ${BUNDLE_SCHEME}`;

export interface TaskBundle {
  /** <entrypoint basename>.zip, e.g. prepare_data.zip. */
  fileName: string;
  zip: Buffer;
  /** SHA-256 of the zip bytes, lower-case hex. */
  sha256: string;
  /** The files in the zip: localModuleClosure(codeRoot, entrypoint). */
  files: string[];
}

export interface PayloadFile {
  path: string;
  sha256: string;
  size: number;
}

export interface Payload {
  files: PayloadFile[];
  /** SHA-256 of payloadManifest(files). */
  sha256: string;
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** The zip a Python task IMPORTS: its entrypoint and local modules, paths relative to codeRoot. */
export async function buildTaskBundle(codeRoot: string, entrypoint: string, sources: PythonSources): Promise<TaskBundle> {
  if (!entrypoint.endsWith(".py")) throw new Error(`entrypoint ${entrypoint} is not a .py file`);
  const files = localModuleClosure(codeRoot, entrypoint, sources);
  const zip = await deterministicZip(
    files.map((path) => ({ path, data: readFileSync(resolve(codeRoot, path)) })),
    { comment: BUNDLE_ZIP_COMMENT },
  );
  return { fileName: `${basename(entrypoint, ".py")}.zip`, zip, sha256: sha256(zip), files };
}

/**
 * The files of an ML Job payload (uploaded one by one under …/payload/<sha256>/) and their combined
 * hash: the SHA-256 of the manifest, which lists every file in sha256sum's format.
 */
export function buildPayload(codeRoot: string, entrypoint: string, sources: PythonSources): Payload {
  const files = localModuleClosure(codeRoot, entrypoint, sources).map((path) => {
    const data = readFileSync(resolve(codeRoot, path));
    return { path, sha256: sha256(data), size: data.length };
  });
  return { files, sha256: sha256(payloadManifest(files)) };
}

/**
 * The hashed manifest: the scheme line, then "<sha256>  <path>" per file in path order, each line
 * ending in "\n" — exactly what `sha256sum <paths>` prints after the first line, so it can be checked
 * by hand. Paths come from Python module names, so they hold no line breaks.
 */
export function payloadManifest(files: { path: string; sha256: string }[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [PAYLOAD_MANIFEST_HEADER, ...sorted.map((f) => `${f.sha256}  ${f.path}`)].join("\n") + "\n";
}
