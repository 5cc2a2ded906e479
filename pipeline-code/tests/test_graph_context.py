import json

import pytest

from fakes import FakeSession, FakeSQLError
from helpers import RUN_ID, RUNTIME, graph_config
from mlpipeline.config import ConfigError
from mlpipeline.graph_context import (
    MAX_RETURN_VALUE_BYTES,
    GraphContext,
    GraphContextError,
    ReturnValueTooLarge,
    check_return_value,
)


def test_config_is_read_once_through_the_graph_function():
    session = FakeSession(graph_config())
    ctx = GraphContext(session, "PREPARE_DATA")
    assert ctx.config().compute_pool == "ML_DEV_POOL"
    assert ctx.config().pipeline_name == "MORTGAGE_PIPELINE"
    assert session.statements == ["CALL SYSTEM$GET_TASK_GRAPH_CONFIG()"]


def test_a_graph_without_config_is_an_error():
    with pytest.raises(GraphContextError, match="PREPARE_DATA: SYSTEM\\$GET_TASK_GRAPH_CONFIG returned nothing"):
        GraphContext(FakeSession(None), "PREPARE_DATA").config()


def test_a_missing_config_key_is_an_error_naming_it():
    config = graph_config()
    del config["artifact_stage"]
    with pytest.raises(ConfigError, match="missing key\\(s\\): artifact_stage"):
        GraphContext(FakeSession(json.dumps(config)), "CLEANUP").config()


def test_predecessor_is_read_by_its_graph_name():
    session = FakeSession(graph_config(pipeline_name="OTHER_PIPE"), predecessors={"OTHER_PIPE$PREPARE_DATA": '{"a": 1}'})
    assert GraphContext(session, "TRAIN_MODEL").predecessor_json("PREPARE_DATA") == {"a": 1}
    assert "CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('OTHER_PIPE$PREPARE_DATA')" in session.statements


@pytest.mark.parametrize("value, message", [("", "returned no value"), (None, "returned no value"), ("not json", "is not JSON"), ("[1]", "not a JSON object")])
def test_unusable_predecessor_values_are_errors_naming_the_task(value, message):
    session = FakeSession(graph_config(), predecessors={"MORTGAGE_PIPELINE$TRAIN_MODEL": value})
    with pytest.raises(GraphContextError, match=message) as error:
        GraphContext(session, "CHECK_MODEL_QUALITY").predecessor_json("TRAIN_MODEL")
    assert "MORTGAGE_PIPELINE$TRAIN_MODEL" in str(error.value)


def test_a_task_that_is_not_a_predecessor_fails_with_snowflakes_error():
    session = FakeSession(graph_config())
    with pytest.raises(FakeSQLError, match="MORTGAGE_PIPELINE\\$PREPARE_DATA is not a predecessor"):
        GraphContext(session, "TRAIN_MODEL").predecessor_value("PREPARE_DATA")


def test_return_value_is_set_and_returned():
    session = FakeSession(graph_config())
    assert GraphContext(session, "X").set_return_value("PROMOTE_MODEL") == "PROMOTE_MODEL"
    assert session.return_values == ["PROMOTE_MODEL"]
    assert session.statements == ["CALL SYSTEM$SET_RETURN_VALUE('PROMOTE_MODEL')"]


def test_none_sets_no_return_value():
    session = FakeSession(graph_config())
    assert GraphContext(session, "X").set_return_value(None) is None
    assert session.statements == []


def test_return_value_size_is_checked_in_utf8_bytes_before_it_is_set():
    assert MAX_RETURN_VALUE_BYTES == 10_000
    assert check_return_value("a" * 10_000) == "a" * 10_000
    with pytest.raises(ReturnValueTooLarge, match="10001 bytes"):
        check_return_value("a" * 10_001)
    # 3,334 euro signs are 3,334 characters but 10,002 bytes of UTF-8.
    with pytest.raises(ReturnValueTooLarge, match="10002 bytes"):
        check_return_value("\u20ac" * 3334)
    session = FakeSession(graph_config())
    with pytest.raises(ReturnValueTooLarge, match="TRAIN_MODEL return value"):
        GraphContext(session, "TRAIN_MODEL").set_return_value("x" * 20_000)
    assert session.statements == [] and session.return_values == []


def test_return_value_must_be_a_string():
    with pytest.raises(TypeError):
        check_return_value({"a": 1})


def test_run_id_comes_from_the_graph_run_and_is_stable_across_tasks_and_retries():
    first = GraphContext(FakeSession(graph_config(), runtime=RUNTIME), "PROMOTE_MODEL")
    retry = GraphContext(FakeSession(graph_config(), runtime=RUNTIME), "CLEANUP")
    assert first.run_id() == RUN_ID
    assert retry.run_id() == RUN_ID
    other = dict(RUNTIME, CURRENT_TASK_GRAPH_RUN_GROUP_ID="01b2c3d4-9999")
    assert GraphContext(FakeSession(graph_config(), runtime=other), "X").run_id() == "RUN_20240301_020000_01B2C3D4_9999"


def test_run_id_reads_the_runtime_info_of_the_current_graph_run():
    session = FakeSession(graph_config(), runtime=RUNTIME)
    GraphContext(session, "X").run_id()
    (statement,) = session.statements
    assert "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')" in statement
    assert "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')" in statement
    assert "LAST_SUCCESSFUL" not in statement


def test_without_a_graph_run_there_is_no_run_id():
    with pytest.raises(GraphContextError, match="CURRENT_TASK_GRAPH_RUN_GROUP_ID"):
        GraphContext(FakeSession(graph_config(), runtime={}), "PROMOTE_MODEL").run_id()


def test_runtime_info_property_names_are_checked():
    session = FakeSession(graph_config(), runtime={"CURRENT_ROOT_TASK_NAME": "MORTGAGE_PIPELINE"})
    ctx = GraphContext(session, "X")
    assert ctx.runtime_info("CURRENT_ROOT_TASK_NAME") == "MORTGAGE_PIPELINE"
    with pytest.raises(ValueError):
        ctx.runtime_info("X') OR ('1")
