/**
 * JSON Schema validation (ajv) with problems in words: every problem names the key (tasks by their
 * names, `tasks.TRAIN_MODEL.entrypoint`, not `tasks[1].entrypoint`), quotes the value found and says
 * what was expected. Ajv's own messages ("must NOT have fewer than 2 items", a regular expression)
 * never reach the user: each keyword is translated here, and a keyword whose rule cannot be said
 * from the keyword alone (`pattern`) takes its words from the schema's `description`.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { closest, distance } from "fastest-levenshtein";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { taskKey } from "../graph";
import { describeValue } from "../identifiers";
import { ConfigProblem } from "../types";

/** Schemas live in schemas/ at the project root, so users and editors can use them too. */
const SCHEMA_DIR = join(__dirname, "..", "..", "schemas");

// verbose: errors carry the failing value and schema, which the words below quote.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaFile: string): ValidateFunction {
  let validate = compiled.get(schemaFile);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, schemaFile), "utf8")));
    compiled.set(schemaFile, validate);
  }
  return validate;
}

/**
 * A JSON pointer (`/tasks/1/after/0`) as a key path (`tasks.TRAIN_MODEL.after[0]`), prefixed for
 * namespaced stack keys. `data` is the validated document, used to name tasks.
 */
export function keyPath(instancePath: string, prefix = "", data?: unknown): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let path = prefix;
  let node: unknown = data;
  parts.forEach((part, i) => {
    const isIndex = /^\d+$/.test(part);
    if (isIndex && i === 1 && parts[0] === "tasks" && prefix === "") path = taskKey(node, Number(part));
    else if (isIndex) path += `[${part}]`;
    else path += path === "" || path.endsWith(":") ? part : `.${part}`;
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  });
  return path;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  object: "a mapping of keys to values",
  array: "a list",
  null: "nothing",
};

/** `"integer"` -> "a whole number"; `["string", "number", "boolean"]` -> "a string, a number or a boolean". */
export function typeWords(type: unknown): string {
  const types = (Array.isArray(type) ? type : [type]).map(String);
  if (types.length === 1) return TYPE_WORDS[types[0]] ?? types[0];
  const words = types.map((t) => (t === "boolean" ? "a boolean" : TYPE_WORDS[t] ?? t));
  return `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/** ` (did you mean "x"?)` for the candidate closest to `value` by edit distance, if it is close enough. */
export function didYouMean(value: unknown, candidates: readonly string[]): string {
  if (typeof value !== "string" || candidates.length === 0) return "";
  const best = closest(value, candidates as string[]);
  // Within a third of the word: catches typos and transpositions, not unrelated names.
  return distance(value, best) <= Math.max(1, Math.floor(best.length / 3)) ? ` (did you mean ${JSON.stringify(best)}?)` : "";
}

const quoteAll = (values: readonly unknown[]) => values.map((v) => describeValue(v)).join(", ");
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a failed keyword expected, in words; `at` is appended to the instance path (a key). */
function describe(error: ErrorObject): { at: string; message: string } {
  const p = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const got = `got ${describeValue(error.data)}`;
  const described = typeof parent.description === "string" ? parent.description : undefined;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as object).sort();
      return { at: `/${key}`, message: `unknown key${didYouMean(key, allowed)}; expected one of ${allowed.join(", ")}` };
    }
    case "required":
      return { at: `/${String(p.missingProperty)}`, message: "is missing; this key is required" };
    case "type":
      return { at: "", message: `expected ${typeWords(p.type)}, ${got}` };
    case "enum": {
      const allowed = p.allowedValues as unknown[];
      return { at: "", message: `expected one of ${quoteAll(allowed)}, ${got}${didYouMean(error.data, allowed.filter((v): v is string => typeof v === "string"))}` };
    }
    case "const":
      return { at: "", message: `expected ${describeValue(p.allowedValue)}, ${got}` };
    case "pattern":
    case "format":
      return { at: "", message: `expected ${described ?? `a value matching the regular expression ${String(p.pattern ?? p.format)}`}, ${got}` };
    case "propertyNames":
      return { at: `/${String(p.propertyName)}`, message: "expected a lower_snake_case key (a-z, 0-9 and _, starting with a letter)" };
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum": {
      const words = { minimum: "at least", exclusiveMinimum: "greater than", maximum: "at most", exclusiveMaximum: "less than" }[error.keyword];
      return { at: "", message: `expected a number ${words} ${String(p.limit)}, ${got}` };
    }
    case "minItems":
      return { at: "", message: `expected ${described ?? `a list of at least ${plural(Number(p.limit), "item")}`}, got ${plural((error.data as unknown[]).length, "item")}` };
    case "maxItems":
      return { at: "", message: `expected ${described ?? `a list of at most ${plural(Number(p.limit), "item")}`}, got ${plural((error.data as unknown[]).length, "item")}` };
    case "minLength":
      return { at: "", message: Number(p.limit) === 1 ? `expected a non-empty string, ${got}` : `expected at least ${plural(Number(p.limit), "character")}, ${got}` };
    case "maxLength":
      return { at: "", message: `expected at most ${plural(Number(p.limit), "character")}, got ${plural(String(error.data).length, "character")}` };
    case "uniqueItems": {
      const list = error.data as unknown[];
      const [first, second] = [Number(p.i), Number(p.j)].sort((a, b) => a - b);
      return { at: "", message: `lists ${describeValue(list[first])} twice (items ${first} and ${second}); expected each item once` };
    }
    default:
      return { at: "", message: `expected ${described ?? `a value that satisfies the schema's "${error.keyword}" rule`}, ${got}` };
  }
}

/** Translates ajv errors into problems at `file`, in words; `data` is the validated document. */
export function problemsFromErrors(errors: readonly ErrorObject[], data: unknown, file: string, prefix = ""): ConfigProblem[] {
  const problems = errors
    // A bad key name is reported by the rule inside propertyNames (marked propertyName) and by
    // propertyNames itself (naming the key in params); keep the latter, which says which key.
    .filter((e) => (e as { propertyName?: string }).propertyName === undefined && !(e.keyword === "propertyNames" && !e.params.propertyName))
    // A failed "if" only says which branch failed; the branch's own error says why.
    .filter((e) => e.keyword !== "if")
    .map((e) => {
      const { at, message } = describe(e);
      return { file, path: keyPath(e.instancePath + at, prefix, data), message };
    });
  // ajv can report the same place twice; keep the first of each.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validates `data` against a schema in schemas/ and reports every problem with file and key path. */
export function schemaProblems(schemaFile: string, data: unknown, file: string, prefix = ""): ConfigProblem[] {
  const validate = validatorFor(schemaFile);
  if (validate(data)) return [];
  return problemsFromErrors(validate.errors ?? [], data, file, prefix);
}

/** Compiles a schema given as data (a pipeline's configSchema entry); ajv caches by content. */
export function compileSchema(schema: object): ValidateFunction {
  return ajv.compile(schema);
}
