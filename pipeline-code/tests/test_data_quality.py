"""The data-quality gate (mlpipeline/data_quality.py, tasks/check_data_quality.py).

What Snowflake does is stood in for at one seam: the rows of
SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS (https://docs.snowflake.com/sql-reference/functions/system_evaluate_data_quality_expectations:
metric_name, expectation_name, expectation_expression, arguments, value, expectation_violated). In the
graph-run tests those rows are computed from the source data in Snowpark's local testing mode
(ROW_COUNT as the row count, NULL_COUNT as the rows whose column is NULL, per
https://docs.snowflake.com/en/sql-reference/functions/dmf_row_count and dmf_null_count), and the
expectation holds when its bounds do, as `VALUE >= min AND VALUE <= max` says.

A graph run follows Snowflake's rule for a failed task: its successors do not run
(https://docs.snowflake.com/en/user-guide/tasks-graphs), so a failing gate means nothing trains.
"""

import json

import pandas as pd
import pytest

from fakes import FakeSession
from helpers import graph_config, runtime_for, task_dependents_rows
from mlpipeline import data_quality
from mlpipeline.config import ConfigError, parse_config
from tasks import check_data_quality

SOURCE = "ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA"
DECLARED = "SOURCE_NOT_EMPTY,LOAN_ID_PRESENT"
GRAPH = {
    "name": "MORTGAGE_PIPELINE",
    "tasks": [
        {"name": "CHECK_DATA_QUALITY", "entrypoint": "tasks/check_data_quality.py"},
        {"name": "PREPARE_DATA", "after": ["CHECK_DATA_QUALITY"], "entrypoint": "tasks/prepare_data.py"},
        {"name": "TRAIN_MODEL", "after": ["PREPARE_DATA"], "entrypoint": "tasks/train_model.py", "job": {"payload": "jobs/train.py", "targetInstances": 1}},
    ],
}


def row(name, metric, expression, arguments, value, violated):
    return (metric, name, expression, json.dumps(arguments), json.dumps(value), violated)


def session(rows=None, exists=True, sample_data=False, declared=DECLARED):
    config = graph_config(data_quality_expectations=declared, sample_data=sample_data)
    if not sample_data:
        config.pop("sample_data_file")
    s = FakeSession(config, runtime=runtime_for("MORTGAGE_PIPELINE", "CHECK_DATA_QUALITY"), dependents=task_dependents_rows(GRAPH))
    if exists:
        s.add_table(SOURCE, pd.DataFrame({"LOAN_ID": [1]}), "20240301_100000")
    if rows is not None:
        s.expectations[SOURCE] = rows
    return s


def test_the_program_writes_the_declared_names_into_the_graph_config():
    assert parse_config(graph_config(data_quality_expectations=DECLARED)).data_quality_expectations == ("SOURCE_NOT_EMPTY", "LOAN_ID_PRESENT")
    assert parse_config(graph_config()).data_quality_expectations == ()
    with pytest.raises(ConfigError, match=r"^graph config key 'data_quality_expectations' must be comma-separated expectation names, got 'A;B'$"):
        parse_config(graph_config(data_quality_expectations="A;B"))


def test_holding_expectations_pass_and_the_gate_says_which():
    s = session([
        row("SOURCE_NOT_EMPTY", "ROW_COUNT", "VALUE >= 1000", [], 5000, False),
        row("LOAN_ID_PRESENT", "NULL_COUNT", "VALUE <= 0", ["LOAN_ID"], 0, False),
    ])
    value = check_data_quality.main(s)
    assert json.loads(value) == {"data_quality": "passed", "expectations": ["SOURCE_NOT_EMPTY", "LOAN_ID_PRESENT"]}
    assert s.statements_matching("SYSTEM\\$EVALUATE") == [
        "SELECT METRIC_NAME, EXPECTATION_NAME, EXPECTATION_EXPRESSION, ARGUMENTS, VALUE, EXPECTATION_VIOLATED "
        "FROM TABLE(SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS(REF_ENTITY_NAME => 'ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA'))"
    ]


def test_a_violated_expectation_fails_the_gate_naming_itself_and_its_value():
    s = session([
        row("SOURCE_NOT_EMPTY", "ROW_COUNT", "VALUE >= 1000", [], 5000, False),
        row("LOAN_ID_PRESENT", "NULL_COUNT", "VALUE <= 0", ["LOAN_ID"], 12, True),
    ])
    with pytest.raises(data_quality.DataQualityError) as error:
        check_data_quality.main(s)
    assert str(error.value) == (
        "data quality gate: 1 expectation(s) violated on ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA: "
        "LOAN_ID_PRESENT (NULL_COUNT on LOAN_ID): value 12, expected VALUE <= 0"
    )
    assert s.return_values == []


def test_a_declared_expectation_that_is_not_attached_never_passes():
    s = session([row("SOURCE_NOT_EMPTY", "ROW_COUNT", "VALUE >= 1000", [], 5000, False)])
    with pytest.raises(data_quality.DataQualityError) as error:
        check_data_quality.main(s)
    assert str(error.value) == (
        "data quality gate: not attached to ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA (run `pulumi up` for this stack): LOAN_ID_PRESENT"
    )


def test_with_a_branch_list_a_violation_takes_the_alert_branch():
    s = session([
        row("SOURCE_NOT_EMPTY", "ROW_COUNT", "VALUE >= 1000", [], 12, True),
        row("LOAN_ID_PRESENT", "NULL_COUNT", "VALUE <= 0", ["LOAN_ID"], 0, False),
    ])
    assert data_quality.run_gate(s, "PREPARE_DATA,SEND_DATA_ALERT") == "SEND_DATA_ALERT"
    assert s.return_values == ["SEND_DATA_ALERT"]
    passing = session([
        row("SOURCE_NOT_EMPTY", "ROW_COUNT", "VALUE >= 1000", [], 1000, False),
        row("LOAN_ID_PRESENT", "NULL_COUNT", "VALUE <= 0", ["LOAN_ID"], 0, False),
    ])
    assert data_quality.run_gate(passing, "PREPARE_DATA,SEND_DATA_ALERT") == "PREPARE_DATA"


def test_a_missing_source_fails_unless_the_sample_is_loaded_after_the_gate(capsys):
    with pytest.raises(data_quality.DataQualityError, match=r"^data quality gate: the source ML_DEV\.DATA\.MORTGAGE_LENDING_DEMO_DATA does not exist"):
        check_data_quality.main(session(exists=False))
    value = check_data_quality.main(session(exists=False, sample_data=True))
    assert json.loads(value)["data_quality"] == "passed"
    assert "This run is not gated." in capsys.readouterr().out


# -- a graph run with the source in Snowpark's local testing mode ---------------------------------------------


@pytest.fixture(scope="module")
def local():
    s = pytest.importorskip("snowpark_local").session()
    yield s
    s.close()


# The expectations pipeline.yaml would declare: name -> (metric, column, min, max).
EXPECTATIONS = {"SOURCE_NOT_EMPTY": ("ROW_COUNT", None, 3, None), "LOAN_ID_PRESENT": ("NULL_COUNT", "LOAN_ID", None, 0)}


def evaluated_in_local_testing(frame):
    """SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS over ``frame`` (a Snowpark DataFrame of the local session)."""
    from snowflake.snowpark.functions import col

    rows = []
    for name, (metric, column, low, high) in EXPECTATIONS.items():
        value = int(frame.count() if metric == "ROW_COUNT" else frame.where(col(column).is_null()).count())
        holds = (low is None or value >= low) and (high is None or value <= high)
        expression = " AND ".join(([f"VALUE >= {low}"] if low is not None else []) + ([f"VALUE <= {high}"] if high is not None else []))
        rows.append(row(name, metric, expression, [column] if column else [], value, not holds))
    return rows


def run_graph(s):
    """Runs CHECK_DATA_QUALITY, then its successors only if it succeeded (Snowflake's rule); returns task -> state."""
    trained = []
    states = {}
    try:
        check_data_quality.main(s)
        states["CHECK_DATA_QUALITY"] = "SUCCEEDED"
    except data_quality.DataQualityError as error:
        states["CHECK_DATA_QUALITY"] = f"FAILED: {error}"
    for task in ("PREPARE_DATA", "TRAIN_MODEL"):
        if states["CHECK_DATA_QUALITY"] != "SUCCEEDED":
            states[task] = "NOT RUN"
        else:
            trained.append(task)  # stands for the task's run; what matters here is whether it is reached
            states[task] = "SUCCEEDED"
    return states, trained


def test_a_source_with_null_loan_ids_stops_the_run_before_training(local):
    frame = local.create_dataframe(pd.DataFrame({"LOAN_ID": [1.0, None, 3.0, None], "LOAN_AMOUNT_000S": [10, 20, 30, 40]}))
    s = session(lambda: evaluated_in_local_testing(frame), declared="SOURCE_NOT_EMPTY,LOAN_ID_PRESENT")
    states, trained = run_graph(s)
    assert states == {
        "CHECK_DATA_QUALITY": "FAILED: data quality gate: 1 expectation(s) violated on ML_DEV.DATA.MORTGAGE_LENDING_DEMO_DATA: "
        "LOAN_ID_PRESENT (NULL_COUNT on LOAN_ID): value 2, expected VALUE <= 0",
        "PREPARE_DATA": "NOT RUN",
        "TRAIN_MODEL": "NOT RUN",
    }
    assert trained == []


def test_a_clean_source_goes_on_to_training(local):
    frame = local.create_dataframe(pd.DataFrame({"LOAN_ID": [1, 2, 3], "LOAN_AMOUNT_000S": [10, 20, 30]}))
    states, trained = run_graph(session(lambda: evaluated_in_local_testing(frame)))
    assert states == {"CHECK_DATA_QUALITY": "SUCCEEDED", "PREPARE_DATA": "SUCCEEDED", "TRAIN_MODEL": "SUCCEEDED"}
    assert trained == ["PREPARE_DATA", "TRAIN_MODEL"]
