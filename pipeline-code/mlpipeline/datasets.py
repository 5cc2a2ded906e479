"""Versioned datasets (snowflake.ml.dataset) with train and test splits.

The dataset lives in the registry schema (graph config registry_schema) under the config's
dataset_name. Its version comes from the source table's last-altered time
(``v<YYYYMMDD_HH24MISS>``, plus ``_train`` and ``_test``); when all three exist they are reused.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from mlpipeline import features, source_data
from mlpipeline.config import PipelineConfig
from mlpipeline.errors import is_missing_error

TRAIN_SUFFIX = "_train"
TEST_SUFFIX = "_test"


@dataclass(frozen=True)
class VersionInfo:
    name: str
    created_on: Optional[dt.datetime]


def version_names(last_altered: str) -> Dict[str, str]:
    version = f"v{last_altered}"
    return {"version": version, "train": version + TRAIN_SUFFIX, "test": version + TEST_SUFFIX}


def base_version(version: str) -> str:
    for suffix in (TRAIN_SUFFIX, TEST_SUFFIX):
        if version.endswith(suffix):
            return version[: -len(suffix)]
    return version


class SnowflakeDatasets:
    """snowflake.ml.dataset behind the small interface PREPARE_DATA and CLEANUP use."""

    def __init__(self, session: Any):
        self.session = session

    def _load(self, name: str) -> Any:
        from snowflake.ml.dataset import Dataset

        try:
            return Dataset.load(self.session, name)
        except Exception as error:  # DatasetNotExistError lives in a private module
            if is_missing_error(error):
                return None
            raise

    def list_versions(self, name: str) -> List[VersionInfo]:
        dataset = self._load(name)
        if dataset is None:
            return []
        result = []
        for version in dataset.list_versions():
            created = dataset.select_version(version).selected_version.created_on
            result.append(VersionInfo(name=str(version), created_on=created))
        return result

    def create_version(self, name: str, version: str, frame: Any, *, label_cols: Sequence[str], exclude_cols: Sequence[str], comment: str) -> None:
        from snowflake.ml.dataset import Dataset

        dataset = Dataset.create(self.session, name, exist_ok=True)
        dataset.create_version(version, frame, label_cols=list(label_cols), exclude_cols=list(exclude_cols), comment=comment)

    def delete_version(self, name: str, version: str) -> None:
        dataset = self._load(name)
        if dataset is None:
            raise LookupError(f"dataset {name} does not exist")
        dataset.delete_version(version)


def prepare(session: Any, cfg: PipelineConfig, store: Any, sp: Any = None) -> Dict[str, Any]:
    """PREPARE_DATA's work: source table (sample data if enabled), features, dataset versions.

    Returns the dataset descriptors (PREPARE_DATA's return value, docs/design.md).
    """
    source = source_data.ensure_source(session, cfg)
    names = version_names(source.last_altered)
    wanted = [names["version"], names["train"], names["test"]]
    existing = {info.name for info in store.list_versions(cfg.dataset_fqn)}
    reused = all(version in existing for version in wanted)
    if reused:
        print(f"dataset {cfg.dataset_fqn} versions {', '.join(wanted)} exist; source unchanged, reusing them")
    else:
        for version in wanted:
            if version in existing:  # left by an interrupted run: rebuild the set
                store.delete_version(cfg.dataset_fqn, version)
        frame = features.build_feature_frame(session.table(cfg.source_table), sp)
        train, test = features.split_frames(frame, sp)
        kwargs = dict(label_cols=features.LABEL_COLUMNS, exclude_cols=features.EXCLUDE_COLUMNS)
        store.create_version(cfg.dataset_fqn, names["version"], frame, comment=f"Features of {cfg.source_table}", **kwargs)
        store.create_version(cfg.dataset_fqn, names["train"], train, comment=f"Training split ({features.TRAIN_PERCENT} %) of {names['version']}", **kwargs)
        store.create_version(cfg.dataset_fqn, names["test"], test, comment=f"Test split of {names['version']}", **kwargs)
    return {
        "dataset": {"name": cfg.dataset_fqn, **names},
        "feature_cols": list(features.FEATURE_COLUMNS),
        "label_cols": list(features.LABEL_COLUMNS),
        "exclude_cols": list(features.EXCLUDE_COLUMNS),
        "source_table": cfg.source_table,
        "source_last_altered": source.last_altered,
        "sample_data_loaded": source.sample_loaded,
        "reused": reused,
    }
