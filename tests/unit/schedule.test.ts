import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeSchedule, parseSchedule, ScheduleError, TaskScheduleSpec } from "../../lib/schedule";

const EXPECTED =
  'expected an interval with a unit like "1d", "12h", "30m", or a cron expression with a time zone like "0 3 * * * UTC"';
const RANGE = "Snowflake allows 1 to 11520 minutes (8 days)";
const SHAPE = 'expected 5 fields (minute hour day-of-month month day-of-week) and an IANA time zone, like "0 3 * * * UTC"';

describe("parseSchedule: no schedule", () => {
  for (const raw of [undefined, null, "", "   "]) {
    it(`${JSON.stringify(raw)} → manual runs only`, () => assert.equal(parseSchedule(raw), undefined));
  }
});

describe("parseSchedule: intervals", () => {
  const cases: [string | number, number][] = [
    ["1d", 1440],
    ["12h", 720],
    ["30m", 30],
    ["1m", 1],
    ["11520m", 11520],
    ["8d", 11520],
    ["192h", 11520],
    ["1.5h", 90],
    ["1.1h", 66], // exact decimal arithmetic: 1.1 × 60 is 66, not 66.00000000000001
    [".5d", 720],
    ["0.25d", 360],
    ["12H", 720],
    ["1 D", 1440],
    ["30 minutes", 30],
    ["1 minute", 1],
    ["2 hours", 120],
    ["3 days", 4320],
    ["45min", 45],
    ["007m", 7],
  ];
  for (const [raw, minutes] of cases) {
    it(`${JSON.stringify(raw)} → ${minutes} minutes`, () => assert.deepEqual(parseSchedule(raw), { minutes }));
  }
});

describe("parseSchedule: cron", () => {
  const cases: [string, string][] = [
    ["0 3 * * * UTC", "0 3 * * * UTC"],
    ["30 2 * * 1-5 Europe/Berlin", "30 2 * * 1-5 Europe/Berlin"],
    ["USING CRON 0 3 * * * UTC", "0 3 * * * UTC"],
    ["using cron   0  3 * *   *   UTC  ", "0 3 * * * UTC"],
    ["\t0\t3 * * * UTC", "0 3 * * * UTC"],
    ["*/15 * * * * America/Los_Angeles", "*/15 * * * * America/Los_Angeles"],
    ["0 0 10-20 * tue,thu America/Los_Angeles", "0 0 10-20 * TUE,THU America/Los_Angeles"],
    ["0 9-17/2 L jan-mar,dec 5L Asia/Tokyo", "0 9-17/2 L JAN-MAR,DEC 5L Asia/Tokyo"],
    ["0 0 1 4/3 L UTC", "0 0 1 4/3 L UTC"],
    ["59 23 31 12 6 UTC", "59 23 31 12 6 UTC"],
    ["0 0 1 1 SUN-SAT UTC", "0 0 1 1 SUN-SAT UTC"],
    ["0 3 * * * utc", "0 3 * * * UTC"],
    ["0 3 * * * Etc/GMT+5", "0 3 * * * Etc/GMT+5"],
  ];
  for (const [raw, usingCron] of cases) {
    it(`${JSON.stringify(raw)}`, () => assert.deepEqual(parseSchedule(raw), { usingCron }));
  }
});

describe("parseSchedule: errors", () => {
  const cases: [string | number, string][] = [
    ["0m", `"0m" is 0 minutes; ${RANGE}`],
    ["11521m", `"11521m" is 11521 minutes; ${RANGE}`],
    ["200h", `"200h" is 12000 minutes; ${RANGE}`],
    // A bare number says what it would be read as and how to write minutes, hours or days.
    // Only the units Snowflake then accepts: 1440 hours and 1440 days exceed 11,520 minutes.
    ["1440", '"1440" has no unit, so it would be read as 1440 days; write the unit: "1440m" for minutes'],
    ["100", '"100" has no unit, so it would be read as 100 days; write the unit: "100m" for minutes or "100h" for hours'],
    ["20000", '"20000" has no unit, so it would be read as 20000 days; no unit makes 20000 a schedule: Snowflake allows 1 to 11520 minutes (8 days), in whole minutes'],
    [" 2 ", '" 2 " has no unit, so it would be read as 2 days; write the unit: "2m" for minutes, "2h" for hours or "2d" for days'],
    ["1", '"1" has no unit, so it would be read as 1 day; write the unit: "1m" for minutes, "1h" for hours or "1d" for days'],
    [1440, '1440 has no unit, so it would be read as 1440 days; write the unit: "1440m" for minutes'],
    [1.5, '1.5 has no unit, so it would be read as 1.5 days; write the unit: "1.5h" for hours or "1.5d" for days'],
    ["99999999999999999999d", `"99999999999999999999d" is 143999999999999999998560 minutes; ${RANGE}`],
    [NaN, `${EXPECTED}; got NaN`],
    [Infinity, `${EXPECTED}; got Infinity`],
    ["0.5m", '"0.5m" is 0.5 minutes; Snowflake schedules are whole minutes'],
    ["1.01h", '"1.01h" is 60.6 minutes; Snowflake schedules are whole minutes'],
    ["-1d", `${EXPECTED}; got "-1d"`],
    ["1w", `${EXPECTED}; got "1w"`],
    ["1 d h", `${EXPECTED}; got "1 d h"`],
    ["daily", `${EXPECTED}; got "daily"`],
    ["1,5d", `${EXPECTED}; got "1,5d"`],
    ["0 3 * *", `${EXPECTED}; got "0 3 * *"`],
    ["0 3 * * *", `cron expression "0 3 * * *" has no time zone; ${SHAPE}`],
    ["USING CRON", `cron expression "USING CRON" has 0 parts; ${SHAPE}`],
    ["0 0 3 * * * UTC", `cron expression "0 0 3 * * * UTC" has 7 parts; ${SHAPE}`],
    ["60 3 * * * UTC", 'cron expression "60 3 * * * UTC": minute field "60" has 60, outside 0-59'],
    ["0 24 * * * UTC", 'cron expression "0 24 * * * UTC": hour field "24" has 24, outside 0-23'],
    ["0 3 0 * * UTC", 'cron expression "0 3 0 * * UTC": day-of-month field "0" has 0, outside 1-31'],
    ["0 3 * 13 * UTC", 'cron expression "0 3 * 13 * UTC": month field "13" has 13, outside 1-12'],
    ["0 3 * * 7 UTC", 'cron expression "0 3 * * 7 UTC": day-of-week field "7" has 7, outside 0-6'],
    ["0 3 * * 7L UTC", 'cron expression "0 3 * * 7L UTC": day-of-week field "7L" has 7, outside 0-6'],
    ["0 3 * * 5-1 UTC", 'cron expression "0 3 * * 5-1 UTC": day-of-week field "5-1" has the reversed range 5-1'],
    ["*/0 * * * * UTC", 'cron expression "*/0 * * * * UTC": minute field "*/0" has step 0; a step must be between 1 and 59'],
    ["0 */24 * * * UTC", 'cron expression "0 */24 * * * UTC": hour field "*/24" has step 24; a step must be between 1 and 23'],
    ["L 3 * * * UTC", 'cron expression "L 3 * * * UTC": minute field "L" uses "L", which only the day-of-month and day-of-week fields allow'],
    ["0 3 1,,2 * * UTC", 'cron expression "0 3 1,,2 * * UTC": day-of-month field "1,,2" has an empty list element'],
    [
      "0 3 * FOO * UTC",
      'cron expression "0 3 * FOO * UTC": month field "FOO" is not valid; expected 1-12 or JAN-DEC, as a value, a range (a-b), a step (*/n, a/n or a-b/n), a list (a,b) or *',
    ],
    [
      "0 0 * * FRIL UTC",
      'cron expression "0 0 * * FRIL UTC": day-of-week field "FRIL" is not valid; expected 0-6, SUN-SAT, L or nL (the last weekday n of the month), as a value, a range (a-b), a step (*/n, a/n or a-b/n), a list (a,b) or *',
    ],
    [
      "0 3 ? * MON UTC",
      'cron expression "0 3 ? * MON UTC": day-of-month field "?" is not valid; expected 1-31 or L, as a value, a range (a-b), a step (*/n, a/n or a-b/n), a list (a,b) or *',
    ],
    [
      "0 3 * * MON Mars/Olympus",
      'cron expression "0 3 * * MON Mars/Olympus": unknown time zone "Mars/Olympus"; expected an IANA time zone name like UTC or Europe/Berlin',
    ],
    [
      "0 3 * * * +01:00",
      'cron expression "0 3 * * * +01:00": unknown time zone "+01:00"; expected an IANA time zone name like UTC or Europe/Berlin',
    ],
  ];
  for (const [raw, message] of cases) {
    it(`${JSON.stringify(raw)}`, () => {
      assert.throws(() => parseSchedule(raw), (error: unknown) => {
        assert.ok(error instanceof ScheduleError, "a ScheduleError");
        assert.equal(error.name, "ScheduleError");
        assert.equal(error.message, message);
        return true;
      });
    });
  }

  it("a non-string, non-number value", () => {
    assert.throws(() => parseSchedule(true as unknown as string), { message: `${EXPECTED}; got true` });
  });
});

describe("describeSchedule", () => {
  const cases: [TaskScheduleSpec | undefined, string][] = [
    [undefined, "manual runs only"],
    [{ minutes: 1440 }, "every 1440 minutes"],
    [{ minutes: 1 }, "every 1 minute"],
    [{ usingCron: "0 3 * * * UTC" }, "cron 0 3 * * * UTC"],
  ];
  for (const [spec, text] of cases) {
    it(text, () => assert.equal(describeSchedule(spec), text));
  }
});
