/**
 * The SQL text of task definitions (docs/design.md "Task definitions", "Root task").
 *
 * Every body is rendered from validated parts with one fixed layout, so the same configuration
 * always yields the same text and `pulumi preview` shows a change only when something changed.
 */
import { describeValue, identifierProblem, MAX_IDENTIFIER_LENGTH, sqlString } from "./identifiers";

/**
 * The root task's body: it returns the per-run token from the graph config (EXECUTE TASK … USING
 * CONFIG adds run_token), so the operator CLI can find its own run; scheduled runs return 'scheduled'.
 */
export const ROOT_TASK_BODY =
  "EXECUTE IMMEDIATE $$DECLARE run_token VARCHAR DEFAULT COALESCE(SYSTEM$GET_TASK_GRAPH_CONFIG('run_token')::VARCHAR, 'scheduled'); BEGIN CALL SYSTEM$SET_RETURN_VALUE(:run_token); RETURN run_token; END;$$";

export interface ProcedureArgument {
  name: string;
  type: "VARCHAR" | "NUMBER";
  value: string | number;
}

export interface PythonTaskBody {
  procedureName: string;
  runtime: string;
  packages: string[];
  importPath: string;
  handler: string;
  args: ProcedureArgument[];
}

/**
 * An anonymous Python procedure and its CALL, as Snowflake's Python API writes a task body:
 *
 *   WITH PREPARE_DATA_HANDLER AS PROCEDURE ()
 *   RETURNS STRING
 *   LANGUAGE PYTHON
 *   RUNTIME_VERSION = '3.11'
 *   PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'xgboost')
 *   IMPORTS = ('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/<sha>/prepare_data.zip')
 *   HANDLER = 'tasks.prepare_data.main'
 *   CALL PREPARE_DATA_HANDLER()
 *
 * Arguments become typed parameters (PAYLOAD_LOCATION VARCHAR, …) and literals in the CALL.
 */
export function renderPythonTaskBody({ procedureName, runtime, packages, importPath, handler, args }: PythonTaskBody): string {
  const nameProblem = identifierProblem(procedureName);
  if (nameProblem) throw new Error(`procedure name: ${nameProblem}`);
  if (!/^\d+\.\d+$/.test(runtime)) throw new Error(`expected a Python runtime version like "3.11", got ${describeValue(runtime)}`);
  // Snowflake refuses a Python procedure without the Snowpark package (the handler gets a Session).
  if (!packages.some((p) => /^snowflake-snowpark-python(\s*[=<>!~].*)?$/.test(p))) {
    throw new Error(`PACKAGES must include snowflake-snowpark-python for a Python procedure; got ${describeValue(packages)}`);
  }
  if (!importPath.startsWith("@")) throw new Error(`expected a stage path starting with "@" for IMPORTS, got ${describeValue(importPath)}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(handler)) {
    throw new Error(`expected a handler like "tasks.prepare_data.main" (module.function), got ${describeValue(handler)}`);
  }
  const seen = new Set<string>();
  const params: string[] = [];
  const values: string[] = [];
  for (const arg of args) {
    const problem = identifierProblem(arg.name);
    if (problem) throw new Error(`procedure argument name: ${problem}`);
    if (seen.has(arg.name)) throw new Error(`procedure argument ${arg.name} is given twice`);
    seen.add(arg.name);
    params.push(`${arg.name} ${arg.type}`);
    values.push(argumentLiteral(arg));
  }
  return [
    `WITH ${procedureName} AS PROCEDURE (${params.join(", ")})`,
    "RETURNS STRING",
    "LANGUAGE PYTHON",
    `RUNTIME_VERSION = ${sqlString(runtime)}`,
    `PACKAGES = (${packages.map(sqlString).join(", ")})`,
    `IMPORTS = (${sqlString(importPath)})`,
    `HANDLER = ${sqlString(handler)}`,
    `CALL ${procedureName}(${values.join(", ")})`,
  ].join("\n");
}

function argumentLiteral(arg: ProcedureArgument): string {
  if (arg.type === "VARCHAR") {
    if (typeof arg.value !== "string") throw new Error(`procedure argument ${arg.name} is VARCHAR but its value is ${describeValue(arg.value)}`);
    return sqlString(arg.value);
  }
  if (arg.type === "NUMBER") {
    if (typeof arg.value !== "number" || !Number.isFinite(arg.value)) {
      throw new Error(`procedure argument ${arg.name} is NUMBER but its value is ${describeValue(arg.value)}`);
    }
    // String(1e21) is "1e+21", which SQL reads as a FLOAT; whole numbers this large never occur here.
    return String(arg.value);
  }
  throw new Error(`procedure argument ${arg.name} has unsupported type ${describeValue(arg.type)}; expected VARCHAR or NUMBER`);
}

/**
 * The procedure argument a branch task's handler gets: its branch list from the pipeline definition,
 * in order and comma-separated (`BRANCH_TARGETS VARCHAR`, `'PROMOTE_MODEL,SEND_ALERT'`). The graph
 * tells a task its successors but not which of them means what; the list's order does (for the
 * quality gate: first = pass, second = fail). The handler returns one of these names.
 */
export function branchTargetsArgument(targets: readonly string[]): ProcedureArgument {
  if (targets.length < 2) throw new Error(`a branch list needs at least 2 successors, got ${describeValue(targets)}`);
  const seen = new Set<string>();
  for (const target of targets) {
    const problem = identifierProblem(target);
    if (problem) throw new Error(`branch target: ${problem}`);
    if (seen.has(target)) throw new Error(`branch target ${target} is listed twice`);
    seen.add(target);
  }
  return { name: "BRANCH_TARGETS", type: "VARCHAR", value: targets.join(",") };
}

/**
 * The WHEN of a branch target: the branch task returns the name of the successor to run.
 * SYSTEM$GET_PREDECESSOR_RETURN_VALUE takes the task name without database and schema, case-sensitive.
 */
export function branchCondition(pipeline: string, branchTask: string, successor: string): string {
  for (const [what, name] of [["pipeline", pipeline], ["branch task", branchTask], ["successor", successor]] as const) {
    const problem = identifierProblem(name);
    if (problem) throw new Error(`${what} name: ${problem}`);
  }
  return `SYSTEM$GET_PREDECESSOR_RETURN_VALUE(${sqlString(`${pipeline}$${branchTask}`)}) = ${sqlString(successor)}`;
}

/**
 * A SQL task's body from pipeline.yaml: ${name} placeholders replaced by the stack's values, and
 * whitespace normalized (CRLF → LF, trailing blanks on each line and blank lines at both ends
 * removed) so an unchanged SQL renders identically whatever editor or YAML block style wrote it.
 *
 * Values are inserted as they are (placeholders usually sit inside quotes or are names), so a value
 * containing a quote, backslash, semicolon or line break is refused rather than allowed to change the
 * statement's structure.
 */
export function renderSqlTaskBody(sql: string, vars: Record<string, string | undefined>): string {
  const allowed = Object.keys(vars).sort().join(", ") || "(none)";
  // A placeholder is ${…} without quotes or line breaks inside, so a JSON literal such as
  // $${"a":1}$$ in the SQL is left alone.
  const rendered = sql.replace(/\$\{([^{}'"\r\n]*)\}/g, (_match, raw: string) => {
    const name = raw.trim();
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      throw new Error(`unknown variable \${${name}} in the SQL; known variables: ${allowed}`);
    }
    const value = vars[name];
    if (value === undefined) throw new Error(`variable \${${name}} has no value in this stack; known variables: ${allowed}`);
    if (/['\\;\r\n]/.test(value)) {
      throw new Error(`variable \${${name}} has the value ${describeValue(value)}; a quote, backslash, semicolon or line break cannot be substituted into SQL`);
    }
    return value;
  });
  const body = rendered
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/[ \t\f\v]+$/, ""))
    .join("\n")
    .replace(/^\n+/, "")
    .replace(/\n+$/, "");
  if (body.trim() === "") throw new Error("the SQL is empty");
  return body;
}

/** The handler of a Python entrypoint: tasks/prepare_data.py → tasks.prepare_data.main. */
export function handlerFor(entrypoint: string): string {
  const parts = entrypoint.split("/");
  const last = parts[parts.length - 1];
  const modules = [...parts.slice(0, -1), last.endsWith(".py") ? last.slice(0, -3) : ""];
  if (!last.endsWith(".py") || last === "__init__.py" || !modules.every((m) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(m))) {
    throw new Error(
      `expected an entrypoint like "tasks/prepare_data.py": a relative path to a .py module whose folders and name are Python identifiers, got ${describeValue(entrypoint)}`,
    );
  }
  return `${modules.join(".")}.main`;
}

/** The anonymous procedure's name in a task body: PREPARE_DATA → PREPARE_DATA_HANDLER. */
export function procedureNameFor(task: string): string {
  const problem = identifierProblem(task);
  if (problem) throw new Error(`task name: ${problem}`);
  const name = `${task}_HANDLER`;
  if (name.length > MAX_IDENTIFIER_LENGTH) throw new Error(`the procedure name ${name} is ${name.length} characters long; Snowflake identifiers are at most ${MAX_IDENTIFIER_LENGTH}`);
  return name;
}
