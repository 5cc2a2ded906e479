// `pipeline rollback` against the local Snowflake stub, through the real snowflake-sdk.
// The stub stands in for a Snowflake account's model registry: it answers SHOW VERSIONS IN MODEL
// from a small in-memory model and applies ALTER MODEL with the rules of
// https://docs.snowflake.com/sql-reference/sql/alter-model ("a version can have at most one alias";
// an alias is unique within the model; SET DEFAULT_VERSION names an existing version). Statement
// forms checked against that page and https://docs.snowflake.com/sql-reference/sql/show-versions-in-model
// (columns name, aliases as an ARRAY of VARCHAR, is_default_version).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EXIT } from "../../cli/ops/exitCodes";
import { harness, ROOT, ROOT_FQN, showTasks, DEV_STATES, type Harness } from "./scenario";

const TARGET = ["--root-task", ROOT_FQN, "--connection", "stub"];
const MODEL = "ML_DEV.MODELS.MORTGAGE_MODEL";
const SHOW = "SHOW TASKS IN SCHEMA ML_DEV.PIPELINE";
const VERSIONS = `SHOW VERSIONS IN MODEL ${MODEL}`;
const lines = (...l: string[]) => [...l, ""].join("\n");

const BASE_CONFIG = { registry_schema: "ML_DEV.MODELS", model_name: "mortgage_model", metric_name: "test_accuracy" };
const WITH_ALIASES = { ...BASE_CONFIG, promoted_alias: "PRODUCTION", previous_alias: "PREVIOUS" };

interface Registry {
  default: string;
  aliases: Record<string, string>;
  versions: string[];
}

/** SHOW TASKS with the root's CONFIG column, and a model registry that ALTER MODEL changes. */
function deployed(h: Harness, config: Record<string, unknown>, registry: Registry, refuse?: string) {
  h.stub.on(SHOW, () => {
    const shown = showTasks(DEV_STATES);
    return {
      columns: [...shown.columns!, { name: "config", type: "text" }],
      rows: shown.rows!.map((row) => [...row, row[0] === ROOT ? JSON.stringify(config) : null]),
    };
  });
  h.stub.on(VERSIONS, () => ({
    columns: ["created_on", "name", "aliases", "is_default_version"].map((name) => ({ name, type: "text" })),
    rows: registry.versions.map((v) => [
      "2026-10-01 00:00:00.000 -0700",
      v,
      JSON.stringify([...(registry.default === v ? ["DEFAULT"] : []), ...(registry.aliases[v] ? [registry.aliases[v]] : [])]),
      registry.default === v ? "true" : "false",
    ]),
  }));
  const ok = { columns: [{ name: "status", type: "text" }], rows: [["Statement executed successfully."]] };
  const error = (message: string) => ({ error: { code: "002003", message, sqlState: "02000" } });
  h.stub.on(/^ALTER MODEL /, (sql) => {
    if (sql === refuse) return { error: { code: "003001", message: "Insufficient privileges to operate on model 'MORTGAGE_MODEL'", sqlState: "42501" } };
    let m = new RegExp(`^ALTER MODEL ${MODEL} SET DEFAULT_VERSION = (\\w+)$`).exec(sql);
    if (m) {
      if (!registry.versions.includes(m[1])) return error(`Model version ${m[1]} does not exist`);
      registry.default = m[1];
      return ok;
    }
    m = new RegExp(`^ALTER MODEL ${MODEL} VERSION (\\w+) UNSET ALIAS$`).exec(sql);
    if (m) {
      delete registry.aliases[m[1]];
      return ok;
    }
    m = new RegExp(`^ALTER MODEL ${MODEL} VERSION (\\w+) SET ALIAS = (\\w+)$`).exec(sql);
    if (m) {
      if (registry.aliases[m[1]]) return error(`Version ${m[1]} already has an alias`);
      if (Object.values(registry.aliases).includes(m[2])) return error(`Alias ${m[2]} already exists`);
      registry.aliases[m[1]] = m[2];
      return ok;
    }
    return error(`stub: unexpected ${sql}`);
  });
}

const promotedTwice = (): Registry => ({ versions: ["RUN_0", "RUN_1", "RUN_2"], default: "RUN_2", aliases: { RUN_1: "PREVIOUS", RUN_2: "PRODUCTION" } });

const ROLLBACK_SQL = [
  `ALTER MODEL ${MODEL} SET DEFAULT_VERSION = RUN_1`,
  `ALTER MODEL ${MODEL} VERSION RUN_1 UNSET ALIAS`,
  `ALTER MODEL ${MODEL} VERSION RUN_2 UNSET ALIAS`,
  `ALTER MODEL ${MODEL} VERSION RUN_1 SET ALIAS = PRODUCTION`,
  `ALTER MODEL ${MODEL} VERSION RUN_2 SET ALIAS = PREVIOUS`,
];

describe("pipeline rollback", () => {
  test("makes the previous version the default again after showing what changes", async () => {
    const h = await harness();
    const registry = promotedTwice();
    deployed(h, WITH_ALIASES, registry);
    try {
      assert.equal(await h.run("rollback", ...TARGET), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, VERSIONS, ...ROLLBACK_SQL, VERSIONS]);
      assert.deepEqual(registry, { versions: ["RUN_0", "RUN_1", "RUN_2"], default: "RUN_1", aliases: { RUN_1: "PRODUCTION", RUN_2: "PREVIOUS" } });
      assert.equal(
        h.stdout(),
        lines(
          `Rollback of ${MODEL}: default RUN_2 -> RUN_1`,
          "  now:   RUN_1 alias PREVIOUS",
          "  now:   RUN_2 (default) alias PRODUCTION",
          "  after: RUN_1 (default) alias PRODUCTION; RUN_2 alias PREVIOUS",
          "Running:",
          ...ROLLBACK_SQL.map((sql) => `  ✔ ${sql}`),
          "Now:",
          "  RUN_1 (default) alias PRODUCTION",
          "  RUN_2 alias PREVIOUS",
        ),
      );
    } finally {
      await h.close();
    }
  });

  test("a second rollback undoes the first", async () => {
    const h = await harness();
    const registry = promotedTwice();
    deployed(h, WITH_ALIASES, registry);
    try {
      assert.equal(await h.run("rollback", ...TARGET, "--json"), EXIT.OK);
      assert.equal(await h.run("rollback", ...TARGET, "--json"), EXIT.OK);
      assert.deepEqual(registry, promotedTwice());
    } finally {
      await h.close();
    }
  });

  test("--dry-run shows the statements and sends none", async () => {
    const h = await harness();
    const registry = promotedTwice();
    deployed(h, WITH_ALIASES, registry);
    try {
      assert.equal(await h.run("rollback", ...TARGET, "--dry-run", "--json"), EXIT.OK);
      assert.deepEqual(h.sent, [SHOW, VERSIONS]);
      assert.deepEqual(registry, promotedTwice());
      const doc = JSON.parse(h.stdout());
      assert.deepEqual(doc.statements.map((s: { sql: string; ok: unknown }) => [s.sql, s.ok]), ROLLBACK_SQL.map((sql) => [sql, null]));
      assert.equal(doc.from, "RUN_2");
      assert.equal(doc.to, "RUN_1");
    } finally {
      await h.close();
    }
  });

  test("nothing to roll back to: no version has the previous alias", async () => {
    const h = await harness();
    const registry: Registry = { versions: ["RUN_1"], default: "RUN_1", aliases: { RUN_1: "PRODUCTION" } };
    deployed(h, WITH_ALIASES, registry);
    try {
      assert.equal(await h.run("rollback", ...TARGET), EXIT.NOTHING_TO_RETRY);
      assert.deepEqual(h.sent, [SHOW, VERSIONS]);
      assert.equal(h.stdout(), lines(`Rollback of ${MODEL}`, `  no version of ${MODEL} has the alias PREVIOUS: there is no previous version to roll back to`));
    } finally {
      await h.close();
    }
  });

  test("a pipeline without aliases is told how to get them; nothing is sent to the model", async () => {
    const h = await harness();
    deployed(h, BASE_CONFIG, promotedTwice());
    try {
      assert.equal(await h.run("rollback", ...TARGET), EXIT.USAGE);
      assert.deepEqual(h.sent, [SHOW]);
      assert.equal(
        h.stderr(),
        `error: root task ${ROOT_FQN}: the pipeline declares no model aliases (graph config promoted_alias and previous_alias), so promotion did not record the version to roll back to. ` +
          "Declare them in pipeline.yaml config and deploy; until a promotion has run with them, set the default by hand (ALTER MODEL … SET DEFAULT_VERSION).\n",
      );
    } finally {
      await h.close();
    }
  });

  test("a refused statement stops the rollback and says so; the rest is not run", async () => {
    const h = await harness();
    const registry = promotedTwice();
    deployed(h, WITH_ALIASES, registry, ROLLBACK_SQL[0]);
    try {
      assert.equal(await h.run("rollback", ...TARGET), EXIT.FAILED);
      assert.deepEqual(h.sent, [SHOW, VERSIONS, ROLLBACK_SQL[0], VERSIONS]);
      assert.deepEqual(registry, promotedTwice());
      assert.match(h.stdout(), /✖ ALTER MODEL ML_DEV\.MODELS\.MORTGAGE_MODEL SET DEFAULT_VERSION = RUN_1\n {6}Snowflake statement failed .*: 003001 \(42501\) Insufficient privileges/);
      assert.match(h.stdout(), /- ALTER MODEL ML_DEV\.MODELS\.MORTGAGE_MODEL VERSION RUN_1 UNSET ALIAS \(not run\)/);
      assert.match(h.stdout(), /Snowflake refused a statement; later statements were not run\.\n$/);
    } finally {
      await h.close();
    }
  });
});
