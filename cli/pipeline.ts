/**
 * `npm run pipeline -- <command>`: operate the task graph that `pulumi up` deployed.
 * Thin entry: real streams, clock, Pulumi CLI and Snowflake connection; everything else is in cli/ops/.
 */
// snowflake-sdk loads AWS SDK v3, which warns on Node < 22 on every start; the CLI runs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { openSession } from "../snowflake";
import { systemClock } from "./ops/clock";
import { EXIT } from "./ops/exitCodes";
import { main } from "./ops/program";
import type { PulumiResult } from "./ops/target";

const projectDir = path.resolve(__dirname, "..");

function runPulumi(args: string[]): Promise<PulumiResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args, "--cwd", projectDir], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  clock: systemClock,
  newToken: randomUUID,
  runPulumi,
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
