import { PipelineNames } from "./naming";

/**
 * What the pipeline role is granted, derived in one place from the stack's names. Each grant says
 * which statement of the pipeline code needs it, so docs/operations.md ("Privileges of the pipeline
 * role") and this list can be checked against each other. Pure: the PipelineRoleAccess component
 * turns each entry into one GrantPrivilegesToAccountRole.
 *
 * Sources: Snowflake's access control privileges reference
 * (https://docs.snowflake.com/en/user-guide/security-access-control-privileges), ML Jobs
 * (https://docs.snowflake.com/en/developer-guide/snowflake-ml/ml-jobs/access-control-requirements),
 * Model Registry (https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/overview),
 * notifications (https://docs.snowflake.com/en/user-guide/notifications/about-notifications).
 */

/** Account objects GrantPrivilegesToAccountRole 1.3.0 accepts in `onAccountObject.objectType`. */
export type AccountObjectType = "DATABASE" | "WAREHOUSE" | "COMPUTE POOL" | "INTEGRATION";

export type GrantTarget =
  | { kind: "accountObject"; objectType: AccountObjectType; name: string }
  | { kind: "schema"; schema: string }
  | { kind: "stage"; stage: string };

export interface PipelineGrant {
  /** Stable suffix of the grant's logical name (`<component>-grant-<key>`). */
  key: string;
  target: GrantTarget;
  /** Upper-case privilege names, as the provider stores and compares them. */
  privileges: string[];
  /** The statements that need these privileges (documentation; also rendered in docs/operations.md). */
  neededBy: string;
}

export interface PipelineGrantInputs {
  names: Pick<PipelineNames, "database" | "schema" | "dataSchema" | "registrySchema" | "warehouse" | "computePool" | "stageFqn">;
  /** SEND_ALERT's email or webhook integration (SYSTEM$SEND_SNOWFLAKE_NOTIFICATION). */
  notificationIntegration?: string;
  /** The root's ERROR_INTEGRATION (a queue notification integration). */
  errorIntegration?: string;
}

/** Privileges on the registry schema: models, datasets and the tables/views they are made of. */
export const REGISTRY_PRIVILEGES = ["USAGE", "CREATE MODEL", "CREATE DATASET", "CREATE TABLE", "CREATE VIEW"];

/** Every grant the pipeline role gets, in a fixed order (the plan is byte-identical). */
export function pipelineGrants(inputs: PipelineGrantInputs): PipelineGrant[] {
  const { names } = inputs;
  const fq = (...parts: string[]) => parts.join(".");
  const grants: PipelineGrant[] = [
    {
      key: "database",
      target: { kind: "accountObject", objectType: "DATABASE", name: names.database },
      privileges: ["USAGE"],
      neededBy: "every statement that names an object in the database",
    },
    {
      key: "warehouse",
      target: { kind: "accountObject", objectType: "WAREHOUSE", name: names.warehouse },
      privileges: ["USAGE"],
      neededBy: "every query of the Python tasks (Snowpark session), the ML Job's queries",
    },
    {
      key: "compute-pool",
      target: { kind: "accountObject", objectType: "COMPUTE POOL", name: names.computePool },
      privileges: ["USAGE"],
      neededBy: "snowflake.ml.jobs.submit_from_stage (EXECUTE JOB SERVICE IN COMPUTE POOL)",
    },
    {
      key: "schema",
      target: { kind: "schema", schema: fq(names.database, names.schema) },
      privileges: ["USAGE", "CREATE SERVICE"],
      neededBy: "the stages and tasks; CREATE SERVICE: the ML Job submit_from_stage runs as a job service",
    },
    {
      key: "data-schema",
      target: { kind: "schema", schema: fq(names.database, names.dataSchema) },
      privileges: ["USAGE", "CREATE TABLE"],
      neededBy: "reading the source table; CREATE TABLE IF NOT EXISTS of the source table from the sample file",
    },
    {
      key: "registry-schema",
      target: { kind: "schema", schema: fq(names.database, names.registrySchema) },
      privileges: REGISTRY_PRIVILEGES,
      neededBy: "Registry.log_model (CREATE MODEL), Dataset.create (CREATE DATASET), the tables and views snowflake-ml creates for them",
    },
    {
      key: "code-stage",
      target: { kind: "stage", stage: names.stageFqn.code },
      privileges: ["READ"],
      neededBy: "the task procedures' IMPORTS (the staged bundles); submit_from_stage reads the ML Job payload",
    },
    {
      key: "job-stage",
      target: { kind: "stage", stage: names.stageFqn.job },
      privileges: ["READ", "WRITE"],
      neededBy: "submit_from_stage(stage_name=JOB_STAGE): the job's specification and outputs",
    },
    {
      key: "artifact-stage",
      target: { kind: "stage", stage: names.stageFqn.artifact },
      privileges: ["READ", "WRITE"],
      neededBy: "run artefacts: PUT (session.file.put_stream), LIST, GET and REMOVE of @ARTIFACT_STAGE/<pipeline>/runs/",
    },
    {
      key: "data-stage",
      target: { kind: "stage", stage: names.stageFqn.data },
      privileges: ["READ"],
      neededBy: "COPY INTO the source table from the staged sample file",
    },
  ];
  // Two different integrations (resolveConfiguration refuses one name for both).
  if (inputs.notificationIntegration !== undefined) {
    grants.push({
      key: "notification-integration",
      target: { kind: "accountObject", objectType: "INTEGRATION", name: inputs.notificationIntegration },
      privileges: ["USAGE"],
      neededBy: "SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(… SNOWFLAKE.NOTIFICATION.INTEGRATION('<notificationIntegration>')) in SEND_ALERT",
    });
  }
  if (inputs.errorIntegration !== undefined) {
    grants.push({
      key: "error-integration",
      target: { kind: "accountObject", objectType: "INTEGRATION", name: inputs.errorIntegration },
      privileges: ["USAGE"],
      neededBy: "the root task's ERROR_INTEGRATION (failure notifications of the graph)",
    });
  }
  return grants;
}
