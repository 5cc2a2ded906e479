// The offline plan for any Pulumi program that uses the components (README, "Planning your own
// program offline"): the program runs under @pulumi/pulumi's mock runtime and the result is the
// document `npm run plan -- --json` prints.
export { InlineProgram, Plan, PlannedResource, PlanOptions, planProgram, planProgramModule, planStack } from "./mockPlan";
export { renderPlanText } from "../lib/plan/renderPlan";
export { diffPlans } from "../lib/plan/diffPlans";
