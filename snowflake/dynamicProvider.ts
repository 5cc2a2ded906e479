/**
 * What every dynamic provider of this program shares, so the three have one shape:
 *
 *   export function createXProvider(open?: ProviderSessionOpener) {
 *     const kit = providerKit("X", open);
 *     return {
 *       configure: kit.configure,                                   // keeps the stack config
 *       check: (olds, news) => kit.checked(normalizeX(news), xProblems(news)),
 *       diff: (id, olds, news) => xDiff(olds, news),                // pure
 *       create/update/read/delete: ... kit.withSession(subject, (s) => ...) ...
 *     };
 *   }
 *   export const xProvider = createXProvider();                     // the object Pulumi serializes
 *
 * Credentials come only from `configure({config})` (stack config `snowflake:*`) or SNOWFLAKE_*
 * variables (settings.ts), never from inputs, so they never land in the state. The provider
 * object is serialized into the state by Pulumi
 * (https://www.pulumi.com/docs/iac/concepts/providers/dynamic-providers/), so nothing here captures
 * a secret or the driver (session.ts requires it inside its functions).
 */
import { openSession, type SnowflakeError, type SqlSession } from "./session";
import { connectionSettingsFromConfig, type ConfigSource } from "./settings";

/** The value the dynamic provider host passes for an input that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

/** One problem of a resource's inputs, as `check` reports it to Pulumi. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** How problems quote a value. */
export const show = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));

/**
 * Where configure() keeps the stack config: on `process`, which closure serialization emits as a
 * reference to the host's global, so a config set in this process (tests) never ends up in the
 * serialized provider text stored in the state. Every provider of the host gets the same stack
 * config, so they share the slot.
 */
const PROVIDER_CONFIG_SLOT = "snowflake-ml-pipeline.providerConfig";
function providerConfig(): { config?: ConfigSource } {
  const holder = process as unknown as Record<symbol, { config?: ConfigSource } | undefined>;
  return (holder[Symbol.for(PROVIDER_CONFIG_SLOT)] ??= {});
}

/** Opens a session for one provider operation (tests pass one that reaches the stub). */
export type ProviderSessionOpener = () => Promise<SqlSession>;

export interface ProviderKit {
  configure(req: { config: ConfigSource }): Promise<void>;
  /** `check`'s answer: the normalized inputs and every problem. */
  checked<T>(inputs: T, failures: CheckFailure[]): { inputs: T; failures: CheckFailure[] };
  /**
   * Runs one operation on a fresh session and always closes it. A failure (settings, login or
   * statement) is rethrown as `<Resource> <subject>: <message>`, keeping Snowflake's code and SQL state.
   */
  withSession<T>(subject: string, work: (session: SqlSession) => Promise<T>): Promise<T>;
}

/**
 * The shared parts of the dynamic provider for resource type `resource`. Sessions come from
 * `open` when given (tests: the stub) and otherwise from the configured stack config and SNOWFLAKE_*.
 */
export function providerKit(resource: string, open?: ProviderSessionOpener): ProviderKit {
  return {
    async configure(req) {
      providerConfig().config = req.config;
    },
    checked(inputs, failures) {
      return { inputs, failures };
    },
    async withSession(subject, work) {
      let session: SqlSession;
      try {
        session = open ? await open() : await openSession(connectionSettingsFromConfig(providerConfig().config ?? { get: () => undefined }, process.env));
      } catch (err) {
        throw labelled(resource, subject, err);
      }
      try {
        return await work(session);
      } catch (err) {
        throw labelled(resource, subject, err);
      } finally {
        await session.close();
      }
    },
  };
}

/**
 * `err` with `<resource> <subject>: ` in front of its message, once; a message that already starts
 * with the subject only gets the resource type.
 */
function labelled(resource: string, subject: string, err: unknown): SnowflakeError {
  const source = err as SnowflakeError;
  const message = String(source?.message ?? err);
  const label = `${resource} ${subject}`;
  const text = message.startsWith(label) ? message : message.startsWith(subject) ? `${resource} ${message}` : `${label}: ${message}`;
  const error: SnowflakeError = new Error(text);
  if (source?.code !== undefined) error.code = source.code;
  if (source?.sqlState !== undefined) error.sqlState = source.sqlState;
  return error;
}
