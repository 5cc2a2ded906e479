/**
 * Scripted graph runs for the CLI tests: a fake clock, the deployed MORTGAGE_PIPELINE graph as SHOW
 * TASKS returns it, and a timeline of task runs that the stub serves from TASK_HISTORY and
 * COMPLETE_TASK_GRAPHS according to the fake clock. The CLI runs in-process through main() with
 * the real snowflake-sdk and the real connection factory, connected to the stub through a
 * connections.toml written to a temp SNOWFLAKE_HOME.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openSession, type ConnectionSettings, type SqlSession } from "../../snowflake";
import type { Clock } from "../../cli/ops/clock";
import type { CliDeps } from "../../cli/ops/context";
import { main } from "../../cli/ops/program";
import { CliError, EXIT } from "../../cli/ops/exitCodes";
import type { StackAccess } from "../../cli/ops/stackAccess";
import { startSnowflakeStub, type SnowflakeStub, type StubOutcome } from "../support/snowflakeStub";

export const T0 = Date.UTC(2026, 10, 2, 10, 0, 0);
export const ROOT = "MORTGAGE_PIPELINE";
export const ROOT_FQN = `ML_DEV.PIPELINE.${ROOT}`;
export const ROOT_ID = "01b8d2f0-0000-4a00-0000-000000000001";
export const CHILDREN = ["PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "SEND_ALERT", "CLEANUP"] as const;
export const fq = (task: string) => (task === ROOT ? ROOT_FQN : `${ROOT_FQN}$${task}`);

/** Injected time: sleep advances it at once, and every call is recorded. */
export class FakeClock implements Clock {
  t = T0;
  readonly sleeps: number[] = [];
  /** Called after each sleep (tests use it to press Ctrl-C at a given moment). */
  onSleep?: (now: number) => void;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep?.(this.t);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const PREDECESSORS: Record<string, string[]> = {
  [ROOT]: [],
  PREPARE_DATA: [ROOT],
  TRAIN_MODEL: ["PREPARE_DATA"],
  CHECK_MODEL_QUALITY: ["TRAIN_MODEL"],
  PROMOTE_MODEL: ["CHECK_MODEL_QUALITY"],
  SEND_ALERT: ["CHECK_MODEL_QUALITY"],
  CLEANUP: [],
};

/** SHOW TASKS IN SCHEMA ML_DEV.PIPELINE, with a foreign task in the same schema that must be ignored. */
export function showTasks(states: Record<string, "started" | "suspended">, options: { schedule?: string; lastSuspendedReason?: string } = {}): StubOutcome {
  const columns = ["name", "id", "database_name", "schema_name", "schedule", "predecessors", "state", "condition", "task_relations", "last_suspended_reason"].map(
    (name) => ({ name, type: "text" }),
  );
  const row = (task: string) => {
    const name = task === ROOT ? ROOT : `${ROOT}$${task}`;
    const preds = PREDECESSORS[task].map((p) => (p === ROOT ? ROOT_FQN : `ML_DEV.PIPELINE."${ROOT}$${p}"`));
    const relations = task === ROOT ? { Predecessors: [], FinalizerTask: fq("CLEANUP") } : task === "CLEANUP" ? { FinalizedRootTask: ROOT_FQN } : { Predecessors: preds };
    return [
      name,
      task === ROOT ? ROOT_ID : `01b8d2f0-0000-4a00-0000-${task.length.toString().padStart(12, "0")}`,
      "ML_DEV",
      "PIPELINE",
      task === ROOT ? (options.schedule ?? null) : null,
      JSON.stringify(preds, null, 2),
      states[task] ?? "started",
      task === "PROMOTE_MODEL" || task === "SEND_ALERT" ? `SYSTEM$GET_PREDECESSOR_RETURN_VALUE('${ROOT}$CHECK_MODEL_QUALITY') = '${task}'` : null,
      JSON.stringify(relations),
      task === ROOT ? (options.lastSuspendedReason ?? null) : null,
    ];
  };
  const tasks = [ROOT, ...CHILDREN];
  return {
    columns,
    rows: [...tasks.map(row), ["OTHER_TASK", "01b8d2f0-9999", "ML_DEV", "PIPELINE", null, "[]", "started", null, "{}", null]],
  };
}

export const DEV_STATES = { [ROOT]: "suspended", ...Object.fromEntries(CHILDREN.map((c) => [c, "started"])) } as Record<string, "started" | "suspended">;

export interface ScriptedTask {
  /** ROOT or a child label. */
  task: string;
  /** Seconds after EXECUTE TASK. */
  scheduledAt: number;
  startAt?: number;
  endAt?: number;
  state: "SUCCEEDED" | "FAILED" | "SKIPPED" | "CANCELLED";
  returnValue?: string;
  error?: { code: string; message: string };
}

export interface ScriptedRun {
  tasks: ScriptedTask[];
  /** Seconds after EXECUTE TASK when COMPLETE_TASK_GRAPHS has the row. */
  completeAt?: number;
  graphState?: "SUCCEEDED" | "FAILED" | "CANCELLED";
  firstError?: { task: string; code: string; message: string };
  /** Further COMPLETE_TASK_GRAPHS rows of the same RUN_ID (e.g. an automatic retry's end), seconds after EXECUTE. */
  laterEnds?: { at: number; state: "SUCCEEDED" | "FAILED" | "CANCELLED" }[];
}

/** A task row of some other run (not ours), absolute times. */
export interface ForeignRow {
  name: string;
  state: string;
  runId: number;
  scheduledMs: number;
  startedMs?: number;
  completedMs?: number;
  returnValue?: string;
  errorCode?: string;
  errorMessage?: string;
}

const TH_COLUMNS = [
  { name: "NAME", type: "text" },
  { name: "STATE", type: "text" },
  { name: "RETURN_VALUE", type: "text" },
  { name: "ERROR_CODE", type: "text" },
  { name: "ERROR_MESSAGE", type: "text" },
  { name: "QUERY_ID", type: "text" },
  { name: "RUN_ID", type: "fixed" },
  { name: "SCHEDULED_MS", type: "fixed" },
  { name: "STARTED_MS", type: "fixed" },
  { name: "COMPLETED_MS", type: "fixed" },
];

export const tokenReturn = (token: string): ScriptedTask => ({ task: ROOT, scheduledAt: 0, startAt: 1, endAt: 2, state: "SUCCEEDED", returnValue: token });

/** A successful run; `branch` decides which successor runs (the other has no row, as when skipped). */
export function successRun(token: string, branch: "PROMOTE_MODEL" | "SEND_ALERT"): ScriptedRun {
  const tasks: ScriptedTask[] = [
    tokenReturn(token),
    { task: "PREPARE_DATA", scheduledAt: 2, startAt: 3, endAt: 30, state: "SUCCEEDED", returnValue: '{"dataset":{"name":"MORTGAGE_DATASET","version":"v3"}}' },
    {
      task: "TRAIN_MODEL",
      scheduledAt: 30,
      startAt: 31,
      endAt: 120,
      state: "SUCCEEDED",
      returnValue: JSON.stringify({
        job_id: "MLJOB_7F3A",
        model_path: "@ML_DEV.PIPELINE.ARTIFACT_STAGE/runs/1/model.ubj",
        metrics: branch === "PROMOTE_MODEL" ? { test_accuracy: 0.9123, test_f1: 0.88 } : { test_accuracy: 0.61, test_f1: 0.55 },
      }),
    },
    { task: "CHECK_MODEL_QUALITY", scheduledAt: 120, startAt: 121, endAt: 130, state: "SUCCEEDED", returnValue: branch },
  ];
  if (branch === "PROMOTE_MODEL") {
    tasks.push({
      task: "PROMOTE_MODEL",
      scheduledAt: 130,
      startAt: 131,
      endAt: 150,
      state: "SUCCEEDED",
      returnValue: '{"model":"ML_DEV.MODELS.MORTGAGE_MODEL","version":"V4","is_default":true}',
    });
  } else {
    tasks.push({ task: "SEND_ALERT", scheduledAt: 130, startAt: 131, endAt: 140, state: "SUCCEEDED" });
  }
  tasks.push({ task: "CLEANUP", scheduledAt: 150, startAt: 151, endAt: 160, state: "SUCCEEDED", returnValue: '{"removed":{"files":3}}' });
  return { tasks, completeAt: 161, graphState: "SUCCEEDED" };
}

export interface Harness {
  stub: SnowflakeStub;
  clock: FakeClock;
  out: string[];
  err: string[];
  /** Statements the CLI sent (one per execute call, without the driver's own retries). */
  sent: string[];
  /** [fake time, statement] per statement. */
  timed: [number, string][];
  home: string;
  deps: CliDeps;
  /** Calls to the stack access, e.g. ["outputs", "dev"]. */
  stackCalls: string[][];
  /** Epoch ms at which the stub received EXECUTE TASK (undefined before). */
  executedAt?: number;
  run(...argv: string[]): Promise<number>;
  stdout(): string;
  stderr(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  states?: Record<string, "started" | "suspended">;
  schedule?: string;
  run?: ScriptedRun;
  /** CURRENT_TASK_GRAPHS rows: [STATE, SCHEDULED_FROM, RUN_ID, SCHEDULED_MS]. */
  current?: unknown[][];
  foreign?: (now: number) => ForeignRow[];
  token?: string;
  /** The project's Pulumi stacks; without it every stack read fails as if no stack existed. */
  stacks?: FakeStacks;
  statementTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Stacks of a fake project: outputs and config (secrets shown) per stack, and the selected one. */
export interface FakeStacks {
  selected?: string;
  outputs?: Record<string, Record<string, unknown>>;
  config?: Record<string, Record<string, string>>;
}

/** The StackAccess seam over FakeStacks; a stack it does not have fails as the real one does (usage error). */
export function fakeStackAccess(stacks: FakeStacks, calls: string[][] = []): StackAccess {
  const known = <T>(map: Record<string, T> | undefined, stack: string, what: string): T => {
    const value = map?.[stack];
    if (value === undefined) throw new CliError(`${what} of stack ${stack}: there is no stack ${stack} in this project`, EXIT.USAGE);
    return value;
  };
  return {
    async selectedStack() {
      calls.push(["selectedStack"]);
      return stacks.selected;
    },
    async outputs(stack) {
      calls.push(["outputs", stack]);
      return known(stacks.outputs, stack, "reading the outputs");
    },
    async config(stack) {
      calls.push(["config", stack]);
      return known(stacks.config, stack, "reading the connection settings");
    },
  };
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const stub = await startSnowflakeStub({ strict: true });
  const clock = new FakeClock();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-cli-"));
  const port = new URL(stub.url).port;
  fs.writeFileSync(
    path.join(home, "connections.toml"),
    `[stub]\naccount = "STUBORG-STUBACCT"\nuser = "OPERATOR"\npassword = "op-secret"\nrole = "ML_OPERATOR"\nwarehouse = "ML_DEV_WH"\nhost = "127.0.0.1"\nport = ${port}\nprotocol = "http"\n`,
    { mode: 0o600 },
  );
  const h: Harness = {
    stub,
    clock,
    out: [],
    err: [],
    sent: [],
    timed: [],
    stackCalls: [],
    home,
    deps: undefined as unknown as CliDeps,
    run: (...argv) => main(argv, h.deps),
    stdout: () => h.out.join(""),
    stderr: () => h.err.join(""),
    close: async () => {
      await stub.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  h.deps = {
    stdout: { write: (s: string) => h.out.push(s), isTTY: false },
    stderr: { write: (s: string) => h.err.push(s), isTTY: false },
    env: { SNOWFLAKE_HOME: home, HOME: home },
    clock,
    newToken: () => options.token ?? "tok-1",
    stacks: fakeStackAccess(options.stacks ?? {}, h.stackCalls),
    openSession: async (settings: ConnectionSettings): Promise<SqlSession> => {
      const real = await openSession({ ...settings, loginRetries: 0, requestTimeoutMs: 5_000 });
      return {
        execute: (sql, binds) => {
          h.sent.push(sql);
          h.timed.push([clock.now(), sql]);
          return real.execute(sql, binds);
        },
        close: () => real.close(),
      };
    },
    signal: options.signal,
    color: false,
    live: "lines",
    statementTimeoutMs: options.statementTimeoutMs ?? 20_000,
  };

  stub.on("SHOW TASKS IN SCHEMA ML_DEV.PIPELINE", () => showTasks(options.states ?? DEV_STATES, { schedule: options.schedule }));
  stub.on(/CURRENT_TASK_GRAPHS/, {
    columns: [
      { name: "STATE", type: "text" },
      { name: "SCHEDULED_FROM", type: "text" },
      { name: "RUN_ID", type: "fixed" },
      { name: "SCHEDULED_MS", type: "fixed" },
    ],
    rows: options.current ?? [],
  });
  stub.on(/^EXECUTE TASK /, () => {
    h.executedAt ??= clock.now();
    return { columns: [{ name: "status", type: "text" }], rows: [["Task MORTGAGE_PIPELINE is scheduled to run immediately."]] };
  });
  stub.on(/TASK_HISTORY/, (sql) => ({ columns: TH_COLUMNS, rows: historyRows(h, options, sql) }));
  stub.on(/COMPLETE_TASK_GRAPHS/, (sql) => ({
    columns: [
      { name: "STATE", type: "text" },
      { name: "FIRST_ERROR_TASK_NAME", type: "text" },
      { name: "FIRST_ERROR_CODE", type: "fixed" },
      { name: "FIRST_ERROR_MESSAGE", type: "text" },
      { name: "RUN_ID", type: "fixed" },
      { name: "STARTED_MS", type: "fixed" },
      { name: "COMPLETED_MS", type: "fixed" },
    ],
    rows: completeRows(h, options, sql),
  }));
  return h;
}

/** Rows of our scripted run at the current fake time, plus foreign rows, filtered as the SQL asks. */
function historyRows(h: Harness, options: HarnessOptions, sql: string): unknown[][] {
  const rows: unknown[][] = [];
  const now = h.clock.now();
  const E = h.executedAt;
  if (E !== undefined && options.run) {
    for (const t of options.run.tasks) {
      const at = (s: number | undefined) => (s === undefined ? undefined : E + s * 1000);
      const scheduled = at(t.scheduledAt)!;
      if (now < scheduled) continue;
      const started = at(t.startAt);
      const ended = at(t.endAt);
      const state = ended !== undefined && now >= ended ? t.state : started !== undefined && now >= started ? "EXECUTING" : "SCHEDULED";
      const final = state === t.state;
      rows.push([
        t.task === ROOT ? ROOT : `${ROOT}$${t.task}`,
        state,
        final ? (t.returnValue ?? null) : null,
        final ? (t.error?.code ?? null) : null,
        final ? (t.error?.message ?? null) : null,
        started !== undefined && now >= started ? `01b8-q-${t.task}` : null,
        E,
        scheduled,
        started !== undefined && now >= started ? started : null,
        final ? (ended ?? null) : null,
      ]);
    }
  }
  for (const f of options.foreign?.(now) ?? []) {
    rows.push([f.name, f.state, f.returnValue ?? null, f.errorCode ?? null, f.errorMessage ?? null, f.startedMs ? "01b8-q-foreign" : null, f.runId, f.scheduledMs, f.startedMs ?? null, f.completedMs ?? null]);
  }
  const runFilter = /AND RUN_ID = (\d+)/.exec(sql);
  return (runFilter ? rows.filter((r) => String(r[6]) === runFilter[1]) : rows).sort((a, b) => Number(b[7]) - Number(a[7]));
}

function completeRows(h: Harness, options: HarnessOptions, sql: string): unknown[][] {
  const E = h.executedAt;
  const run = options.run;
  const runId = /AND RUN_ID = (\d+)/.exec(sql)?.[1];
  if (E === undefined || !run || run.completeAt === undefined || h.clock.now() < E + run.completeAt * 1000 || runId !== String(E)) return [];
  const fe = run.firstError;
  const later = (run.laterEnds ?? [])
    .filter((end) => h.clock.now() >= E + end.at * 1000)
    .map((end) => [end.state, null, null, null, E, E + 1000, E + end.at * 1000]);
  return [[run.graphState ?? "SUCCEEDED", fe ? `${ROOT}$${fe.task}` : null, fe?.code ?? null, fe?.message ?? null, E, E + 1000, E + run.completeAt * 1000], ...later];
}

/** Statements per rolling 60 s of fake time, the maximum over the run. */
export function maxPerMinute(timed: [number, string][]): number {
  let max = 0;
  for (let i = 0; i < timed.length; i++) {
    const inWindow = timed.filter(([t]) => t >= timed[i][0] && t < timed[i][0] + 60_000).length;
    max = Math.max(max, inWindow);
  }
  return max;
}

const HOUR = 3_600_000;
/** Two past runs in TASK_HISTORY: a scheduled success (08:00, promoted V3) and a manual failure (09:00), plus the next scheduled root run. */
export function pastRunRows(): ForeignRow[] {
  const a = T0 - 2 * HOUR;
  const b = T0 - HOUR;
  const r = (name: string, state: string, runId: number, s: number, e?: number, rv?: string, err?: [string, string]): ForeignRow => ({
    name: name === ROOT ? ROOT : `${ROOT}$${name}`,
    state,
    runId,
    scheduledMs: runId + s * 1000 - 1000,
    startedMs: runId + s * 1000,
    completedMs: e === undefined ? undefined : runId + e * 1000,
    returnValue: rv,
    errorCode: err?.[0],
    errorMessage: err?.[1],
  });
  return [
    r(ROOT, "SUCCEEDED", a, 1, 2, "scheduled"),
    r("PREPARE_DATA", "SUCCEEDED", a, 3, 60),
    r("TRAIN_MODEL", "SUCCEEDED", a, 61, 600, '{"job_id":"MLJOB_1","metrics":{"test_accuracy":0.91}}'),
    r("CHECK_MODEL_QUALITY", "SUCCEEDED", a, 601, 610, "PROMOTE_MODEL"),
    r("PROMOTE_MODEL", "SUCCEEDED", a, 611, 630, '{"model":"ML_DEV.MODELS.MORTGAGE_MODEL","version":"V3","is_default":true}'),
    r("CLEANUP", "SUCCEEDED", a, 631, 640),
    r(ROOT, "SUCCEEDED", b, 1, 2, "tok-earlier"),
    r("PREPARE_DATA", "SUCCEEDED", b, 3, 50),
    r("TRAIN_MODEL", "FAILED", b, 51, 70, undefined, ["100357", "Python Interpreter Error: boom"]),
    r("CLEANUP", "SUCCEEDED", b, 71, 80),
    { name: ROOT, state: "SCHEDULED", runId: T0 + HOUR, scheduledMs: T0 + HOUR },
  ];
}
