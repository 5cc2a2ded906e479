"""The graph config: the contract between the Pulumi program and the Python code.

The program writes the environment's names into the root task's CONFIG (docs/design.md, "Graph
config"); the user-owned keys come from pipeline.yaml ``config``. Every Snowflake name the Python
code uses comes from here: there are no constants and no environment variables for them.
"""

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

from mlpipeline.model_aliases import alias_names_problem

# Keys the program writes (docs/design.md). sample_data_file only when sample_data is true.
PROGRAM_KEYS = (
    "pipeline_name",
    "database",
    "schema",
    "data_schema",
    "registry_schema",
    "warehouse",
    "compute_pool",
    "code_stage",
    "job_stage",
    "artifact_stage",
    "data_stage",
    "source_table",
    "sample_data",
)
# User-owned keys from pipeline.yaml `config` (docs/design.md).
USER_KEYS = ("dataset_name", "model_name", "metric_name", "metric_threshold", "retention_days")

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_IDENT_RE = re.compile(rf"^{_IDENT}$")
_STAGE_FILE_RE = re.compile(rf"^@{_IDENT}(\.{_IDENT}){{0,2}}(/[A-Za-z0-9_.=\-]+)+$")


class ConfigError(ValueError):
    """The graph config lacks a key or has a value of the wrong shape; the message names the key."""


def _qualified_re(parts: int) -> "re.Pattern[str]":
    return re.compile(rf"^{_IDENT}(\.{_IDENT}){{{parts - 1}}}$")


def _identifier(raw: Mapping[str, Any], key: str, parts: int = 1) -> str:
    value = raw[key]
    if not isinstance(value, str) or not _qualified_re(parts).match(value):
        shape = "an identifier" if parts == 1 else f"a {parts}-part name like DB.SCHEMA" + (".OBJECT" if parts == 3 else "")
        raise ConfigError(f"graph config key {key!r} must be {shape} (unquoted), got {value!r}")
    return value.upper()


def _number(raw: Mapping[str, Any], key: str) -> float:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"graph config key {key!r} must be a finite number, got {value!r}")
    return float(value)


def _whole_days(raw: Mapping[str, Any], key: str) -> int:
    value = _number(raw, key)
    if value < 0 or value != int(value):
        raise ConfigError(f"graph config key {key!r} must be a whole number of days >= 0, got {raw[key]!r}")
    return int(value)


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"graph config key {key!r} must be true or false, got {value!r}")


@dataclass(frozen=True)
class PipelineConfig:
    pipeline_name: str
    database: str
    schema: str
    data_schema: str
    registry_schema: str
    warehouse: str
    compute_pool: str
    code_stage: str
    job_stage: str
    artifact_stage: str
    data_stage: str
    source_table: str
    sample_data: bool
    sample_data_file: Optional[str]
    dataset_name: str
    model_name: str
    metric_name: str
    metric_threshold: float
    retention_days: int
    run_token: Optional[str] = None
    # Optional user key: the ML Job's container runtime (submit_from_stage runtime_environment, an
    # image tag); unset, snowflake-ml uses the pool's default runtime.
    ml_job_runtime: Optional[str] = None
    # Optional user keys: the aliases promotion moves (mlpipeline/model_aliases.py); both or neither.
    promoted_alias: Optional[str] = None
    previous_alias: Optional[str] = None
    # Written by the program when pipeline.yaml declares dataQuality: the expectations the gate checks.
    data_quality_expectations: Tuple[str, ...] = ()
    # Written by the program when the stack declares modelMonitor (mlpipeline/monitoring.py).
    monitor: Optional[Any] = None

    @property
    def dataset_fqn(self) -> str:
        """Dataset object in the registry schema (unquoted names are stored upper case)."""
        return f"{self.registry_schema}.{self.dataset_name}"

    @property
    def model_fqn(self) -> str:
        return f"{self.registry_schema}.{self.model_name}"


def parse_config(raw: Any) -> PipelineConfig:
    """Check the graph config and return it typed. Raises ConfigError naming the offending key(s)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"graph config must be a JSON object, got {type(raw).__name__}")
    missing = [k for k in PROGRAM_KEYS + USER_KEYS if k not in raw or raw[k] is None]
    if missing:
        raise ConfigError("graph config is missing key(s): " + ", ".join(missing))
    sample_data = _flag(raw, "sample_data")
    sample_data_file = None
    if sample_data:
        if raw.get("sample_data_file") in (None, ""):
            raise ConfigError("graph config is missing key(s): sample_data_file (required when sample_data is true)")
        sample_data_file = raw["sample_data_file"]
        if not isinstance(sample_data_file, str) or not _STAGE_FILE_RE.match(sample_data_file):
            raise ConfigError(
                f"graph config key 'sample_data_file' must be a stage file path like @DB.SCHEMA.STAGE/dir/file.csv, got {sample_data_file!r}"
            )
    metric_name = raw["metric_name"]
    if not isinstance(metric_name, str) or not metric_name:
        raise ConfigError(f"graph config key 'metric_name' must be a non-empty string, got {metric_name!r}")
    run_token = raw.get("run_token")
    ml_job_runtime = raw.get("ml_job_runtime")
    if ml_job_runtime is not None and (not isinstance(ml_job_runtime, str) or not re.match(r"^[A-Za-z0-9_.:/-]*$", ml_job_runtime)):
        raise ConfigError(
            f"graph config key 'ml_job_runtime' must be a container runtime image tag like \"1.7.1\" (letters, digits, . _ : / -), got {ml_job_runtime!r}"
        )
    expectations = raw.get("data_quality_expectations")
    if expectations is not None and (not isinstance(expectations, str) or not all(_IDENT_RE.match(n) for n in expectations.split(","))):
        raise ConfigError(f"graph config key 'data_quality_expectations' must be comma-separated expectation names, got {expectations!r}")
    alias_problem = alias_names_problem(raw.get("promoted_alias"), raw.get("previous_alias"))
    if alias_problem:
        raise ConfigError(alias_problem)
    return PipelineConfig(
        pipeline_name=_identifier(raw, "pipeline_name"),
        database=_identifier(raw, "database"),
        schema=_identifier(raw, "schema"),
        data_schema=_identifier(raw, "data_schema", 2),
        registry_schema=_identifier(raw, "registry_schema", 2),
        warehouse=_identifier(raw, "warehouse"),
        compute_pool=_identifier(raw, "compute_pool"),
        code_stage=_identifier(raw, "code_stage", 3),
        job_stage=_identifier(raw, "job_stage", 3),
        artifact_stage=_identifier(raw, "artifact_stage", 3),
        data_stage=_identifier(raw, "data_stage", 3),
        source_table=_identifier(raw, "source_table", 3),
        sample_data=sample_data,
        sample_data_file=sample_data_file,
        dataset_name=_identifier(raw, "dataset_name"),
        model_name=_identifier(raw, "model_name"),
        metric_name=metric_name,
        metric_threshold=_number(raw, "metric_threshold"),
        retention_days=_whole_days(raw, "retention_days"),
        run_token=None if run_token is None else str(run_token),
        ml_job_runtime=ml_job_runtime or None,
        promoted_alias=None if raw.get("promoted_alias") is None else raw["promoted_alias"].upper(),
        previous_alias=None if raw.get("previous_alias") is None else raw["previous_alias"].upper(),
        data_quality_expectations=tuple(n.upper() for n in expectations.split(",")) if expectations else (),
        monitor=_monitor_settings(raw),
    )


def _monitor_settings(raw: Mapping[str, Any]) -> Any:
    from mlpipeline.monitoring import MonitorConfigError, parse_monitor_settings

    try:
        return parse_monitor_settings(raw)
    except (MonitorConfigError, TypeError, ValueError) as error:
        raise ConfigError(str(error)) from error


def table_key(raw: Mapping[str, Any], key: str) -> str:
    """A graph config key naming a table as DB.SCHEMA.TABLE (unquoted names). Raises ConfigError
    naming the key when it is missing or not such a name."""
    if raw.get(key) in (None, ""):
        raise ConfigError(f"graph config is missing key(s): {key} (a table as DB.SCHEMA.TABLE)")
    return _identifier(raw, key, 3)


def split_name(fqn: str) -> "tuple[str, ...]":
    """'DB.SCHEMA.T' -> ('DB', 'SCHEMA', 'T'). Names here are already checked unquoted identifiers."""
    return tuple(fqn.split("."))


def sql_string(value: str) -> str:
    """A single-quoted SQL string literal (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
