/**
 * The return values that matter to an operator, read by shape (docs/design.md "Return values"):
 * TRAIN_MODEL's metrics and ML Job id, the branch decision of CHECK_MODEL_QUALITY, and the model
 * version PROMOTE_MODEL made the default. Anything unparseable is kept as text, never dropped.
 */
import type { TaskView } from "./graph";

export interface PromotedModel {
  model: string;
  version: string;
  isDefault?: boolean;
  task: string;
}

export interface RunResults {
  metrics?: Record<string, unknown>;
  metricsTask?: string;
  trainingJobId?: string;
  /** Branch task -> the successor it chose. */
  branches: Record<string, string>;
  promotedModel?: PromotedModel;
  /** Every child's return value, parsed when it is JSON. */
  returnValues: Record<string, unknown>;
}

export function parseReturnValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function extractResults(tasks: TaskView[]): RunResults {
  const results: RunResults = { branches: {}, returnValues: {} };
  const labels = new Set(tasks.map((t) => t.label));
  for (const task of tasks) {
    if (task.role === "root" || task.returnValue === undefined) continue;
    const value = parseReturnValue(task.returnValue);
    results.returnValues[task.label] = value;
    if (typeof value === "string" && labels.has(value.trim())) results.branches[task.label] = value.trim();
    if (!isObject(value)) continue;
    if (isObject(value.metrics)) {
      results.metrics = value.metrics;
      results.metricsTask = task.label;
    }
    if (typeof value.job_id === "string" || typeof value.job_id === "number") results.trainingJobId = String(value.job_id);
    if (typeof value.model === "string" && (typeof value.version === "string" || typeof value.version === "number")) {
      results.promotedModel = {
        model: value.model,
        version: String(value.version),
        isDefault: typeof value.is_default === "boolean" ? value.is_default : undefined,
        task: task.label,
      };
    }
  }
  return results;
}
