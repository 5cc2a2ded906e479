/**
 * Promotion by artifact: a stack that names the stack it promotes from (`promoteFrom`, e.g. prod
 * from dev) deploys a task only when its locally built bundle (and ML Job payload) has the very
 * SHA-256 the source stack exports (`bundleSha256`, `payloadSha256`, components/pipeline.ts).
 * Pure functions, no Pulumi: program.ts reads the source stack's outputs and calls these.
 */

/** Content hashes of a stack's code, by task name (the stack outputs `bundleSha256`, `payloadSha256`). */
export interface ArtifactShas {
  bundleSha256: Record<string, string>;
  payloadSha256: Record<string, string>;
}

export type ArtifactKind = "bundle" | "payload";

/** A task whose local artifact has another hash than the source stack's. */
export interface PromotionDifference {
  task: string;
  artifact: ArtifactKind;
  local: string;
  source: string;
}

/** A task whose local artifact the source stack does not have at all (e.g. a task added since). */
export interface PromotionMissing {
  task: string;
  artifact: ArtifactKind;
  local: string;
}

export interface PromotionComparison {
  /** Tasks whose every artifact is exactly the source stack's, sorted. */
  unchanged: string[];
  /** Artifacts that differ, sorted by task then artifact. */
  differing: PromotionDifference[];
  /** Artifacts the source stack does not export, sorted by task then artifact. */
  missing: PromotionMissing[];
  /** Tasks with artifacts in the source stack but none here (removed since), sorted; informational. */
  sourceOnly: string[];
}

/** What the stack exports as `promotion` and the plan shows. */
export interface PromotionStatus {
  /** Fully qualified name of the source stack. */
  from: string;
  unchanged: string[];
  differing: PromotionDifference[];
  missing: PromotionMissing[];
  sourceOnly: string[];
  /** True when tasks differ or are missing and allowUnpromotedCode let them deploy anyway. */
  overridden: boolean;
}

export const OVERRIDE_KEY = "snowflake-ml-pipeline:allowUnpromotedCode";

const KINDS: ArtifactKind[] = ["bundle", "payload"];
const shasOf = (a: ArtifactShas, kind: ArtifactKind) => (kind === "bundle" ? a.bundleSha256 : a.payloadSha256);
const byTaskThenArtifact = <T extends { task: string; artifact: ArtifactKind }>(x: T, y: T) =>
  x.task < y.task ? -1 : x.task > y.task ? 1 : KINDS.indexOf(x.artifact) - KINDS.indexOf(y.artifact);

/** Compares the locally built artifacts with the source stack's, task by task. */
export function comparePromotion(local: ArtifactShas, source: ArtifactShas): PromotionComparison {
  const localTasks = new Set(KINDS.flatMap((k) => Object.keys(shasOf(local, k))));
  const sourceTasks = new Set(KINDS.flatMap((k) => Object.keys(shasOf(source, k))));
  const differing: PromotionDifference[] = [];
  const missing: PromotionMissing[] = [];
  const unchanged: string[] = [];
  for (const task of [...localTasks].sort()) {
    let same = true;
    for (const artifact of KINDS) {
      const mine = shasOf(local, artifact)[task];
      if (mine === undefined) continue;
      const theirs = shasOf(source, artifact)[task];
      if (theirs === undefined) {
        missing.push({ task, artifact, local: mine });
        same = false;
      } else if (theirs !== mine) {
        differing.push({ task, artifact, local: mine, source: theirs });
        same = false;
      }
    }
    if (same) unchanged.push(task);
  }
  return {
    unchanged,
    differing: differing.sort(byTaskThenArtifact),
    missing: missing.sort(byTaskThenArtifact),
    sourceOnly: [...sourceTasks].filter((t) => !localTasks.has(t)).sort(),
  };
}

/** Tasks that promotion refuses: some artifact differs from, or is absent in, the source stack. */
export function refusedTasks(comparison: Pick<PromotionComparison, "differing" | "missing">): string[] {
  return [...new Set([...comparison.differing, ...comparison.missing].map((d) => d.task))].sort();
}

const short = (sha: string) => sha.slice(0, 12);

/** One line per refused artifact, e.g. `PREPARE_DATA: bundle 1a2b3c4d5e6f here, 9f8e7d6c5b4a in dev`. */
export function describeRefusal(comparison: Pick<PromotionComparison, "differing" | "missing">, sourceLabel: string): string[] {
  const lines = comparison.differing.map((d) => `${d.task}: ${d.artifact} ${short(d.local)} here, ${short(d.source)} in ${sourceLabel}`);
  lines.push(...comparison.missing.map((m) => `${m.task}: ${m.artifact} ${short(m.local)} here, none in ${sourceLabel}`));
  return lines.sort();
}

export class PromotionRefusedError extends Error {
  constructor(
    readonly from: string,
    readonly tasks: string[],
    readonly comparison: PromotionComparison,
    reason?: string,
    /** The pipeline, named when the stack has several. */
    readonly pipeline?: string,
  ) {
    const label = stackLabel(from);
    super(
      `promotion${pipeline ? ` of pipeline ${pipeline}` : ""} from stack ${from} refused: ${reason ? `${reason}; ` : ""}` +
        `the code built here differs from what ${label} runs for ${tasks.length} task${tasks.length === 1 ? "" : "s"}: ${tasks.join(", ")}\n` +
        describeRefusal(comparison, label)
          .map((l) => `  ${l}\n`)
          .join("") +
        `Deploy this commit to ${label} first, so ${label} runs it before this stack does, or set ${OVERRIDE_KEY}: true ` +
        `(pulumi config set ${OVERRIDE_KEY} true) to deploy code ${label} has not run. Nothing was deployed.`,
    );
    this.name = "PromotionRefusedError";
  }
}

/** The last segment of a stack name: `org/project/dev` -> `dev`. */
export function stackLabel(fullyQualified: string): string {
  return fullyQualified.split("/").pop()!;
}

/**
 * The fully qualified name of the stack to promote from. `promoteFrom` is a stack of this project
 * (`dev`), a stack of this project in another organization (`org/dev`), or any stack
 * (`org/project/dev`). Throws an Error with the reason when it names this very stack.
 */
export function promotionSourceName(promoteFrom: string, here: { organization: string; project: string; stack: string }): string {
  const parts = promoteFrom.split("/");
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new Error(`expected a stack name, org/stack or org/project/stack, got "${promoteFrom}"`);
  }
  const [organization, project, stack] =
    parts.length === 1 ? [here.organization, here.project, parts[0]] : parts.length === 2 ? [parts[0], here.project, parts[1]] : parts;
  const name = `${organization}/${project}/${stack}`;
  if (name === `${here.organization}/${here.project}/${here.stack}`) {
    throw new Error(`"${promoteFrom}" is this stack; a stack cannot promote from itself`);
  }
  return name;
}

/** A stack output value as a map of task name to SHA-256, or undefined when it is not one. */
export function asShaMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.every(([, v]) => typeof v === "string")) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * The promotion decision from the source stack's outputs: the status to export, or
 * PromotionRefusedError naming every refused task unless `allowUnpromotedCode`.
 */
export function decidePromotion(args: {
  from: string;
  local: ArtifactShas;
  sourceOutputs: { bundleSha256?: unknown; payloadSha256?: unknown };
  allowUnpromotedCode: boolean;
  /** The pipeline compared, named in a refusal when the stack has several. */
  pipeline?: string;
}): PromotionStatus {
  const bundles = asShaMap(args.sourceOutputs.bundleSha256);
  const payloads = asShaMap(args.sourceOutputs.payloadSha256) ?? {};
  const reason =
    bundles === undefined
      ? `stack ${args.from} exports no bundleSha256 (is it deployed, from this project?)`
      : undefined;
  const comparison = comparePromotion(args.local, { bundleSha256: bundles ?? {}, payloadSha256: payloads });
  const refused = refusedTasks(comparison);
  if (refused.length > 0 && !args.allowUnpromotedCode) throw new PromotionRefusedError(args.from, refused, comparison, reason, args.pipeline);
  return { from: args.from, ...comparison, overridden: refused.length > 0 };
}
