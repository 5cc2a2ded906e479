/**
 * Which graph a command operates on: `--root-task DB.SCHEMA.NAME`, or a pipeline of the stack's
 * outputs (read through StackAccess; `--stack`, else the selected stack).
 *
 * Outputs (docs/design.md "Stack outputs"): `pipelines: {<NAME>: {rootTask, tasks, ...}}`; stacks
 * deployed before several pipelines existed export only the top-level `rootTask` and `tasks` of
 * their one pipeline, which is read the same way. `--pipeline NAME` picks one; without it the only
 * pipeline is taken, and several are a usage error that lists them.
 */
import { CliError, EXIT } from "./exitCodes";
import { parseRootTask, type RootTaskRef } from "./queries";
import type { StackAccess } from "./stackAccess";

export interface Target {
  ref: RootTaskRef;
  /** Stack the target came from, when --stack (or the selected stack) was used. */
  stack?: string;
  /** The pipeline's name, when it came from the stack's outputs. */
  pipeline?: string;
  /** Fully qualified task names the stack declares (output `tasks`), when known. */
  declaredTasks?: string[];
  outputs?: Record<string, unknown>;
}

export interface TargetOptions {
  stack?: string;
  rootTask?: string;
  pipeline?: string;
}

interface PipelineEntry {
  rootTask?: unknown;
  tasks?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The pipelines of a stack's outputs, by name: `pipelines`, or the one top-level `rootTask`. */
export function pipelinesOf(outputs: Record<string, unknown>): Map<string, PipelineEntry> {
  const pipelines = new Map<string, PipelineEntry>();
  if (isRecord(outputs.pipelines)) {
    for (const [name, entry] of Object.entries(outputs.pipelines)) if (isRecord(entry)) pipelines.set(name, entry);
  } else if (typeof outputs.rootTask === "string") {
    pipelines.set(outputs.rootTask.split(".").pop()!, { rootTask: outputs.rootTask, tasks: outputs.tasks });
  }
  return pipelines;
}

/** The entry `--pipeline` names, or the only one; throws a usage error naming what there is. */
export function choosePipeline(pipelines: Map<string, PipelineEntry>, requested: string | undefined, what: string, outputKeys: string[]): [string, PipelineEntry] {
  const names = [...pipelines.keys()].sort();
  if (names.length === 0) {
    throw new CliError(
      `${what}: no pipelines in the outputs (outputs: ${outputKeys.length ? outputKeys.join(", ") : "none; is the stack deployed?"}). Give --root-task DB.SCHEMA.NAME instead.`,
      EXIT.USAGE,
    );
  }
  if (requested !== undefined) {
    const entry = pipelines.get(requested);
    if (!entry) throw new CliError(`--pipeline ${requested}: ${what} has no such pipeline; it has: ${names.join(", ")}`, EXIT.USAGE);
    return [requested, entry];
  }
  if (names.length > 1) {
    throw new CliError(`${what} has ${names.length} pipelines: ${names.join(", ")}. Say which one with --pipeline NAME.`, EXIT.USAGE);
  }
  return [names[0], pipelines.get(names[0])!];
}

export async function resolveTarget(options: TargetOptions, stacks: StackAccess): Promise<Target> {
  if (options.rootTask) {
    if (options.pipeline !== undefined) {
      throw new CliError("--pipeline picks a pipeline from the stack's outputs; --root-task names the graph itself. Give one of them.", EXIT.USAGE);
    }
    try {
      return { ref: parseRootTask(options.rootTask), stack: options.stack };
    } catch (err) {
      throw new CliError(`--root-task: ${(err as Error).message}`, EXIT.USAGE);
    }
  }
  const stack = options.stack ?? (await stacks.selectedStack());
  if (stack === undefined) {
    throw new CliError("no stack is selected: give --stack NAME (or --root-task DB.SCHEMA.NAME).", EXIT.USAGE);
  }
  const what = options.stack ? `stack ${stack}` : `the selected stack ${stack} (no --stack or --root-task given)`;
  const outputs = await stacks.outputs(stack);
  const [pipeline, entry] = choosePipeline(pipelinesOf(outputs), options.pipeline, what, Object.keys(outputs));
  if (typeof entry.rootTask !== "string") {
    throw new CliError(`${what}: pipeline ${pipeline} has no output rootTask. Give --root-task DB.SCHEMA.NAME instead.`, EXIT.USAGE);
  }
  let ref: RootTaskRef;
  try {
    ref = parseRootTask(entry.rootTask);
  } catch (err) {
    throw new CliError(`${what}: pipeline ${pipeline}, output rootTask: ${(err as Error).message}`, EXIT.USAGE);
  }
  const declaredTasks = isRecord(entry.tasks) ? Object.values(entry.tasks).filter((v): v is string => typeof v === "string") : undefined;
  return { ref, stack, pipeline, declaredTasks, outputs };
}
