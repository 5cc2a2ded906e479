import { join } from "node:path";
import { readStackConfigFiles, StackConfigFiles } from "../../lib/config/stackFiles";

export const PROJECT_DIR = join(__dirname, "..", "..");

/** The dev stack's configuration as the engine would pass it. */
export function devStackConfig(): StackConfigFiles {
  return readStackConfigFiles(PROJECT_DIR, "dev");
}

/**
 * A copy of `base` with keys set (objects, numbers and booleans as JSON text, as the engine
 * passes them), removed (undefined), or made secret (keys listed in `secret`).
 */
export function withConfig(base: StackConfigFiles, changes: Record<string, unknown>, secret: string[] = []): StackConfigFiles {
  const config = { ...base.config };
  for (const [key, value] of Object.entries(changes)) {
    const fullKey = key.includes(":") ? key : `snowflake-ml-pipeline:${key}`;
    if (value === undefined) delete config[fullKey];
    else config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { ...base, config, secretKeys: [...new Set([...base.secretKeys, ...secret])].sort() };
}
