/**
 * A deployed stack's database and pipeline schema may not change in place. @pulumi/snowflake 1.3.0
 * (terraform-provider-snowflake v1.2.1) renames a database or schema whose name changes
 * (`ALTER DATABASE … RENAME TO`, https://docs.snowflake.com/en/sql-reference/sql/alter-database),
 * which moves every schema, stage and task in it; the schemas, stages and tasks, whose `database`
 * and `schema` are ForceNew, are then replaced delete-first (their names are unchanged), so Pulumi
 * drops objects that are no longer there and creates objects that already exist: the `up` fails
 * halfway (shown on the real engine, tests/engine/failures.test.ts). Forcing a replacement instead
 * drops the old schemas, tables included, before the new ones exist. So the program refuses the
 * change before anything is sent, and the docs say how to move a pipeline.
 *
 * Pure: the deployed names come from the stack's own last outputs, read by the program.
 */
import type { ConfigProblem } from "../types";

/** Where the stack's platform is deployed, as its last outputs tell (undefined: not deployed, or unknown). */
export interface DeployedPlatform {
  database?: string;
  schema?: string;
}

/**
 * The deployed database and pipeline schema from the stack's outputs: `registrySchema` is
 * `DB.SCHEMA` and `stages.code` is `@DB.SCHEMA.CODE_STAGE` (program.ts, docs/design.md "Stack
 * outputs").
 */
export function deployedPlatform(outputs: { registrySchema?: unknown; stages?: unknown }): DeployedPlatform {
  const registry = typeof outputs.registrySchema === "string" ? outputs.registrySchema.split(".") : [];
  const code = (outputs.stages as { code?: unknown } | undefined)?.code;
  const stage = typeof code === "string" ? code.replace(/^@/, "").split(".") : [];
  return {
    ...(registry.length === 2 && registry[0] !== "" ? { database: registry[0] } : {}),
    ...(stage.length === 3 && stage[1] !== "" ? { schema: stage[1] } : {}),
  };
}

const WHY =
  "@pulumi/snowflake 1.3.0 renames it (moving every schema, stage and task in it) and then replaces those delete-first, which fails halfway; " +
  "to move the pipelines, deploy a new stack with the new name, copy the data, then destroy this one (docs/operations.md, \"Lifecycle changes\")";

/** Problems with changing the database or schema of a deployed stack, with the stack file and key. */
export function platformMoveProblems(deployed: DeployedPlatform, wanted: { database: string; schema: string }, file: string, namespace: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ["database", "schema"] as const) {
    const before = deployed[key];
    if (before !== undefined && before !== wanted[key]) {
      problems.push({ file, path: `${namespace}:${key}`, message: `"${wanted[key]}" differs from "${before}", where this stack is deployed; changing it in place is refused before anything is sent: ${WHY}` });
    }
  }
  return problems;
}
