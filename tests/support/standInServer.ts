/**
 * The Snowflake stand-in (snowflakeStub.ts in catalog mode) as a process of its own, for trying the
 * program or the provider by hand:
 *
 *   node --import tsx tests/support/standInServer.ts --user FX_DEPLOYER=path/to/rsa_key.pub [--role R] [--integration I] [--port 4555]
 *
 * prints one JSON line {"host","port","protocol"} (the values for snowflake:host, snowflake:port,
 * snowflake:protocol), then serves until killed. It is not Snowflake's API beyond that: its catalog
 * and statement log are at GET /__standin/catalog and /__standin/log, and
 * POST /__standin/fail {"pattern","message","times","afterMs"} makes matching statements fail.
 */
import { readFileSync } from "node:fs";
import { startSnowflakeStub, stubEndpoint } from "./snowflakeStub";

async function main(argv: string[]) {
  const users: Record<string, string> = {};
  const roles: string[] = [];
  const integrations: string[] = [];
  let port: number | undefined;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: expected a value`);
    if (flag === "--user") {
      const [name, file] = value.split("=");
      if (!name || !file) throw new Error(`--user ${value}: expected NAME=path/to/public_key.pem`);
      users[name] = readFileSync(file, "utf8");
    } else if (flag === "--role") roles.push(value);
    else if (flag === "--integration") integrations.push(value);
    else if (flag === "--port") port = Number(value);
    else throw new Error(`unknown option ${flag}; see the comment at the top of tests/support/standInServer.ts`);
  }
  const stub = await startSnowflakeStub({ catalog: { roles, integrations }, users: Object.keys(users).length > 0 ? users : undefined, port });
  process.stdout.write(`${JSON.stringify(stubEndpoint(stub))}\n`);
  const stop = () => void stub.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
