/**
 * Per-task rules that make every deploy a plan provider 1.3.0 can apply:
 *
 * - The task's role is in its logical name. A step is `task-<task>`; the finalizer is always
 *   `finalizer` (both relative to the graph component's name). A step turned into the finalizer (or back) is then a different
 *   resource, so the provider never diffs a finalizer's state (no `after`) against a step's config
 *   (the Diff panic of pulumi-snowflake #971), nor runs SET FINALIZE before REMOVE AFTER on one task.
 *   Renaming the finalizer keeps its logical name and replaces it (name is ForceNew); the
 *   finalizer is registered with deleteBeforeReplace, so the old one is dropped before the new one
 *   is created (Snowflake allows one finalizer per root).
 * - Hand-written SQL bodies and WHEN conditions carry a short hash of their exact text. The
 *   provider compares sql_statement and when ignoring case and whitespace (DiffSuppressStatement,
 *   https://github.com/snowflakedb/terraform-provider-snowflake/blob/v1.2.1/pkg/resources/common.go),
 *   so an edit of only case or spacing would otherwise preview as no change and never be applied.
 *   The hash changes with any edit, and it is hex, so no two hashes are equal ignoring case.
 */
import { createHash } from "node:crypto";
import { logicalSuffix } from "../naming";

/** Hex characters of the content hash: 48 bits, enough to tell one edit of a text from another. */
export const CONTENT_HASH_LENGTH = 12;

export type TaskRole = "step" | "finalizer";

export function taskRole(spec: { finalizer?: boolean }): TaskRole {
  return spec.finalizer === true ? "finalizer" : "step";
}

/** The logical name of a pipeline task's snowflake.Task, relative to its graph component's name. */
export function taskLogicalName(spec: { name: string; finalizer?: boolean }): string {
  return taskRole(spec) === "finalizer" ? "finalizer" : `task-${logicalSuffix(spec.name)}`;
}

export function contentHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, CONTENT_HASH_LENGTH);
}

/** A SQL body with `-- <hash>` on its own last line (a line comment ends at the newline it needs none after). */
export function withBodyHash(sql: string): string {
  return `${sql}\n-- ${contentHash(sql)}`;
}

/** A WHEN condition with a trailing `/* <hash> *\/` block comment (a WHEN is one expression, no line comment). */
export function withConditionHash(condition: string): string {
  return `${condition} /* ${contentHash(condition)} */`;
}
