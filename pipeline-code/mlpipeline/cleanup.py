"""CLEANUP (the graph's finalizer): remove the run's artefacts after a successful run, and what is
past the retention window.

Removed:
- this run's artefact directory (``@<artifact_stage>/<pipeline>/runs/<run_id>/``), only when the graph
  run succeeded. The finalizer runs after failed runs too, and EXECUTE TASK ... RETRY LAST reuses the
  run id and needs those files (PROMOTE_MODEL reads the model), so after a failed or cancelled run, or
  when the outcome cannot be told, they are kept and reported;
- the directories of other runs whose files are all older than the window (runs whose artefacts were
  kept, or whose own clean-up never ran);
- model versions created before the window that are not the default version and have no alias
  (promotion's aliases, mlpipeline/model_aliases.py, mark the version rollback returns to);
- dataset versions (a version with its _train and _test splits, as a group) created before the
  window that no surviving model version uses (the union of the upstream lineage of every model
  version that is kept, so a retained model never points at deleted data) and that no kept run
  folder names (PREPARE_DATA's marker, artifacts.dataset_marker_path: a failed run's RETRY LAST
  needs its version);
- this pipeline's ML Jobs (job service and payload copy on the job stage, ``delete_job``) that ended
  and were created before the window.

Cancelled: this run's own ML Jobs (TRAIN_MODEL's submission markers in the run folder) that are still
running, because TRAIN_MODEL was stopped from outside before it could cancel them.

When in doubt, keep the data: if the run folders cannot be listed, the registry cannot be opened,
the model versions cannot be listed or any kept version's lineage cannot be read (including "does
not exist or not authorized", which a role without VIEW LINEAGE gets), no dataset version is deleted.
Lineage names are compared without regard to case.

The registry is opened inside the guarded section (``Registry()`` raises when its schema is missing),
and a run folder whose name is not a plain token is skipped with a log line, so neither can fail
the finalizer on every run.

A missing object is logged, never a failure; other errors are collected and raised after every
removal has been attempted.
"""

import datetime as dt
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from mlpipeline import artifacts, ml_jobs
from mlpipeline.config import PipelineConfig
from mlpipeline.datasets import VersionInfo, base_version, state_tables
from mlpipeline.errors import is_missing_error
from mlpipeline.registry import ModelVersionInfo
from mlpipeline.run_outcome import RunOutcome

LISTED_NAMES = 20  # names per category in the return value (counts are always complete)


class CleanupError(RuntimeError):
    pass


def _utc(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def retention_cutoff(now: dt.datetime, retention_days: int) -> dt.datetime:
    return _utc(now) - dt.timedelta(days=retention_days)


def is_expired(created_on: Optional[dt.datetime], cutoff: dt.datetime) -> bool:
    """Strictly older than the cutoff; an unknown time never expires."""
    created = _utc(created_on)
    return created is not None and created < cutoff


def select_model_versions(versions: Iterable[ModelVersionInfo], cutoff: dt.datetime) -> List[str]:
    """Expired versions that are neither the default nor hold an alias (rollback's target is kept)."""
    return [v.name for v in versions if not v.is_default and not getattr(v, "aliases", ()) and is_expired(v.created_on, cutoff)]


def select_dataset_versions(versions: Iterable[VersionInfo], keep_bases: Set[str], cutoff: dt.datetime) -> List[str]:
    """Versions to delete: whole groups (vX, vX_train, vX_test) whose every member expired and whose
    base is not kept. Splits are listed before their base."""
    groups: Dict[str, List[VersionInfo]] = defaultdict(list)
    for info in versions:
        groups[base_version(info.name)].append(info)
    kept = {name.upper() for name in keep_bases}  # lineage may spell a version in another case
    selected = []
    for base in sorted(groups):
        members = groups[base]
        if base.upper() in kept or not all(is_expired(m.created_on, cutoff) for m in members):
            continue
        selected.extend(sorted((m.name for m in members), key=lambda name: (name == base, name)))
    return selected


def run_id_of(file_name: str, pipeline_name: str) -> Optional[str]:
    """The run folder in a LIST name like 'artifact_stage/MORTGAGE_PIPELINE/runs/<run_id>/model.ubj'."""
    marker = f"/{pipeline_name}/runs/".lower()
    lowered = file_name.lower()
    at = lowered.find(marker)
    if at < 0:
        return None
    rest = file_name[at + len(marker):]
    if "/" not in rest:
        return None
    return rest.split("/", 1)[0] or None


def select_run_dirs(
    files: Iterable[artifacts.StageFile], pipeline_name: str, current_run: str, cutoff: dt.datetime, remove_current: bool = True
) -> List[str]:
    """This run's id (unless ``remove_current`` is false), plus every other run whose files are all
    older than the cutoff. A kept current run is never removed by the cutoff either."""
    runs: Dict[str, List[artifacts.StageFile]] = defaultdict(list)
    skipped: Set[str] = set()
    for stage_file in files:
        run = run_id_of(stage_file.name, pipeline_name)
        if run and not artifacts.is_token(run):
            if run not in skipped:
                print(f"cleanup: skipping run folder {run!r}: not a run id (letters, digits and _ only)")
            skipped.add(run)
        elif run:
            runs[run].append(stage_file)
    expired = [run for run, members in runs.items() if run != current_run and all(is_expired(m.last_modified, cutoff) for m in members)]
    return ([current_run] if remove_current else []) + sorted(expired)


def _normalize_name(name: str) -> str:
    return name.replace('"', "").upper()


class _Attempts:
    def __init__(self) -> None:
        self.missing: List[str] = []
        self.errors: List[str] = []

    def run(self, what: str, action: Callable[[], Any]) -> Tuple[bool, Any]:
        """(True, result) or (False, None) after logging; missing objects are not failures."""
        try:
            return True, action()
        except Exception as error:
            if is_missing_error(error):
                print(f"cleanup: {what}: already gone ({error})")
                self.missing.append(what)
            else:
                print(f"cleanup: {what} failed: {error}")
                self.errors.append(f"{what}: {error}")
            return False, None


def _summary(names: Sequence[str]) -> Dict[str, Any]:
    return {"count": len(names), "names": list(names[:LISTED_NAMES])}


def current_run_report(run_id: str, outcome: RunOutcome) -> Dict[str, Any]:
    """``current_run`` of the return value: the run's outcome and what happened to its artefacts."""
    report: Dict[str, Any] = {
        "run_id": run_id,
        "outcome": outcome.outcome,
        "artefacts": "removed" if outcome.succeeded else "kept",
        "detail": outcome.detail[:500],
    }
    if outcome.tasks:
        report["tasks"] = list(outcome.tasks[:LISTED_NAMES])
    return report


def drop_table(session: Any, table: str) -> None:
    """DROP TABLE IF EXISTS: a state table that is already gone (or was never written) is not an error."""
    session.sql(f"DROP TABLE IF EXISTS {table}").collect()


def run_cleanup(
    session: Any, cfg: PipelineConfig, run_id: str, outcome: RunOutcome, open_registry: Callable[[], Any], datasets_store: Any,
    now: dt.datetime, jobs: Any = None,
) -> Dict[str, Any]:
    """Returns CLEANUP's return value, ``{"removed": {...}, "current_run": {...}, ...}``. ``outcome``
    is the current graph run's (mlpipeline.run_outcome); its artefacts are removed only if it succeeded.
    ``open_registry`` builds the model registry (called inside the guard); ``jobs`` lists and deletes
    ML Jobs (mlpipeline.ml_jobs.SnowflakeJobs), None to leave jobs alone."""
    cutoff = retention_cutoff(now, cfg.retention_days)
    attempts = _Attempts()
    removed: Dict[str, List[str]] = {
        "run_artifacts": [], "model_versions": [], "dataset_versions": [], "feature_state_tables": [], "ml_jobs": [], "cancelled_ml_jobs": [],
    }
    current = current_run_report(run_id, outcome)
    if not outcome.succeeded:
        print(f"cleanup: graph run {run_id} outcome {outcome.outcome} ({outcome.detail}); keeping {artifacts.run_dir(cfg, run_id)}")

    listed_ok, files = attempts.run(f"list {artifacts.runs_root(cfg)}", lambda: artifacts.list_files(session, artifacts.runs_root(cfg)))
    markers = artifacts.run_markers([f.name for f in files or []], cfg.pipeline_name)
    removed_runs: Set[str] = set()
    for run in select_run_dirs(files or [], cfg.pipeline_name, run_id, cutoff, remove_current=outcome.succeeded):
        path = artifacts.run_dir(cfg, run)
        ok, count = attempts.run(f"remove {path}", lambda path=path: artifacts.remove(session, path))
        if ok:
            removed_runs.add(run)
            if count:
                removed["run_artifacts"].append(run)
    # The dataset versions of every run folder still kept (a failed run's, for RETRY LAST).
    keep: Set[str] = {version for run, found in markers.items() if run not in removed_runs for version in found["datasets"]}

    registry_open, registry = attempts.run(f"open the model registry {cfg.registry_schema}", open_registry)
    listed_versions, versions = (
        attempts.run(f"list versions of model {cfg.model_fqn}", lambda: registry.versions(cfg.model_name)) if registry_open else (False, None)
    )
    # Dataset versions are judged only when the run folders and every surviving model version's
    # lineage are known: any error while reading them, "does not exist or not authorized" included
    # (a role without VIEW LINEAGE gets that), keeps every dataset version.
    lineage_known = listed_ok and registry_open and listed_versions
    default = None
    if listed_versions and versions is None:
        print(f"cleanup: model {cfg.model_fqn} not found; no model versions to remove")
    elif versions is not None:
        default = next((v.name for v in versions if v.is_default), None)
        surviving = [v.name for v in versions]
        for name in select_model_versions(versions, cutoff):
            ok, _ = attempts.run(f"drop model version {cfg.model_fqn} {name}", lambda name=name: registry.delete_version(cfg.model_name, name))
            if ok:
                removed["model_versions"].append(name)
                surviving.remove(name)
        for name in surviving:
            ok, used = attempts.run(f"lineage of {cfg.model_fqn} {name}", lambda name=name: registry.datasets_used_by(cfg.model_name, name))
            lineage_known = lineage_known and ok
            keep |= {base_version(version) for dataset, version in used or () if _normalize_name(dataset) == _normalize_name(cfg.dataset_fqn)}
    if not lineage_known:
        print("cleanup: the run folders or the lineage of the surviving model versions are unknown; keeping every dataset version")
    else:
        _, dataset_versions = attempts.run(f"list versions of dataset {cfg.dataset_fqn}", lambda: datasets_store.list_versions(cfg.dataset_fqn))
        for name in select_dataset_versions(dataset_versions or [], keep, cutoff):
            ok, _ = attempts.run(f"delete dataset version {cfg.dataset_fqn} {name}", lambda name=name: datasets_store.delete_version(cfg.dataset_fqn, name))
            if ok:
                removed["dataset_versions"].append(name)
                if name != base_version(name):
                    continue  # a _train/_test member of an older layout: it had no state tables
                # PREPARE_DATA saved the features' fitted state beside the version (datasets.state_tables);
                # without the version nothing can score with it, so it goes too.
                for table in state_tables(cfg, name).values():
                    dropped, _ = attempts.run(f"drop table {table}", lambda table=table: drop_table(session, table))
                    if dropped:
                        removed["feature_state_tables"].append(table)

    if jobs is not None:
        prefix = ml_jobs.job_name(cfg)
        _, listed = attempts.run(f"list ML Jobs {prefix}* in {cfg.database}.{cfg.schema}", lambda: jobs.list(cfg.database, cfg.schema, prefix))
        # This run's own jobs (its submission markers) still running: TRAIN_MODEL was stopped from
        # outside (its timeout, STATEMENT_TIMEOUT_IN_SECONDS, a cancelled graph run) before it could
        # cancel them, and a job left running keeps billing the pool.
        own = {f"{prefix}_{token}".upper() for token in markers.get(run_id, {}).get("attempts", set())}
        for job_id in ml_jobs.select_running_jobs(listed or [], own):
            ok, _ = attempts.run(f"cancel ML Job {job_id}", lambda job_id=job_id: jobs.cancel(job_id))
            if ok:
                removed["cancelled_ml_jobs"].append(job_id)
        for job_id in ml_jobs.select_expired_jobs(listed or [], prefix, cutoff, is_expired):
            ok, _ = attempts.run(f"delete ML Job {job_id}", lambda job_id=job_id: jobs.delete(job_id))
            if ok:
                removed["ml_jobs"].append(job_id)

    if attempts.errors:
        raise CleanupError(f"clean-up of run {run_id} failed for {len(attempts.errors)} object(s): " + "; ".join(attempts.errors))
    return {
        "removed": {kind: _summary(names) for kind, names in removed.items()},
        "current_run": current,
        "missing": _summary(attempts.missing),
        "retention_days": cfg.retention_days,
        "kept_default_model_version": default,
        "kept_dataset_versions_in_use": sorted(keep)[:LISTED_NAMES],
    }
