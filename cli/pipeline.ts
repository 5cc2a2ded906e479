/**
 * `npm run pipeline -- <command>`: operate the task graph that `pulumi up` deployed.
 * Thin entry: real streams, clock, Pulumi stacks (Automation API) and Snowflake sessions; everything
 * else is in cli/ops/.
 */
// snowflake-sdk loads AWS SDK v3, which warns on Node < 22 on every start; the CLI runs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { openSession } from "../snowflake";
import { systemClock } from "./ops/clock";
import { EXIT } from "./ops/exitCodes";
import { main } from "./ops/program";
import { automationStackAccess } from "./ops/stackAccess";

const projectDir = path.resolve(__dirname, "..");

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  clock: systemClock,
  newToken: randomUUID,
  stacks: automationStackAccess(projectDir),
  openSession,
  signal: interrupt.signal,
})
  .catch((err) => {
    process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
    return EXIT.SNOWFLAKE;
  })
  // Exit explicitly once the output is flushed: after a dropped connection snowflake-sdk may keep
  // retrying an abandoned request in the background (up to 7 times, sleeping up to 16 s).
  .then((code) => process.stdout.write("", () => process.exit(code)));
