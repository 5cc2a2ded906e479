/**
 * The root task's schedule, as written in the stack configuration, turned into what the Snowflake
 * provider's task `schedule` input takes: exactly one of whole `minutes` or `usingCron`
 * ("<5 fields> <time zone>"; the provider adds "USING CRON").
 *
 * Accepted forms:
 * - the seed's intervals: "1d", "12h", "30m" (units case-insensitive, also day(s)/hour(s)/min(s)/minute(s),
 *   spaces allowed). The total must be a whole number of minutes from 1 to 11,520 (8 days):
 *   snowflake-core enforces the same range client-side.
 * - a bare number (2, "1440") is refused with a message saying it would be read as days and how to
 *   write minutes or days: "1440" meant as minutes would otherwise silently become 1440 days (or an
 *   out-of-range error that does not say why). The engine hands YAML numbers over as text, so
 *   numbers and numeric strings are treated alike.
 * - a cron expression with an IANA time zone, optionally prefixed "USING CRON":
 *   "0 3 * * * UTC", "30 2 * * 1-5 Europe/Berlin". Fields follow Snowflake's cron subset: minute 0-59,
 *   hour 0-23, day of month 1-31 or L, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT, L or nL;
 *   with ranges, steps (*∕n, a∕n, a-b∕n) and lists.
 * - undefined, null, "" (or blanks): no schedule, the graph runs only when executed manually.
 */
import { describeValue } from "./identifiers";

export type TaskScheduleSpec = { minutes: number } | { usingCron: string };

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleError";
  }
}

export const MIN_SCHEDULE_MINUTES = 1;
export const MAX_SCHEDULE_MINUTES = 11520;

const EXPECTED =
  'expected an interval with a unit like "1d", "12h", "30m", or a cron expression with a time zone like "0 3 * * * UTC"';
const RANGE = `Snowflake allows ${MIN_SCHEDULE_MINUTES} to ${MAX_SCHEDULE_MINUTES} minutes (8 days)`;

const INTERVAL = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;
const UNIT_MINUTES: Record<string, number> = {
  d: 1440, day: 1440, days: 1440,
  h: 60, hr: 60, hrs: 60, hour: 60, hours: 60,
  m: 1, min: 1, mins: 1, minute: 1, minutes: 1,
};

export function parseSchedule(raw: string | number | undefined | null): TaskScheduleSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw new ScheduleError(`${EXPECTED}; got ${raw}`);
    throw bareNumber(String(raw), String(raw));
  }
  if (typeof raw !== "string") throw new ScheduleError(`${EXPECTED}; got ${describeValue(raw)}`);
  const text = raw.trim();
  if (text === "") return undefined;
  if (/^using\s+cron(\s|$)/i.test(text) || text.split(/\s+/).length >= 5) return parseCron(raw, text);
  const match = INTERVAL.exec(text);
  if (match && match[2] === "") throw bareNumber(JSON.stringify(raw), match[1]);
  const unitMinutes = match ? UNIT_MINUTES[match[2].toLowerCase()] : undefined;
  if (!match || unitMinutes === undefined) throw new ScheduleError(`${EXPECTED}; got ${JSON.stringify(raw)}`);
  return { minutes: exactMinutes(match[1], unitMinutes, JSON.stringify(raw)) };
}

/** Plan output: "every 1440 minutes", "cron 0 3 * * * UTC", "manual runs only". */
export function describeSchedule(spec: TaskScheduleSpec | undefined): string {
  if (spec === undefined) return "manual runs only";
  if ("minutes" in spec) return `every ${spec.minutes} minute${spec.minutes === 1 ? "" : "s"}`;
  return `cron ${spec.usingCron}`;
}

/** Decimal text × unit, in exact integer arithmetic (1.1h is 66 minutes, not 66.00000000000001). */
function exactMinutes(decimal: string, unitMinutes: number, label: string): number {
  const [whole, fraction = ""] = decimal.split(".");
  const scaled = BigInt(`${whole}${fraction}` || "0") * BigInt(unitMinutes);
  const denominator = 10n ** BigInt(fraction.length);
  if (scaled % denominator !== 0n) {
    const approx = Number((Number(scaled) / Number(denominator)).toPrecision(12));
    throw new ScheduleError(`${label} is ${approx} minutes; Snowflake schedules are whole minutes`);
  }
  const minutes = scaled / denominator;
  if (minutes < BigInt(MIN_SCHEDULE_MINUTES) || minutes > BigInt(MAX_SCHEDULE_MINUTES)) {
    throw new ScheduleError(`${label} is ${minutes} minutes; ${RANGE}`);
  }
  return Number(minutes);
}

/**
 * A number without a unit: say what it would be read as, and how to write what was meant, offering
 * only the units that make a schedule Snowflake takes ("1440" → "1440m", not "1440h" or "1440d").
 */
function bareNumber(label: string, number: string): ScheduleError {
  const read = `${label} has no unit, so it would be read as ${number} day${number === "1" ? "" : "s"}`;
  const units: [string, string, number][] = [
    ["m", "minutes", 1],
    ["h", "hours", 60],
    ["d", "days", 1440],
  ];
  const valid = units.filter(([, , perUnit]) => {
    try {
      exactMinutes(number, perUnit, number);
      return true;
    } catch {
      return false;
    }
  });
  if (valid.length === 0) return new ScheduleError(`${read}; no unit makes ${number} a schedule: ${RANGE}, in whole minutes`);
  const options = valid.map(([unit, words]) => `"${number}${unit}" for ${words}`);
  const listed = options.length === 1 ? options[0] : `${options.slice(0, -1).join(", ")} or ${options[options.length - 1]}`;
  return new ScheduleError(`${read}; write the unit: ${listed}`);
}

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** "L" alone (last day of month / last day of week). */
  last?: boolean;
  /** "<value>L": the last given weekday of the month (day of week only). */
  lastOf?: boolean;
  allowed: string;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const CRON_FIELDS: CronField[] = [
  { name: "minute", min: 0, max: 59, allowed: "0-59" },
  { name: "hour", min: 0, max: 23, allowed: "0-23" },
  { name: "day-of-month", min: 1, max: 31, last: true, allowed: "1-31 or L" },
  { name: "month", min: 1, max: 12, names: MONTHS, allowed: "1-12 or JAN-DEC" },
  { name: "day-of-week", min: 0, max: 6, names: WEEKDAYS, last: true, lastOf: true, allowed: "0-6, SUN-SAT, L or nL (the last weekday n of the month)" },
];

function parseCron(raw: string, text: string): TaskScheduleSpec {
  const label = `cron expression ${JSON.stringify(raw)}`;
  const parts = text.replace(/^using\s+cron/i, "").trim().split(/\s+/).filter((p) => p !== "");
  const shape = 'expected 5 fields (minute hour day-of-month month day-of-week) and an IANA time zone, like "0 3 * * * UTC"';
  if (parts.length === 5) throw new ScheduleError(`${label} has no time zone; ${shape}`);
  if (parts.length !== 6) throw new ScheduleError(`${label} has ${parts.length} parts; ${shape}`);
  const fields = CRON_FIELDS.map((field, i) => {
    const problem = cronFieldProblem(parts[i].toUpperCase(), field);
    if (problem) throw new ScheduleError(`${label}: ${field.name} field ${JSON.stringify(parts[i])} ${problem}`);
    return parts[i].toUpperCase();
  });
  const zone = timeZone(parts[5]);
  if (zone === undefined) {
    throw new ScheduleError(`${label}: unknown time zone ${JSON.stringify(parts[5])}; expected an IANA time zone name like UTC or Europe/Berlin`);
  }
  return { usingCron: [...fields, zone].join(" ") };
}

/** Why one cron field is invalid, or undefined. */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  const generic = `is not valid; expected ${field.allowed}, as a value, a range (a-b), a step (*/n, a/n or a-b/n), a list (a,b) or *`;
  for (const item of text.split(",")) {
    if (item === "") return "has an empty list element";
    if (item === "L") {
      if (!field.last) return 'uses "L", which only the day-of-month and day-of-week fields allow';
      continue;
    }
    const lastOf = /^(\d+)L$/.exec(item); // the docs show "5L"; a name form such as FRIL is not documented
    if (lastOf && field.lastOf) {
      const day = value(lastOf[1], field);
      if (day === undefined) return generic;
      if (day < field.min || day > field.max) return `has ${day}, outside ${field.min}-${field.max}`;
      continue;
    }
    const match = /^(\*|(\w+)(?:-(\w+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) return item.includes("L") && !field.last ? 'uses "L", which only the day-of-month and day-of-week fields allow' : generic;
    const [, base, startText, endText, stepText] = match;
    if (base !== "*") {
      const start = value(startText, field);
      const end = endText === undefined ? start : value(endText, field);
      if (start === undefined || end === undefined) return generic;
      for (const v of [start, end]) if (v < field.min || v > field.max) return `has ${v}, outside ${field.min}-${field.max}`;
      if (start > end) return `has the reversed range ${startText}-${endText}`;
    }
    if (stepText !== undefined) {
      const step = Number(stepText);
      if (step < 1 || step > field.max) return `has step ${step}; a step must be between 1 and ${field.max}`;
    }
  }
  return undefined;
}

/** A cron value: a number, or a month/weekday name where the field has names. */
function value(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text) ?? -1;
  return index < 0 ? undefined : index + field.min;
}

/**
 * The time zone as Snowflake should get it, or undefined when Intl (the IANA database Node ships)
 * does not know it. Only the letter case is normalized ("utc" → "UTC"); an alias stays as written.
 */
function timeZone(text: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(text)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return resolved.toLowerCase() === text.toLowerCase() ? resolved : text;
}
