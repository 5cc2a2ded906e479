"""Run artefacts on the artifact stage: where a run's files live, reading, writing, listing, removing.

Layout: ``@<artifact_stage>/<pipeline_name>/runs/<run_id>/attempts/<token>/model.ubj``: one folder per
graph run, and in it one per training job submission, so a retried run's job never overwrites the
model another attempt reported.
"""

import datetime as dt
import email.utils
import io
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set

from mlpipeline.config import PipelineConfig

MODEL_FILE = "model.ubj"
# Markers a run leaves in its folder for CLEANUP (plain names it can read back from a LIST):
# - ``datasets/<version>.json`` (PREPARE_DATA): the dataset version the run trains on, kept while
#   the run's folder is kept, so ``EXECUTE TASK ... RETRY LAST`` still finds it;
# - ``attempts/<token>/submitted.json`` (TRAIN_MODEL, right after submitting): the run's ML Job,
#   named ``<job prefix>_<token>``, which CLEANUP cancels if it is still running.
DATASET_MARKER_DIR = "datasets"
SUBMITTED_MARKER = "submitted.json"


def runs_root(cfg: PipelineConfig) -> str:
    return f"@{cfg.artifact_stage}/{cfg.pipeline_name}/runs/"


def run_dir(cfg: PipelineConfig, run_id: str) -> str:
    if not is_token(run_id):
        raise ValueError(f"run id {run_id!r} is not a plain token")
    return f"{runs_root(cfg)}{run_id}/"


def is_token(value: str) -> bool:
    """Run ids and attempt tokens are plain tokens: they go into stage paths and LIST/REMOVE unquoted."""
    return bool(re.match(r"^[A-Za-z0-9_]+$", value))


def attempt_model_path(cfg: PipelineConfig, run_id: str, token: str) -> str:
    """The model file of one training submission of a run."""
    if not is_token(token):
        raise ValueError(f"attempt token {token!r} is not a plain token")
    return f"{run_dir(cfg, run_id)}attempts/{token}/{MODEL_FILE}"


def dataset_marker_path(cfg: PipelineConfig, run_id: str, version: str) -> str:
    if not is_token(version):
        raise ValueError(f"dataset version {version!r} is not a plain token")
    return f"{run_dir(cfg, run_id)}{DATASET_MARKER_DIR}/{version}.json"


def submitted_marker_path(cfg: PipelineConfig, run_id: str, token: str) -> str:
    if not is_token(token):
        raise ValueError(f"attempt token {token!r} is not a plain token")
    return f"{run_dir(cfg, run_id)}attempts/{token}/{SUBMITTED_MARKER}"


def run_markers(file_names: List[str], pipeline_name: str) -> Dict[str, Dict[str, Set[str]]]:
    """``{run_id: {"datasets": {version}, "attempts": {token}}}`` from LIST names
    (``<stage>/<pipeline>/runs/<run_id>/...``): what each run folder's markers say."""
    marker = f"/{pipeline_name}/runs/".lower()
    found: Dict[str, Dict[str, Set[str]]] = {}
    for name in file_names:
        at = name.lower().find(marker)
        if at < 0:
            continue
        parts = name[at + len(marker):].split("/")
        if len(parts) == 3 and parts[1] == DATASET_MARKER_DIR and parts[2].endswith(".json"):
            found.setdefault(parts[0], {"datasets": set(), "attempts": set()})["datasets"].add(parts[2][: -len(".json")])
        elif len(parts) == 4 and parts[1] == "attempts" and parts[3] == SUBMITTED_MARKER:
            found.setdefault(parts[0], {"datasets": set(), "attempts": set()})["attempts"].add(parts[2])
    return found


def write_bytes(session: Any, path: str, data: bytes) -> None:
    """Upload ``data`` to the stage file ``path`` (uncompressed, overwriting)."""
    session.file.put_stream(io.BytesIO(data), path, auto_compress=False, overwrite=True)


def read_bytes(session: Any, path: str) -> bytes:
    stream = session.file.get_stream(path)
    try:
        return stream.read()
    finally:
        stream.close()


@dataclass(frozen=True)
class StageFile:
    name: str  # as LIST shows it: <stage name>/<path>, stage name lower case
    last_modified: Optional[dt.datetime]


def _parse_last_modified(value: Any) -> Optional[dt.datetime]:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))  # 'Tue, 5 Mar 2024 10:00:00 GMT'
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def list_files(session: Any, prefix: str) -> List[StageFile]:
    """``LIST <prefix>``: columns name, size, md5, last_modified."""
    rows = session.sql(f"LIST {prefix}").collect()
    return [StageFile(name=str(row[0]), last_modified=_parse_last_modified(row[3] if len(row) > 3 else None)) for row in rows]


def remove(session: Any, prefix: str) -> int:
    """``REMOVE <prefix>``; returns the number of files removed (0 when there was nothing)."""
    return len(session.sql(f"REMOVE {prefix}").collect())
