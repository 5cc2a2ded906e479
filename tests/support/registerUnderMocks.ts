import * as pulumi from "@pulumi/pulumi";

/**
 * Registers the resources `create` builds under Pulumi's mock runtime, as `pulumi up` would
 * serialize them, with `secrets` set as secret stack config and SNOWFLAKE_PASSWORD set in the
 * environment, so a test can check that none of them reaches the serialized provider.
 * Returns what the mock monitor received.
 */
export async function registerUnderMocks(
  secrets: Record<string, string>,
  envPassword: string,
  create: () => pulumi.Resource,
): Promise<pulumi.runtime.MockResourceArgs[]> {
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    "snowflake-ml-pipeline",
    "dev",
  );
  pulumi.runtime.setAllConfig(secrets, Object.keys(secrets));
  process.env.SNOWFLAKE_PASSWORD = envPassword;
  try {
    const resource = create();
    await new Promise((resolve) => resource.urn.apply(resolve));
    await pulumi.runtime.disconnect();
  } finally {
    delete process.env.SNOWFLAKE_PASSWORD;
  }
  return registered;
}
