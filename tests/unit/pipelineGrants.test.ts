import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pipelineNames } from "../../lib/naming";
import { pipelineGrants } from "../../lib/pipelineGrants";
import { withStackDefaults } from "../../lib/config/stackSettings";

const names = pipelineNames(
  withStackDefaults({
    database: "D", schema: "S", dataSchema: "X", registrySchema: "R",
    warehouse: { name: "W", size: "XSMALL" },
    computePool: { name: "P", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 1 },
  }),
  { name: "FLOW" },
);

describe("pipelineGrants", () => {
  it("grants nothing on an integration the stack does not name", () => {
    const keys = pipelineGrants({ names }).map((g) => g.key);
    assert.deepEqual(keys, ["database", "warehouse", "compute-pool", "schema", "data-schema", "registry-schema", "code-stage", "job-stage", "artifact-stage", "data-stage"]);
  });

  it("grants USAGE on each integration it names, one grant each", () => {
    const integrations = pipelineGrants({ names, notificationIntegration: "MAIL", errorIntegration: "QUEUE" })
      .filter((g) => g.target.kind === "accountObject" && g.target.objectType === "INTEGRATION")
      .map((g) => [g.key, g.target.kind === "accountObject" ? g.target.name : "", g.privileges]);
    assert.deepEqual(integrations, [
      ["notification-integration", "MAIL", ["USAGE"]],
      ["error-integration", "QUEUE", ["USAGE"]],
    ]);
  });

  it("names stages and schemas fully qualified, and says what needs each grant", () => {
    const grants = pipelineGrants({ names });
    const stage = grants.find((g) => g.key === "artifact-stage")!;
    assert.deepEqual(stage.target, { kind: "stage", stage: "D.S.ARTIFACT_STAGE" });
    assert.deepEqual(grants.find((g) => g.key === "registry-schema")!.target, { kind: "schema", schema: "D.R" });
    for (const g of grants) assert.ok(g.neededBy.length > 0, `${g.key} says nothing about what needs it`);
  });
});
