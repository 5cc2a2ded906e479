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


def test_the_history_query_text():
    assert run_outcome.task_history_sql("ML_PROD", "1234567890", "P$CLEANUP") == (
        "SELECT NAME, STATE FROM TABLE(ML_PROD.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000))"
        " WHERE TO_CHAR(GRAPH_RUN_GROUP_ID) = '1234567890' AND NAME <> 'P$CLEANUP'"
    )
    # A group id is a value, quoted as a literal whatever it holds.
    assert run_outcome.task_history_sql("D", "x' OR '1'='1", "P$CLEANUP").endswith(
        "TO_CHAR(GRAPH_RUN_GROUP_ID) = 'x\\' OR \\'1\\'=\\'1' AND NAME <> 'P$CLEANUP'"
    )


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
    outcome = run_outcome.graph_run_outcome(session, "ML_DEV", None, "MORTGAGE_PIPELINE$CLEANUP")
    assert (outcome.outcome, outcome.detail) == ("unknown", "no graph run group id")
    assert session.statements == []
    assert "unknown (no graph run group id)" in capsys.readouterr().out


def test_over_the_session_only_the_groups_rows_other_than_the_finalizer_count():
    session = FakeSession(graph_config())
    session.task_history = [
        ("ML_DEV", "42", ROOT, "SUCCEEDED"),
        ("ML_DEV", "42", PROMOTE, "SUCCEEDED"),
        ("ML_DEV", "42", "MORTGAGE_PIPELINE$CLEANUP", "FAILED"),  # an earlier attempt's finalizer
        ("ML_DEV", "41", PROMOTE, "FAILED"),  # another graph run
    ]
    outcome = run_outcome.graph_run_outcome(session, "ML_DEV", "42", "MORTGAGE_PIPELINE$CLEANUP")
    assert outcome.outcome == "succeeded"
    assert session.statements == [
        "SELECT NAME, STATE FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000))"
        " WHERE TO_CHAR(GRAPH_RUN_GROUP_ID) = '42' AND NAME <> 'MORTGAGE_PIPELINE$CLEANUP'"
    ]


def test_any_error_of_the_query_gives_unknown():
    class Broken:
        def sql(self, query):
            raise RuntimeError("connection reset")

    outcome = run_outcome.graph_run_outcome(Broken(), "ML_DEV", "42", "P$CLEANUP")
    assert (outcome.outcome, outcome.detail) == ("unknown", "task history query failed: connection reset")
