import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigProblem } from "../types";

/** Schemas live in schemas/ at the project root, so users and editors can use them too. */
const SCHEMA_DIR = join(__dirname, "..", "..", "schemas");

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaFile: string): ValidateFunction {
  let validate = compiled.get(schemaFile);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, schemaFile), "utf8")));
    compiled.set(schemaFile, validate);
  }
  return validate;
}

/** `/tasks/1/after/0` -> `tasks[1].after[0]`, prefixed for namespaced stack keys. */
export function keyPath(instancePath: string, prefix = ""): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let path = prefix;
  for (const part of parts) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path += path === "" || path.endsWith(":") ? part : `.${part}`;
  }
  return path;
}

function describe(error: ErrorObject): { at: string; message: string } {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return { at: `/${String(p.additionalProperty)}`, message: "unknown key (a typo?); see the schema for the allowed keys" };
    case "required":
      return { at: `/${String(p.missingProperty)}`, message: "is required" };
    case "type":
      return { at: "", message: `expected ${String(p.type).replace(",", " or ")}` };
    case "enum":
      return { at: "", message: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "pattern":
      return { at: "", message: `expected a value matching ${String(p.pattern)}` };
    case "propertyNames":
      return { at: `/${String(p.propertyName)}`, message: "expected a lower_snake_case key" };
    default:
      return { at: "", message: `expected ${error.message ?? error.keyword}` };
  }
}

/** Validates `data` against a schema in schemas/ and reports every problem with file and key path. */
export function schemaProblems(schemaFile: string, data: unknown, file: string, prefix = ""): ConfigProblem[] {
  const validate = validatorFor(schemaFile);
  if (validate(data)) return [];
  const problems = (validate.errors ?? [])
    // propertyNames reports twice (the name, then the parent); keep the specific one.
    .filter((e) => !(e.keyword === "propertyNames" && e.message?.includes("property name")) || e.params.propertyName)
    // if/then/else (a string or an object) reports the branch's own errors, then "must match then/else"; keep the former.
    .filter((e) => e.keyword !== "if")
    .map((e) => {
      const { at, message } = describe(e);
      return { file, path: keyPath(e.instancePath + at, prefix), message };
    });
  // ajv can report the same place twice (e.g. propertyNames); keep the first of each.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
