"""Task graph context: the task's own name, its place in the graph, the graph config, ancestors'
return values, the task's own return value, and the run id.

No module lists the pipeline's tasks: a task learns its name and its ancestors from Snowflake at run
time, and finds an ancestor's output by what it needs (``ancestor_json("model_path")``), not by the
ancestor's name. What the graph cannot tell (which successor of a branch task means "pass") the
program passes as procedure arguments (docs/design.md, "Task definitions").

SQL issued through the task's Snowpark session (the equivalents of snowflake.core's TaskContext,
https://docs.snowflake.com/en/developer-guide/snowflake-python-api/reference/latest/_autosummary/snowflake.core.task.context.TaskContext):

- ``CALL SYSTEM$GET_TASK_GRAPH_CONFIG()`` (JSON string)
  https://docs.snowflake.com/en/sql-reference/functions/system_get_task_graph_config
- ``SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('<property>'))``: CURRENT_TASK_NAME,
  CURRENT_ROOT_TASK_NAME, CURRENT_TASK_GRAPH_RUN_GROUP_ID, ...
  https://docs.snowflake.com/en/sql-reference/functions/system_task_runtime_info
- ``SELECT * FROM TABLE(<db>.INFORMATION_SCHEMA.TASK_DEPENDENTS(TASK_NAME => '<db>.<schema>."<root>"',
  RECURSIVE => TRUE))``: every task of the graph with its PREDECESSORS
  https://docs.snowflake.com/en/sql-reference/functions/task_dependents
- ``CALL SYSTEM$GET_PREDECESSOR_RETURN_VALUE('<task name>')``: the name without database and schema,
  case-sensitive; an ancestor further up is found too
  https://docs.snowflake.com/en/sql-reference/functions/system_get_predecessor_return_value
- ``CALL SYSTEM$SET_RETURN_VALUE('<value>')`` (at most 10 kB; checked before the call)
  https://docs.snowflake.com/en/sql-reference/functions/system_set_return_value
"""

import json
import re
from typing import Any, Dict, List, Optional, Tuple

from mlpipeline.config import PipelineConfig, parse_config, sql_string

# SYSTEM$SET_RETURN_VALUE accepts at most 10 kB; 10,000 bytes of UTF-8 is the conservative reading.
MAX_RETURN_VALUE_BYTES = 10_000

_NAME_PART = re.compile(r'"(?:[^"]|"")*"|[^."]+')


class GraphContextError(RuntimeError):
    """A graph function returned nothing usable (no config, no task name, no ancestor value, no run id)."""


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


def object_name(name: str) -> str:
    """The object's own name in a possibly qualified, possibly quoted name, as Snowflake stores it.

    ``ML_DEV.PIPELINE."MORTGAGE_PIPELINE$TRAIN_MODEL"``, ``ML_DEV.PIPELINE.MORTGAGE_PIPELINE$TRAIN_MODEL``
    and ``MORTGAGE_PIPELINE$TRAIN_MODEL`` all give ``MORTGAGE_PIPELINE$TRAIN_MODEL``. An unquoted part
    is returned as written: the names here come from Snowflake, which reports stored (upper) case.
    """
    parts = _NAME_PART.findall(str(name).strip())
    if not parts:
        raise GraphContextError(f"not a task name: {name!r}")
    last = parts[-1].strip()
    return last[1:-1].replace('""', '"') if last.startswith('"') else last


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _safe_token(value: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", value.upper()).strip("_")


def _column(row: Any, column: str) -> Any:
    """A column of a Snowpark Row by name, whatever case the function reports it in."""
    values = row.as_dict() if hasattr(row, "as_dict") else dict(row)
    for key, value in values.items():
        if key.strip('"').lower() == column:
            return value
    raise GraphContextError(f"TASK_DEPENDENTS returned no column {column!r} (columns: {', '.join(values)})")


def _name_list(value: Any) -> List[str]:
    """PREDECESSORS: a JSON array of fully qualified names (a string through Snowpark, or a list)."""
    if value is None or value == "":
        return []
    items = json.loads(value) if isinstance(value, (str, bytes)) else value
    if not isinstance(items, list):
        raise GraphContextError(f"TASK_DEPENDENTS PREDECESSORS is not a JSON array: {value!r:.200}")
    return [object_name(item) for item in items]


def _json_object(text: Optional[str]) -> Optional[dict]:
    if text is None or text == "":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_branch_targets(argument: Any, task: str = "task") -> Tuple[str, ...]:
    """The branch list the program passes a branch task (procedure argument BRANCH_TARGETS): the
    successors' names in pipeline.yaml's order, comma-separated."""
    if not isinstance(argument, str) or not argument.strip():
        raise ValueError(f"{task}: procedure argument branch_targets must be the comma-separated branch list, got {argument!r}")
    targets = tuple(part.strip() for part in argument.split(","))
    if any(not t for t in targets) or len(set(targets)) != len(targets):
        raise ValueError(f"{task}: procedure argument branch_targets has an empty or repeated name: {argument!r}")
    return targets


class GraphContext:
    """The graph functions for one task run, over the task's Snowpark session (or a fake of it)."""

    def __init__(self, session: Any):
        self.session = session
        self._raw_config: Optional[dict] = None
        self._config: Optional[PipelineConfig] = None
        self._names: Optional[Tuple[str, str]] = None
        self._predecessors: Optional[Dict[str, List[str]]] = None
        self._values: Dict[str, Optional[str]] = {}

    # -- who am I ---------------------------------------------------------------------------------
    def _runtime_names(self) -> Tuple[str, str]:
        if self._names is None:
            rows = self.session.sql(
                "SELECT TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_NAME')),"
                " TO_CHAR(SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_NAME'))"
            ).collect()
            task, root = (rows[0][0], rows[0][1]) if rows else (None, None)
            if not task or not root:
                raise GraphContextError(
                    "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_NAME') or ('CURRENT_ROOT_TASK_NAME') returned nothing; not in a task graph run?"
                )
            # The documentation does not say whether these names are qualified; both forms are read.
            self._names = (object_name(task), object_name(root))
        return self._names

    def task_name(self) -> str:
        """This task's name as Snowflake stores it, without database and schema: ``<ROOT>$<TASK>``."""
        return self._runtime_names()[0]

    def root_task_name(self) -> str:
        return self._runtime_names()[1]

    def label(self) -> str:
        """This task's name in pipeline.yaml: the task name without the ``<ROOT>$`` prefix."""
        task, root = self._runtime_names()
        prefix = root + "$"
        return task[len(prefix):] if task.startswith(prefix) else task

    # -- the graph --------------------------------------------------------------------------------
    def task_dependents_sql(self) -> str:
        cfg = self.config()
        root = f"{cfg.database}.{cfg.schema}.{_quoted(self.root_task_name())}"
        return (
            f"SELECT * FROM TABLE({cfg.database}.INFORMATION_SCHEMA.TASK_DEPENDENTS("
            f"TASK_NAME => {sql_string(root)}, RECURSIVE => TRUE))"
        )

    def graph(self) -> Dict[str, List[str]]:
        """Every task of this graph (names without database and schema) -> its predecessors."""
        if self._predecessors is None:
            rows = self.session.sql(self.task_dependents_sql()).collect()
            graph: Dict[str, List[str]] = {}
            for row in rows:
                graph[object_name(_column(row, "name"))] = _name_list(_column(row, "predecessors"))
            self._predecessors = graph
        return self._predecessors

    def predecessors(self) -> List[str]:
        graph = self.graph()
        name = self.task_name()
        if name not in graph:
            raise GraphContextError(
                f"{name}: not among the tasks TASK_DEPENDENTS reports for {self.root_task_name()} ({', '.join(sorted(graph)) or 'none'})"
            )
        return list(graph[name])

    def ancestors(self) -> List[List[str]]:
        """Ancestors by distance: [[direct predecessors], [their predecessors], ...], each once, at its
        shortest distance, in PREDECESSORS order."""
        graph = self.graph()
        seen = {self.task_name()}
        levels: List[List[str]] = []
        level = [p for p in self.predecessors()]
        while level:
            level = [name for i, name in enumerate(level) if name not in seen and name not in level[:i]]
            if not level:
                break
            seen.update(level)
            levels.append(level)
            level = [p for name in level for p in graph.get(name, [])]
        return levels

    # -- values -------------------------------------------------------------------------------------
    def raw_config(self) -> dict:
        if self._raw_config is None:
            value = self.session.call("SYSTEM$GET_TASK_GRAPH_CONFIG")
            if value is None or value == "":
                raise GraphContextError("SYSTEM$GET_TASK_GRAPH_CONFIG returned nothing; the root task has no CONFIG")
            parsed = json.loads(value) if isinstance(value, (str, bytes)) else value
            if not isinstance(parsed, dict):
                raise GraphContextError(f"the graph config is not a JSON object: {value!r:.200}")
            self._raw_config = parsed
        return self._raw_config

    def config(self) -> PipelineConfig:
        if self._config is None:
            self._config = parse_config(self.raw_config())
        return self._config

    def predecessor_value(self, name: str) -> Optional[str]:
        """Return value of an ancestor, by its name without database and schema (``<ROOT>$<TASK>``);
        None when it set none."""
        if name not in self._values:
            value = self.session.call("SYSTEM$GET_PREDECESSOR_RETURN_VALUE", name)
            self._values[name] = None if value is None or value == "" else str(value)
        return self._values[name]

    def ancestor_json(self, key: str) -> dict:
        """The JSON object returned by the nearest ancestor whose return value is a JSON object with
        ``key`` (e.g. ``"model_path"``). Two at the same distance are ambiguous, none is an error.

        An ancestor whose value cannot be read (one that did not run in this graph run, say) is passed
        over; its error is named if no ancestor has the key."""
        read: List[str] = []
        for level in self.ancestors():
            found = []
            for name in level:
                try:
                    text = self.predecessor_value(name)
                except Exception as error:  # reported below if nothing is found
                    read.append(f"{name} (unreadable: {error})")
                    continue
                read.append(name)
                value = _json_object(text)
                if value is not None and key in value:
                    found.append((name, value))
            if len(found) > 1:
                raise GraphContextError(
                    f"{self.task_name()}: ancestors {' and '.join(n for n, _ in found)} both return {key!r} at the same distance; "
                    "which one to use is ambiguous"
                )
            if found:
                return found[0][1]
        raise GraphContextError(
            f"{self.task_name()}: no ancestor returned a JSON object with {key!r} (ancestors read: {', '.join(read) or 'none'})"
        )

    def set_return_value(self, value: Optional[str]) -> Optional[str]:
        """Set the task's return value (None sets nothing) and return it, for main() to return too."""
        if value is None:
            return None
        try:
            check_return_value(value)
        except ReturnValueTooLarge as error:
            raise ReturnValueTooLarge(f"{self.label()}: {error}") from None
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
                "SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID') returned nothing; not in a task graph run?"
            )
        parts = ["RUN"] + ([_safe_token(str(scheduled))] if scheduled else []) + [_safe_token(str(group_id))[:64]]
        return "_".join(p for p in parts if p)

