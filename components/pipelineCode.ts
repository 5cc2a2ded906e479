/**
 * Builds a pipeline's code: every Python task's bundle and every ML Job payload (lib/bundle), and the
 * sample data, written once under <projectDir>/.build/ by content hash, so `pulumi up` uploads
 * exactly the bytes the plan hashed. The only module of the component that writes files.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { bundleSource, PayloadArtifact, payloadSource, PipelineArtifacts, sampleDataSource, TaskBundleArtifact } from "../lib/artifacts";
import { PythonSources } from "../lib/bundle/pythonImports";
import { buildPayload, buildTaskBundle } from "../lib/bundle/taskBundle";
import { PipelineDefinition } from "../lib/types";

/** Writes content-addressed files once; an existing file with the same path has the same bytes. */
function writeOnce(projectDir: string, relativePath: string, write: (full: string) => void): void {
  const full = join(projectDir, relativePath);
  if (existsSync(full)) return;
  mkdirSync(dirname(full), { recursive: true });
  write(full);
}

/** Bundles and payloads of one pipeline, by task name. */
export async function buildPipelineCode(args: {
  projectDir: string;
  codeRoot: string;
  pipeline: PipelineDefinition;
  /** The code folder's parsed Python (resolveConfiguration's ResolvedPipeline.python). */
  python: PythonSources;
}): Promise<Pick<PipelineArtifacts, "bundles" | "payloads">> {
  const { projectDir, codeRoot, pipeline } = args;
  const bundles: Record<string, TaskBundleArtifact> = {};
  const payloads: Record<string, PayloadArtifact> = {};
  for (const task of pipeline.tasks) {
    if (task.entrypoint) {
      const bundle = await buildTaskBundle(codeRoot, task.entrypoint, args.python);
      const source = bundleSource(bundle.sha256, bundle.fileName);
      writeOnce(projectDir, source, (full) => writeFileSync(full, bundle.zip));
      bundles[task.name] = {
        sha256: bundle.sha256,
        fileName: bundle.fileName,
        modules: bundle.files,
        file: { path: bundle.fileName, sha256: bundle.sha256, size: bundle.zip.length, source },
      };
    }
    if (task.job) {
      const payload = buildPayload(codeRoot, task.job.payload, args.python);
      const files = payload.files.map((f) => {
        const source = payloadSource(payload.sha256, f.path);
        writeOnce(projectDir, source, (full) => copyFileSync(join(codeRoot, f.path), full));
        return { path: f.path, sha256: f.sha256, size: f.size, source };
      });
      payloads[task.name] = { sha256: payload.sha256, entrypoint: task.job.payload, files };
    }
  }
  return { bundles, payloads };
}

/** The sample data file, hashed and written under .build/. */
export function buildSampleData(projectDir: string, path: string): NonNullable<PipelineArtifacts["sampleData"]> {
  const data = readFileSync(path);
  const hash = createHash("sha256").update(data).digest("hex");
  const name = basename(path);
  const source = sampleDataSource(hash, name);
  writeOnce(projectDir, source, (full) => writeFileSync(full, data));
  return { sha256: hash, file: { path: name, sha256: hash, size: data.length, source } };
}
