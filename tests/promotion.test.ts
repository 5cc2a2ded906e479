// lib/promotion: comparing the locally built artifacts with the source stack's, the fully
// qualified source name, and the decision (accept, refuse naming the tasks, override).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ArtifactShas,
  comparePromotion,
  decidePromotion,
  PromotionComparison,
  PromotionRefusedError,
  promotionSourceName,
  refusedTasks,
} from "../lib/promotion";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);
const P = "1".repeat(64);
const Q = "2".repeat(64);

const shas = (bundleSha256: Record<string, string>, payloadSha256: Record<string, string> = {}): ArtifactShas => ({ bundleSha256, payloadSha256 });

describe("comparePromotion", () => {
  const cases: { name: string; local: ArtifactShas; source: ArtifactShas; expected: PromotionComparison }[] = [
    {
      name: "identical artifacts: every task unchanged",
      local: shas({ PREP: A, TRAIN: B }, { TRAIN: P }),
      source: shas({ TRAIN: B, PREP: A }, { TRAIN: P }),
      expected: { unchanged: ["PREP", "TRAIN"], differing: [], missing: [], sourceOnly: [] },
    },
    {
      name: "one bundle differs",
      local: shas({ PREP: C, TRAIN: B }, { TRAIN: P }),
      source: shas({ PREP: A, TRAIN: B }, { TRAIN: P }),
      expected: { unchanged: ["TRAIN"], differing: [{ task: "PREP", artifact: "bundle", local: C, source: A }], missing: [], sourceOnly: [] },
    },
    {
      name: "only the payload differs: the task differs",
      local: shas({ PREP: A, TRAIN: B }, { TRAIN: Q }),
      source: shas({ PREP: A, TRAIN: B }, { TRAIN: P }),
      expected: { unchanged: ["PREP"], differing: [{ task: "TRAIN", artifact: "payload", local: Q, source: P }], missing: [], sourceOnly: [] },
    },
    {
      name: "bundle and payload of one task differ: both listed, bundle first",
      local: shas({ TRAIN: C }, { TRAIN: Q }),
      source: shas({ TRAIN: B }, { TRAIN: P }),
      expected: {
        unchanged: [],
        differing: [
          { task: "TRAIN", artifact: "bundle", local: C, source: B },
          { task: "TRAIN", artifact: "payload", local: Q, source: P },
        ],
        missing: [],
        sourceOnly: [],
      },
    },
    {
      name: "a task added since: missing in the source",
      local: shas({ PREP: A, SCORE: C }),
      source: shas({ PREP: A }),
      expected: { unchanged: ["PREP"], differing: [], missing: [{ task: "SCORE", artifact: "bundle", local: C }], sourceOnly: [] },
    },
    {
      name: "a payload added since: missing in the source",
      local: shas({ TRAIN: B }, { TRAIN: P }),
      source: shas({ TRAIN: B }),
      expected: { unchanged: [], differing: [], missing: [{ task: "TRAIN", artifact: "payload", local: P }], sourceOnly: [] },
    },
    {
      name: "a task removed since: source only, not refused",
      local: shas({ PREP: A }),
      source: shas({ PREP: A, OLD: B }, { OLD: P }),
      expected: { unchanged: ["PREP"], differing: [], missing: [], sourceOnly: ["OLD"] },
    },
    {
      name: "sorted by task name whatever the input order",
      local: shas({ Z: A, M: A, B: A }),
      source: shas({ Z: B, M: A, B: C }),
      expected: {
        unchanged: ["M"],
        differing: [
          { task: "B", artifact: "bundle", local: A, source: C },
          { task: "Z", artifact: "bundle", local: A, source: B },
        ],
        missing: [],
        sourceOnly: [],
      },
    },
    { name: "nothing on either side", local: shas({}), source: shas({}), expected: { unchanged: [], differing: [], missing: [], sourceOnly: [] } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(comparePromotion(c.local, c.source), c.expected));
  }

  it("refusedTasks lists each differing or missing task once", () => {
    const comparison = comparePromotion(shas({ TRAIN: C, NEW: A, PREP: A }, { TRAIN: Q }), shas({ TRAIN: B, PREP: A }, { TRAIN: P }));
    assert.deepEqual(refusedTasks(comparison), ["NEW", "TRAIN"]);
  });
});

describe("promotionSourceName", () => {
  const here = { organization: "acme", project: "snowflake-ml-pipeline", stack: "prod" };
  const cases: [string, string][] = [
    ["dev", "acme/snowflake-ml-pipeline/dev"],
    ["other-org/dev", "other-org/snowflake-ml-pipeline/dev"],
    ["acme/other-project/dev", "acme/other-project/dev"],
    ["acme/snowflake-ml-pipeline/staging", "acme/snowflake-ml-pipeline/staging"],
  ];
  for (const [input, expected] of cases) it(`${input} -> ${expected}`, () => assert.equal(promotionSourceName(input, here), expected));

  const bad: [string, RegExp][] = [
    ["prod", /"prod" is this stack; a stack cannot promote from itself/],
    ["acme/prod", /is this stack/],
    ["acme/snowflake-ml-pipeline/prod", /is this stack/],
    ["a/b/c/d", /expected a stack name, org\/stack or org\/project\/stack, got "a\/b\/c\/d"/],
    ["a//c", /expected a stack name/],
  ];
  for (const [input, message] of bad) it(`rejects ${input}`, () => assert.throws(() => promotionSourceName(input, here), message));
});

describe("decidePromotion", () => {
  const from = "acme/snowflake-ml-pipeline/dev";
  const local = shas({ PREPARE_DATA: A, TRAIN_MODEL: B, CLEANUP: C }, { TRAIN_MODEL: P });

  it("accepts the same code: every task promoted unchanged", () => {
    const status = decidePromotion({ from, local, sourceOutputs: { ...local }, allowUnpromotedCode: false });
    assert.deepEqual(status, { from, unchanged: ["CLEANUP", "PREPARE_DATA", "TRAIN_MODEL"], differing: [], missing: [], sourceOnly: [], overridden: false });
  });

  it("refuses differing code, naming exactly those tasks, the override key, and that nothing was deployed", () => {
    const sourceOutputs = { bundleSha256: { PREPARE_DATA: C, TRAIN_MODEL: B, CLEANUP: C }, payloadSha256: { TRAIN_MODEL: Q } };
    assert.throws(
      () => decidePromotion({ from, local, sourceOutputs, allowUnpromotedCode: false }),
      (error: unknown) => {
        assert.ok(error instanceof PromotionRefusedError);
        assert.deepEqual(error.tasks, ["PREPARE_DATA", "TRAIN_MODEL"]);
        assert.equal(
          error.message,
          `promotion from stack ${from} refused: the code built here differs from what dev runs for 2 tasks: PREPARE_DATA, TRAIN_MODEL\n` +
            `  PREPARE_DATA: bundle aaaaaaaaaaaa here, cccccccccccc in dev\n` +
            `  TRAIN_MODEL: payload 111111111111 here, 222222222222 in dev\n` +
            "Deploy this commit to dev first, so dev runs it before this stack does, or set snowflake-ml-pipeline:allowUnpromotedCode: true " +
            "(pulumi config set snowflake-ml-pipeline:allowUnpromotedCode true) to deploy code dev has not run. Nothing was deployed.",
        );
        return true;
      },
    );
  });

  it("overrides with allowUnpromotedCode: deploys and reports what differs", () => {
    const sourceOutputs = { bundleSha256: { PREPARE_DATA: C, TRAIN_MODEL: B, CLEANUP: C }, payloadSha256: { TRAIN_MODEL: P } };
    const status = decidePromotion({ from, local, sourceOutputs, allowUnpromotedCode: true });
    assert.deepEqual(status.unchanged, ["CLEANUP", "TRAIN_MODEL"]);
    assert.deepEqual(status.differing, [{ task: "PREPARE_DATA", artifact: "bundle", local: A, source: C }]);
    assert.equal(status.overridden, true);
  });

  it("refuses when the source stack exports no bundle hashes (never deployed), saying so", () => {
    assert.throws(
      () => decidePromotion({ from, local, sourceOutputs: {}, allowUnpromotedCode: false }),
      /refused: stack acme\/snowflake-ml-pipeline\/dev exports no bundleSha256 \(is it deployed, from this project\?\); .* 3 tasks: CLEANUP, PREPARE_DATA, TRAIN_MODEL/,
    );
  });

  it("treats a malformed output as absent", () => {
    assert.throws(() => decidePromotion({ from, local, sourceOutputs: { bundleSha256: ["x"], payloadSha256: 3 }, allowUnpromotedCode: false }), /exports no bundleSha256/);
  });

  it("an override with nothing differing is not reported as overridden", () => {
    assert.equal(decidePromotion({ from, local, sourceOutputs: { ...local }, allowUnpromotedCode: true }).overridden, false);
  });
});
