"""Outcome of the current graph run, as the finalizer sees it: did every other task of this graph run
group succeed (or was skipped), did one fail or get cancelled, or can it not be told?

Read from the INFORMATION_SCHEMA.TASK_HISTORY table function
(https://docs.snowflake.com/en/sql-reference/functions/task_history), narrowed to this graph and
this run before the row limit applies:

- ``ROOT_TASK_ID => '<uuid>'``: only the runs of this task graph. The id is
  SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_UUID'), documented as the root task's UUID, which is
  the ID column of SHOW TASKS that ROOT_TASK_ID takes
  (https://docs.snowflake.com/en/sql-reference/functions/system_task_runtime_info);
- ``SCHEDULED_TIME_RANGE_START``: from shortly before the run's original scheduled time (a retry
  keeps it), clipped to the function's documented 7-day window;
- ``RESULT_LIMIT => 10000``, the documented maximum.

Which rows belong to this run: the runtime info documents CURRENT_TASK_GRAPH_RUN_GROUP_ID as a UUID
while TASK_HISTORY documents GRAPH_RUN_GROUP_ID as a NUMBER, so the group id alone may never match.
A row is this run's when its group id, compared as lower-case text, equals the runtime info's, or
when its RUN_ID (documented as the root task's original scheduled time in epoch milliseconds; with
ROOT_TASK_ID it identifies one graph run) equals the run's original scheduled time. Either is
enough, so the outcome does not depend on which documentation is right.

A retried run (EXECUTE TASK ... RETRY LAST) keeps its run group, so the rows of the failed attempt are
still there: a run that failed once reads as failed, even after a successful retry (conservative: its
artefacts are then left to the retention rule).

Never raises: a failing query, no rows or a state it does not know give the outcome "unknown".
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Tuple

from mlpipeline.config import sql_string

SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

# TASK_HISTORY STATE values (https://docs.snowflake.com/en/sql-reference/functions/task_history).
_FAILED_STATES = ("FAILED", "FAILED_AND_AUTO_SUSPENDED")
_CANCELLED_STATES = ("CANCELLED",)
_DONE_STATES = ("SUCCEEDED", "SKIPPED")

# TASK_HISTORY returns the newest runs first, 100 by default; the most it allows.
HISTORY_RESULT_LIMIT = 10000
# SCHEDULED_TIME_RANGE_START must lie within the last 7 days; an hour of slack keeps the value inside
# the window however long the query takes to reach Snowflake.
HISTORY_WINDOW = dt.timedelta(days=7) - dt.timedelta(hours=1)
# Start the range a little before the original scheduled time (the root task runs at or after it).
SCHEDULE_SLACK = dt.timedelta(minutes=1)

# What the finalizer reads about its own run: SYSTEM$TASK_RUNTIME_INFO returns strings; the original
# scheduled timestamp is converted by Snowflake (TO_TIMESTAMP_LTZ) to epoch milliseconds.
RUN_IDENTITY_SQL = (
    "SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')),"
    " TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_UUID')),"
    " DATE_PART(EPOCH_MILLISECOND, TO_TIMESTAMP_LTZ(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')))"
)


@dataclass(frozen=True)
class RunIdentity:
    group_id: Optional[str]
    root_task_id: Optional[str]
    scheduled_epoch_ms: Optional[int]

    @property
    def scheduled(self) -> Optional[dt.datetime]:
        if self.scheduled_epoch_ms is None:
            return None
        return dt.datetime.fromtimestamp(self.scheduled_epoch_ms / 1000, tz=dt.timezone.utc)


@dataclass(frozen=True)
class RunOutcome:
    outcome: str  # succeeded | failed | cancelled | unknown
    detail: str
    tasks: Tuple[str, ...] = field(default=())  # the failed or cancelled tasks

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCEEDED


def read_run_identity(session: Any) -> RunIdentity:
    """This graph run's group id, root task UUID and original scheduled time; None for what is
    unavailable (never raises: the outcome is then "unknown")."""
    try:
        rows = session.sql(RUN_IDENTITY_SQL).collect()
        group, root, scheduled = rows[0][0], rows[0][1], rows[0][2]
    except Exception as error:
        print(f"run outcome: the task runtime info is unavailable ({error})")
        return RunIdentity(None, None, None)
    return RunIdentity(
        str(group) if group not in (None, "") else None,
        str(root) if root not in (None, "") else None,
        int(scheduled) if scheduled not in (None, "") else None,
    )


def _timestamp_literal(value: dt.datetime) -> str:
    return "TO_TIMESTAMP_LTZ(" + sql_string(value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S +00:00")) + ")"


def history_start(identity: RunIdentity, now: dt.datetime) -> dt.datetime:
    """SCHEDULED_TIME_RANGE_START: just before the run was scheduled, never before the 7-day window."""
    earliest = now.astimezone(dt.timezone.utc) - HISTORY_WINDOW
    scheduled = identity.scheduled
    return earliest if scheduled is None else max(scheduled - SCHEDULE_SLACK, earliest)


def task_history_sql(database: str, identity: RunIdentity, finalizer_task: str, now: dt.datetime) -> str:
    """The history query: every other task run of this graph run (NAME, STATE)."""
    arguments = [f"SCHEDULED_TIME_RANGE_START => {_timestamp_literal(history_start(identity, now))}", f"RESULT_LIMIT => {HISTORY_RESULT_LIMIT}"]
    if identity.root_task_id:
        arguments.append(f"ROOT_TASK_ID => {sql_string(identity.root_task_id)}")
    matches = []
    if identity.group_id:
        matches.append(f"LOWER(TO_CHAR(GRAPH_RUN_GROUP_ID)) = {sql_string(identity.group_id.lower())}")
    if identity.scheduled_epoch_ms is not None and identity.root_task_id:
        matches.append(f"RUN_ID = {int(identity.scheduled_epoch_ms)}")
    return (
        f"SELECT NAME, STATE FROM TABLE({database}.INFORMATION_SCHEMA.TASK_HISTORY({', '.join(arguments)}))"
        f" WHERE ({' OR '.join(matches)})"
        f" AND NAME <> {sql_string(finalizer_task)}"
    )


def judge(rows: Iterable[Sequence[Any]]) -> RunOutcome:
    """Outcome from (NAME, STATE) rows. Succeeded only when there are rows, all SUCCEEDED or SKIPPED,
    and at least one SUCCEEDED; a failure outweighs a cancellation."""
    rows = [(str(row[0]), str(row[1]).upper() if row[1] is not None else "") for row in rows]
    if not rows:
        return RunOutcome(UNKNOWN, "no task runs of this graph run group in TASK_HISTORY")
    failed = tuple(sorted({name for name, state in rows if state in _FAILED_STATES}))
    if failed:
        return RunOutcome(FAILED, f"failed: {', '.join(failed)}", failed)
    cancelled = tuple(sorted({name for name, state in rows if state in _CANCELLED_STATES}))
    if cancelled:
        return RunOutcome(CANCELLED, f"cancelled: {', '.join(cancelled)}", cancelled)
    other = sorted({f"{name} {state or 'NULL'}" for name, state in rows if state not in _DONE_STATES})
    if other:
        return RunOutcome(UNKNOWN, f"not finished or unknown state: {', '.join(other)}")
    if not any(state == "SUCCEEDED" for _, state in rows):
        return RunOutcome(UNKNOWN, "no task of this graph run group succeeded")
    return RunOutcome(SUCCEEDED, f"{len(rows)} task run(s) succeeded or skipped")


def graph_run_outcome(session: Any, database: str, identity: RunIdentity, finalizer_task: str, now: dt.datetime) -> RunOutcome:
    """Query TASK_HISTORY for this graph run and judge it; any error gives "unknown" (logged)."""
    if not identity.group_id and not (identity.root_task_id and identity.scheduled_epoch_ms is not None):
        outcome = RunOutcome(UNKNOWN, "no graph run group id")
    else:
        try:
            rows = session.sql(task_history_sql(database, identity, finalizer_task, now)).collect()
        except Exception as error:  # never a failure: the caller keeps what it cannot judge
            outcome = RunOutcome(UNKNOWN, f"task history query failed: {error}")
        else:
            outcome = judge(rows)
    if outcome.outcome == UNKNOWN:
        print(f"run outcome of graph run group {identity.group_id}: unknown ({outcome.detail})")
    return outcome
