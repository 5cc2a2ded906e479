import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { readStackConfigFiles, StackConfigFiles } from "../lib/config/stackFiles";
import { cleanInputs, Plan, PlannedResource } from "../lib/plan/plan";

export { cleanInputs, Plan, PlannedResource, SECRET_TEXT } from "../lib/plan/plan";

/**
 * Runs a Pulumi program under @pulumi/pulumi's mock runtime and records what would be registered:
 * URN, type, parent, explicit dependsOn and the inputs as they would be sent. Contacts nothing.
 * planStack runs this project's program (program.ts buildStack, the code path of `pulumi up`);
 * planProgram takes any program, as the Automation API takes an inline program.
 */

/** A program as planProgram runs it: it registers resources with `opts` (the recorder) and returns the stack outputs. */
export type InlineProgram = (opts: pulumi.ComponentResourceOptions) => Promise<Record<string, unknown>>;

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
  observe?: (event: { urn: string; type: string; name: string; read: boolean; aliases: string[] }) => void;
}

/** The organization of a DIY (file or cloud storage) backend, used by the offline plan. */
export const DEFAULT_ORGANIZATION = "organization";

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
  getAliasesList?(): { getUrn(): string }[];
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** The plan of this project's program with the stack's configuration. */
export function planStack(options: PlanOptions): Promise<Plan> {
  return planProgram(options, async (opts) => {
    // Loaded only now: the program must see the mocks (pulumi/examples testing-unit-ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildStack } = require("../program") as typeof import("../program");
    return (await buildStack(opts, options.projectDir)) as unknown as Record<string, unknown>;
  });
}

/**
 * The plan of the program a module exports (`export = async () => {…}` or a default export), as
 * `pulumi up` would run it from `file` (a path; relative paths resolve against the working
 * directory). The module is loaded after the mocks are set, as the program must see them.
 */
export function planProgramModule(options: PlanOptions, file: string): Promise<Plan> {
  return planProgram(options, async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(resolve(file)) as unknown;
    const program = typeof loaded === "function" ? loaded : (loaded as { default?: unknown } | null)?.default;
    if (typeof program !== "function") throw new Error(`${file}: expected a module that exports the program as a function (export = async () => {…})`);
    return ((await (program as () => unknown)()) ?? {}) as Record<string, unknown>;
  });
}

/** The plan of `program` under the mock runtime, with the configuration of `options.stack`. */
export async function planProgram(options: PlanOptions, program: InlineProgram): Promise<Plan> {
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
  const requests: { urn: string; request: RegisterRequest; aliases: string[] }[] = [];
  type Callback = (err: unknown, resp: { getUrn(): string } | undefined) => void;
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): void;
    readResource(req: RegisterRequest, cb: Callback): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        const aliases = (req.getAliasesList?.() ?? []).map((a) => a.getUrn()).filter((u) => u !== "");
        requests.push({ urn: resp.getUrn(), request: req, aliases });
        options.observe?.({ urn: resp.getUrn(), type: req.getType(), name: req.getName(), read: false, aliases });
      }
      cb(err, resp);
    });
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) =>
    read(req, (err, resp) => {
      if (!err && resp) options.observe?.({ urn: resp.getUrn(), type: req.getType(), name: req.getName(), read: true, aliases: [] });
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

  // The SDK reads `new Error().stack` for every promise it creates, only for its leak report;
  // with tsx's source maps that dominated plan time (300 tasks: 14.7 s, 2.5 s without), so stack
  // capture is off while the program registers. PLAN_STACK_TRACES=1 keeps it, for debugging.
  const stackTraceLimit = Error.stackTraceLimit;
  if (process.env.PLAN_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
  let outputs: Record<string, unknown>;
  try {
    outputs = await program({ transformations: [recorder] });
  } finally {
    await pulumi.runtime.disconnect();
    Error.stackTraceLimit = stackTraceLimit;
  }

  const explicitDeps = new Map(await Promise.all(pendingDeps));
  const resources: PlannedResource[] = [];
  for (const { urn, request, aliases } of requests) {
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
      ...(aliases.length > 0 ? { aliases: [...new Set(aliases)].sort() } : {}),
    });
  }
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack: options.stack, resources, outputs: cleanInputs(outputs) as Record<string, unknown> };
}
