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
}

export interface LiveView {
  update(snapshot: RunSnapshot): void;
  /** Leaves the last frame on screen (frame mode) before the summary is printed. */
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
  private readonly log: ((...text: string[]) => void) & { done(): void };
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
    this.log.done();
  }
}

export const silentView: LiveView = { update: () => undefined, stop: () => undefined };
