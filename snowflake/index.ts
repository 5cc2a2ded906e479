/** Snowflake access shared by the dynamic providers, the operator CLI and the acceptance test. */
export * from "./settings";
export * from "./session";
export * from "./rows";
export * from "./tasks";
export * from "./dynamicProvider";
