/**
 * Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, the program behind
 * `pulumi-resource-pulumi-nodejs`), started as a child process the way `pulumi up` starts it, and
 * driven over its gRPC ResourceProvider protocol with the generated clients of `@pulumi/pulumi/proto`.
 * The protocol is @pulumi/pulumi 3.248.0's (proto/provider.proto as shipped in that package).
 *
 * How `pulumi up` starts it (read from @pulumi/pulumi 3.248.0):
 * - `pulumi-resource-pulumi-nodejs` runs `node <require.resolve('@pulumi/pulumi/cmd/dynamic-provider')> <args>`;
 *   the engine passes its own gRPC address as the last argument.
 * - `main(args)` only checks that an argument is there (it never dials the engine), binds a gRPC
 *   server on 127.0.0.1:0 and prints the port on stdout; the engine connects to it.
 * - The engine then calls Configure once with the stack config (keys `namespace:key`, secret values
 *   wrapped as secrets in `args`, all values as strings in the legacy `variables` map), and per
 *   resource Check, Diff, Create, Read, Update, Delete with the inputs, which carry the serialized
 *   provider in `__provider`. The host `require`s that text (cached per text), calls its
 *   `configure({config})` once, then the method.
 *
 * A minimal Engine service (Log only) is served and its address passed, as the engine would; the
 * host of 3.248.0 does not call it, so `engineLogs` stays empty unless a provider logs.
 *
 * The child process is always killed by `close()`; the caller owns any directory it created.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";

/** The @pulumi/pulumi version whose host and protocol these tests drive. */
export const PULUMI_SDK_VERSION: string = (require("@pulumi/pulumi/package.json") as { version: string }).version;

/** The Node SDK's wire marker of a secret value (`rpc.specialSigKey` / `specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Props = Record<string, unknown>;

export interface HostCallError extends Error {
  /** gRPC status code (2 = UNKNOWN for a provider's thrown error). */
  code: number;
  /** The status message as the engine receives it. */
  details: string;
}

export interface ProviderHost {
  /** Everything the host wrote to stderr so far (it logs failed check/diff/read/delete there). */
  stderr(): string;
  /** Messages the fake engine received through Engine.Log. */
  engineLogs: string[];
  configure(config: Record<string, string>, secretKeys: string[]): Promise<{ acceptSecrets: boolean }>;
  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  read(urn: string, id: string, properties: Props, inputs: Props): Promise<{ id: string; properties: Props; inputs?: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(urn: string, id: string, properties: Props): Promise<void>;
  close(): Promise<void>;
}

const struct = (value: Props) => structproto.Struct.fromJavaScript(value as Record<string, structproto.JavaScriptValue>);
const plain = (s: structproto.Struct | undefined): Props => (s ? (s.toJavaScript() as Props) : {});

/** A URN as the engine builds it for a dynamic resource of this project. */
export function dynamicUrn(type: string, name: string, stack = "dev", project = "snowflake-ml-pipeline"): string {
  return `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/${project}:${type}::${name}`;
}

/** One unary call; a gRPC error becomes a HostCallError with the status code and message. */
function unary<Res>(send: (cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) =>
    send((err, res) => {
      if (err) reject(Object.assign(new Error(err.details || err.message), { code: err.code, details: err.details }) as HostCallError);
      else resolve(res);
    }),
  );
}

async function startEngine(logs: string[]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED, details: "not part of this test engine" });
  server.addService(enginerpc.EngineService, {
    log: (call: grpc.ServerUnaryCall<engineproto.LogRequest, emptyproto.Empty>, cb: grpc.sendUnaryData<emptyproto.Empty>) => {
      logs.push(call.request.getMessage());
      cb(null, new emptyproto.Empty());
    },
    getRootResource: unimplemented,
    setRootResource: unimplemented,
    startDebugging: unimplemented,
    requirePulumiVersion: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

/**
 * Starts the host in `cwd` (where `pulumi up` would run: the project directory, which relative
 * StagedFiles sources are resolved against) with exactly `env` (plus NODE_PATH so the serialized
 * providers' `require("snowflake-sdk")` resolves from this repository's node_modules).
 */
export async function startProviderHost(options: { cwd: string; env: Record<string, string> }): Promise<ProviderHost> {
  const engineLogs: string[] = [];
  const engine = await startEngine(engineLogs);
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const nodeModules = path.resolve(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "..", "..");
  let child: ChildProcessWithoutNullStreams | undefined;
  let client: provrpc.ResourceProviderClient | undefined;
  let stderr = "";
  const close = async () => {
    client?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    }
    await new Promise<void>((resolve) => engine.server.tryShutdown(() => resolve()));
  };
  try {
    child = spawn(process.execPath, [script, engine.address], {
      cwd: options.cwd,
      env: { ...options.env, NODE_PATH: nodeModules },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`the provider host printed no port within 30 s; stderr:\n${stderr}`)), 30_000);
      child!.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const line = /^(\d+)\s*\n/.exec(out);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      child!.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the provider host exited (${code}) before printing its port; stderr:\n${stderr}`));
      });
    });
    client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  } catch (error) {
    await close();
    throw error;
  }
  const c = client;
  /** URN, type and name on a request, as the engine sets them (urn:pulumi:<stack>::<project>::<type>::<name>). */
  const typed = <T extends { setUrn(v: string): unknown; setName(v: string): unknown; setType(v: string): unknown }>(req: T, urn: string): T => {
    const parts = urn.split("::");
    req.setUrn(urn);
    req.setType(parts[2].split("$").pop()!);
    req.setName(parts[3]);
    return req;
  };

  return {
    stderr: () => stderr,
    engineLogs,
    async configure(config, secretKeys) {
      const req = new provproto.ConfigureRequest();
      const args: Props = {};
      for (const [key, value] of Object.entries(config)) {
        req.getVariablesMap().set(key, value);
        args[key] = secretKeys.includes(key) ? { [SIG_KEY]: SECRET_SIG, value } : value;
      }
      req.setArgs(struct(args));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      const res = await unary<provproto.ConfigureResponse>((cb) => c.configure(req, cb));
      return { acceptSecrets: res.getAcceptsecrets() };
    },
    async check(urn, olds, news) {
      const req = typed(new provproto.CheckRequest(), urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await unary<provproto.CheckResponse>((cb) => c.check(req, cb));
      return { inputs: plain(res.getInputs()), failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
    },
    async diff(urn, id, olds, news) {
      const req = typed(new provproto.DiffRequest(), urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      req.setOldInputs(struct(olds));
      const res = await unary<provproto.DiffResponse>((cb) => c.diff(req, cb));
      const kinds: Record<number, "none" | "some" | "unknown"> = {
        [provproto.DiffResponse.DiffChanges.DIFF_NONE]: "none",
        [provproto.DiffResponse.DiffChanges.DIFF_SOME]: "some",
        [provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "unknown",
      };
      return { changes: kinds[res.getChanges()], replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, properties) {
      const req = typed(new provproto.CreateRequest(), urn);
      req.setProperties(struct(properties));
      req.setTimeout(60);
      const res = await unary<provproto.CreateResponse>((cb) => c.create(req, cb));
      return { id: res.getId(), properties: plain(res.getProperties()) };
    },
    async read(urn, id, properties, inputs) {
      const req = typed(new provproto.ReadRequest(), urn);
      req.setId(id);
      req.setProperties(struct(properties));
      req.setInputs(struct(inputs));
      const res = await unary<provproto.ReadResponse>((cb) => c.read(req, cb));
      return { id: res.getId(), properties: plain(res.getProperties()), inputs: res.hasInputs() ? plain(res.getInputs()) : undefined };
    },
    async update(urn, id, olds, news) {
      const req = typed(new provproto.UpdateRequest(), urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      req.setOldInputs(struct(olds));
      req.setTimeout(60);
      const res = await unary<provproto.UpdateResponse>((cb) => c.update(req, cb));
      return { properties: plain(res.getProperties()) };
    },
    async delete(urn, id, properties) {
      const req = typed(new provproto.DeleteRequest(), urn);
      req.setId(id);
      req.setProperties(struct(properties));
      req.setOldInputs(struct(properties));
      req.setTimeout(60);
      await unary<emptyproto.Empty>((cb) => c.delete(req, cb));
    },
    close,
  };
}
