/**
 * The offline plan's document (`npm run plan -- --json`): what the program registers, as data.
 * Pure: cli/mockPlan.ts runs a program under the mock runtime to produce one.
 */

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  inputs: Record<string, unknown>;
  /** Former URNs Pulumi may find this resource under (its `aliases`), sorted; absent when none. */
  aliases?: string[];
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

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

