/**
 * The real Pulumi engine for tests: the Pulumi CLI on PATH, its Node.js language host loading this
 * project's index.ts (TypeScript, as `pulumi up` loads it), the real pulumi-resource-snowflake
 * plugin, all driven through the Automation API (@pulumi/pulumi/automation) with a local file
 * backend and passphrase secrets in a temporary folder, against the Snowflake stand-in
 * (snowflakeStub.ts in catalog mode) on 127.0.0.1.
 *
 * `engineAvailability()` says whether the engine is here; without `pulumi` on PATH every engine
 * test skips with that reason. With it, a missing plugin is an error, never a skip.
 *
 * A project is a temporary copy of the program (index.ts, program.ts and the folders it imports),
 * this repository's Pulumi.yaml, and the stack files and pipelines of a fixture (or the sample's),
 * with node_modules linked to this repository's. The stack config points `snowflake:host`,
 * `snowflake:port` and `snowflake:protocol` at the stand-in; the private key is a key pair made
 * here, set as a Pulumi secret; the stand-in accepts only that key.
 */
import * as crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, stringify } from "yaml";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { startSnowflakeStub, stubEndpoint, type SnowflakeStub } from "./snowflakeStub";
import type { FixturePipeline } from "./fixtureProject";

export const REPO_DIR = join(__dirname, "..", "..");

/** What the program is made of: copied into every engine project. */
const PROGRAM_PARTS = ["index.ts", "program.ts", "package.json", "tsconfig.json", "Pulumi.yaml", "components", "lib", "snowflake", "build", "schemas"];

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export type Availability = { ok: true; pulumi: string; version: string } | { ok: false; reason: string };

/**
 * Whether the real engine can run here: `pulumi` on PATH (else a skip reason). With a CLI, the
 * Node.js language host and the Snowflake plugin must be found too, or this throws naming them.
 */
export function engineAvailability(): Availability {
  const pulumi = onPath("pulumi");
  if (!pulumi) return { ok: false, reason: "no `pulumi` on PATH: the engine tests need the Pulumi CLI, pulumi-language-nodejs and pulumi-resource-snowflake 1.3.0 (README, \"Testing on the real engine\")" };
  const missing = ["pulumi-language-nodejs", "pulumi-resource-snowflake"].filter((p) => !onPath(p) && !existsSync(join(dirname(pulumi), p)));
  if (missing.length > 0) throw new Error(`pulumi is on PATH (${pulumi}) but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not; put the plugin binaries on PATH.`);
  const version = execFileSync(pulumi, ["version"], { encoding: "utf8" }).trim();
  return { ok: true, pulumi, version };
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function newKeyPair(): KeyPair {
  return crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
}

/** The stand-in with the users of the stack files and the roles and integrations they expect to exist. */
export async function startStandIn(options: { users: string[]; key: KeyPair; roles?: string[]; integrations?: string[] }): Promise<SnowflakeStub> {
  return startSnowflakeStub({
    catalog: { roles: options.roles ?? [], integrations: options.integrations ?? [] },
    users: Object.fromEntries(options.users.map((u) => [u, options.key.publicKey])),
  });
}

/** One engine operation's outcome, from the engine's events. */
export interface RunResult {
  ok: boolean;
  /** The error the Automation API raised (stderr and stdout of the CLI). */
  error?: string;
  /** Every step by URN: `create`, `update`, `delete`, `replace`, `same`, `refresh`, … */
  steps: { urn: string; type: string; op: string; inputs?: Record<string, unknown> }[];
  /** Diagnostics (errors and warnings) the engine printed. */
  diagnostics: { severity: string; message: string; urn?: string }[];
  /** The summary's change counts. */
  changes: Record<string, number>;
  /** Wall time of the command. */
  ms: number;
  stdout: string;
  /** Statement sequence numbers of the stand-in before and after the operation. */
  fromSeq: number;
  toSeq: number;
}

/** Logical name of a URN (after the last `::`). */
export const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * Steps that change something (not `same`, not the refresh's reads). The engine's default provider
 * of the dynamic resources is left out: it takes the whole stack config as inputs, so any config
 * edit "updates" it, and that changes nothing in Snowflake.
 */
export function changedSteps(result: RunResult) {
  return result.steps.filter(
    (s) => !["same", "read", "refresh"].includes(s.op) && s.type !== "pulumi:pulumi:Stack" && !(s.type.startsWith("pulumi:providers:") && urnName(s.urn).startsWith("default")),
  );
}

export interface EngineProject {
  dir: string;
  stub: SnowflakeStub;
  write(path: string, text: string): void;
  read(path: string): string;
  remove(path: string): void;
  /** Changes one stack file's config (undefined removes a key; keys without ":" get the project namespace). */
  setStackConfig(stack: string, changes: Record<string, unknown>): void;
  stack(name: string): Promise<EngineStack>;
  cleanup(): Promise<void>;
}

export interface EngineStack {
  stack: Stack;
  preview(): Promise<RunResult>;
  up(options?: { onEvent?: (event: EngineEvent) => void; signal?: AbortSignal }): Promise<RunResult>;
  /** `pulumi destroy --run-program`, as the README tells users (docs/operations.md). */
  destroy(): Promise<RunResult>;
  refresh(): Promise<RunResult>;
  outputs(): Promise<Record<string, unknown>>;
}

export interface EngineProjectOptions {
  /** Fixture pipelines to write (relative paths); absent with `sample`: the repository's pipeline-code/. */
  pipelines?: FixturePipeline[];
  /** Stack files: stack name -> config (snowflake:privateKey is set here as a secret, never in the file). */
  stacks?: Record<string, Record<string, unknown>>;
  /** Use the repository's own Pulumi.<stack>.yaml files and pipeline-code/ (the sample). */
  sample?: boolean;
  /** More environment variables for the CLI (e.g. PULUMI_SKIP_CHECKPOINTS for the bench). */
  env?: Record<string, string>;
  /** Writes more files into the project directory (e.g. a generated pipeline); the repository's Pulumi.yaml is kept. */
  populate?: (dir: string) => void;
  /** Users the stand-in accepts (the stack files' snowflake:user values). */
  users: string[];
  roles?: string[];
  integrations?: string[];
}

/** A temporary engine project with its own stand-in, state backend and key pair. */
export async function engineProject(options: EngineProjectOptions): Promise<EngineProject> {
  const root = mkdtempSync(join(tmpdir(), "mlpipe-engine-"));
  const dir = join(root, "project");
  const state = join(root, "state");
  mkdirSync(dir);
  mkdirSync(state);
  for (const part of PROGRAM_PARTS) cpSync(join(REPO_DIR, part), join(dir, part), { recursive: true });
  symlinkSync(join(REPO_DIR, "node_modules"), join(dir, "node_modules"), "dir");
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  if (options.sample) {
    cpSync(join(REPO_DIR, "pipeline-code"), join(dir, "pipeline-code"), { recursive: true, filter: (src) => !/__pycache__|\.pytest_cache|\.venv/.test(src) });
    for (const stack of ["dev", "prod"]) cpSync(join(REPO_DIR, `Pulumi.${stack}.yaml`), join(dir, `Pulumi.${stack}.yaml`));
  }
  for (const pipeline of options.pipelines ?? []) {
    write(pipeline.file, stringify(pipeline.definition));
    for (const [path, text] of Object.entries(pipeline.files)) write(join(dirname(pipeline.file), path), text);
  }
  if (options.populate) {
    options.populate(dir);
    cpSync(join(REPO_DIR, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  }
  for (const [stack, config] of Object.entries(options.stacks ?? {})) {
    const { ["snowflake:privateKey"]: _ignored, ...rest } = config;
    write(`Pulumi.${stack}.yaml`, stringify({ config: rest }));
  }
  const key = newKeyPair();
  const stub = await startStandIn({ users: options.users, key, roles: options.roles, integrations: options.integrations });
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  const pulumiBin = onPath("pulumi")!;
  const sdkDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // Type-checking is `npm run typecheck`'s job; the host still compiles index.ts with ts-node.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    // The CLI's distribution ships pulumi-resource-pulumi-nodejs next to the binary; @pulumi/pulumi has it too.
    PATH: [dirname(pulumiBin), sdkDir, process.env.PATH ?? ""].join(delimiter),
    ...options.env,
  };

  const stacks = new Map<string, EngineStack>();
  const project: EngineProject = {
    dir,
    stub,
    write,
    read: (path) => readFileSync(join(dir, path), "utf8"),
    remove: (path) => rmSync(join(dir, path), { recursive: true, force: true }),
    setStackConfig(stackName, changes) {
      const file = join(dir, `Pulumi.${stackName}.yaml`);
      const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
      for (const [k, v] of Object.entries(changes)) {
        const full = k.includes(":") ? k : `snowflake-ml-pipeline:${k}`;
        if (v === undefined) delete doc.config[full];
        else doc.config[full] = v;
      }
      writeFileSync(file, stringify(doc));
    },
    async stack(name) {
      const existing = stacks.get(name);
      if (existing) return existing;
      const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: dir }, { envVars });
      const endpoint = stubEndpoint(stub);
      await stack.setAllConfig({
        "snowflake:host": { value: endpoint.host },
        "snowflake:port": { value: String(endpoint.port) },
        "snowflake:protocol": { value: endpoint.protocol },
        "snowflake:privateKey": { value: key.privateKey, secret: true },
      });
      const engineStack = wrap(stack, stub);
      stacks.set(name, engineStack);
      return engineStack;
    },
    async cleanup() {
      await stub.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return project;
}

function wrap(stack: Stack, stub: SnowflakeStub): EngineStack {
  const run = async (kind: string, go: (onEvent: (e: EngineEvent) => void, onOutput: (s: string) => void) => Promise<{ summary?: { resourceChanges?: Record<string, number> }; changeSummary?: Record<string, number> }>, extra?: (e: EngineEvent) => void): Promise<RunResult> => {
    const steps: RunResult["steps"] = [];
    const diagnostics: RunResult["diagnostics"] = [];
    let stdout = "";
    let changes: Record<string, number> = {};
    const fromSeq = stub.catalog!.nextSeq;
    const start = performance.now();
    const onEvent = (e: EngineEvent) => {
      extra?.(e);
      const pre = e.resourcePreEvent?.metadata;
      if (pre) steps.push({ urn: pre.urn, type: pre.type, op: pre.op, inputs: (pre.new?.inputs ?? pre.old?.inputs) as Record<string, unknown> | undefined });
      if (e.diagnosticEvent && (e.diagnosticEvent.severity === "error" || e.diagnosticEvent.severity === "warning")) {
        diagnostics.push({ severity: e.diagnosticEvent.severity, message: e.diagnosticEvent.message, urn: e.diagnosticEvent.urn });
      }
      if (e.summaryEvent) changes = e.summaryEvent.resourceChanges as Record<string, number>;
    };
    try {
      const result = await go(onEvent, (s) => (stdout += s));
      return { ok: true, steps, diagnostics, changes: result.summary?.resourceChanges ?? result.changeSummary ?? changes, ms: performance.now() - start, stdout, fromSeq, toSeq: stub.catalog!.nextSeq - 1 };
    } catch (error) {
      return { ok: false, error: `${kind}: ${(error as Error).message}`, steps, diagnostics, changes, ms: performance.now() - start, stdout, fromSeq, toSeq: stub.catalog!.nextSeq - 1 };
    }
  };
  const common = { color: "never" as const, suppressProgress: true };
  return {
    stack,
    preview: () => run("preview", (onEvent, onOutput) => stack.preview({ ...common, onEvent, onOutput })),
    up: (options) => run("up", (onEvent, onOutput) => stack.up({ ...common, onEvent, onOutput, signal: options?.signal }), options?.onEvent),
    destroy: () => run("destroy", (onEvent, onOutput) => stack.destroy({ ...common, onEvent, onOutput, runProgram: true })),
    refresh: () => run("refresh", (onEvent, onOutput) => stack.refresh({ ...common, onEvent, onOutput })),
    outputs: async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value])),
  };
}

/** A readable one-line account of a run for assertion messages. */
export function describeRun(result: RunResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim());
  return `${result.ok ? "ok" : "FAILED"} in ${(result.ms / 1000).toFixed(1)} s; changes ${JSON.stringify(result.changes)}${errors.length ? `; errors: ${errors.join(" | ")}` : ""}${result.error && !result.ok ? `\n${result.error.slice(-4000)}` : ""}`;
}
