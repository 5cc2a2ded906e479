import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PythonSources } from "./bundle/pythonImports";
import { buildPayload, buildTaskBundle } from "./bundle/taskBundle";
import { SAMPLE_DATA_FILE } from "./config/resolveConfiguration";
import { PipelineDefinition } from "./types";

/** A file to stage: `source` is relative to the project directory, where the provider runs. */
export interface StagedFileSpec {
  path: string;
  sha256: string;
  size: number;
  source: string;
}

export interface TaskBundleArtifact {
  sha256: string;
  fileName: string;
  /** Modules inside the bundle, relative to pipeline-code/. */
  modules: string[];
  file: StagedFileSpec;
}

export interface PayloadArtifact {
  sha256: string;
  entrypoint: string;
  files: StagedFileSpec[];
}

export interface PipelineArtifacts {
  bundles: Record<string, TaskBundleArtifact>;
  payloads: Record<string, PayloadArtifact>;
  sampleData?: { sha256: string; file: StagedFileSpec };
}

/** Build outputs live here, relative to the project directory (ignored by git). */
export const BUILD_DIR = ".build";

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Writes content-addressed files once; an existing file with the same path has the same bytes. */
function writeOnce(projectDir: string, relativePath: string, data: Buffer): void {
  const full = join(projectDir, relativePath);
  if (existsSync(full)) return;
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

/**
 * Builds every Python task's bundle, every ML Job payload and the sample data, and writes them
 * under .build/ by content hash, so `pulumi up` uploads exactly the bytes the plan hashed.
 */
export async function buildPipelineArtifacts(args: {
  projectDir: string;
  codeRoot: string;
  pipeline: PipelineDefinition;
  sampleData: boolean;
  /** The code folder's parsed Python (ResolvedConfiguration.python). */
  python: PythonSources;
}): Promise<PipelineArtifacts> {
  const { projectDir, codeRoot, pipeline } = args;
  const bundles: Record<string, TaskBundleArtifact> = {};
  const payloads: Record<string, PayloadArtifact> = {};
  for (const task of pipeline.tasks) {
    if (task.entrypoint) {
      const bundle = await buildTaskBundle(codeRoot, task.entrypoint, args.python);
      const source = `${BUILD_DIR}/bundles/${bundle.sha256}/${bundle.fileName}`;
      writeOnce(projectDir, source, bundle.zip);
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
        const source = `${BUILD_DIR}/payloads/${payload.sha256}/${f.path}`;
        const full = join(projectDir, source);
        if (!existsSync(full)) {
          mkdirSync(dirname(full), { recursive: true });
          copyFileSync(join(codeRoot, f.path), full);
        }
        return { path: f.path, sha256: f.sha256, size: f.size, source };
      });
      payloads[task.name] = { sha256: payload.sha256, entrypoint: task.job.payload, files };
    }
  }
  let sampleData: PipelineArtifacts["sampleData"];
  if (args.sampleData) {
    const data = readFileSync(join(codeRoot, SAMPLE_DATA_FILE));
    const hash = sha256(data);
    const name = basename(SAMPLE_DATA_FILE);
    const source = `${BUILD_DIR}/sample/${hash}/${name}`;
    writeOnce(projectDir, source, data);
    sampleData = { sha256: hash, file: { path: name, sha256: hash, size: data.length, source } };
  }
  return { bundles, payloads, sampleData };
}

/** The content hash of every task's bundle and ML Job payload, by task: what a stack exports and promotion compares. */
export function artifactShas(artifacts: PipelineArtifacts): { bundleSha256: Record<string, string>; payloadSha256: Record<string, string> } {
  return {
    bundleSha256: Object.fromEntries(Object.entries(artifacts.bundles).map(([task, b]) => [task, b.sha256])),
    payloadSha256: Object.fromEntries(Object.entries(artifacts.payloads).map(([task, p]) => [task, p.sha256])),
  };
}
