// The model version aliases a pipeline declares in its graph config (promoted_alias, previous_alias):
// the rules of https://docs.snowflake.com/sql-reference/sql/alter-model (an alias is an identifier,
// unique within the model, a version holds at most one; DEFAULT, FIRST and LAST are system aliases),
// in the words a user reads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelAliasesOf, modelAliasProblem } from "../../lib/config/modelAliases";

describe("modelAliasProblem", () => {
  const cases: [string, Record<string, string | number>, string | undefined][] = [
    ["neither: promotion sets no alias", { model_name: "m" }, undefined],
    ["both, valid", { promoted_alias: "PRODUCTION", previous_alias: "previous" }, undefined],
    ["only the promoted one", { promoted_alias: "PRODUCTION" }, "graph config key 'promoted_alias' is set but 'previous_alias' is not; promotion moves both aliases, so set both or neither"],
    ["only the previous one", { previous_alias: "PREVIOUS" }, "graph config key 'previous_alias' is set but 'promoted_alias' is not; promotion moves both aliases, so set both or neither"],
    ["a system alias", { promoted_alias: "default", previous_alias: "PREVIOUS" }, 'graph config key \'promoted_alias\' must not be a system alias (DEFAULT, FIRST, LAST), got "default"'],
    ["LAST as the previous one", { promoted_alias: "PRODUCTION", previous_alias: "LAST" }, 'graph config key \'previous_alias\' must not be a system alias (DEFAULT, FIRST, LAST), got "LAST"'],
    ["not an identifier", { promoted_alias: "PROD-1", previous_alias: "PREVIOUS" }, 'graph config key \'promoted_alias\' must be an unquoted identifier (letters, digits, _ and $, not starting with a digit or $), got "PROD-1"'],
    ["a number", { promoted_alias: "PRODUCTION", previous_alias: 7 }, "graph config key 'previous_alias' must be an unquoted identifier (letters, digits, _ and $, not starting with a digit or $), got 7"],
    ["the same alias twice, in other case", { promoted_alias: "Prod", previous_alias: "PROD" }, 'graph config keys \'promoted_alias\' and \'previous_alias\' must differ (an alias names one version), both are "PROD"'],
  ];
  for (const [name, config, expected] of cases) it(name, () => assert.equal(modelAliasProblem(config), expected));
});

describe("modelAliasesOf", () => {
  it("upper-cases the declared aliases as Snowflake stores unquoted identifiers", () => {
    assert.deepEqual(modelAliasesOf({ promoted_alias: "production", previous_alias: "Previous" }), { promoted: "PRODUCTION", previous: "PREVIOUS" });
  });
  it("is undefined without aliases or with unusable ones", () => {
    assert.equal(modelAliasesOf({}), undefined);
    assert.equal(modelAliasesOf({ promoted_alias: "FIRST", previous_alias: "PREVIOUS" }), undefined);
  });
});
