"""The standalone run: the pipeline's Python tasks in graph order on the developer's machine, with a
Snowpark session, emulating what the task graph gives each task.

What the graph gives and this run emulates:

- the graph config (SYSTEM$GET_TASK_GRAPH_CONFIG): the stack's graph config plus overrides;
- the task's names and its place in the graph (SYSTEM$TASK_RUNTIME_INFO, TASK_DEPENDENTS), from the
  pipeline definition, as the program creates the graph (children ``<ROOT>$<TASK>``);
- ancestors' return values (SYSTEM$GET_PREDECESSOR_RETURN_VALUE) and the task's own
  (SYSTEM$SET_RETURN_VALUE), kept in memory;
- the procedure arguments the program passes (a job task's payload and instances, a branch task's
  successor list) and the task's timeout (SHOW PARAMETERS; no statement timeout, since no procedure
  runs here);
- the branch: only the successor the branch task returned runs; a task runs when every predecessor
  succeeded; a failure stops the rest;
- the finalizer: runs last, always, and reads this run's task states (TASK_HISTORY).

Everything else a task sends goes to the real session. SQL tasks are not run (they are printed): they
act on Snowflake objects, such as a notification integration, that belong to the deployed graph.

Task modules are imported by the caller's ``import_module`` (run_local.py passes importlib's): this
package runs in Snowflake too, where the bundler follows static imports only.

Tasks are found by what they are, not by name: a task module that declares ``REGISTERS_MODEL = True``
is skipped by ``register=False``, and one that declares ``BUILDS_DATASET = True`` gets a dataset
store that rebuilds existing versions when ``force_refresh`` is set.
"""

import datetime as dt
import inspect
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from mlpipeline.errors import is_missing_error

DEFAULT_TASK_TIMEOUT_MS = 3_600_000  # Snowflake's default USER_TASK_TIMEOUT_MS

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
NOT_RUN = "NOT_RUN"  # after a failure, or a SQL task


class LocalRunError(ValueError):
    """The pipeline definition or the overrides cannot be run; the message says what and where."""


@dataclass
class TaskRun:
    name: str
    state: str
    return_value: Optional[str] = None
    detail: str = ""


@dataclass
class LocalGraph:
    """The graph the program would create from a pipeline definition."""

    root: str
    tasks: List[Dict[str, Any]]
    order: List[str] = field(default_factory=list)  # non-finalizer tasks, in a valid run order
    finalizers: List[str] = field(default_factory=list)

    def task(self, name: str) -> Dict[str, Any]:
        return next(t for t in self.tasks if t["name"] == name)

    def full_name(self, name: str) -> str:
        return f"{self.root}${name}"

    def predecessors(self, name: str) -> List[str]:
        return list(self.task(name).get("after", []))

    def ancestors(self, name: str) -> List[str]:
        seen: List[str] = []
        stack = self.predecessors(name)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.append(current)
                stack.extend(self.predecessors(current))
        return seen


def load_graph(pipeline: Mapping[str, Any]) -> LocalGraph:
    """Check the parts of a parsed pipeline definition this run relies on and order its tasks."""
    root = pipeline.get("name")
    tasks = pipeline.get("tasks")
    if not isinstance(root, str) or not root or not isinstance(tasks, list) or not tasks:
        raise LocalRunError("the pipeline definition needs a 'name' and a non-empty 'tasks' list")
    names = [t.get("name") for t in tasks]
    for task in tasks:
        for predecessor in task.get("after", []):
            if predecessor not in names:
                raise LocalRunError(f"task {task.get('name')}: 'after' names {predecessor!r}, which is not a task of the pipeline")
    graph = LocalGraph(root=root, tasks=list(tasks))
    graph.finalizers = [t["name"] for t in tasks if t.get("finalizer")]
    pending = [t["name"] for t in tasks if not t.get("finalizer")]
    while pending:
        ready = [n for n in pending if all(p in graph.order for p in graph.predecessors(n))]
        if not ready:
            raise LocalRunError(f"the tasks {', '.join(pending)} form a cycle or follow a finalizer")
        graph.order.extend(ready)
        pending = [n for n in pending if n not in ready]
    return graph


def parse_overrides(pairs: Sequence[str]) -> Dict[str, Any]:
    """``key=value`` config overrides; numbers and true/false are typed, as the operator CLI types them."""
    overrides: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not re.match(r"^[a-z][a-z0-9_]*$", key):
            raise LocalRunError(f"--config expects key=value with a lower-case key like metric_threshold=0.8, got {pair!r}")
        value: Any = raw
        if raw in ("true", "false"):
            value = raw == "true"
        elif re.match(r"^-?\d+$", raw):
            value = int(raw)
        elif re.match(r"^-?\d+\.\d+$", raw):
            value = float(raw)
        overrides[key] = value
    return overrides


class _Rows:
    def __init__(self, rows: List[Any]):
        self._rows = rows

    def collect(self) -> List[Any]:
        return list(self._rows)


class LocalTaskSession:
    """One task's session: the graph functions answered from the local run, all else to ``session``."""

    def __init__(self, session: Any, run: "LocalRun", task: str):
        self._session = session
        self._run = run
        self._task = task

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    # -- graph functions ------------------------------------------------------------------------
    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        upper = name.upper()
        if upper == "SYSTEM$GET_TASK_GRAPH_CONFIG":
            return json.dumps(self._run.config)
        if upper == "SYSTEM$GET_PREDECESSOR_RETURN_VALUE":
            (full,) = args
            ancestors = {self._run.graph.full_name(a) for a in self._run.graph.ancestors(self._task)}
            if full not in ancestors:
                raise LocalRunError(f"Task {full} is not a predecessor of {self._run.graph.full_name(self._task)}")
            return self._run.returned.get(full)
        if upper == "SYSTEM$SET_RETURN_VALUE":
            (value,) = args
            self._run.returned[self._run.graph.full_name(self._task)] = value
            return "Return value set."
        return self._session.call(name, *args, **kwargs)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        text = " ".join(query.split())
        if "SYSTEM$TASK_RUNTIME_INFO" in text:
            return _Rows([self._run.runtime_row(self._task, text)])
        if "INFORMATION_SCHEMA.TASK_DEPENDENTS" in text:
            return _Rows(self._run.dependents_rows())
        if "INFORMATION_SCHEMA.TASK_HISTORY" in text:
            return _Rows(self._run.history_rows(self._task))
        match = re.match(r"^SHOW PARAMETERS LIKE 'USER_TASK_TIMEOUT_MS' IN TASK ", text)
        if match:
            timeout = self._run.graph.task(self._task).get("timeoutMs", DEFAULT_TASK_TIMEOUT_MS)
            return _Rows([("USER_TASK_TIMEOUT_MS", str(timeout), str(DEFAULT_TASK_TIMEOUT_MS), "TASK", "", "NUMBER")])
        if re.match(r"^SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN (SESSION|WAREHOUSE )", text):
            # No procedure runs here for a statement timeout to stop: 0, no limit.
            return _Rows([("STATEMENT_TIMEOUT_IN_SECONDS", "0", "172800", "SESSION", "", "NUMBER")])
        return self._session.sql(query, *args, **kwargs)


class ForceRefreshStore:
    """A dataset store that makes the dataset task rebuild: no version counts as existing, and an
    existing version is deleted before it is created again."""

    def __init__(self, store: Any):
        self._store = store

    def list_versions(self, name: str) -> List[Any]:
        return []

    def create_version(self, name: str, version: str, frame: Any, **kwargs: Any) -> None:
        try:
            self._store.delete_version(name, version)
            print(f"--force-refresh: deleted dataset version {name} {version} to rebuild it")
        except Exception as error:
            if not is_missing_error(error):
                raise
        self._store.create_version(name, version, frame, **kwargs)

    def delete_version(self, name: str, version: str) -> None:
        self._store.delete_version(name, version)


class LocalRun:
    def __init__(self, session: Any, pipeline: Mapping[str, Any], config: Mapping[str, Any], *,
                 seams: Optional[Dict[str, Any]] = None, register: bool = True, force_refresh: bool = False,
                 now: Optional[dt.datetime] = None, new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
                 payload_location: Optional[Callable[[Dict[str, Any]], str]] = None,
                 import_module: Callable[[str], Any]):
        self.session = session
        self.graph = load_graph(pipeline)
        self.config = dict(config)
        self.seams = dict(seams or {})
        self.register = register
        self.force_refresh = force_refresh
        self.now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        self.group_id = new_id()
        self.root_id = new_id()
        self.returned: Dict[str, Optional[str]] = {}
        self.runs: List[TaskRun] = []
        self.import_module = import_module
        self.payload_location = payload_location or (lambda task: f"@{self.config.get('code_stage', 'LOCAL')}/LOCAL/{task['name']}/")

    # -- what Snowflake would answer -----------------------------------------------------------------
    def runtime_values(self, task: str) -> Dict[str, str]:
        database, schema = self.config.get("database", "LOCAL"), self.config.get("schema", "LOCAL")
        return {
            "CURRENT_TASK_NAME": f"{database}.{schema}.{self.graph.full_name(task)}",
            "CURRENT_ROOT_TASK_NAME": f"{database}.{schema}.{self.graph.root}",
            "CURRENT_TASK_GRAPH_RUN_GROUP_ID": self.group_id,
            "CURRENT_ROOT_TASK_UUID": self.root_id,
            "CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP": self.now.strftime("%Y-%m-%d %H:%M:%S.000 +0000"),
        }

    def runtime_row(self, task: str, text: str) -> tuple:
        """A SELECT of SYSTEM$TASK_RUNTIME_INFO items, evaluated as Snowflake does for the forms the
        task code uses: TO_CHAR(...), TO_CHAR(TO_TIMESTAMP(...), 'YYYYMMDD_HH24MISS') and
        DATE_PART(EPOCH_MILLISECOND, TO_TIMESTAMP_LTZ(...))."""
        values = self.runtime_values(task)
        row = []
        for item in re.split(r",\s*(?=(?:TO_CHAR|DATE_PART|SYSTEM\$))", text[len("SELECT "):]):
            prop = re.search(r"SYSTEM\$TASK_RUNTIME_INFO\('(\w+)'\)", item)
            value = values.get(prop.group(1)) if prop else None
            if value is not None and "EPOCH_MILLISECOND" in item:
                row.append(int(self.now.timestamp() * 1000))
            elif value is not None and "'YYYYMMDD_HH24MISS'" in item:
                row.append(self.now.strftime("%Y%m%d_%H%M%S"))
            else:
                row.append(value)
        return tuple(row)

    def dependents_rows(self) -> List[Dict[str, Any]]:
        database, schema = self.config.get("database", "LOCAL"), self.config.get("schema", "LOCAL")

        def fqn(name: str) -> str:
            return f'"{database}"."{schema}"."{name}"'

        rows = [{"database_name": database, "schema_name": schema, "name": self.graph.root, "predecessors": "[]"}]
        for task in self.graph.tasks:
            after = [fqn(self.graph.full_name(p)) for p in task.get("after", [])] or ([] if task.get("finalizer") else [fqn(self.graph.root)])
            rows.append({"database_name": database, "schema_name": schema, "name": self.graph.full_name(task["name"]), "predecessors": json.dumps(after)})
        return rows

    def history_rows(self, task: str) -> List[tuple]:
        """This run's task states (NAME, STATE), the asking task left out, as the finalizer's query reads them."""
        rows = [(self.graph.root, SUCCEEDED)]
        rows += [(self.graph.full_name(r.name), r.state) for r in self.runs if r.name != task and r.state in (SUCCEEDED, FAILED, SKIPPED)]
        return rows

    # -- running -------------------------------------------------------------------------------
    def _arguments(self, task: Dict[str, Any]) -> List[Any]:
        """The procedure arguments the program passes (docs/design.md "Task definitions")."""
        args: List[Any] = []
        if "job" in task:
            args += [self.payload_location(task), task["job"]["payload"], int(task["job"]["targetInstances"])]
        if "branch" in task:
            args.append(",".join(task["branch"]))
        return args

    def _keywords(self, module: Any, main: Callable[..., Any]) -> Dict[str, Any]:
        params = inspect.signature(main).parameters
        keywords = {name: value for name, value in self.seams.items() if name in params and params[name].kind == inspect.Parameter.KEYWORD_ONLY}
        if self.force_refresh and getattr(module, "BUILDS_DATASET", False) and "store" in params:
            keywords["store"] = ForceRefreshStore(keywords.get("store") or self._default_store())
        return keywords

    def _default_store(self) -> Any:
        from mlpipeline import datasets

        return datasets.SnowflakeDatasets(self.session)

    def _should_run(self, name: str) -> Optional[str]:
        """None when the task runs, else why not."""
        states = {r.name: r for r in self.runs}
        for predecessor in self.graph.predecessors(name):
            run = states.get(predecessor)
            if run is None or run.state != SUCCEEDED:
                return f"predecessor {predecessor} {run.state.lower() if run else 'did not run'}"
            if "branch" in self.graph.task(predecessor) and run.return_value != name:
                return f"branch {predecessor} chose {run.return_value}"
        return None

    def run_task(self, name: str) -> TaskRun:
        task = self.graph.task(name)
        if "entrypoint" not in task:
            sql = str(task.get("sql", "")).strip()
            print(f"[{name}] SQL task, not run locally:\n{sql}")
            return TaskRun(name, NOT_RUN, detail="SQL task: runs in the deployed graph only")
        module = self.import_module(task["entrypoint"][: -len(".py")].replace("/", "."))
        if not self.register and getattr(module, "REGISTERS_MODEL", False):
            print(f"[{name}] skipped (--no-register)")
            return TaskRun(name, SKIPPED, detail="--no-register")
        print(f"[{name}] running {task['entrypoint']}")
        session = LocalTaskSession(self.session, self, name)
        try:
            module.main(session, *self._arguments(task), **self._keywords(module, module.main))
        except Exception as error:
            print(f"[{name}] FAILED: {type(error).__name__}: {error}")
            return TaskRun(name, FAILED, detail=f"{type(error).__name__}: {error}")
        value = self.returned.get(self.graph.full_name(name))
        print(f"[{name}] succeeded; return value: {value}")
        return TaskRun(name, SUCCEEDED, return_value=value)

    def run(self) -> List[TaskRun]:
        failed = False
        for name in self.graph.order:
            why_not = "an earlier task failed" if failed else self._should_run(name)
            if why_not:
                print(f"[{name}] skipped: {why_not}")
                self.runs.append(TaskRun(name, SKIPPED if not failed else NOT_RUN, detail=why_not))
                continue
            run = self.run_task(name)
            self.runs.append(run)
            failed = failed or run.state == FAILED
        for name in self.graph.finalizers:  # last, always
            self.runs.append(self.run_task(name))
        return self.runs


def summary(runs: Sequence[TaskRun]) -> Dict[str, Any]:
    return {
        "succeeded": all(r.state != FAILED for r in runs),
        "tasks": [{"task": r.name, "state": r.state, "return_value": r.return_value, "detail": r.detail} for r in runs],
    }


class LocalJob:
    """A training payload run in this process, shaped like the MLJob the training task waits for."""

    def __init__(self, job_id: str, status: str, result: Any, logs: str):
        self.id = job_id
        self._status = status
        self._result = result
        self._logs = logs

    def wait(self, timeout: float = -1) -> str:
        return self._status

    def result(self, timeout: float = -1) -> Any:
        if self._status != "DONE":
            raise RuntimeError(f"Job execution failed (id={self.id})")
        return self._result

    def get_logs(self, limit: int = -1, **_: Any) -> str:
        return self._logs

    def cancel(self) -> None:
        """Nothing runs after submit() returns."""


class LocalJobs:
    """ML Jobs for the standalone run: the payload runs here, on the developer's machine (its
    entrypoint's ``main(argv)`` with the arguments the task passes), instead of on the compute pool.
    Listing and deleting (the finalizer's retention) go to the account's real ML Jobs."""

    def __init__(self, session: Any, import_module: Callable[[str], Any], remote: Optional[Any] = None):
        self.session = session
        self.import_module = import_module
        self._remote = remote

    def remote(self) -> Any:
        if self._remote is None:
            from mlpipeline.ml_jobs import SnowflakeJobs

            self._remote = SnowflakeJobs(self.session)
        return self._remote

    def submit(self, *, entrypoint: str, args: Sequence[str], **_: Any) -> LocalJob:
        job_id = f"LOCAL_{uuid.uuid4().hex[:8].upper()}"
        module = self.import_module(entrypoint[: -len(".py")].replace("/", "."))
        print(f"running the training payload {entrypoint} locally as {job_id}")
        try:
            result = module.main(list(args))
        except Exception as error:
            return LocalJob(job_id, "FAILED", None, f"{type(error).__name__}: {error}")
        return LocalJob(job_id, "DONE", result, "")

    def list(self, database: str, schema: str, name_prefix: str) -> List[Dict[str, Any]]:
        return self.remote().list(database, schema, name_prefix)

    def cancel(self, job_id: str) -> None:
        self.remote().cancel(job_id)

    def delete(self, job_id: str) -> None:
        self.remote().delete(job_id)
