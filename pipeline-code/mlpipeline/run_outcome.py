"""Outcome of the current graph run, as the finalizer sees it: did every other task of this graph run
group succeed (or was skipped), did one fail or get cancelled, or can it not be told?

Read from ``TABLE(<database>.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000))`` (reference:
snowflake-semantics.md §5.1), filtered to the run group of SYSTEM$TASK_RUNTIME_INFO
('CURRENT_TASK_GRAPH_RUN_GROUP_ID') and leaving out the finalizer itself. The group id is compared as
text because TASK_HISTORY documents the column as NUMBER while the runtime info returns a string.

A retried run (EXECUTE TASK ... RETRY LAST) keeps its run group, so the rows of the failed attempt are
still there: a run that failed once reads as failed, even after a successful retry (conservative: its
artefacts are then left to the retention rule).

Never raises: a failing query, no rows or a state it does not know give the outcome "unknown".
"""

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Tuple

from mlpipeline.config import sql_string

SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

# TASK_HISTORY STATE values (snowflake-semantics.md §5.1).
_FAILED_STATES = ("FAILED", "FAILED_AND_AUTO_SUSPENDED")
_CANCELLED_STATES = ("CANCELLED",)
_DONE_STATES = ("SUCCEEDED", "SKIPPED")

# TASK_HISTORY returns the newest runs first, 100 by default; the most it allows.
HISTORY_RESULT_LIMIT = 10000


@dataclass(frozen=True)
class RunOutcome:
    outcome: str  # succeeded | failed | cancelled | unknown
    detail: str
    tasks: Tuple[str, ...] = field(default=())  # the failed or cancelled tasks

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCEEDED


def task_history_sql(database: str, graph_run_group_id: str, finalizer_task: str) -> str:
    """The history query: every other task run of this graph run group (NAME, STATE)."""
    return (
        f"SELECT NAME, STATE FROM TABLE({database}.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => {HISTORY_RESULT_LIMIT}))"
        f" WHERE TO_CHAR(GRAPH_RUN_GROUP_ID) = {sql_string(graph_run_group_id)}"
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


def graph_run_outcome(session: Any, database: str, graph_run_group_id: Optional[str], finalizer_task: str) -> RunOutcome:
    """Query TASK_HISTORY for this graph run group and judge it; any error gives "unknown" (logged)."""
    if not graph_run_group_id:
        outcome = RunOutcome(UNKNOWN, "no graph run group id")
    else:
        try:
            rows = session.sql(task_history_sql(database, graph_run_group_id, finalizer_task)).collect()
        except Exception as error:  # never a failure: the caller keeps what it cannot judge
            outcome = RunOutcome(UNKNOWN, f"task history query failed: {error}")
        else:
            outcome = judge(rows)
    if outcome.outcome == UNKNOWN:
        print(f"run outcome of graph run group {graph_run_group_id}: unknown ({outcome.detail})")
    return outcome
