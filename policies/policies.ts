/**
 * CrossGuard guard rails for snowflake-ml-pipeline stacks: what a reviewer would otherwise check by
 * hand in every preview. Pure policy objects; `index.ts` only builds the PolicyPack from them (its
 * constructor starts a gRPC server, so tests import this module, never index.ts).
 *
 * Values that are unknown during a preview (e.g. a task's `afters`, which name tasks not created
 * yet) throw when read through the props the engine hands over; the checks read only what they
 * need, and skip a value that is not known yet instead of failing on it.
 */
import { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { PREVIEW_FEATURE_BY_TYPE } from "../components/previewFeatures";

export const TASK_TYPE = "snowflake:index/task:Task";
export const COMPUTE_POOL_TYPE = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:ComputePool";
export const SNOWFLAKE_PROVIDER_TYPE = "pulumi:providers:snowflake";
/** How the offline plan shows a secret; the engine hands policies the value itself. */
const PLAN_SECRET = "[secret]";

type Read<T = unknown> = { known: true; value: T } | { known: false };

/** A property, or "not known yet" during a preview (the props proxy throws UnknownValueError). */
export function read(obj: unknown, key: string): Read {
  if (!obj || typeof obj !== "object") return { known: true, value: undefined };
  try {
    return { known: true, value: (obj as Record<string, unknown>)[key] };
  } catch (error) {
    if ((error as Error)?.constructor?.name === "UnknownValueError") return { known: false };
    throw error;
  }
}

/** Whether a property is set, without reading its (maybe unknown) value. */
const isSet = (obj: object, key: string) => Object.prototype.hasOwnProperty.call(obj, key) && Object.getOwnPropertyDescriptor(obj, key)?.value !== undefined;

/** The stack of a URN: urn:pulumi:<stack>::<project>::… */
export function stackOfUrn(urn: string): string {
  return /^urn:pulumi:([^:]*)::/.exec(urn)?.[1] ?? "";
}

/** `"DB"."SCHEMA"."NAME"` or DB.SCHEMA.NAME -> DB.SCHEMA.NAME */
const unquote = (fqn: string) => fqn.replace(/"/g, "");

interface TaskInfo {
  resource: Pick<PolicyResource, "urn" | "name" | "props">;
  /** DB.SCHEMA.NAME */
  fqn: string;
  /** DB.SCHEMA.<root name>: the graph the task belongs to by this project's naming (<ROOT>$<TASK>). */
  graph: string;
  isChild: boolean;
}

function taskInfo(r: Pick<PolicyResource, "urn" | "name" | "props">): TaskInfo {
  const [db, schema, name] = ["database", "schema", "name"].map((k) => {
    const v = read(r.props, k);
    return v.known ? String(v.value) : "?";
  });
  const dollar = name.indexOf("$");
  return { resource: r, fqn: `${db}.${schema}.${name}`, graph: `${db}.${schema}.${dollar < 0 ? name : name.slice(0, dollar)}`, isChild: dollar >= 0 };
}

const hasPredecessors = (props: object): boolean => {
  if (!isSet(props, "afters")) return false;
  const afters = read(props, "afters");
  return !afters.known || (Array.isArray(afters.value) && afters.value.length > 0);
};

/** Every task except the root has predecessors (AFTER) or is the finalizer. */
export const taskHasPredecessors: ResourceValidationPolicy = {
  name: "task-has-predecessors",
  description: "Every task of a graph except its root has predecessors (AFTER) or is the graph's finalizer.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TASK_TYPE) return;
    const task = taskInfo(args);
    if (!task.isChild || hasPredecessors(args.props) || isSet(args.props, "finalize")) return;
    report(
      `task ${task.fqn} has no predecessor and is not the finalizer: Snowflake would make it a standalone root that runs ` +
        `outside the graph ${task.graph}. Give it "after" in pipeline.yaml (tasks without "after" follow the root).`,
    );
  },
};

/** Exactly one finalizer per graph, and it points at the graph's root. */
export const oneFinalizerAtRoot: StackValidationPolicy = {
  name: "one-finalizer-at-root",
  description: "Each task graph has exactly one finalizer task, and its FINALIZE names the graph's root.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const graphs = new Map<string, { root?: TaskInfo; finalizers: TaskInfo[] }>();
    for (const r of args.resources.filter((x) => x.type === TASK_TYPE)) {
      const task = taskInfo(r);
      const graph = graphs.get(task.graph) ?? { finalizers: [] };
      if (!task.isChild) graph.root = task;
      if (isSet(r.props, "finalize")) graph.finalizers.push(task);
      graphs.set(task.graph, graph);
    }
    for (const [name, graph] of [...graphs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (graph.finalizers.length !== 1) {
        const which = graph.finalizers.map((f) => f.fqn).join(", ");
        report(
          `task graph ${name} has ${graph.finalizers.length} finalizers${which ? ` (${which})` : ""}; expected exactly one ` +
            `(finalizer: true in pipeline.yaml), which cleans up after every run, successful or not`,
          graph.root?.resource.urn,
        );
      }
      for (const f of graph.finalizers) {
        const target = read(f.resource.props, "finalize");
        if (!target.known) continue; // the root is not created yet during a preview
        if (unquote(String(target.value)) !== name) {
          report(`finalizer ${f.fqn} points at ${unquote(String(target.value))}, not at its graph's root ${name}`, f.resource.urn);
        }
      }
    }
  },
};

export interface ProdGraphConfig {
  /** Stacks whose graphs must have retries, timeouts and an error integration. */
  productionStacks?: string[];
}

/** Prod graphs have retries, timeouts and an error integration (root task settings). */
export const prodGraphSettings: ResourceValidationPolicy = {
  name: "prod-graph-settings",
  description: "In production stacks, each graph's root task sets retries (taskRetries), a timeout (taskTimeoutMs) and an error integration (errorIntegration).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: { type: "array", items: { type: "string" }, default: ["prod"] },
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TASK_TYPE) return;
    const productionStacks = args.getConfig<ProdGraphConfig>().productionStacks ?? ["prod"];
    const stack = stackOfUrn(args.urn);
    const task = taskInfo(args);
    if (!productionStacks.includes(stack) || task.isChild) return;
    const missing: string[] = [];
    const retries = read(args.props, "taskAutoRetryAttempts");
    if (retries.known && !(typeof retries.value === "number" && retries.value >= 1)) missing.push("retries (taskRetries ≥ 1)");
    if (!isSet(args.props, "userTaskTimeoutMs")) missing.push("a timeout (taskTimeoutMs)");
    if (!isSet(args.props, "errorIntegration")) missing.push("an error integration (errorIntegration)");
    if (missing.length > 0) report(`root task ${task.fqn} of production stack "${stack}" lacks ${missing.join(", ")}`);
  },
};

/** Splits a SQL argument list: quoted strings may hold commas. */
function sqlArguments(list: string): string[] {
  return [...list.matchAll(/'(?:[^']|'')*'|[^,\s][^,]*/g)].map((m) => m[0].trim());
}

/**
 * The instances an ML Job task asks for: the TARGET_INSTANCES argument of its anonymous procedure
 * (docs/design.md, "Task definitions"), or undefined for a task without a job.
 */
export function jobTargetInstances(sql: string): number | undefined {
  const signature = /^WITH \w+ AS PROCEDURE \(([^)]*)\)/m.exec(sql);
  const call = /^CALL \w+\((.*)\)\s*$/m.exec(sql);
  if (!signature || !call) return undefined;
  const params = signature[1].split(",").map((p) => p.trim().split(/\s+/)[0]);
  const index = params.indexOf("TARGET_INSTANCES");
  if (index < 0) return undefined;
  const value = Number(sqlArguments(call[1])[index]);
  return Number.isFinite(value) ? value : undefined;
}

/** The compute pool's max nodes cover the largest ML Job of the graphs that use it. */
export const computePoolCoversJobs: StackValidationPolicy = {
  name: "compute-pool-covers-ml-jobs",
  description: "The compute pool a graph's ML Jobs run on (graph config compute_pool) has at least as many max nodes as the largest job's target instances.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const pools = new Map<string, PolicyResource>();
    for (const p of args.resources.filter((r) => r.type === COMPUTE_POOL_TYPE)) {
      const name = read(p.props, "name");
      if (name.known) pools.set(String(name.value), p);
    }
    const tasks = args.resources.filter((r) => r.type === TASK_TYPE).map(taskInfo);
    for (const root of tasks.filter((t) => !t.isChild)) {
      const config = read(root.resource.props, "config");
      if (!config.known || typeof config.value !== "string") continue;
      let poolName: unknown;
      try {
        poolName = (JSON.parse(config.value) as Record<string, unknown>).compute_pool;
      } catch {
        continue;
      }
      const pool = typeof poolName === "string" ? pools.get(poolName) : undefined;
      if (!pool) continue; // a pool this stack does not manage: nothing to compare with
      const maxNodes = read(pool.props, "maxNodes");
      if (!maxNodes.known) continue;
      for (const task of tasks.filter((t) => t.graph === root.graph && t.isChild)) {
        const sql = read(task.resource.props, "sqlStatement");
        const instances = sql.known && typeof sql.value === "string" ? jobTargetInstances(sql.value) : undefined;
        if (instances !== undefined && instances > Number(maxNodes.value)) {
          report(
            `task ${task.fqn} runs an ML Job on ${instances} instances, but compute pool ${String(poolName)} has maxNodes ${String(maxNodes.value)}; ` +
              `raise computePool.maxNodes or lower job.targetInstances`,
            task.resource.urn,
          );
        }
      }
    }
  },
};

/** Provider inputs that hold credentials, given as Pulumi secrets from the stack configuration. */
const PROVIDER_CREDENTIAL_INPUTS = new Set(["password", "privateKey", "privateKeyPassphrase", "token", "oauthClientSecret", "oauthRefreshToken", "oauthAccessToken"]);
const CREDENTIAL_KEY = /^(password|passphrase|private_?key|private_?key_?passphrase|secret|client_?secret|token|access_?token|refresh_?token|api_?key)$/i;
/**
 * A PEM private key: the header followed by key material (optional "Proc-Type:" style header lines,
 * then base64), with newlines as such or escaped (\\n, as in serialized code). The header alone
 * (e.g. in an error message that describes the expected format) is not a key.
 */
const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\s|\\[rn])+(?:[A-Za-z-]+: [^\n\\]*(?:\s|\\[rn])+)*[A-Za-z0-9+/=]{32,}/;
const SQL_PASSWORD = /\bPASSWORD\s*=\s*'(?:[^']|'')+'/i;

/** Credential findings in a value: [path, what], never the value itself. */
export function credentialFindings(value: unknown, path: string, key: string | undefined, depth = 0): [string, string][] {
  if (depth > 20) return [];
  if (typeof value === "string") {
    if (value === "" || value === PLAN_SECRET) return [];
    const findings: [string, string][] = [];
    if (key !== undefined && CREDENTIAL_KEY.test(key)) findings.push([path, `a credential ("${key}")`]);
    if (PRIVATE_KEY_PEM.test(value)) findings.push([path, "a PEM private key"]);
    if (SQL_PASSWORD.test(value)) findings.push([path, "a PASSWORD = '…' literal"]);
    if (/^\s*\{/.test(value)) {
      try {
        findings.push(...credentialFindings(JSON.parse(value), path, undefined, depth + 1));
      } catch {
        // not JSON after all
      }
    }
    return findings;
  }
  if (value && typeof value === "object") {
    const entries: [string, unknown][] = [];
    for (const k of Object.keys(value)) {
      const v = read(value, k);
      if (v.known) entries.push([k, v.value]);
    }
    return entries.flatMap(([k, v]) => credentialFindings(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, Array.isArray(value) ? key : k, depth + 1));
  }
  return [];
}

/** No credential in plain text in any resource input (a provider's credential inputs excepted). */
export const noPlaintextCredentials: ResourceValidationPolicy = {
  name: "no-plaintext-credentials",
  description:
    "No resource input holds a credential: passwords, tokens and private keys belong in the provider's configuration as Pulumi secrets, never in task configs, SQL or dynamic provider code.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const isProvider = args.type.startsWith("pulumi:providers:");
    const findings: [string, string][] = [];
    for (const key of Object.keys(args.props)) {
      if (isProvider && PROVIDER_CREDENTIAL_INPUTS.has(key)) continue; // secrets from the stack config (checked when it is read)
      const value = read(args.props, key);
      if (value.known) findings.push(...credentialFindings(value.value, key, key));
    }
    for (const [path, what] of findings) report(`${args.type} ${args.name}: input ${path} holds ${what} in plain text`);
  },
};

/** The preview features a provider enables: previewFeaturesEnabled as a list or its JSON text. */
function enabledFeatures(provider: Pick<PolicyResource, "props">): Read<string[]> {
  const value = read(provider.props, "previewFeaturesEnabled");
  if (!value.known) return value;
  if (Array.isArray(value.value)) return { known: true, value: value.value.map(String) };
  if (typeof value.value === "string") {
    try {
      const parsed = JSON.parse(value.value) as unknown;
      if (Array.isArray(parsed)) return { known: true, value: parsed.map(String) };
    } catch {
      // fall through: not a list
    }
  }
  return { known: true, value: [] };
}

/** Every preview-feature resource type used is enabled in the provider that manages it. */
export const previewFeaturesEnabled: StackValidationPolicy = {
  name: "preview-features-enabled",
  description: "Every Snowflake resource type that is a preview feature (e.g. Stage) is enabled in its provider's previewFeaturesEnabled; otherwise only `pulumi up` finds out.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const providers = args.resources.filter((r) => r.type === SNOWFLAKE_PROVIDER_TYPE);
    for (const r of args.resources) {
      const feature = PREVIEW_FEATURE_BY_TYPE[r.type];
      if (!feature) continue;
      const provider = r.provider ? providers.find((p) => p.urn === r.provider!.urn) : providers.length === 1 ? providers[0] : undefined;
      if (!provider) {
        report(`${r.type} ${r.name} needs the preview feature ${feature}; cannot tell which Snowflake provider manages it`, r.urn);
        continue;
      }
      const enabled = enabledFeatures(provider);
      if (enabled.known && !enabled.value.includes(feature)) {
        report(
          `${r.type} ${r.name} needs the preview feature ${feature}, which provider ${provider.name} does not enable ` +
            `(previewFeaturesEnabled: ${JSON.stringify(enabled.value)}); add the type to components/previewFeatures.ts`,
          r.urn,
        );
      }
    }
  },
};

/** The pack's policies, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  taskHasPredecessors,
  oneFinalizerAtRoot,
  prodGraphSettings,
  computePoolCoversJobs,
  noPlaintextCredentials,
  previewFeaturesEnabled,
];
