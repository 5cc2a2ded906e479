import { existsSync, readFileSync } from "node:fs";
import { Plan } from "./mockPlan";

/** A saved plan that cannot be used: missing, not JSON, or not `npm run plan -- --json` output. */
export class PlanFileError extends Error {}

/** `--diff <value>` names a saved plan file when it ends in .json or is a path (has a /); otherwise a stack. */
export function looksLikePlanFile(value: string): boolean {
  return value.endsWith(".json") || value.includes("/") || value.includes("\\");
}

/** Reads a plan saved with `npm run -s plan -- --json > file` (-s: without npm's banner), checking its shape. */
export function readPlanFile(path: string): Plan {
  if (!existsSync(path)) throw new PlanFileError(`${path}: no such plan file (save one with: npm run -s plan -- --stack <name> --json > ${path}; -s keeps npm's banner out of the file)`);
  let doc: unknown;
  const text = readFileSync(path, "utf8");
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // `npm run plan` without -s writes npm's "> name@version plan" banner before the JSON.
    const banner = text.startsWith("\n> ") || text.startsWith("> ") ? "; it starts with npm's banner: save it with npm run -s plan -- --json" : "";
    throw new PlanFileError(`${path}: not JSON: ${(error as Error).message}${banner}`);
  }
  const plan = doc as Partial<Plan> | null;
  const resourcesOk =
    Array.isArray(plan?.resources) &&
    plan.resources.every(
      (r) => r && typeof r.urn === "string" && typeof r.type === "string" && typeof r.name === "string" && Array.isArray(r.dependsOn) && r.inputs && typeof r.inputs === "object",
    );
  if (!plan || typeof plan.stack !== "string" || !resourcesOk || !plan.outputs || typeof plan.outputs !== "object") {
    throw new PlanFileError(`${path}: not a plan saved with npm run -s plan -- --json (expected {stack, resources: [{urn, type, name, parent, dependsOn, inputs}], outputs})`);
  }
  return plan as Plan;
}
