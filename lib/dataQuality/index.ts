// Data-quality expectations on a pipeline's source: validation and the SQL that attaches them.
export * from "./expectations";
