/**
 * Live progress of a run: redrawn in place with log-update on a terminal, one line per change
 * otherwise (pipes, CI logs, and stderr under --json), or nothing.
 */
import type { Colors } from "picocolors/types";
import { progressLines, renderFrame, type RunContext } from "./renderRun";
import type { RunSnapshot } from "./runWatch";

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** A terminal log-update can redraw: some pseudo-terminals (CI, `script`) report 0 rows, and log-update then draws nothing. */
export function canRedraw(out: OutputStream): boolean {
  return out.isTTY === true && (out.rows ?? 0) > 0 && (out.columns ?? 0) > 0;
}

export interface LiveView {
  update(snapshot: RunSnapshot): void;
  /** Ends the live display before the summary is printed (frame mode: the frame is cleared, the summary repeats the table). */
  stop(): void;
}

export class LineView implements LiveView {
  private last: RunSnapshot | undefined;
  constructor(
    private readonly out: OutputStream,
    private readonly ctx: RunContext,
    private readonly pc: Colors,
  ) {}
  update(snapshot: RunSnapshot): void {
    for (const line of progressLines(this.ctx, this.last, snapshot, this.pc)) this.out.write(`${line}\n`);
    this.last = snapshot;
  }
  stop(): void {}
}

export class FrameView implements LiveView {
  private readonly log: ((...text: string[]) => void) & { clear(): void; done(): void };
  constructor(
    stream: NodeJS.WritableStream,
    private readonly ctx: RunContext,
    private readonly pc: Colors,
  ) {
    // log-update is an ES module; Node 20.19+ require()s it. Loaded only when a terminal is attached.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLogUpdate } = require("log-update") as typeof import("log-update");
    this.log = createLogUpdate(stream);
  }
  update(snapshot: RunSnapshot): void {
    this.log(renderFrame(this.ctx, snapshot, this.pc));
  }
  stop(): void {
    this.log.clear();
    this.log.done();
  }
}

export const silentView: LiveView = { update: () => undefined, stop: () => undefined };
