import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { Pipeline, pipelineLogicalName, PipelineOutputs } from "./components/pipeline";
import { BRIDGED_TYPES_USED, previewFeaturesFor } from "./components/previewFeatures";
import { buildPipelineArtifacts } from "./lib/artifacts";
import { resolveConfiguration } from "./lib/config/resolveConfiguration";

/** The project directory: where Pulumi.yaml is, and where `pulumi` runs the program. */
export const PROJECT_DIR = __dirname;

/** Which config keys the engine marked secret (the SDK keeps this check internal). */
function secretConfigKeys(keys: string[]): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internal = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return new Set(keys.filter((k) => internal.isConfigSecret?.(k) === true));
}

/**
 * The explicit Snowflake provider. Credentials come from the `snowflake:` stack config (secrets
 * stay Outputs marked secret) or, when absent there, from the provider's own SNOWFLAKE_*
 * environment variables. An explicit provider ignores snowflake:* config such as
 * previewFeaturesEnabled, so the preview features are passed here, computed from the types used.
 */
function snowflakeProvider(opts: pulumi.CustomResourceOptions): snowflake.Provider {
  const conn = new pulumi.Config("snowflake");
  const privateKey = conn.getSecret("privateKey");
  return new snowflake.Provider(
    "snowflake",
    {
      organizationName: conn.get("organizationName"),
      accountName: conn.get("accountName"),
      user: conn.get("user"),
      role: conn.get("role"),
      warehouse: conn.get("warehouse"),
      authenticator: privateKey || process.env.SNOWFLAKE_PRIVATE_KEY ? "SNOWFLAKE_JWT" : conn.get("authenticator"),
      privateKey,
      privateKeyPassphrase: conn.getSecret("privateKeyPassphrase"),
      password: conn.getSecret("password"),
      previewFeaturesEnabled: previewFeaturesFor(BRIDGED_TYPES_USED),
    },
    opts,
  );
}

/**
 * Loads and validates the configuration (throwing, with every problem, before anything is
 * registered), builds the code artifacts, then registers the pipeline. `opts` lets the offline
 * plan attach its recorder; `pulumi up` passes nothing.
 */
export async function buildStack(opts: pulumi.ComponentResourceOptions = {}, projectDir: string = PROJECT_DIR): Promise<PipelineOutputs> {
  const config = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).filter(([k]) => k.includes(":")));
  const configuration = resolveConfiguration({
    projectDir,
    stack: pulumi.getStack(),
    config,
    secretKeys: secretConfigKeys(Object.keys(config)),
  });
  const artifacts = await buildPipelineArtifacts({
    projectDir,
    codeRoot: configuration.codeRoot,
    pipeline: configuration.pipeline,
    sampleData: configuration.settings.sampleData,
  });
  const provider = snowflakeProvider({ transformations: opts.transformations });
  const pipeline = new Pipeline(pipelineLogicalName(configuration.pipeline.name), { configuration, artifacts }, {
    ...opts,
    providers: [provider],
  });
  return pipeline.outputs;
}
