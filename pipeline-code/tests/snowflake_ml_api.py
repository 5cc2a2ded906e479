"""The snowflake-ml-python classes and functions the wrappers call, for ``unittest.mock.create_autospec``.

The real ones when snowflake-ml-python is importable; otherwise stand-ins with the same signatures
as snowflake-ml-python 1.48.0 (read from its source at the tag,
https://github.com/snowflakedb/snowflake-ml-python/tree/1.48.0/snowflake/ml: registry/registry.py,
model/_client/model/model_impl.py and model_version_impl.py, lineage/lineage_node.py,
dataset/dataset.py and dataset_factory.py, jobs/manager.py and jobs/job.py). The stand-ins carry
signatures only: autospec makes a call with a wrong name or argument fail either way, and the tests
give every return value its real type.

``install(monkeypatch, api)`` makes ``from snowflake.ml.registry import Registry`` (and the other
imports the wrappers do inside their methods) return the given autospecced objects.
"""

import sys
import types
from typing import Any, Dict, List, Literal, Optional, Set, Union

STANDIN_VERSION = "1.48.0"


class _Registry:
    def __init__(self, session: Any, *, database_name: Optional[str] = None, schema_name: Optional[str] = None,
                 options: Optional[Dict[str, Any]] = None) -> None: ...

    def show_models(self) -> Any: ...

    def get_model(self, model_name: str) -> Any: ...

    def log_model(self, model: Any, *, model_name: str, version_name: Optional[str] = None, comment: Optional[str] = None,
                  metrics: Optional[Dict[str, Any]] = None, conda_dependencies: Optional[List[str]] = None,
                  pip_requirements: Optional[List[str]] = None, artifact_repository_map: Optional[Dict[str, str]] = None,
                  resource_constraint: Optional[Dict[str, str]] = None, target_platforms: Optional[List[Any]] = None,
                  python_version: Optional[str] = None, signatures: Optional[Dict[str, Any]] = None,
                  sample_input_data: Any = None, user_files: Optional[Dict[str, List[str]]] = None,
                  code_paths: Optional[List[Any]] = None, ext_modules: Optional[List[Any]] = None, task: Any = "UNKNOWN",
                  options: Optional[Dict[str, Any]] = None) -> Any: ...


class _LineageNode:
    def lineage(self, direction: Literal["upstream", "downstream"] = "downstream",
                domain_filter: Optional[Set[Literal["feature_view", "dataset", "model", "table", "view"]]] = None) -> List[Any]: ...


class _ModelVersion(_LineageNode):
    version_name: str
    model_name: str

    def set_metric(self, metric_name: str, value: Any) -> None: ...

    def show_metrics(self) -> Dict[str, Any]: ...

    def set_alias(self, alias_name: str) -> None: ...

    def unset_alias(self, version_or_alias: str) -> None: ...


class _Model:
    name: str
    default: Any

    def show_versions(self) -> Any: ...

    def version(self, version_or_alias: str) -> Any: ...

    def delete_version(self, version_name: str) -> None: ...


class _DatasetVersion:
    name: str


class _Dataset(_LineageNode):
    fully_qualified_name: str
    selected_version: Optional[_DatasetVersion]


def _load_dataset(session: Any, name: str, version: str) -> Any: ...


class _MLJob:
    id: str
    status: str

    def wait(self, timeout: float = -1) -> str: ...

    def result(self, timeout: float = -1) -> Any: ...

    def get_logs(self, limit: int = -1, instance_id: Optional[int] = None, *, as_list: bool = False, verbose: bool = False) -> Any: ...

    def cancel(self) -> None: ...


def _submit_from_stage(source: str, compute_pool: str, *, entrypoint: Union[str, List[str]], stage_name: str,
                       args: Optional[List[str]] = None, target_instances: int = 1, pip_requirements: Optional[List[str]] = None,
                       external_access_integrations: Optional[List[str]] = None, session: Any = None, **kwargs: Any) -> Any: ...


def _delete_job(job: Any, session: Any = None) -> None: ...


def _get_job(job_id: str, session: Any = None) -> Any: ...


def _list_jobs(limit: int = 10, database: Optional[str] = None, schema: Optional[str] = None, session: Any = None) -> Any: ...


# submit_from_stage's documented keyword arguments (jobs/manager.py docstring, 1.48.0); **kwargs
# accepts anything, so the tests check the names against this list.
SUBMIT_DOCUMENTED_KWARGS = frozenset({
    "database", "schema", "min_instances", "env_vars", "enable_metrics", "query_warehouse", "imports",
    "runtime_environment", "name",
})


def load() -> types.SimpleNamespace:
    """The API to autospec: real when importable, else the 1.48.0 stand-ins."""
    try:
        from snowflake.ml import jobs
        from snowflake.ml.dataset import Dataset, load_dataset
        from snowflake.ml.jobs import MLJob
        from snowflake.ml.model import Model, ModelVersion
        from snowflake.ml.registry import Registry
        from snowflake.ml.version import VERSION
    except ImportError:
        return types.SimpleNamespace(
            real=False, version=STANDIN_VERSION, Registry=_Registry, Model=_Model, ModelVersion=_ModelVersion,
            Dataset=_Dataset, load_dataset=_load_dataset, MLJob=_MLJob, submit_from_stage=_submit_from_stage,
            delete_job=_delete_job, list_jobs=_list_jobs, get_job=_get_job,
        )
    return types.SimpleNamespace(
        real=True, version=VERSION, Registry=Registry, Model=Model, ModelVersion=ModelVersion, Dataset=Dataset,
        load_dataset=load_dataset, MLJob=MLJob, submit_from_stage=jobs.submit_from_stage, delete_job=jobs.delete_job,
        list_jobs=jobs.list_jobs, get_job=jobs.get_job,
    )


def install(monkeypatch: Any, **objects: Any) -> None:
    """Serve ``objects`` (Registry, load_dataset, submit_from_stage, delete_job, list_jobs, get_job) from the
    modules the wrappers import them from, real or not."""
    homes = {
        "Registry": "snowflake.ml.registry",
        "load_dataset": "snowflake.ml.dataset",
        "submit_from_stage": "snowflake.ml.jobs",
        "delete_job": "snowflake.ml.jobs",
        "list_jobs": "snowflake.ml.jobs",
        "get_job": "snowflake.ml.jobs",
    }
    for name, value in objects.items():
        module_name = homes[name]
        module = sys.modules.get(module_name)
        if module is None:
            try:
                __import__(module_name)
                module = sys.modules[module_name]
            except ImportError:
                module = types.ModuleType(module_name)
                parts = module_name.split(".")
                for i in range(1, len(parts)):
                    parent = ".".join(parts[:i])
                    if parent not in sys.modules:
                        monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))
                monkeypatch.setitem(sys.modules, module_name, module)
        monkeypatch.setattr(module, name, value, raising=False)
