import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../lib/canonicalJson";

describe("canonicalJson", () => {
  const cases: [string, unknown, string][] = [
    ["null", null, "null"],
    ["true", true, "true"],
    ["string with quote and newline", 'a"b\nc', '"a\\"b\\nc"'],
    ["integer", 30, "30"],
    ["float", 0.7, "0.7"],
    ["negative zero renders as 0", -0, "0"],
    ["large number as JSON.stringify writes it", 1e21, "1e+21"],
    ["small number", 1e-7, "1e-7"],
    ["empty object", {}, "{}"],
    ["empty array", [], "[]"],
    ["keys sorted", { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    ["upper case before lower case (code unit order)", { b: 1, B: 2, a: 3, A: 4 }, '{"A":4,"B":2,"a":3,"b":1}'],
    ["numeric-looking keys sorted as strings", { "10": 1, "2": 2, "1": 3 }, '{"1":3,"10":1,"2":2}'],
    [
      "astral character (surrogate 0xD83D) sorts before U+FF5E: UTF-16 code units, not code points",
      { "\uFF5E": 1, "\u{1F600}": 2, "\u00E9": 3 },
      '{"é":3,"😀":2,"～":1}',
    ],
    ["nested objects sorted recursively", { z: { y: 1, x: [{ b: 1, a: 2 }] }, a: null }, '{"a":null,"z":{"x":[{"a":2,"b":1}],"y":1}}'],
    ["arrays keep their order", [3, 1, 2], "[3,1,2]"],
    ["undefined members dropped", { a: undefined, b: 1 }, '{"b":1}'],
    [
      "graph config shape",
      { model_name: "mortgage_model", metric_threshold: 0.7, dataset_name: "mortgage_dataset", sample_data: true, retention_days: 30 },
      '{"dataset_name":"mortgage_dataset","metric_threshold":0.7,"model_name":"mortgage_model","retention_days":30,"sample_data":true}',
    ],
    ["Date through toJSON", { at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }, '{"at":"2026-01-02T03:04:05.000Z"}'],
    ["null-prototype object", Object.assign(Object.create(null), { b: 1, a: 2 }), '{"a":2,"b":1}'],
    ["same object twice is not a cycle", (() => { const s = { k: 1 }; return { a: s, b: [s] }; })(), '{"a":{"k":1},"b":[{"k":1}]}'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(canonicalJson(input), expected));
  }

  const cycle: Record<string, unknown> = { a: { b: {} } };
  (cycle.a as { b: Record<string, unknown> }).b.back = cycle;
  const arrayCycle: unknown[] = [1];
  arrayCycle.push({ list: arrayCycle });
  const errors: [string, unknown, string][] = [
    ["NaN", { a: NaN }, "canonicalJson: NaN at $.a is not a finite number"],
    ["Infinity in array", [1, Infinity], "canonicalJson: Infinity at $[1] is not a finite number"],
    ["-Infinity at top", -Infinity, "canonicalJson: -Infinity at $ is not a finite number"],
    ["function member", { f: () => 1 }, "canonicalJson: a function at $.f has no JSON form"],
    ["symbol", { s: Symbol("x") }, "canonicalJson: a symbol at $.s has no JSON form"],
    ["bigint", { n: 1n }, "canonicalJson: a bigint at $.n has no JSON form"],
    ["undefined at top", undefined, "canonicalJson: undefined at $ has no JSON form"],
    ["undefined array element", [1, undefined], "canonicalJson: undefined at $[1] has no JSON form"],
    ["odd key in path", { "a b": [NaN] }, 'canonicalJson: NaN at $["a b"][0] is not a finite number'],
    ["object cycle", cycle, "canonicalJson: circular reference at $.a.b.back"],
    ["array cycle", arrayCycle, "canonicalJson: circular reference at $[1].list"],
    ["Map", { m: new Map([["a", 1]]) }, "canonicalJson: a Map at $.m is not a plain object"],
    ["class instance", { c: new (class Thing {})() }, "canonicalJson: a Thing at $.c is not a plain object"],
  ];
  for (const [name, input, message] of errors) {
    it(`throws: ${name}`, () => assert.throws(() => canonicalJson(input), { message }));
  }
});
