import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/**
 * The stack's configuration exactly as the Pulumi engine would hand it to the program:
 * a flat map of "<namespace>:<key>" to a string (raw strings; everything else as JSON text),
 * built from Pulumi.yaml defaults overlaid with Pulumi.<stack>.yaml. Secure values cannot be
 * decrypted without the Pulumi CLI, so they become placeholders and are listed as secret keys.
 */
export interface StackConfigFiles {
  project: string;
  config: Record<string, string>;
  secretKeys: string[];
  stackFile: string;
}

export class StackFileError extends Error {}

export const SECRET_PLACEHOLDER = "[secret]";

function asConfigText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function namespaced(project: string, key: string): string {
  const withoutInfix = key.replace(/^([^:]+):config:/, "$1:");
  return withoutInfix.includes(":") ? withoutInfix : `${project}:${withoutInfix}`;
}

export function readStackConfigFiles(projectDir: string, stack: string): StackConfigFiles {
  const projectFile = join(projectDir, "Pulumi.yaml");
  const project = parse(readFileSync(projectFile, "utf8")) as { name: string; config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];

  for (const [key, entry] of Object.entries(project.config ?? {})) {
    const spec = entry as { default?: unknown; value?: unknown } | null;
    const value = spec && typeof spec === "object" ? spec.default ?? spec.value : entry;
    if (value !== undefined) config[namespaced(project.name, key)] = asConfigText(value);
  }

  const stackFile = `Pulumi.${stack}.yaml`;
  const stackPath = join(projectDir, stackFile);
  if (!existsSync(stackPath)) {
    throw new StackFileError(`${stackFile}: no such stack file in ${projectDir} (stacks are Pulumi.<name>.yaml)`);
  }
  let stackDoc: { config?: Record<string, unknown> } | null;
  try {
    stackDoc = parse(readFileSync(stackPath, "utf8"));
  } catch (error) {
    throw new StackFileError(`${stackFile}: not valid YAML: ${(error as Error).message}`);
  }
  for (const [key, value] of Object.entries(stackDoc?.config ?? {})) {
    const fullKey = namespaced(project.name, key);
    if (value && typeof value === "object" && "secure" in (value as object)) {
      config[fullKey] = SECRET_PLACEHOLDER;
      secretKeys.push(fullKey);
    } else {
      config[fullKey] = asConfigText(value);
    }
  }
  return { project: project.name, config, secretKeys: secretKeys.sort(), stackFile };
}
