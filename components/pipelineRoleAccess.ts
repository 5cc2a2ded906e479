import * as pulumi from "@pulumi/pulumi";
import * as snowflake from "@pulumi/snowflake";
import { GrantTarget, PipelineGrant } from "../lib/pipelineGrants";

export interface PipelineRoleAccessArgs {
  /** The role that runs the pipeline's code outside the deployer (see docs/operations.md). */
  role: { name: pulumi.Input<string>; create: boolean };
  /** What to grant, from lib/pipelineGrants (one grant resource each). */
  grants: PipelineGrant[];
  /** The objects the grants are on; the grants wait for them (a grant on a missing object fails). */
  grantedObjects: pulumi.Input<pulumi.Resource>[];
}

/** The provider's inputs for one grant target; names are fully qualified, as SHOW GRANTS reports them. */
export function grantOn(target: GrantTarget): Pick<snowflake.GrantPrivilegesToAccountRoleArgs, "onAccountObject" | "onSchema" | "onSchemaObject"> {
  switch (target.kind) {
    case "accountObject":
      return { onAccountObject: { objectType: target.objectType, objectName: target.name } };
    case "schema":
      return { onSchema: { schemaName: target.schema } };
    case "stage":
      return { onSchemaObject: { objectType: "STAGE", objectName: target.stage } };
  }
}

/**
 * The pipeline role (created here with `create: true`, otherwise an existing role named in the
 * stack) and one GrantPrivilegesToAccountRole per entry of lib/pipelineGrants.
 */
export class PipelineRoleAccess extends pulumi.ComponentResource {
  readonly role?: snowflake.AccountRole;
  readonly grants: snowflake.GrantPrivilegesToAccountRole[];
  readonly roleName: pulumi.Input<string>;

  constructor(name: string, args: PipelineRoleAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("snowflake-ml-pipeline:access:PipelineRoleAccess", name, {}, opts);
    this.roleName = args.role.name;
    if (args.role.create) {
      this.role = new snowflake.AccountRole(
        `${name}-role`,
        { name: args.role.name, comment: "Runs the ML pipeline's code (snowflake-ml-pipeline)" },
        { parent: this },
      );
    }
    const dependsOn = [...args.grantedObjects, ...(this.role ? [this.role] : [])];
    this.grants = args.grants.map(
      (grant) =>
        new snowflake.GrantPrivilegesToAccountRole(
          `${name}-grant-${grant.key}`,
          { accountRoleName: args.role.name, privileges: grant.privileges, ...grantOn(grant.target) },
          { parent: this, dependsOn },
        ),
    );
    this.registerOutputs({ roleName: this.roleName });
  }
}
