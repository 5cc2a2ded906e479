import { ConfigProblem, PipelineRoleSettings, StackSettings } from "../types";
import { CONNECTION_KEYS, SECRET_CONNECTION_KEYS } from "../../snowflake/settings";
import { schemaProblems } from "./schemaProblems";

export const PROJECT = "snowflake-ml-pipeline";

/** The `snowflake:` keys and which must be secrets: the one table in snowflake/settings.ts. */
export { CONNECTION_KEYS, SECRET_CONNECTION_KEYS };

/** Stack keys whose value is not a plain string; the engine hands them over as JSON text. */
const JSON_KEYS = new Set([
  "warehouse",
  "computePool",
  "graphConfig",
  "started",
  "sampleData",
  "taskTimeoutMs",
  "taskRetries",
  "suspendAfterFailures",
  "allowOverlappingExecution",
  "allowUnpromotedCode",
  "pipelines",
  "pipelineSettings",
  "modelMonitor",
]);

/** The pipeline definition a stack plans when it lists none. */
export const DEFAULT_PIPELINE_FILE = "pipeline-code/pipeline.yaml";

/** Stack keys that are either a plain string or an object (JSON text); decoded only when they look like JSON. */
const STRING_OR_JSON_KEYS = new Set(["pipelineRole"]);

function decode(key: string, text: string): unknown {
  const json = JSON_KEYS.has(key) || (STRING_OR_JSON_KEYS.has(key) && text.trimStart().startsWith("{"));
  if (!json) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text; // left as text, so the schema reports the type that was expected
  }
}

/** `pipelineRole: NAME` is an existing role; `{name, create}` creates it when create is true (default false). */
export function pipelineRoleDefaults(raw: unknown): PipelineRoleSettings | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return { name: raw, create: false };
  const role = raw as { name: string; create?: boolean };
  return { name: role.name, create: role.create ?? false };
}


/**
 * The one place stack defaults are filled in (a table test covers each); everything downstream
 * reads StackSettings with no optional field left to re-default.
 */
export function withStackDefaults(raw: Record<string, unknown>): StackSettings {
  const input = raw as Partial<StackSettings> & { warehouse: Partial<StackSettings["warehouse"]> & { name: string }; computePool: Partial<StackSettings["computePool"]> };
  const existing = input.warehouse?.existing === true;
  return {
    ...(input as StackSettings),
    // A warehouse the stack creates suspends after a minute idle; an existing one is left as it is.
    warehouse: existing ? { ...input.warehouse, existing } : { autoSuspendSecs: 60, ...input.warehouse, existing },
    computePool: {
      ...(input.computePool as StackSettings["computePool"]),
      autoSuspendSecs: input.computePool?.autoSuspendSecs ?? 3600,
      autoResume: input.computePool?.autoResume ?? true,
    },
    pipelines: input.pipelines ?? [DEFAULT_PIPELINE_FILE],
    pipelineSettings: input.pipelineSettings ?? {},
    started: input.started ?? false,
    sampleData: input.sampleData ?? false,
    graphConfig: input.graphConfig ?? {},
    allowOverlappingExecution: input.allowOverlappingExecution ?? false,
    allowUnpromotedCode: input.allowUnpromotedCode ?? false,
    pipelineRole: pipelineRoleDefaults(raw.pipelineRole),
  };
}

/**
 * Turns the engine's flat config map into StackSettings, reporting unknown keys, schema violations
 * and plain-text credentials. Secret values are never echoed in a problem.
 */
export function stackSettingsFromConfig(
  config: Record<string, string>,
  secretKeys: ReadonlySet<string>,
  file: string,
): { settings?: StackSettings; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const own: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const colon = fullKey.indexOf(":");
    const namespace = fullKey.slice(0, colon);
    const key = fullKey.slice(colon + 1);
    if (namespace === PROJECT) {
      own[key] = decode(key, text);
    } else if (namespace === "snowflake") {
      if (!(CONNECTION_KEYS as readonly string[]).includes(key)) {
        const hint = key === "previewFeaturesEnabled" ? "; the program computes it from the resources it uses" : "";
        problems.push({ file, path: fullKey, message: `unknown key; expected one of snowflake:${CONNECTION_KEYS.join(", snowflake:")}${hint}` });
      } else if ((SECRET_CONNECTION_KEYS as readonly string[]).includes(key) && !secretKeys.has(fullKey)) {
        problems.push({ file, path: fullKey, message: `must be a secret; set it with: pulumi config set --secret ${fullKey}` });
      }
    } else if (namespace !== "pulumi") {
      problems.push({ file, path: fullKey, message: `unknown namespace "${namespace}"; expected ${PROJECT}:<key> or snowflake:<key>` });
    }
  }
  problems.push(...schemaProblems("stack-config.schema.json", own, file, `${PROJECT}:`));
  if (problems.length > 0) return { problems };
  return { settings: withStackDefaults(own), problems };
}
