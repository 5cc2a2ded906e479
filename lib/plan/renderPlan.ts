import { describeRefusal, PromotionStatus, stackLabel } from "../promotion";
import { Plan, PlannedResource } from "./plan";

const TASK_TYPE = "snowflake:index/task:Task";
const STAGED_FILES_TYPE = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:StagedFiles";
const DATA_QUALITY_TYPE = "pulumi-nodejs:dynamic/snowflake-ml-pipeline:DataQualityExpectations";

/** The Snowflake name a resource creates, when it has one. */
function snowflakeName(r: PlannedResource): string {
  const i = r.inputs;
  if (r.type === STAGED_FILES_TYPE) return `@${String(i.stage)}/${String(i.directory)}/`;
  if (r.type === DATA_QUALITY_TYPE) return `on ${String(i.source)}`;
  if (typeof i.name !== "string") return "";
  if (typeof i.database === "string" && typeof i.schema === "string") return `${i.database}.${i.schema}.${i.name}`;
  if (typeof i.database === "string") return `${i.database}.${i.name}`;
  return i.name;
}

function resourceTree(plan: Plan): string[] {
  const children = new Map<string | null, PlannedResource[]>();
  for (const r of plan.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      const name = snowflakeName(r);
      lines.push(`${"  ".repeat(depth + 1)}${r.type}  ${r.name}${name ? `  (${name})` : ""}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(null, 0);
  return lines;
}

/** Strips the quotes Snowflake's fully qualified names carry: "DB"."S"."T" -> T. */
function shortTaskName(fqn: string, pipeline: string): string {
  const last = fqn.split(".").pop()!.replace(/"/g, "");
  return last.startsWith(`${pipeline}$`) ? last.slice(pipeline.length + 1) : last;
}

function describeSchedule(schedule: unknown): string {
  if (!schedule || typeof schedule !== "object") return "manual runs only (EXECUTE TASK)";
  const s = schedule as { minutes?: number; usingCron?: string };
  return s.usingCron ? `USING CRON ${s.usingCron}` : `every ${s.minutes} minutes`;
}

/** One pipeline's outputs (`pipelines.<NAME>`), or the top-level ones of a plan saved before there were several. */
function pipelineOutputs(plan: Plan, pipeline: string): Record<string, unknown> {
  const pipelines = plan.outputs.pipelines as Record<string, Record<string, unknown>> | undefined;
  return pipelines?.[pipeline] ?? plan.outputs;
}

/** Every task graph as text: schedule, edges, branch conditions, finalizer, ML Jobs and bundle hashes. */
export function renderTaskGraphs(plan: Plan): string[] {
  const roots = plan.resources.filter((r) => r.type === TASK_TYPE && !r.inputs.afters && !r.inputs.finalize);
  return roots.flatMap((root, i) => [...(i > 0 ? [""] : []), ...renderTaskGraph(plan, String(root.inputs.name))]);
}

/** The task graph of one pipeline (the first when none is named) as text. */
export function renderTaskGraph(plan: Plan, name?: string): string[] {
  const root = plan.resources.find((t) => t.type === TASK_TYPE && !t.inputs.afters && !t.inputs.finalize && (name === undefined || t.inputs.name === name));
  if (!root) return [];
  const pipeline = String(root.inputs.name);
  const tasks = plan.resources.filter((r) => r.type === TASK_TYPE && (r === root || String(r.inputs.name).startsWith(`${pipeline}$`)));
  const outputs = pipelineOutputs(plan, pipeline);
  const bundles = (outputs.bundleSha256 ?? {}) as Record<string, string>;
  const payloads = (outputs.payloadSha256 ?? {}) as Record<string, string>;
  const children = new Map<string, PlannedResource[]>();
  const finalizers: PlannedResource[] = [];
  for (const t of tasks) {
    if (t === root) continue;
    if (t.inputs.finalize) {
      finalizers.push(t);
      continue;
    }
    const afters = (t.inputs.afters as string[]).map((a) => shortTaskName(a, pipeline));
    const first = afters[0] === pipeline ? pipeline : afters[0];
    const list = children.get(first) ?? [];
    list.push(t);
    children.set(first, list);
  }
  const describeTask = (t: PlannedResource): string => {
    const name = shortTaskName(String(t.inputs.name), pipeline);
    const sql = String(t.inputs.sqlStatement);
    const parts = [name];
    const imports = /IMPORTS = \('([^']+)'\)/.exec(sql);
    if (imports) parts.push(`python ${/HANDLER = '([^']+)'/.exec(sql)?.[1] ?? ""}`, `bundle ${bundles[name] ?? "?"}`);
    else parts.push(`sql`);
    const instances = /CALL \w+\('[^']*', '([^']*)', (\d+)\)/.exec(sql);
    if (instances) parts.push(`ML Job ${instances[1]} on ${instances[2]} instance(s), payload ${payloads[name] ?? "?"}`);
    const afters = ((t.inputs.afters as string[] | undefined) ?? []).map((a) => shortTaskName(a, pipeline));
    if (afters.length > 1) parts.push(`after ${afters.join(", ")}`);
    if (t.inputs.when) parts.push(`WHEN ${String(t.inputs.when)}`);
    return parts.join("  ");
  };
  const lines = [
    `Task graph ${String(root.inputs.database)}.${String(root.inputs.schema)}.${pipeline}`,
    `  schedule: ${describeSchedule(root.inputs.schedule)}; started: ${String(root.inputs.started)}; warehouse: ${String(root.inputs.warehouse)}`,
    `  config: ${String(root.inputs.config)}`,
    `  ${pipeline} (root)`,
  ];
  const walk = (parent: string, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((t, i) => {
      const last = i === list.length - 1;
      lines.push(`  ${prefix}${last ? "└─ " : "├─ "}${describeTask(t)}`);
      walk(shortTaskName(String(t.inputs.name), pipeline), `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(pipeline, "");
  for (const f of finalizers) lines.push(`  finalizer: ${describeTask(f)} (runs after every graph run, success or failure)`);
  return lines;
}

/** Which tasks of each pipeline run the code the source stack runs (promoteFrom), and which differ. Empty without promotion. */
export function renderPromotion(plan: Plan): string[] {
  const pipelines = plan.outputs.pipelines as Record<string, Record<string, unknown>> | undefined;
  if (pipelines === undefined) return renderPipelinePromotion(plan.outputs, undefined);
  const names = Object.keys(pipelines).sort();
  return names.flatMap((name) => renderPipelinePromotion(pipelines[name], names.length > 1 ? name : undefined));
}

function renderPipelinePromotion(outputs: Record<string, unknown>, pipeline: string | undefined): string[] {
  const status = outputs.promotion as PromotionStatus | undefined;
  if (!status) return [];
  const source = stackLabel(status.from);
  const refused = [...new Set([...status.differing, ...status.missing].map((d) => d.task))].sort();
  const bundled = new Set([...status.unchanged, ...refused, ...status.sourceOnly]);
  const sqlTasks = Object.keys((outputs.tasks ?? {}) as Record<string, string>).filter((t) => !bundled.has(t)).sort();
  const list = (tasks: string[]) => (tasks.length === 0 ? "none" : tasks.join(", "));
  const lines = [
    `Promotion${pipeline === undefined ? "" : ` of ${pipeline}`} from ${status.from}`,
    `  promoted unchanged (the bundles ${source} runs): ${list(status.unchanged)}`,
    `  differing from ${source}: ${list(refused)}${refused.length > 0 ? " (deployed anyway: allowUnpromotedCode is set)" : ""}`,
    ...describeRefusal(status, source).map((l) => `    ${l}`),
  ];
  if (status.sourceOnly.length > 0) lines.push(`  in ${source} only (removed here): ${list(status.sourceOnly)}`);
  if (sqlTasks.length > 0) lines.push(`  SQL tasks (no bundle; defined by this commit's pipeline.yaml): ${list(sqlTasks)}`);
  return [...lines, ""];
}

/** The data-quality expectations each DataQualityExpectations resource attaches (none: no lines). */
export function renderDataQuality(plan: Plan): string[] {
  const lines: string[] = [];
  for (const r of plan.resources.filter((x) => x.type === DATA_QUALITY_TYPE)) {
    const expectations = (r.inputs.expectations ?? []) as { name: string; dmf: string; on: string[]; expression: string }[];
    lines.push(`Data quality of ${String(r.inputs.source)} (DATA_METRIC_SCHEDULE ${String(r.inputs.schedule)}):`);
    const width = Math.max(...expectations.map((e) => e.name.length));
    for (const e of expectations) lines.push(`  ${e.name.padEnd(width)}  ${e.dmf} ON (${e.on.join(", ")})  EXPECTATION (${e.expression})`);
    lines.push("");
  }
  return lines;
}

/** The model monitor each root task's CONFIG carries (lib/monitoring; none: no lines). */
export function renderModelMonitors(plan: Plan): string[] {
  const lines: string[] = [];
  for (const root of plan.resources.filter((t) => t.type === TASK_TYPE && !t.inputs.afters && !t.inputs.finalize)) {
    let c: Record<string, unknown>;
    try {
      c = JSON.parse(String(root.inputs.config ?? "{}"));
    } catch {
      continue;
    }
    if (c.monitor_refresh_interval === undefined) continue;
    const when = [
      ...(c.monitor_drift_metric !== undefined ? [`${c.monitor_drift_metric}(${c.monitor_drift_column}) > ${c.monitor_drift_max}`] : []),
      ...(c.monitor_performance_metric !== undefined ? [`${c.monitor_performance_metric} < ${c.monitor_performance_min}`] : []),
    ];
    lines.push(
      `Model monitor of ${String(root.inputs.name)} (moved to each promoted version): refresh ${c.monitor_refresh_interval}, aggregation window ${c.monitor_aggregation_window}`,
      `  notifies ${c.monitor_notification_integration} when ${when.join(" or ")}; checked ${c.monitor_alert_schedule}`,
      "",
    );
  }
  return lines;
}

export function renderPlanText(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const lines = [
    `Offline plan of stack "${plan.stack}" (mock runtime: nothing contacted, no credentials used)`,
    "",
    "Resources",
    ...resourceTree(plan),
    "",
    ...renderTaskGraphs(plan),
    "",
    ...renderDataQuality(plan),
    ...renderModelMonitors(plan),
    ...renderPromotion(plan),
    `${plan.resources.length} resources to create:`,
    ...[...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, n]) => `  ${String(n).padStart(4)}  ${type}`),
  ];
  return `${lines.join("\n")}\n`;
}
