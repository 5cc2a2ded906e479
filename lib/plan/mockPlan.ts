import * as pulumi from "@pulumi/pulumi";
import { readStackConfigFiles, StackConfigFiles } from "../config/stackFiles";

/**
 * Runs the real program (program.ts buildStack, the code path of `pulumi up`) under
 * @pulumi/pulumi's mock runtime and records what would be registered: URN, type, parent,
 * explicit dependsOn and the inputs as they would be sent. Contacts nothing.
 */

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  inputs: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

export interface PlanOptions {
  projectDir: string;
  stack: string;
  /** Preview (dry run) like `pulumi preview`, or update like `pulumi up`. Default: preview. */
  preview?: boolean;
  /** Use this configuration instead of reading Pulumi.yaml and Pulumi.<stack>.yaml. */
  stackConfig?: StackConfigFiles;
  /** Outputs of other stacks, for StackReference, keyed by stack name as the program asks for it. */
  stackOutputs?: Record<string, Record<string, unknown>>;
  /** Keep the dynamic providers' serialized code (`__provider`) in the inputs; tests check it for secrets. */
  keepProviderCode?: boolean;
  /** Organization the program sees (pulumi.getOrganization()); default "organization", as in a DIY backend. */
  organization?: string;
  /** Called with each resource the program registers (or reads), as the monitor sees it, in order. */
  observe?: (event: { urn: string; type: string; name: string; read: boolean }) => void;
}

/** The organization of a DIY (file or cloud storage) backend, used by the offline plan. */
export const DEFAULT_ORGANIZATION = "organization";

/** Marker the Node SDK uses for a secret value on the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_TEXT = "[secret]";

/** Replaces secrets with "[secret]", drops the provider's serialized code, sorts keys. */
export function cleanInputs(value: unknown, keepProviderCode = false): unknown {
  if (Array.isArray(value)) return value.map((v) => cleanInputs(v, keepProviderCode));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (SECRET_SIG in obj) return SECRET_TEXT;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj).sort()) {
      if (key === "__provider" && !keepProviderCode) continue;
      out[key] = cleanInputs(obj[key], keepProviderCode);
    }
    return out;
  }
  return value;
}

/** Outputs Snowflake computes that other resources reference, formed as Snowflake forms them. */
function computedState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const q = (v: unknown) => `"${String(v)}"`;
  switch (type) {
    case "snowflake:index/database:Database":
    case "snowflake:index/warehouse:Warehouse":
      return { fullyQualifiedName: q(inputs.name) };
    case "snowflake:index/schema:Schema":
      return { fullyQualifiedName: `${q(inputs.database)}.${q(inputs.name)}` };
    case "snowflake:index/task:Task":
    case "snowflake:index/stage:Stage":
      return { fullyQualifiedName: `${q(inputs.database)}.${q(inputs.schema)}.${q(inputs.name)}` };
    default:
      return {};
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

export async function planStack(options: PlanOptions): Promise<Plan> {
  const stackConfig = options.stackConfig ?? readStackConfigFiles(options.projectDir, options.stack);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === "pulumi:pulumi:StackReference") {
          const stackName = String(args.inputs.name ?? args.name);
          const outputs = options.stackOutputs?.[stackName];
          if (!outputs) throw new Error(`StackReference to "${stackName}": no outputs of that stack were given to the plan`);
          return { id: stackName, state: { ...args.inputs, outputs, secretOutputNames: [] } };
        }
        const state = { ...args.inputs, ...computedState(args.type, args.inputs) };
        return { id: `${String(args.inputs.name ?? args.name)}`, state };
      },
      call: (args) => {
        throw new Error(`the offline plan does not implement the invoke ${args.token}`);
      },
    },
    stackConfig.project,
    options.stack,
    options.preview ?? true,
    options.organization ?? DEFAULT_ORGANIZATION,
  );
  pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);

  // The mock monitor sees each registration request: URN, parent and inputs as they would be sent.
  const requests: { urn: string; request: RegisterRequest }[] = [];
  type Callback = (err: unknown, resp: { getUrn(): string } | undefined) => void;
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): void;
    readResource(req: RegisterRequest, cb: Callback): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        requests.push({ urn: resp.getUrn(), request: req });
        options.observe?.({ urn: resp.getUrn(), type: req.getType(), name: req.getName(), read: false });
      }
      cb(err, resp);
    });
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) =>
    read(req, (err, resp) => {
      if (!err && resp) options.observe?.({ urn: resp.getUrn(), type: req.getType(), name: req.getName(), read: true });
      cb(err, resp);
    });

  // Explicit dependsOn is not on the wire separately from data-flow dependencies, so a legacy
  // transformation (inherited by every child) records it as resource objects, resolved to URNs.
  const pendingDeps: Promise<[string, string[]]>[] = [];
  const recorder: pulumi.ResourceTransformation = (args) => {
    const deps = Array.isArray(args.opts.dependsOn) ? (args.opts.dependsOn as pulumi.Resource[]) : args.opts.dependsOn ? [args.opts.dependsOn as pulumi.Resource] : [];
    const parentUrn = args.opts.parent ? new Promise<string>((r) => args.opts.parent!.urn.apply(r)) : Promise.resolve("");
    const urns = Promise.all(deps.map((d) => new Promise<string>((r) => d.urn.apply(r))));
    pendingDeps.push(Promise.all([parentUrn, urns]).then(([p, u]) => [`${p}\u0000${args.type}\u0000${args.name}`, u]));
    return undefined;
  };

  // Load the program only now: it must see the mocks (pulumi/examples testing-unit-ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildStack } = require("../../program") as typeof import("../../program");
  // The SDK reads `new Error().stack` for every promise it creates, only for its leak report;
  // with tsx's source maps that dominated plan time (300 tasks: 14.7 s, 2.5 s without), so stack
  // capture is off while the program registers. PLAN_STACK_TRACES=1 keeps it, for debugging.
  const stackTraceLimit = Error.stackTraceLimit;
  if (process.env.PLAN_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
  let outputs: Record<string, unknown>;
  try {
    outputs = (await buildStack({ transformations: [recorder] }, options.projectDir)) as unknown as Record<string, unknown>;
  } finally {
    await pulumi.runtime.disconnect();
    Error.stackTraceLimit = stackTraceLimit;
  }

  const explicitDeps = new Map(await Promise.all(pendingDeps));
  const resources: PlannedResource[] = [];
  for (const { urn, request } of requests) {
    const parent = request.getParent() || null;
    const key = `${parent ?? ""}\u0000${request.getType()}\u0000${request.getName()}`;
    const dependsOn = [...new Set(explicitDeps.get(key) ?? [])].sort();
    resources.push({
      urn,
      type: request.getType(),
      name: request.getName(),
      parent,
      dependsOn,
      inputs: cleanInputs(request.getObject()?.toJavaScript() ?? {}, options.keepProviderCode) as Record<string, unknown>,
    });
  }
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack: options.stack, resources, outputs: cleanInputs(outputs) as Record<string, unknown> };
}
