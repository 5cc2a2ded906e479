import { existsSync, readFileSync } from "node:fs";
import { Plan } from "./plan";

/** A saved plan that cannot be used: missing, not JSON, or not `npm run plan -- --json` output. */
export class PlanFileError extends Error {}

/** `--diff <value>` names a saved plan file when it ends in .json or is a path (has a /); otherwise a stack. */
export function looksLikePlanFile(value: string): boolean {
  return value.endsWith(".json") || value.includes("/") || value.includes("\\");
}

/** Reads a plan saved with `npm run plan -- --json > file`, checking its shape. */
export function readPlanFile(path: string): Plan {
  if (!existsSync(path)) throw new PlanFileError(`${path}: no such plan file (save one with: npm run plan -- --stack <name> --json > ${path})`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PlanFileError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const plan = doc as Partial<Plan> | null;
  const resourcesOk =
    Array.isArray(plan?.resources) &&
    plan.resources.every(
      (r) => r && typeof r.urn === "string" && typeof r.type === "string" && typeof r.name === "string" && Array.isArray(r.dependsOn) && r.inputs && typeof r.inputs === "object",
    );
  if (!plan || typeof plan.stack !== "string" || !resourcesOk || !plan.outputs || typeof plan.outputs !== "object") {
    throw new PlanFileError(`${path}: not a plan saved with npm run plan -- --json (expected {stack, resources: [{urn, type, name, parent, dependsOn, inputs}], outputs})`);
  }
  return plan as Plan;
}
