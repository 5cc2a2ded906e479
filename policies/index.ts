// The CrossGuard policy pack: `pulumi preview --policy-pack policies` / `pulumi up --policy-pack policies`.
// Only constructs the PolicyPack (which starts a gRPC server for the Pulumi CLI); the policies are in
// policies.ts, which the tests import. Never import this module from a test.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("snowflake-ml-pipeline", { policies });
