// A generated project of any size, for `npm run bench` and the tests that need a large graph:
// its own Pulumi.yaml, Pulumi.dev.yaml and pipeline-code/, written into a directory the caller owns.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** The stack configuration of a generated project (namespace snowflake-ml-pipeline). */
export const GENERATED_STACK_CONFIG: Record<string, unknown> = {
  "snowflake-ml-pipeline:database": "BENCH_DB",
  "snowflake-ml-pipeline:schema": "PIPELINE",
  "snowflake-ml-pipeline:dataSchema": "DATA",
  "snowflake-ml-pipeline:registrySchema": "MODELS",
  "snowflake-ml-pipeline:warehouse": { name: "BENCH_WH", size: "XSMALL" },
  "snowflake-ml-pipeline:computePool": { name: "BENCH_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 2 },
};

/** Writes Pulumi.yaml and Pulumi.<stack>.yaml of a project into `dir`. */
export function writeProjectFiles(dir: string, stacks: Record<string, Record<string, unknown>>): void {
  writeFileSync(join(dir, "Pulumi.yaml"), stringify({ name: "snowflake-ml-pipeline", runtime: { name: "nodejs", options: { typescript: true } } }));
  for (const [stack, config] of Object.entries(stacks)) writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
}

/**
 * A graph of `size` tasks counting the root (Snowflake allows 1,000): size - 1 Python tasks sharing
 * one module, in layers of up to 50, each task after one task of the previous layer, so the limit of
 * 100 children per task holds at every size. Written with a dev stack into `dir`.
 */
export function writeGeneratedProject(dir: string, size: number, pipelineName = "BENCH_PIPELINE"): void {
  const n = size - 1;
  const code = join(dir, "pipeline-code");
  mkdirSync(join(code, "gen"), { recursive: true });
  writeFileSync(join(code, "gen", "__init__.py"), "");
  writeFileSync(join(code, "gen", "common.py"), "def step(session, name):\n    return name\n");
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const name = `T${String(i).padStart(4, "0")}`;
    writeFileSync(join(code, "gen", `${name.toLowerCase()}.py`), `from gen import common\n\n\ndef main(session):\n    return common.step(session, "${name}")\n`);
    const layer = Math.floor(i / 50);
    const after = layer === 0 ? undefined : [`T${String((layer - 1) * 50 + (i % 50)).padStart(4, "0")}`];
    tasks.push({ name, entrypoint: `gen/${name.toLowerCase()}.py`, ...(after ? { after } : {}) });
  }
  writeFileSync(
    join(code, "pipeline.yaml"),
    stringify({ name: pipelineName, runtime: "3.11", packages: ["snowflake-snowpark-python"], config: { metric_threshold: 0.7 }, configSchema: { metric_threshold: { type: "number", minimum: 0, maximum: 1 } }, tasks }),
  );
  writeProjectFiles(dir, { dev: GENERATED_STACK_CONFIG });
}
