import json

import pytest

from fakes import FakeRow, FakeSession, FakeSQLError
from helpers import RUN_ID, RUNTIME, graph_config, runtime_for, task_dependents_rows
from mlpipeline.config import ConfigError
from mlpipeline.graph_context import (
    MAX_RETURN_VALUE_BYTES,
    GraphContext,
    GraphContextError,
    ReturnValueTooLarge,
    check_return_value,
    object_name,
    parse_branch_targets,
)

# A diamond with a tail, under a root that is not the sample's: A -> (B, C) -> D -> E, F after the root.
#   E's ancestors by distance: [D], [B, C], [A], [ROOT]
DIAMOND = {
    "name": "OTHER_PIPE",
    "tasks": [
        {"name": "A"},
        {"name": "B", "after": ["A"]},
        {"name": "C", "after": ["A"]},
        {"name": "D", "after": ["B", "C"]},
        {"name": "E", "after": ["D"]},
        {"name": "F"},
        {"name": "DONE", "finalizer": True},
    ],
}


def diamond_session(task, values=None, **runtime):
    return FakeSession(
        graph_config(pipeline_name="OTHER_PIPE"),
        predecessors={f"OTHER_PIPE${k}" if k != "OTHER_PIPE" else k: v for k, v in (values or {}).items()},
        runtime=runtime_for("OTHER_PIPE", task, **runtime),
        dependents=task_dependents_rows(DIAMOND),
    )


def test_config_is_read_once_through_the_graph_function():
    session = FakeSession(graph_config())
    ctx = GraphContext(session)
    assert ctx.config().compute_pool == "ML_DEV_POOL"
    assert ctx.config().pipeline_name == "MORTGAGE_PIPELINE"
    assert session.statements == ["CALL SYSTEM$GET_TASK_GRAPH_CONFIG()"]


def test_a_graph_without_config_is_an_error():
    with pytest.raises(GraphContextError, match="SYSTEM\\$GET_TASK_GRAPH_CONFIG returned nothing"):
        GraphContext(FakeSession(None)).config()


def test_a_missing_config_key_is_an_error_naming_it():
    config = graph_config()
    del config["artifact_stage"]
    with pytest.raises(ConfigError, match="missing key\\(s\\): artifact_stage"):
        GraphContext(FakeSession(json.dumps(config))).config()


# -- the task's own name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, root",
    [
        ("ML_DEV.PIPELINE.OTHER_PIPE$E", "ML_DEV.PIPELINE.OTHER_PIPE"),  # qualified, as SYSTEM$CURRENT_USER_TASK_NAME's example
        ("OTHER_PIPE$E", "OTHER_PIPE"),  # unqualified: the documentation does not say which
        ('"ML_DEV"."PIPELINE"."OTHER_PIPE$E"', '"ML_DEV"."PIPELINE"."OTHER_PIPE"'),
    ],
)
def test_the_task_learns_its_name_and_root_from_the_runtime_info(current, root):
    session = diamond_session("E", CURRENT_TASK_NAME=current, CURRENT_ROOT_TASK_NAME=root)
    ctx = GraphContext(session)
    assert (ctx.task_name(), ctx.root_task_name(), ctx.label()) == ("OTHER_PIPE$E", "OTHER_PIPE", "E")
    assert ctx.label() == "E"
    assert session.statements == [
        "SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_NAME')), TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_NAME'))"
    ]


def test_outside_a_graph_run_the_task_has_no_name():
    with pytest.raises(GraphContextError, match="CURRENT_TASK_NAME.*returned nothing"):
        GraphContext(FakeSession(graph_config(), runtime=RUNTIME)).task_name()


@pytest.mark.parametrize(
    "name, expected",
    [
        ("T", "T"),
        ("DB.S.P$T", "P$T"),
        ('DB.S."P$T"', "P$T"),
        ('"DB"."S"."a.b""c"', 'a.b"c'),  # a quoted part may hold dots and doubled quotes
        ('  "P$T" ', "P$T"),
    ],
)
def test_object_name_is_the_last_part_unquoted(name, expected):
    assert object_name(name) == expected


# -- the graph ------------------------------------------------------------------------------------------


def test_the_graph_comes_from_task_dependents_of_the_root():
    session = diamond_session("E")
    ctx = GraphContext(session)
    assert ctx.predecessors() == ["OTHER_PIPE$D"]
    assert ctx.ancestors() == [["OTHER_PIPE$D"], ["OTHER_PIPE$B", "OTHER_PIPE$C"], ["OTHER_PIPE$A"], ["OTHER_PIPE"]]
    (query,) = session.statements_matching("TASK_DEPENDENTS")
    # Database and schema from the graph config (schema of the tasks), the root from the runtime.
    assert query == (
        "SELECT * FROM TABLE(ML_DEV.INFORMATION_SCHEMA.TASK_DEPENDENTS("
        "TASK_NAME => 'ML_DEV.PIPELINE.\"OTHER_PIPE\"', RECURSIVE => TRUE))"
    )
    ctx.ancestors()
    assert len(session.statements_matching("TASK_DEPENDENTS")) == 1  # read once


def test_a_task_right_after_the_root_has_only_the_root_as_ancestor():
    assert GraphContext(diamond_session("F")).ancestors() == [["OTHER_PIPE"]]


def test_predecessors_are_read_in_any_documented_name_form_and_column_case():
    # PREDECESSORS unquoted, and as a list rather than a JSON string.
    session = diamond_session("E")
    session.dependents = [
        FakeRow({"name": "OTHER_PIPE", "database_name": "ML_DEV", "schema_name": "PIPELINE", "predecessors": "[]"}),
        FakeRow({"name": "OTHER_PIPE$D", "database_name": "ML_DEV", "schema_name": "PIPELINE", "predecessors": ["ML_DEV.PIPELINE.OTHER_PIPE"]}),
        FakeRow({"name": "OTHER_PIPE$E", "database_name": "ML_DEV", "schema_name": "PIPELINE", "predecessors": '["ML_DEV.PIPELINE.OTHER_PIPE$D"]'}),
    ]
    assert GraphContext(session).ancestors() == [["OTHER_PIPE$D"], ["OTHER_PIPE"]]


def test_task_dependents_columns_are_read_in_either_case():
    # The documentation's output table names the columns in lower case; upper case reads the same.
    session = diamond_session("E")
    session.dependents = [FakeRow({key.upper(): value for key, value in row.as_dict().items()}) for row in task_dependents_rows(DIAMOND)]
    assert GraphContext(session).ancestors() == [["OTHER_PIPE$D"], ["OTHER_PIPE$B", "OTHER_PIPE$C"], ["OTHER_PIPE$A"], ["OTHER_PIPE"]]


def test_a_task_missing_from_the_graph_is_an_error_naming_what_is_there():
    session = diamond_session("E", CURRENT_TASK_NAME="ML_DEV.PIPELINE.OTHER_PIPE$GONE")
    with pytest.raises(GraphContextError, match="OTHER_PIPE\\$GONE: not among the tasks TASK_DEPENDENTS reports for OTHER_PIPE"):
        GraphContext(session).predecessors()


def test_a_root_task_dependents_does_not_know_is_snowflakes_error():
    session = diamond_session("E", CURRENT_ROOT_TASK_NAME="ML_DEV.PIPELINE.NOT_THERE")
    with pytest.raises(FakeSQLError, match="does not exist or not authorized"):
        GraphContext(session).graph()


# -- ancestors' outputs, found by what they hold ------------------------------------------------------------


def test_the_nearest_ancestor_with_the_key_is_used():
    # D (distance 1) and A (distance 3) both return "dataset": D is nearer. B has "model_path".
    values = {"D": '{"dataset": "from D"}', "B": '{"model_path": "@m"}', "C": "plain text", "A": '{"dataset": "from A"}'}
    session = diamond_session("E", values)
    ctx = GraphContext(session)
    assert ctx.ancestor_json("dataset") == {"dataset": "from D"}
    assert ctx.ancestor_json("model_path") == {"model_path": "@m"}
    calls = session.statements_matching("GET_PREDECESSOR_RETURN_VALUE")
    # D once (values are cached), then the level B, C in PREDECESSORS order.
    assert calls == [
        "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('OTHER_PIPE$D')",
        "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('OTHER_PIPE$B')",
        "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('OTHER_PIPE$C')",
    ]


def test_values_that_are_no_json_object_or_lack_the_key_are_passed_over():
    values = {"D": "[1, 2]", "B": "", "C": '{"other": 1}', "A": '{"dataset": "from A"}', "OTHER_PIPE": "scheduled"}
    assert GraphContext(diamond_session("E", values)).ancestor_json("dataset") == {"dataset": "from A"}


def test_two_ancestors_at_the_same_distance_with_the_key_are_ambiguous():
    values = {"B": '{"dataset": 1}', "C": '{"dataset": 2}'}
    with pytest.raises(GraphContextError, match="ancestors OTHER_PIPE\\$B and OTHER_PIPE\\$C both return 'dataset'"):
        GraphContext(diamond_session("E", values)).ancestor_json("dataset")


def test_no_ancestor_with_the_key_is_an_error_naming_the_ancestors_read():
    with pytest.raises(GraphContextError) as error:
        GraphContext(diamond_session("D", {"B": '{"a": 1}'})).ancestor_json("metrics")
    assert str(error.value) == (
        "OTHER_PIPE$D: no ancestor returned a JSON object with 'metrics' "
        "(ancestors read: OTHER_PIPE$B, OTHER_PIPE$C, OTHER_PIPE$A, OTHER_PIPE)"
    )


def test_an_ancestor_whose_value_cannot_be_read_is_passed_over_and_named_if_nothing_is_found():
    session = diamond_session("E", {"B": '{"dataset": "from B"}'})
    call = session.call

    def d_unreadable(name, *args):
        if args == ("OTHER_PIPE$D",):
            session.statements.append("CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('OTHER_PIPE$D')")
            raise FakeSQLError("Task OTHER_PIPE$D is not a predecessor of the current task or is not enabled.")
        return call(name, *args)

    session.call = d_unreadable
    ctx = GraphContext(session)
    assert ctx.ancestor_json("dataset") == {"dataset": "from B"}
    with pytest.raises(GraphContextError) as error:
        ctx.ancestor_json("metrics")
    assert str(error.value) == (
        "OTHER_PIPE$E: no ancestor returned a JSON object with 'metrics' (ancestors read: "
        "OTHER_PIPE$D (unreadable: Task OTHER_PIPE$D is not a predecessor of the current task or is not enabled.), "
        "OTHER_PIPE$B, OTHER_PIPE$C, OTHER_PIPE$A, OTHER_PIPE)"
    )


def test_a_name_that_is_not_an_ancestor_fails_with_snowflakes_error():
    with pytest.raises(FakeSQLError, match="OTHER_PIPE\\$E is not a predecessor"):
        GraphContext(diamond_session("D")).predecessor_value("OTHER_PIPE$E")


# -- what the program passes ------------------------------------------------------------------------------


@pytest.mark.parametrize("argument, expected", [("PROMOTE_MODEL,SEND_ALERT", ("PROMOTE_MODEL", "SEND_ALERT")), (" A , B ,C", ("A", "B", "C"))])
def test_branch_targets_keep_the_branch_lists_order(argument, expected):
    assert parse_branch_targets(argument) == expected


@pytest.mark.parametrize("argument", [None, "", "  ", "A,", "A,,B", "A,A", 3])
def test_unusable_branch_targets_are_errors(argument):
    with pytest.raises(ValueError, match="branch_targets"):
        parse_branch_targets(argument, "GATE")


def test_return_value_is_set_and_returned():
    session = FakeSession(graph_config())
    assert GraphContext(session).set_return_value("PROMOTE_MODEL") == "PROMOTE_MODEL"
    assert session.return_values == ["PROMOTE_MODEL"]
    assert session.statements == ["CALL SYSTEM$SET_RETURN_VALUE('PROMOTE_MODEL')"]


def test_none_sets_no_return_value():
    session = FakeSession(graph_config())
    assert GraphContext(session).set_return_value(None) is None
    assert session.statements == []


def test_return_value_size_is_checked_in_utf8_bytes_before_it_is_set():
    assert MAX_RETURN_VALUE_BYTES == 10_000
    assert check_return_value("a" * 10_000) == "a" * 10_000
    with pytest.raises(ReturnValueTooLarge, match="10001 bytes"):
        check_return_value("a" * 10_001)
    # 3,334 euro signs are 3,334 characters but 10,002 bytes of UTF-8.
    with pytest.raises(ReturnValueTooLarge, match="10002 bytes"):
        check_return_value("\u20ac" * 3334)
    session = FakeSession(graph_config(), runtime=runtime_for("MORTGAGE_PIPELINE", "TRAIN_MODEL"))
    with pytest.raises(ReturnValueTooLarge, match="^TRAIN_MODEL: task return value is 20000 bytes"):
        GraphContext(session).set_return_value("x" * 20_000)
    assert session.statements_matching("SET_RETURN_VALUE") == [] and session.return_values == []


def test_return_value_must_be_a_string():
    with pytest.raises(TypeError):
        check_return_value({"a": 1})


def test_run_id_comes_from_the_graph_run_and_is_stable_across_tasks_and_retries():
    first = GraphContext(FakeSession(graph_config(), runtime=RUNTIME))
    retry = GraphContext(FakeSession(graph_config(), runtime=RUNTIME))
    assert first.run_id() == RUN_ID
    assert retry.run_id() == RUN_ID
    other = dict(RUNTIME, CURRENT_TASK_GRAPH_RUN_GROUP_ID="01b2c3d4-9999")
    assert GraphContext(FakeSession(graph_config(), runtime=other)).run_id() == "RUN_20240301_020000_01B2C3D4_9999"


def test_run_id_reads_the_runtime_info_of_the_current_graph_run():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    GraphContext(session).run_id()
    (statement,) = session.statements
    assert "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')" in statement
    assert "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')" in statement
    assert "LAST_SUCCESSFUL" not in statement


def test_without_a_graph_run_there_is_no_run_id():
    with pytest.raises(GraphContextError, match="CURRENT_TASK_GRAPH_RUN_GROUP_ID"):
        GraphContext(FakeSession(graph_config(), runtime={})).run_id()


def test_runtime_info_property_names_are_checked():
    session = FakeSession(graph_config(), runtime={"CURRENT_ROOT_TASK_NAME": "MORTGAGE_PIPELINE"})
    ctx = GraphContext(session)
    assert ctx.runtime_info("CURRENT_ROOT_TASK_NAME") == "MORTGAGE_PIPELINE"
    with pytest.raises(ValueError):
        ctx.runtime_info("X') OR ('1")
