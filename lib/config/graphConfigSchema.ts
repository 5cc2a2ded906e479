/**
 * The graph config's keys are declared by the pipeline (pipeline.yaml `configSchema`: one JSON Schema
 * per key, with its type, bounds or allowed values). Every value, whether pipeline.yaml's `config` or
 * a stack's `graphConfig` overriding it, is checked against its key's schema before anything is
 * registered, so a wrong metric name fails the plan instead of the quality check hours into a run.
 * An undeclared key is a typo until declared (did-you-mean), and the keys the program writes itself
 * are reserved.
 */
import { PROGRAM_CONFIG_KEYS, RUN_CONFIG_KEYS } from "../graphConfig";
import { describeValue, dollarQuoteProblem } from "../identifiers";
import { ConfigProblem, ConfigScalar, ConfigValueSchema, GraphConfig, PipelineDefinition } from "../types";
import { compileSchema, didYouMean, typeWords } from "./schemaProblems";

const RESERVED: readonly string[] = [...PROGRAM_CONFIG_KEYS, ...RUN_CONFIG_KEYS];

/** What a config value schema accepts, in words: `a number from 0 to 1`, `one of "a", "b"`. */
export function describeConfigSchema(schema: ConfigValueSchema): string {
  if (schema.enum !== undefined) {
    return `one of ${schema.enum.map((v) => describeValue(v)).join(", ")}${schema.description ? ` (${schema.description})` : ""}`;
  }
  let words = schema.type === undefined ? "a value" : typeWords(schema.type);
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  if (schema.minimum !== undefined && schema.maximum !== undefined) words += ` from ${schema.minimum} to ${schema.maximum}`;
  else {
    const bounds: string[] = [];
    if (low !== undefined) bounds.push(`${schema.minimum !== undefined ? "of at least" : "greater than"} ${low}`);
    if (high !== undefined) bounds.push(`${schema.maximum !== undefined ? "of at most" : "less than"} ${high}`);
    if (bounds.length > 0) words += ` ${bounds.join(" and ")}`;
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    if (schema.minLength !== undefined && schema.maxLength !== undefined) words += ` of ${schema.minLength} to ${schema.maxLength} characters`;
    else if (schema.minLength !== undefined) words += schema.minLength === 1 ? " (not empty)" : ` of at least ${schema.minLength} characters`;
    else words += ` of at most ${schema.maxLength} characters`;
  }
  if (schema.pattern !== undefined) return `${words}: ${schema.description ?? `matching the regular expression ${schema.pattern}`}`;
  return schema.description ? `${words} (${schema.description})` : words;
}

/** Where a set of values comes from: the file and the key path of the mapping in it. */
export interface ConfigSource {
  values: GraphConfig;
  file: string;
  /** Key path of the mapping, e.g. `config` or `snowflake-ml-pipeline:graphConfig`. */
  at: string;
  /** Words for the source in messages, e.g. `the stack's graphConfig`. */
  label: string;
}

function valueProblem(key: string, value: ConfigScalar, schema: ConfigValueSchema): string | undefined {
  const validate = compileSchema(schema as object);
  if (validate(value)) return undefined;
  const suggestion = schema.enum ? didYouMean(value, schema.enum.filter((v): v is string => typeof v === "string")) : "";
  return `expected ${describeConfigSchema(schema)}, got ${describeValue(value)}${suggestion}`;
}

/**
 * Every problem of the graph config: the pipeline's configSchema itself, then each value of each
 * source (pipeline config first, then the stack's overrides) against its key's schema, and declared
 * keys that no source gives a value.
 */
export function graphConfigProblems(pipeline: PipelineDefinition, pipelineFile: string, sources: ConfigSource[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const declared = pipeline.configSchema ?? {};
  const names = Object.keys(declared).sort();
  const usable = new Map<string, ConfigValueSchema>();
  for (const key of names) {
    const at = `configSchema.${key}`;
    if (RESERVED.includes(key)) {
      problems.push({ file: pipelineFile, path: at, message: `${describeValue(key)} is a key the program writes itself (${RESERVED.join(", ")}); choose another name` });
      continue;
    }
    try {
      compileSchema(declared[key] as object);
      usable.set(key, declared[key]);
    } catch (error) {
      problems.push({ file: pipelineFile, path: `${at}.pattern`, message: `expected a regular expression, got ${describeValue(declared[key].pattern)}: ${(error as Error).message}` });
    }
  }

  for (const source of sources) {
    for (const [key, value] of Object.entries(source.values)) {
      const path = `${source.at}.${key}`;
      if (RESERVED.includes(key)) {
        problems.push({ file: source.file, path, message: "is written by the program from the stack's names; remove it" });
        continue;
      }
      const schema = declared[key];
      if (schema === undefined) {
        const known = names.length > 0 ? `the keys it declares are ${names.join(", ")}` : "it declares no keys";
        problems.push({
          file: source.file,
          path,
          message: `unknown key${didYouMean(key, names)}: ${source.label} may only set keys that ${pipelineFile} declares in configSchema; ${known}`,
        });
        continue;
      }
      const quote = typeof value === "string" ? dollarQuoteProblem(value) : undefined;
      if (quote) problems.push({ file: source.file, path, message: quote });
      const checked = usable.get(key);
      const problem = checked === undefined ? undefined : valueProblem(key, value, checked);
      if (problem) problems.push({ file: source.file, path, message: problem });
    }
  }

  for (const key of names) {
    if (RESERVED.includes(key) || sources.some((s) => Object.prototype.hasOwnProperty.call(s.values, key))) continue;
    problems.push({
      file: pipelineFile,
      path: `configSchema.${key}`,
      message: `declared but given no value; expected ${describeConfigSchema(declared[key])} in config (or in every stack's graphConfig)`,
    });
  }
  return problems;
}
