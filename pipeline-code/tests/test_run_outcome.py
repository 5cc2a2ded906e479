"""The current graph run's outcome from TASK_HISTORY rows (mlpipeline.run_outcome), as pure functions
and over the fake session."""

import pytest

from fakes import FakeSession
from helpers import graph_config
from mlpipeline import run_outcome

ROOT = "MORTGAGE_PIPELINE"
PROMOTE = "MORTGAGE_PIPELINE$PROMOTE_MODEL"
TRAIN = "MORTGAGE_PIPELINE$TRAIN_MODEL"
ALERT = "MORTGAGE_PIPELINE$SEND_ALERT"


import datetime as dt

from helpers import RUNTIME

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
GROUP = "01b2c3d4-0000-1111-2222-333344445555"
ROOT_ID = "01b2c3d4-aaaa-bbbb-cccc-000000000001"
SCHEDULED_MS = 1709258400000  # 2024-03-01 02:00:00 UTC, in epoch milliseconds
IDENTITY = run_outcome.RunIdentity(GROUP, ROOT_ID, SCHEDULED_MS)


def test_the_history_query_text():
    assert run_outcome.task_history_sql("ML_PROD", IDENTITY, "P$CLEANUP", NOW) == (
        "SELECT NAME, STATE FROM TABLE(ML_PROD.INFORMATION_SCHEMA.TASK_HISTORY("
        "SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ('2024-03-01 01:59:00 +00:00'), RESULT_LIMIT => 10000,"
        f" ROOT_TASK_ID => '{ROOT_ID}'))"
        f" WHERE (LOWER(TO_CHAR(GRAPH_RUN_GROUP_ID)) = '{GROUP}' OR RUN_ID = 1709258400000) AND NAME <> 'P$CLEANUP'"
    )
    # A group id is a value, quoted as a literal whatever it holds.
    odd = run_outcome.RunIdentity("x' OR '1'='1", None, None)
    assert "LOWER(TO_CHAR(GRAPH_RUN_GROUP_ID)) = 'x\\' or \\'1\\'=\\'1')" in run_outcome.task_history_sql("D", odd, "P$CLEANUP", NOW)


def test_the_history_window_starts_before_the_run_and_stays_within_seven_days():
    assert run_outcome.history_start(IDENTITY, NOW) == dt.datetime(2024, 3, 1, 1, 59, tzinfo=UTC)
    # A run scheduled 8 days ago (a long retry): the start is clipped to 6 days 23 hours back.
    old = run_outcome.RunIdentity(GROUP, ROOT_ID, SCHEDULED_MS - 8 * 86_400_000)
    assert run_outcome.history_start(old, NOW) == dt.datetime(2024, 2, 23, 11, 0, tzinfo=UTC)
    assert run_outcome.history_start(run_outcome.RunIdentity(GROUP, None, None), NOW) == dt.datetime(2024, 2, 23, 11, 0, tzinfo=UTC)


def test_the_runs_identity_is_read_as_snowflake_evaluates_it():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    assert run_outcome.read_run_identity(session) == IDENTITY
    assert session.statements == [run_outcome.RUN_IDENTITY_SQL]


def test_an_unparseable_scheduled_timestamp_gives_no_identity(capsys):
    # TO_TIMESTAMP_LTZ rejects what is not a timestamp (the old fakes' '20240301_020000' among them).
    session = FakeSession(graph_config(), runtime=dict(RUNTIME, CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP="20240301_020000"))
    assert run_outcome.read_run_identity(session) == run_outcome.RunIdentity(None, None, None)
    assert "Timestamp '20240301_020000' is not recognized" in capsys.readouterr().out


@pytest.mark.parametrize(
    "rows, outcome, tasks",
    [
        ([(ROOT, "SUCCEEDED"), (PROMOTE, "SUCCEEDED"), (ALERT, "SKIPPED")], "succeeded", ()),
        ([(ROOT, "SUCCEEDED"), (PROMOTE, "FAILED"), (ALERT, "SKIPPED")], "failed", (PROMOTE,)),
        ([(ROOT, "SUCCEEDED"), (TRAIN, "CANCELLED")], "cancelled", (TRAIN,)),
        # A failure outweighs a cancellation; each task named once, sorted.
        ([(TRAIN, "CANCELLED"), (PROMOTE, "FAILED"), (PROMOTE, "FAILED"), (ROOT, "FAILED_AND_AUTO_SUSPENDED")], "failed", (ROOT, PROMOTE)),
        # A retried run group: the first attempt's failure still counts.
        ([(ROOT, "SUCCEEDED"), (PROMOTE, "FAILED"), (PROMOTE, "SUCCEEDED")], "failed", (PROMOTE,)),
        ([(ROOT, "succeeded"), (PROMOTE, "failed")], "failed", (PROMOTE,)),  # case of STATE
        ([], "unknown", ()),
        ([(ROOT, "SUCCEEDED"), (PROMOTE, "EXECUTING")], "unknown", ()),
        ([(ROOT, "SUCCEEDED"), (PROMOTE, None)], "unknown", ()),
        ([(ALERT, "SKIPPED")], "unknown", ()),  # nothing ran
    ],
)
def test_judging_the_rows(rows, outcome, tasks):
    judged = run_outcome.judge(rows)
    assert (judged.outcome, judged.tasks) == (outcome, tasks)
    assert judged.succeeded == (outcome == "succeeded")


def test_details_name_what_was_seen():
    assert run_outcome.judge([(ROOT, "SUCCEEDED"), (PROMOTE, "EXECUTING")]).detail == (
        "not finished or unknown state: MORTGAGE_PIPELINE$PROMOTE_MODEL EXECUTING"
    )
    assert run_outcome.judge([(ROOT, "SUCCEEDED"), (ALERT, "SKIPPED")]).detail == "2 task run(s) succeeded or skipped"


def test_without_a_run_group_id_nothing_is_queried_and_the_outcome_is_unknown(capsys):
    session = FakeSession(graph_config())
    outcome = run_outcome.graph_run_outcome(session, "ML_DEV", run_outcome.RunIdentity(None, None, None), "MORTGAGE_PIPELINE$CLEANUP", NOW)
    assert (outcome.outcome, outcome.detail) == ("unknown", "no graph run group id")
    assert session.statements == []
    assert "unknown (no graph run group id)" in capsys.readouterr().out


def test_over_the_session_only_the_runs_rows_other_than_the_finalizer_count():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    this_run = {"RUN_ID": SCHEDULED_MS}
    session.task_history = [
        ("ML_DEV", GROUP, ROOT, "SUCCEEDED", this_run),
        ("ML_DEV", GROUP.upper(), PROMOTE, "SUCCEEDED", this_run),  # the group id's case does not matter
        ("ML_DEV", GROUP, "MORTGAGE_PIPELINE$CLEANUP", "FAILED", this_run),  # an earlier attempt's finalizer
        ("ML_DEV", "01b2c3d4-0000-0000-0000-000000000000", PROMOTE, "FAILED", {"RUN_ID": SCHEDULED_MS - 86_400_000}),  # another run
        ("ML_DEV", GROUP, TRAIN, "FAILED", {"ROOT_TASK_ID": "another-graph"}),  # another graph's task
    ]
    outcome = run_outcome.graph_run_outcome(session, "ML_DEV", IDENTITY, "MORTGAGE_PIPELINE$CLEANUP", NOW)
    assert (outcome.outcome, outcome.detail) == ("succeeded", "2 task run(s) succeeded or skipped")
    assert session.statements == [run_outcome.task_history_sql("ML_DEV", IDENTITY, "MORTGAGE_PIPELINE$CLEANUP", NOW)]


def test_a_numeric_graph_run_group_id_still_finds_the_run_by_its_run_id():
    # TASK_HISTORY documents GRAPH_RUN_GROUP_ID as a NUMBER, the runtime info its group id as a UUID:
    # if they never compare equal, RUN_ID (the original scheduled time) with ROOT_TASK_ID still does.
    session = FakeSession(graph_config(), runtime=RUNTIME)
    session.task_history = [
        ("ML_DEV", 1234567890, ROOT, "SUCCEEDED", {"RUN_ID": SCHEDULED_MS}),
        ("ML_DEV", 1234567890, PROMOTE, "FAILED", {"RUN_ID": SCHEDULED_MS}),
        ("ML_DEV", 1234567891, TRAIN, "FAILED", {"RUN_ID": SCHEDULED_MS + 3_600_000}),
    ]
    outcome = run_outcome.graph_run_outcome(session, "ML_DEV", IDENTITY, "MORTGAGE_PIPELINE$CLEANUP", NOW)
    assert (outcome.outcome, outcome.tasks) == ("failed", (PROMOTE,))


def test_rows_scheduled_before_the_window_are_not_read():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    session.task_history = [
        ("ML_DEV", GROUP, ROOT, "SUCCEEDED", {"SCHEDULED_TIME": dt.datetime(2024, 3, 1, 2, 0, tzinfo=UTC)}),
        ("ML_DEV", GROUP, PROMOTE, "FAILED", {"SCHEDULED_TIME": dt.datetime(2024, 2, 29, 2, 0, tzinfo=UTC)}),
    ]
    assert run_outcome.graph_run_outcome(session, "ML_DEV", IDENTITY, "MORTGAGE_PIPELINE$CLEANUP", NOW).outcome == "succeeded"


def test_any_error_of_the_query_gives_unknown():
    class Broken:
        def sql(self, query):
            raise RuntimeError("connection reset")

    outcome = run_outcome.graph_run_outcome(Broken(), "ML_DEV", IDENTITY, "P$CLEANUP", NOW)
    assert (outcome.outcome, outcome.detail) == ("unknown", "task history query failed: connection reset")
    assert run_outcome.read_run_identity(Broken()) == run_outcome.RunIdentity(None, None, None)
