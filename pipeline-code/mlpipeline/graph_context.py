"""Task graph context: graph config, predecessor return values, the task's own return value, run id.

The SQL equivalents of snowflake.core's TaskContext (reference: snowflake-semantics.md §8), issued
through the task's Snowpark session:

- ``CALL SYSTEM$GET_TASK_GRAPH_CONFIG()`` (JSON string)
- ``CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<PIPELINE>$<TASK>')``
- ``CALL SYSTEM$SET_RETURN_VALUE('<value>')`` (at most 10 kB; checked before the call)
- ``SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('<property>'))``
"""

import json
import re
from typing import Any, Optional

from mlpipeline.config import PipelineConfig, parse_config

# Task names of pipeline.yaml that the Python code refers to (the pipeline definition, not the
# environment: the program creates each as <pipeline_name>$<TASK>). tests/test_pipeline_definition.py
# checks them against pipeline.yaml.
PREPARE_DATA = "PREPARE_DATA"
TRAIN_MODEL = "TRAIN_MODEL"
CHECK_MODEL_QUALITY = "CHECK_MODEL_QUALITY"
PROMOTE_MODEL = "PROMOTE_MODEL"
SEND_ALERT = "SEND_ALERT"
CLEANUP = "CLEANUP"

# SYSTEM$SET_RETURN_VALUE accepts at most 10 kB; 10,000 bytes of UTF-8 is the conservative reading.
MAX_RETURN_VALUE_BYTES = 10_000


class GraphContextError(RuntimeError):
    """A graph function returned nothing usable (no config, no predecessor value, no run id)."""


class ReturnValueTooLarge(ValueError):
    pass


def check_return_value(value: str, task: str = "task") -> str:
    """Return ``value`` if it fits SYSTEM$SET_RETURN_VALUE's limit, else raise naming the size."""
    if not isinstance(value, str):
        raise TypeError(f"{task} return value must be a string, got {type(value).__name__}")
    size = len(value.encode("utf-8"))
    if size > MAX_RETURN_VALUE_BYTES:
        raise ReturnValueTooLarge(
            f"{task} return value is {size} bytes of UTF-8; SYSTEM$SET_RETURN_VALUE allows at most {MAX_RETURN_VALUE_BYTES}"
        )
    return value


def _safe_token(value: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", value.upper()).strip("_")


class GraphContext:
    """The graph functions for one task run, over the task's Snowpark session (or a fake of it)."""

    def __init__(self, session: Any, task: str):
        self.session = session
        self.task = task
        self._raw_config: Optional[dict] = None
        self._config: Optional[PipelineConfig] = None

    def raw_config(self) -> dict:
        if self._raw_config is None:
            value = self.session.call("SYSTEM$GET_TASK_GRAPH_CONFIG")
            if value is None or value == "":
                raise GraphContextError(
                    f"{self.task}: SYSTEM$GET_TASK_GRAPH_CONFIG returned nothing; the root task has no CONFIG"
                )
            parsed = json.loads(value) if isinstance(value, (str, bytes)) else value
            if not isinstance(parsed, dict):
                raise GraphContextError(f"{self.task}: the graph config is not a JSON object: {value!r:.200}")
            self._raw_config = parsed
        return self._raw_config

    def config(self) -> PipelineConfig:
        if self._config is None:
            self._config = parse_config(self.raw_config())
        return self._config

    def predecessor_value(self, task: str) -> str:
        """Return value of an ancestor task (Snowflake returns the nearest ancestor with that name)."""
        name = self.config().task_name(task)
        value = self.session.call("SYSTEM$GET_PREDECESSOR_RETURN_VALUE", name)
        if value is None or value == "":
            raise GraphContextError(f"{self.task}: predecessor {name} returned no value")
        return str(value)

    def predecessor_json(self, task: str) -> dict:
        text = self.predecessor_value(task)
        try:
            value = json.loads(text)
        except ValueError as error:
            raise GraphContextError(
                f"{self.task}: return value of {self.config().task_name(task)} is not JSON: {text!r:.200}"
            ) from error
        if not isinstance(value, dict):
            raise GraphContextError(f"{self.task}: return value of {self.config().task_name(task)} is not a JSON object")
        return value

    def set_return_value(self, value: Optional[str]) -> Optional[str]:
        """Set the task's return value (None sets nothing) and return it, for main() to return too."""
        if value is None:
            return None
        check_return_value(value, self.task)
        self.session.call("SYSTEM$SET_RETURN_VALUE", value)
        return value

    def runtime_info(self, prop: str) -> Optional[str]:
        if not re.match(r"^[A-Z_]+$", prop):
            raise ValueError(f"not a runtime info property: {prop!r}")
        rows = self.session.sql(f"SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('{prop}'))").collect()
        value = rows[0][0] if rows else None
        return None if value in (None, "") else str(value)

    def run_id(self) -> str:
        """Identifier of this graph run, the same in every task and in a retry of the run.

        Built from SYSTEM$TASK_RUNTIME_INFO: the graph run group id (unique per graph run, kept by
        RETRY LAST) and the original scheduled timestamp (kept by retries) for readability. Never
        guessed from "the latest run": if the run group id is unavailable the task fails.
        """
        rows = self.session.sql(
            "SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')),"
            " TO_CHAR(TO_TIMESTAMP(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')),"
            " 'YYYYMMDD_HH24MISS')"
        ).collect()
        group_id, scheduled = (rows[0][0], rows[0][1]) if rows else (None, None)
        if not group_id:
            raise GraphContextError(
                f"{self.task}: SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID') returned nothing; not in a task graph run?"
            )
        parts = ["RUN"] + ([_safe_token(str(scheduled))] if scheduled else []) + [_safe_token(str(group_id))[:64]]
        return "_".join(p for p in parts if p)
