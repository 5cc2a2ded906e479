// The model monitor a stack declares: validation and the graph config it becomes.
export * from "./modelMonitor";
