import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  dollarQuote,
  dollarQuoteProblem,
  identifierProblem,
  isUnquotedIdentifier,
  qualifiedName,
  quoteIdentifier,
  RESERVED_KEYWORDS,
  sqlString,
} from "../../lib/identifiers";

const SHAPE = "expected an unquoted upper-case Snowflake identifier (A-Z, 0-9, _ and $, not starting with a digit or $), got ";

describe("isUnquotedIdentifier", () => {
  const cases: [string, boolean][] = [
    ["MORTGAGE_PIPELINE", true],
    ["_X", true],
    ["A1$B", true],
    ["MORTGAGE_PIPELINE$TRAIN_MODEL", true],
    ["A".repeat(255), true],
    ["A".repeat(256), false],
    ["", false],
    ["lower", false],
    ["Mixed", false],
    ["1ABC", false],
    ["$ABC", false],
    ["A-B", false],
    ["A B", false],
    ["A.B", false],
    ['A"B', false],
    ["ÄBC", false],
    ["SELECT", false],
    ["TABLE", false],
    ["MATCH_CONDITION", false],
    ["SELECTED", true],
    ["DATE", true], // type keywords are not reserved
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.length > 20 ? `${input.slice(0, 8)}…(${input.length})` : input)} → ${expected}`, () => {
      assert.equal(isUnquotedIdentifier(input), expected);
    });
  }
});

describe("identifierProblem", () => {
  const cases: [unknown, string | undefined][] = [
    ["ML_DEV", undefined],
    ["ml_dev", `${SHAPE}"ml_dev"`],
    ["", `${SHAPE}""`],
    [" ML_DEV", `${SHAPE}" ML_DEV"`],
    ["9LIVES", `${SHAPE}"9LIVES"`],
    ["$X", `${SHAPE}"$X"`],
    [42, `${SHAPE}42`],
    [NaN, `${SHAPE}NaN`],
    [null, `${SHAPE}null`],
    [undefined, `${SHAPE}nothing`],
    [["A"], `${SHAPE}["A"]`],
    ["A".repeat(256), `"${"A".repeat(256)}" is 256 characters long; Snowflake identifiers are at most 255`],
    ["SELECT", '"SELECT" is a Snowflake reserved keyword and cannot be used as an unquoted name; choose another name'],
    ["ACCOUNT", '"ACCOUNT" is a Snowflake reserved keyword and cannot be used as an unquoted name; choose another name'],
  ];
  for (const [input, expected] of cases) {
    it(`${String(typeof input === "string" ? input.slice(0, 12) : input)}`, () => {
      assert.equal(identifierProblem(input), expected);
    });
  }

  it("reserved list has the documented words and only upper-case unquoted shapes", () => {
    for (const word of ["ALL", "ILIKE", "QUALIFY", "TRY_CAST", "WHENEVER", "GSCLUSTER", "LOCALTIMESTAMP", "ASOF"]) {
      assert.ok(RESERVED_KEYWORDS.has(word), word);
    }
    for (const word of RESERVED_KEYWORDS) assert.match(word, /^[A-Z_]+$/);
    // 92 words on the docs page (counted by hand, A–W) plus ASOF and MATCH_CONDITION.
    assert.equal(RESERVED_KEYWORDS.size, 94);
  });
});

describe("quoteIdentifier", () => {
  const cases: [string, string][] = [
    ["NAME", '"NAME"'],
    ["my table", '"my table"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(quoteIdentifier(input), expected));
  }
  it("refuses an empty name", () => {
    assert.throws(() => quoteIdentifier(""), { message: 'cannot quote "" as an identifier: it is empty' });
  });
});

describe("qualifiedName", () => {
  it("joins validated names with dots", () => {
    assert.equal(qualifiedName("ML_DEV", "PIPELINE", "CODE_STAGE"), "ML_DEV.PIPELINE.CODE_STAGE");
    assert.equal(qualifiedName("ML_DEV"), "ML_DEV");
    assert.equal(qualifiedName("ML_DEV", "PIPELINE", "MORTGAGE_PIPELINE$TRAIN_MODEL"), "ML_DEV.PIPELINE.MORTGAGE_PIPELINE$TRAIN_MODEL");
  });
  it("throws naming the bad part", () => {
    assert.throws(() => qualifiedName("ML_DEV", "pipeline", "X"), {
      message: `part 2 of 3 of a qualified name: ${SHAPE}"pipeline"`,
    });
    assert.throws(() => qualifiedName("ML_DEV.PIPELINE"), {
      message: `part 1 of 1 of a qualified name: ${SHAPE}"ML_DEV.PIPELINE"`,
    });
    assert.throws(() => qualifiedName(), { message: "qualifiedName needs at least one name" });
  });
});

describe("sqlString", () => {
  const cases: [string, string][] = [
    ["", "''"],
    ["abc", "'abc'"],
    ["it's", "'it''s'"],
    ["''", "''''''"],
    ["C:\\path", "'C:\\\\path'"],
    ["\\'", "'\\\\'''"],
    ["@ML_DEV.PIPELINE.CODE_STAGE/P/T/abc/x.zip", "'@ML_DEV.PIPELINE.CODE_STAGE/P/T/abc/x.zip'"],
    ["line\nbreak", "'line\nbreak'"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(sqlString(input), expected));
  }
});

describe("dollarQuote", () => {
  const cases: [string, string | undefined][] = [
    ['{"a":1}', undefined],
    ["cost $5", undefined],
    ["$start", undefined],
    ["", undefined],
    ["a$$b", 'contains "$$", which would end the $$…$$ literal it is embedded in; remove or split the "$$"'],
    ["$$", 'contains "$$", which would end the $$…$$ literal it is embedded in; remove or split the "$$"'],
    ["price$", 'ends with "$", which would merge with the closing "$$" of the $$…$$ literal it is embedded in'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)}`, () => {
      assert.equal(dollarQuoteProblem(input), expected);
      if (expected === undefined) assert.equal(dollarQuote(input), `$$${input}$$`);
      else assert.throws(() => dollarQuote(input), { message: expected });
    });
  }
});
