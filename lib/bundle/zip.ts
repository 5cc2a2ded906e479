/**
 * A zip whose bytes depend only on the files given: the bundle's SHA-256 is part of its stage path,
 * so the same code must give the same hash on every machine, or every deploy would re-upload and
 * replace the tasks.
 *
 * - entries sorted by path, no directory entries;
 * - STORED (no compression), so the bytes do not depend on the zlib version;
 * - DOS timestamp fixed at 1980-01-01 00:00. yazl converts dates to DOS time with the local time zone,
 *   so the date is built in local time (new Date(1980, 0, 1)) and encodes the same fields in every
 *   zone; forceDosTimestamp leaves out the extended-timestamp field, which would store UTC seconds;
 * - mode 0o100644 (a regular, non-executable file) whatever the files' modes on disk.
 */
import { ZipFile } from "yazl";

export const ZIP_FILE_MODE = 0o100644;

export interface ZipInput {
  path: string;
  data: Buffer;
}

export interface ZipOptions {
  /** Archive comment (printable ASCII): records how the archive was made, and so enters its hash. */
  comment?: string;
}

export async function deterministicZip(files: ZipInput[], options: ZipOptions = {}): Promise<Buffer> {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  sorted.forEach((file, i) => {
    const problem = pathProblem(file.path);
    if (problem) throw new Error(`cannot zip ${JSON.stringify(file.path)}: ${problem}`);
    if (i > 0 && sorted[i - 1].path === file.path) throw new Error(`cannot zip ${JSON.stringify(file.path)} twice`);
  });
  const comment = options.comment ?? "";
  if (!/^[\x20-\x7e]*$/.test(comment)) throw new Error(`the zip comment must be printable ASCII, got ${JSON.stringify(comment)}`);

  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const zip = new ZipFile();
  for (const file of sorted) {
    zip.addBuffer(file.data, file.path, { mtime, mode: ZIP_FILE_MODE, compress: false, forceDosTimestamp: true });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.on("error", reject);
    zip.end({ forceZip64Format: false, comment });
  });
}

/** Zip entry names are relative POSIX paths; anything else would unpack somewhere unexpected. */
function pathProblem(path: string): string | undefined {
  if (path === "") return "the path is empty";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "the path is absolute";
  if (path.includes("\\")) return "the path has a backslash; use /";
  if (path.endsWith("/")) return "directory entries are not written";
  if (path.split("/").some((part) => part === "" || part === "." || part === "..")) return "the path has an empty, . or .. part";
  return undefined;
}
