// Fixture projects: a temporary directory with its own Pulumi.yaml, Pulumi.<stack>.yaml files and
// pipeline definitions with a small pipeline-code tree, so tests never depend on the user's live
// stack files or on the sample pipeline. Remove each with cleanup() (tests do it in `after`).
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { writeProjectFiles } from "../../cli/generatedProject";
import { readStackConfigFiles, StackConfigFiles } from "../../lib/config/stackFiles";

export interface FixturePipeline {
  /** The definition file, relative to the project. */
  file: string;
  /** pipeline.yaml's content. */
  definition: Record<string, unknown>;
  /** Code files, relative to the definition's folder. */
  files: Record<string, string>;
}

/** A pipeline shaped like the sample (Python task, ML Job, branch, SQL alert, finalizer), with its own names. */
export function demoPipeline(name = "DEMO_FLOW", folder = "flows/demo"): FixturePipeline {
  return {
    file: `${folder}/pipeline.yaml`,
    definition: {
      name,
      runtime: "3.11",
      packages: ["snowflake-snowpark-python", "snowflake-ml-python"],
      sourceTable: "MORTGAGE_LENDING_DEMO_DATA",
      sampleData: "sample_data/mortgage_sample.csv",
      configSchema: {
        model_name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_$]*$" },
        metric_name: { enum: ["accuracy", "f1"] },
        metric_threshold: { type: "number", minimum: 0, maximum: 1 },
      },
      config: { model_name: "demo_model", metric_name: "accuracy", metric_threshold: 0.5 },
      tasks: [
        { name: "LOAD", entrypoint: "steps/load.py" },
        { name: "FIT", after: ["LOAD"], entrypoint: "steps/fit.py", job: { payload: "jobs/fit_job.py", targetInstances: 2 }, timeoutMs: 7200000 },
        { name: "JUDGE", after: ["FIT"], entrypoint: "steps/judge.py", branch: ["PUBLISH", "WARN"] },
        { name: "PUBLISH", after: ["JUDGE"], entrypoint: "steps/publish.py" },
        {
          name: "WARN",
          after: ["JUDGE"],
          sql: "CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(SNOWFLAKE.NOTIFICATION.TEXT_PLAIN('model below threshold'), SNOWFLAKE.NOTIFICATION.INTEGRATION('${notificationIntegration}'))",
        },
        { name: "TIDY", finalizer: true, entrypoint: "steps/tidy.py" },
      ],
    },
    files: {
      "steps/__init__.py": "",
      "steps/load.py": "from shared import helpers\n\n\ndef main(session):\n    return helpers.tag('load')\n",
      "steps/fit.py": "from shared import helpers\n\n\ndef main(session, payload_location, payload_entrypoint, target_instances):\n    return helpers.tag('fit')\n",
      "steps/judge.py": "def main(session, branch_targets):\n    return branch_targets.split(\",\")[0]\n",
      "steps/publish.py": "from shared import helpers\n\n\ndef main(session):\n    return helpers.tag('publish')\n",
      "steps/tidy.py": "def main(session):\n    return None\n",
      "shared/__init__.py": "",
      "shared/helpers.py": "def tag(name):\n    return name\n",
      "jobs/__init__.py": "",
      "jobs/fit_job.py": "from shared import helpers\n\nprint(helpers.tag('job'))\n",
    },
  };
}

/**
 * A second team's pipeline, as a new user writes one: LOAD → TRAIN (an ML Job) → EVALUATE and a
 * finalizer, its own code folder, source table and sample data, nothing of the sample's.
 */
export function churnPipeline(folder = "churn"): FixturePipeline {
  return {
    file: `${folder}/pipeline.yaml`,
    definition: {
      name: "CHURN_PIPELINE",
      runtime: "3.11",
      packages: ["snowflake-snowpark-python", "scikit-learn"],
      sourceTable: "CUSTOMER_EVENTS",
      sampleData: "data/churn_sample.csv",
      configSchema: { min_auc: { type: "number", minimum: 0, maximum: 1 } },
      config: { min_auc: 0.7 },
      tasks: [
        { name: "LOAD", entrypoint: "steps/load.py" },
        { name: "TRAIN", after: ["LOAD"], entrypoint: "steps/train.py", job: { payload: "jobs/fit.py", targetInstances: 1 } },
        { name: "EVALUATE", after: ["TRAIN"], entrypoint: "steps/evaluate.py" },
        { name: "CLEANUP", finalizer: true, entrypoint: "steps/cleanup.py" },
      ],
    },
    files: {
      "steps/__init__.py": "",
      "steps/load.py": "from churnlib import io\n\n\ndef main(session):\n    return io.note('load')\n",
      "steps/train.py": "from churnlib import io\n\n\ndef main(session, payload_location, payload_entrypoint, target_instances):\n    return io.note('train')\n",
      "steps/evaluate.py": "from sklearn.metrics import roc_auc_score\n\n\ndef main(session):\n    return str(roc_auc_score([0, 1], [0.1, 0.9]))\n",
      "steps/cleanup.py": "def main(session):\n    return None\n",
      "churnlib/__init__.py": "",
      "churnlib/io.py": "import json\n\n\ndef note(step):\n    return json.dumps({'step': step})\n",
      "jobs/fit.py": "from churnlib import io\n\nprint(io.note('fit'))\n",
      "data/churn_sample.csv": "CUSTOMER_ID,CHURNED\n1,0\n2,1\n",
    },
  };
}

/** A dev stack of the fixture: every name its own, a secret key as `pulumi config set --secret` writes it. */
export function demoStack(pipelines: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const config: Record<string, unknown> = {
    "snowflake-ml-pipeline:database": "FX_DB",
    "snowflake-ml-pipeline:schema": "PIPE",
    "snowflake-ml-pipeline:dataSchema": "RAW",
    "snowflake-ml-pipeline:registrySchema": "REGISTRY",
    "snowflake-ml-pipeline:warehouse": { name: "FX_WH", size: "XSMALL" },
    "snowflake-ml-pipeline:computePool": { name: "FX_POOL", instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 3 },
    "snowflake-ml-pipeline:notificationIntegration": "FX_ALERTS",
    "snowflake-ml-pipeline:pipelines": pipelines,
    "snowflake:organizationName": "FXORG",
    "snowflake:accountName": "FXACCOUNT",
    "snowflake:user": "FX_DEPLOYER",
    "snowflake:role": "FX_ROLE",
    "snowflake:privateKey": { secure: "v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0" },
  };
  for (const [key, value] of Object.entries(overrides)) {
    const full = key.includes(":") ? key : `snowflake-ml-pipeline:${key}`;
    if (value === undefined) delete config[full];
    else config[full] = value;
  }
  return config;
}

export interface FixtureProject {
  dir: string;
  /** Writes a file, relative to the project. */
  write(path: string, text: string): void;
  append(path: string, text: string): void;
  /** The stack's configuration as the engine would pass it. */
  stackConfig(stack: string): StackConfigFiles;
  cleanup(): void;
}

/** A project with `pipelines` (default: one demo pipeline) and `stacks` (default: a dev stack of them). */
export function fixtureProject(options: { pipelines?: FixturePipeline[]; stacks?: Record<string, Record<string, unknown>> } = {}): FixtureProject {
  const dir = mkdtempSync(join(tmpdir(), "mlpipe-fixture-"));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const pipelines = options.pipelines ?? [demoPipeline()];
  for (const pipeline of pipelines) {
    write(pipeline.file, stringify(pipeline.definition));
    for (const [path, text] of Object.entries(pipeline.files)) write(join(dirname(pipeline.file), path), text);
  }
  writeProjectFiles(dir, options.stacks ?? { dev: demoStack(pipelines.map((p) => p.file)) });
  return {
    dir,
    write,
    append: (path, text) => appendFileSync(join(dir, path), text),
    stackConfig: (stack) => readStackConfigFiles(dir, stack),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A fixture project shaped like a team's: dev (sample data, a registry role, manual runs, a pool
 * that suspends after 5 minutes) and prod (its own names, a cron schedule, failure settings,
 * promoted from dev).
 */
export function devAndProdProject(): FixtureProject {
  const pipeline = demoPipeline();
  pipeline.files["sample_data/mortgage_sample.csv"] = "a,b\n1,2\n";
  const pool = { instanceFamily: "CPU_X64_S", minNodes: 1, maxNodes: 3 };
  return fixtureProject({
    pipelines: [pipeline],
    stacks: {
      dev: demoStack([pipeline.file], { sampleData: true, pipelineRole: "FX_ENGINEER", computePool: { name: "FX_POOL", ...pool, autoSuspendSecs: 300 } }),
      prod: demoStack([pipeline.file], {
        database: "FX_PROD",
        warehouse: { name: "FX_PROD_WH", size: "SMALL" },
        computePool: { name: "FX_PROD_POOL", ...pool },
        pipelineRole: "FX_ENGINEER",
        notificationIntegration: "FX_PROD_ALERTS",
        errorIntegration: "FX_PROD_TASK_ERRORS",
        taskTimeoutMs: 3600000,
        taskRetries: 2,
        suspendAfterFailures: 3,
        schedule: "0 3 * * * UTC",
        started: true,
        promoteFrom: "dev",
        "snowflake:user": "FX_PROD_DEPLOYER",
      }),
    },
  });
}
