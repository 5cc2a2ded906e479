import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { ConfigProblem, PipelineDefinition } from "../types";
import { schemaProblems } from "./schemaProblems";

/** Reads and schema-checks pipeline.yaml; `file` is the path shown in problems. */
export function readPipelineDefinition(path: string, file: string): { definition?: PipelineDefinition; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { problems: [{ file, path: "", message: "pipeline definition file not found (stack key snowflake-ml-pipeline:pipelineFile)" }] };
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ file, path: `line ${e.linePos?.[0].line ?? "?"}`, message: `not valid YAML: ${e.message.split("\n")[0]}` })),
    };
  }
  const data = doc.toJS();
  const problems = schemaProblems("pipeline.schema.json", data, file);
  return problems.length > 0 ? { problems } : { definition: { config: {}, configSchema: {}, ...data } as PipelineDefinition, problems };
}
