import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  branchCondition,
  branchTargetsArgument,
  handlerFor,
  procedureNameFor,
  PythonTaskBody,
  renderPythonTaskBody,
  renderSqlTaskBody,
  ROOT_TASK_BODY,
} from "../../lib/taskSql";

const SHAPE = "expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got ";
const SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

describe("ROOT_TASK_BODY", () => {
  it("is the body in docs/design.md, character for character", () => {
    assert.equal(
      ROOT_TASK_BODY,
      "EXECUTE IMMEDIATE $$DECLARE run_token VARCHAR DEFAULT COALESCE(SYSTEM$GET_TASK_GRAPH_CONFIG('run_token')::VARCHAR, 'scheduled'); BEGIN CALL SYSTEM$SET_RETURN_VALUE(:run_token); RETURN run_token; END;$$",
    );
  });
});

describe("renderPythonTaskBody", () => {
  const prepare: PythonTaskBody = {
    procedureName: "PREPARE_DATA_HANDLER",
    runtime: "3.11",
    packages: ["snowflake-snowpark-python", "snowflake-ml-python", "xgboost"],
    importPath: `@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/${SHA}/prepare_data.zip`,
    handler: "tasks.prepare_data.main",
    args: [],
  };

  it("a task without arguments: the form in docs/design.md", () => {
    assert.equal(
      renderPythonTaskBody(prepare),
      [
        "WITH PREPARE_DATA_HANDLER AS PROCEDURE ()",
        "RETURNS STRING",
        "LANGUAGE PYTHON",
        "RUNTIME_VERSION = '3.11'",
        "PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'xgboost')",
        `IMPORTS = ('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/PREPARE_DATA/${SHA}/prepare_data.zip')`,
        "HANDLER = 'tasks.prepare_data.main'",
        "CALL PREPARE_DATA_HANDLER()",
      ].join("\n"),
    );
  });

  it("a task with a job: typed parameters and literals in the CALL", () => {
    const body = renderPythonTaskBody({
      ...prepare,
      procedureName: "TRAIN_MODEL_HANDLER",
      importPath: `@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/${SHA}/train_model.zip`,
      handler: "tasks.train_model.main",
      args: [
        { name: "PAYLOAD_LOCATION", type: "VARCHAR", value: `@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${SHA}/` },
        { name: "PAYLOAD_ENTRYPOINT", type: "VARCHAR", value: "jobs/train.py" },
        { name: "TARGET_INSTANCES", type: "NUMBER", value: 2 },
      ],
    });
    assert.equal(
      body,
      "WITH TRAIN_MODEL_HANDLER AS PROCEDURE (PAYLOAD_LOCATION VARCHAR, PAYLOAD_ENTRYPOINT VARCHAR, TARGET_INSTANCES NUMBER)\n" +
        "RETURNS STRING\n" +
        "LANGUAGE PYTHON\n" +
        "RUNTIME_VERSION = '3.11'\n" +
        "PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'xgboost')\n" +
        `IMPORTS = ('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/${SHA}/train_model.zip')\n` +
        "HANDLER = 'tasks.train_model.main'\n" +
        `CALL TRAIN_MODEL_HANDLER('@ML_DEV.PIPELINE.CODE_STAGE/MORTGAGE_PIPELINE/TRAIN_MODEL/payload/${SHA}/', 'jobs/train.py', 2)`,
    );
  });

  it("string values are SQL-escaped", () => {
    const body = renderPythonTaskBody({ ...prepare, args: [{ name: "NOTE", type: "VARCHAR", value: "it's a \\ test" }] });
    assert.equal(body.split("\n").at(-1), "CALL PREPARE_DATA_HANDLER('it''s a \\\\ test')");
  });

  it("a versioned snowpark package counts", () => {
    const body = renderPythonTaskBody({ ...prepare, packages: ["snowflake-snowpark-python==1.20.0"] });
    assert.equal(body.split("\n")[4], "PACKAGES = ('snowflake-snowpark-python==1.20.0')");
  });

  const errors: [string, Partial<PythonTaskBody>, string][] = [
    ["bad procedure name", { procedureName: "prepare" }, `procedure name: ${SHAPE}"prepare"`],
    ["bad runtime", { runtime: "3" }, 'expected a Python runtime version like "3.11", got "3"'],
    ["no snowpark", { packages: ["xgboost"] }, 'PACKAGES must include snowflake-snowpark-python for a Python procedure; got ["xgboost"]'],
    ["import path without @", { importPath: "CODE_STAGE/x.zip" }, 'expected a stage path starting with "@" for IMPORTS, got "CODE_STAGE/x.zip"'],
    ["bad handler", { handler: "main" }, 'expected a handler like "tasks.prepare_data.main" (module.function), got "main"'],
    ["bad argument name", { args: [{ name: "x", type: "NUMBER", value: 1 }] }, `procedure argument name: ${SHAPE}"x"`],
    [
      "argument twice",
      { args: [{ name: "X", type: "NUMBER", value: 1 }, { name: "X", type: "NUMBER", value: 2 }] },
      "procedure argument X is given twice",
    ],
    ["VARCHAR with a number", { args: [{ name: "X", type: "VARCHAR", value: 1 }] }, "procedure argument X is VARCHAR but its value is 1"],
    ["NUMBER with a string", { args: [{ name: "X", type: "NUMBER", value: "2" }] }, 'procedure argument X is NUMBER but its value is "2"'],
    ["NUMBER NaN", { args: [{ name: "X", type: "NUMBER", value: NaN }] }, "procedure argument X is NUMBER but its value is NaN"],
  ];
  for (const [name, change, message] of errors) {
    it(`throws: ${name}`, () => assert.throws(() => renderPythonTaskBody({ ...prepare, ...change }), { message }));
  }
});

describe("branchCondition", () => {
  it("compares the branch task's return value with the successor's name", () => {
    assert.equal(
      branchCondition("MORTGAGE_PIPELINE", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL"),
      "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY') = 'PROMOTE_MODEL'",
    );
    assert.equal(
      branchCondition("MORTGAGE_PIPELINE", "CHECK_MODEL_QUALITY", "SEND_ALERT"),
      "SYSTEM$GET_PREDECESSOR_RETURN_VALUE('MORTGAGE_PIPELINE$CHECK_MODEL_QUALITY') = 'SEND_ALERT'",
    );
  });
  it("throws on a name that is not an identifier", () => {
    assert.throws(() => branchCondition("MORTGAGE_PIPELINE", "CHECK_MODEL_QUALITY", "promote_model"), { message: `successor name: ${SHAPE}"promote_model"` });
    assert.throws(() => branchCondition("P'X", "CHECK_MODEL_QUALITY", "A"), { message: `pipeline name: ${SHAPE}"P'X"` });
  });
});

describe("branchTargetsArgument", () => {
  it("passes the branch list in order as one VARCHAR argument, rendered into the CALL", () => {
    const argument = branchTargetsArgument(["SHIP", "WARN"]);
    assert.deepEqual(argument, { name: "BRANCH_TARGETS", type: "VARCHAR", value: "SHIP,WARN" });
    const body = renderPythonTaskBody({
      procedureName: "GATE_HANDLER",
      runtime: "3.11",
      packages: ["snowflake-snowpark-python"],
      importPath: `@DB.S.CODE_STAGE/PIPE/GATE/${SHA}/gate.zip`,
      handler: "tasks.gate.main",
      args: [argument],
    });
    assert.equal(
      body,
      "WITH GATE_HANDLER AS PROCEDURE (BRANCH_TARGETS VARCHAR)\n" +
        "RETURNS STRING\n" +
        "LANGUAGE PYTHON\n" +
        "RUNTIME_VERSION = '3.11'\n" +
        "PACKAGES = ('snowflake-snowpark-python')\n" +
        `IMPORTS = ('@DB.S.CODE_STAGE/PIPE/GATE/${SHA}/gate.zip')\n` +
        "HANDLER = 'tasks.gate.main'\n" +
        "CALL GATE_HANDLER('SHIP,WARN')",
    );
    assert.equal(branchTargetsArgument(["C", "B", "A"]).value, "C,B,A");
  });
  const errors: [string, string[], string][] = [
    ["one target", ["A"], 'a branch list needs at least 2 successors, got ["A"]'],
    ["a repeated target", ["A", "A"], "branch target A is listed twice"],
    ["a name with a comma", ["A", "B,C"], `branch target: ${SHAPE}"B,C"`],
  ];
  for (const [name, targets, message] of errors) {
    it(`throws: ${name}`, () => assert.throws(() => branchTargetsArgument(targets), { message }));
  }
});

describe("renderSqlTaskBody", () => {
  const vars = { notificationIntegration: "ML_ALERTS", warehouse: "ML_DEV_WH", errorIntegration: undefined };
  const cases: [string, string, string][] = [
    ["a placeholder inside quotes", "SELECT '${notificationIntegration}'", "SELECT 'ML_ALERTS'"],
    ["spaces inside the braces", "USE WAREHOUSE ${ warehouse }", "USE WAREHOUSE ML_DEV_WH"],
    ["several placeholders", "${warehouse}/${warehouse}", "ML_DEV_WH/ML_DEV_WH"],
    ["CRLF to LF and trailing blanks", "SELECT 1  \r\nFROM T\t\r\n", "SELECT 1\nFROM T"],
    ["lone CR", "A\rB", "A\nB"],
    ["blank lines at both ends", "\n\n  SELECT 1\n\n", "  SELECT 1"],
    ["inner blank lines and indentation kept", "BEGIN\n\n  SELECT 1;\nEND", "BEGIN\n\n  SELECT 1;\nEND"],
    ["a JSON $$ literal is not a placeholder", 'SELECT PARSE_JSON($${"a":1}$$)', 'SELECT PARSE_JSON($${"a":1}$$)'],
    ["a lone $ sign", "SELECT $1 FROM @S", "SELECT $1 FROM @S"],
    [
      "the seed's SEND_ALERT (YAML folded)",
      "CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(\nSNOWFLAKE.NOTIFICATION.TEXT_PLAIN(SNOWFLAKE.NOTIFICATION.SANITIZE_WEBHOOK_CONTENT('Model quality check failed to meet the threshold.')),\nSNOWFLAKE.NOTIFICATION.INTEGRATION('${notificationIntegration}'))",
      "CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(\nSNOWFLAKE.NOTIFICATION.TEXT_PLAIN(SNOWFLAKE.NOTIFICATION.SANITIZE_WEBHOOK_CONTENT('Model quality check failed to meet the threshold.')),\nSNOWFLAKE.NOTIFICATION.INTEGRATION('ML_ALERTS'))",
    ],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => assert.equal(renderSqlTaskBody(sql, vars), expected));
  }
  it("the same SQL written with CRLF and trailing newline renders identically", () => {
    assert.equal(renderSqlTaskBody("SELECT 1\r\nFROM T\r\n", {}), renderSqlTaskBody("SELECT 1\nFROM T", {}));
  });

  const errors: [string, string, Record<string, string | undefined>, string][] = [
    [
      "unknown variable",
      "SELECT '${notification}'",
      vars,
      "unknown variable ${notification} in the SQL; known variables: errorIntegration, notificationIntegration, warehouse",
    ],
    [
      "variable without a value",
      "SELECT '${errorIntegration}'",
      vars,
      "variable ${errorIntegration} has no value in this stack; known variables: errorIntegration, notificationIntegration, warehouse",
    ],
    ["no variables at all", "${x}", {}, "unknown variable ${x} in the SQL; known variables: (none)"],
    ["empty braces", "${}", { a: "A" }, "unknown variable ${} in the SQL; known variables: a"],
    [
      "a value with a quote",
      "SELECT '${v}'",
      { v: "x'; DROP TABLE T; --" },
      `variable \${v} has the value "x'; DROP TABLE T; --"; a quote, backslash, semicolon or line break cannot be substituted into SQL`,
    ],
    ["inherited names are not variables", "${toString}", {}, "unknown variable ${toString} in the SQL; known variables: (none)"],
    ["blank SQL", " \r\n\t\n", {}, "the SQL is empty"],
  ];
  for (const [name, sql, values, message] of errors) {
    it(`throws: ${name}`, () => assert.throws(() => renderSqlTaskBody(sql, values), { message }));
  }
});

describe("handlerFor", () => {
  const cases: [string, string][] = [
    ["tasks/prepare_data.py", "tasks.prepare_data.main"],
    ["tasks/check_model_quality.py", "tasks.check_model_quality.main"],
    ["main.py", "main.main"],
    ["a/b/c.py", "a.b.c.main"],
  ];
  for (const [entrypoint, handler] of cases) {
    it(`${entrypoint} → ${handler}`, () => assert.equal(handlerFor(entrypoint), handler));
  }
  const bad = ["tasks/prepare-data.py", "tasks/prepare_data", "/abs/x.py", "../x.py", "tasks\\x.py", "tasks/__init__.py", "1tasks/x.py", "tasks//x.py", ""];
  for (const entrypoint of bad) {
    it(`throws: ${JSON.stringify(entrypoint)}`, () =>
      assert.throws(() => handlerFor(entrypoint), {
        message: `expected an entrypoint like "tasks/prepare_data.py": a relative path to a .py module whose folders and name are Python identifiers, got ${JSON.stringify(entrypoint)}`,
      }));
  }
});

describe("procedureNameFor", () => {
  it("PREPARE_DATA → PREPARE_DATA_HANDLER", () => assert.equal(procedureNameFor("PREPARE_DATA"), "PREPARE_DATA_HANDLER"));
  it("throws on a bad task name", () => assert.throws(() => procedureNameFor("prepare"), { message: `task name: ${SHAPE}"prepare"` }));
  it("throws when the result would be too long", () =>
    assert.throws(() => procedureNameFor("T".repeat(250)), {
      message: `the procedure name ${"T".repeat(250)}_HANDLER is 258 characters long; Snowflake identifiers are at most 255`,
    }));
});

describe("branchCondition: reserved words", () => {
  it("a reserved task name is refused (CHECK is reserved by ANSI)", () =>
    assert.throws(() => branchCondition("MORTGAGE_PIPELINE", "CHECK", "A"), {
      message: 'branch task name: "CHECK" is a Snowflake reserved keyword and cannot be used as an unquoted name; choose another name',
    }));
});
