"""Versioned datasets (snowflake.ml.dataset) with train and test splits, and the feature state.

The dataset lives in the registry schema (graph config registry_schema) under the config's
dataset_name. Its version comes from the source's content (``v<16 hex digits of HASH_AGG(*)>``,
mlpipeline.source_data); when it exists it is reused. One version holds every row; its SPLIT column says TRAIN or TEST
(mlpipeline.features), so train and test are read from the same files.

A new version costs one run of the feature query: the per-row features (the 30-day window) are
cached in a temporary table (Snowpark ``cache_result``, dropped with the session); the feature state
fitted on its TRAIN rows is saved in two small tables beside the dataset
(``<dataset>_<version>_LOOKUPS`` and ``_MEANS``, see ``state_tables``), which scoring queries join;
the dataset version is written from the cached rows joined with those tables.
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


def version_names(fingerprint: str) -> Dict[str, str]:
    version = f"v{fingerprint}"
    return {"version": version, "train": version + TRAIN_SUFFIX, "test": version + TEST_SUFFIX}


def base_version(version: str) -> str:
    for suffix in (TRAIN_SUFFIX, TEST_SUFFIX):
        if version.lower().endswith(suffix):
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


def state_tables(cfg: PipelineConfig, version: str) -> Dict[str, str]:
    """The feature state tables of a dataset version (in the registry schema, beside the dataset)."""
    base = f"{cfg.registry_schema}.{cfg.dataset_name}_{version}".upper()
    return {"lookups": base + "_LOOKUPS", "means": base + "_MEANS"}


def build_version_frame(session: Any, source: Any, tables: Dict[str, str], sp: Any = None) -> Any:
    """The new dataset version's rows (lazy), after caching the per-row features and saving the
    state fitted on their TRAIN rows to ``tables``."""
    rows = features.row_features(source, sp).cache_result()  # the window query runs here, once
    fitted = features.fit_state(rows, sp)
    fitted.lookups.write.save_as_table(tables["lookups"], mode="overwrite")
    fitted.means.write.save_as_table(tables["means"], mode="overwrite")
    saved = features.FeatureState(lookups=session.table(tables["lookups"]), means=session.table(tables["means"]))
    return features.apply_state(rows, saved, sp)


def prepare(session: Any, cfg: PipelineConfig, store: Any, sp: Any = None, build: Any = None) -> Dict[str, Any]:
    """PREPARE_DATA's work: source table (sample data if enabled), features, one dataset version.

    Returns the dataset descriptor (PREPARE_DATA's return value, docs/design.md). ``train`` and
    ``test`` name the version holding each split (the same one, selected by ``split_col``).
    """
    source = source_data.ensure_source(session, cfg)
    version = version_names(source.fingerprint)["version"]
    tables = state_tables(cfg, version)
    existing = {info.name for info in store.list_versions(cfg.dataset_fqn)}
    reused = version in existing
    if reused:
        print(f"dataset {cfg.dataset_fqn} version {version} exists; source unchanged, reusing it")
    else:
        frame = (build or build_version_frame)(session, session.table(cfg.source_table), tables, sp)
        store.create_version(
            cfg.dataset_fqn, version, frame,
            label_cols=features.LABEL_COLUMNS, exclude_cols=features.EXCLUDE_COLUMNS,
            comment=f"Features of {cfg.source_table}; {features.SPLIT_COLUMN} is {features.TRAIN} for {features.TRAIN_PERCENT} % of rows; state in {tables['lookups']}, {tables['means']}",
        )
    return {
        "dataset": {"name": cfg.dataset_fqn, "version": version, "train": version, "test": version},
        "split_col": features.SPLIT_COLUMN,
        "feature_state": tables,
        "feature_cols": list(features.FEATURE_COLUMNS),
        "label_cols": list(features.LABEL_COLUMNS),
        "exclude_cols": list(features.EXCLUDE_COLUMNS),
        "source_table": cfg.source_table,
        "source_fingerprint": source.fingerprint,
        "source_rows": source.row_count,
        "sample_data_loaded": source.sample_loaded,
        "reused": reused,
    }
