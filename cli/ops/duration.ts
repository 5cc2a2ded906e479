/** Durations on the command line (`--timeout 90m`, `2h30m`, `45s`, `1d`) and in output (`9m30s`). */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `1h30m`, `90m`, `45s`, `500ms`, `1d`, or a bare number of seconds. Throws on anything else. */
export function parseDuration(text: string): number {
  const s = String(text).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1_000);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== s) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (examples: 45s, 90m, 2h30m, 1d)`);
  }
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit], 0);
  if (!(ms > 0)) throw new Error(`duration must be positive: ${JSON.stringify(text)}`);
  return Math.round(ms);
}

/** 0s, 45s, 9m30s, 2h05m, 3d04h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const total = Math.round(ms / 1_000);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const sec = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(sec)}s`;
  return `${sec}s`;
}

/** 2026-11-02T03:00:05Z (UTC, whole seconds), or "-" for no time. */
export function formatTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "-";
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Elapsed time as +MM:SS (or +H:MM:SS), for progress lines. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1_000));
  const h = Math.floor(total / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `+${h}:${two(m)}:${two(s)}` : `+${two(m)}:${two(s)}`;
}
