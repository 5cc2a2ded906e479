/**
 * What a pipeline ships (task bundles, ML Job payloads, sample data) and where its files are built,
 * as plain data. Building and writing the files is components/pipelineCode.ts.
 */

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

/** Where a bundle is written, relative to the project directory: by content hash, so a path never holds other bytes. */
export function bundleSource(sha256: string, fileName: string): string {
  return `${BUILD_DIR}/bundles/${sha256}/${fileName}`;
}

/** Where a payload file is written, relative to the project directory. */
export function payloadSource(sha256: string, path: string): string {
  return `${BUILD_DIR}/payloads/${sha256}/${path}`;
}

/** Where the sample data is written, relative to the project directory. */
export function sampleDataSource(sha256: string, fileName: string): string {
  return `${BUILD_DIR}/sample/${sha256}/${fileName}`;
}

/** The content hash of every task's bundle and ML Job payload, by task: what a stack exports and promotion compares. */
export function artifactShas(artifacts: PipelineArtifacts): { bundleSha256: Record<string, string>; payloadSha256: Record<string, string> } {
  return {
    bundleSha256: Object.fromEntries(Object.entries(artifacts.bundles).map(([task, b]) => [task, b.sha256])),
    payloadSha256: Object.fromEntries(Object.entries(artifacts.payloads).map(([task, p]) => [task, p.sha256])),
  };
}
