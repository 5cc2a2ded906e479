"""Model registry: register the run's model version with metrics and dataset lineage, make it default.

Models live in the registry schema (graph config registry_schema) under the config's model_name.
The version name is the graph run's id (GraphContext.run_id), so a retried run finds and reuses
the version it registered before instead of adding another.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

from mlpipeline import artifacts
from mlpipeline import model_aliases
from mlpipeline import modeling
from mlpipeline.config import PipelineConfig, split_name


# Where the registered model can run: warehouse functions (<model>!PREDICT) and Snowpark Container
# Services (ModelVersion.create_service) without logging it again.
TARGET_PLATFORMS = ("WAREHOUSE", "SNOWPARK_CONTAINER_SERVICES")


def log_model_options() -> Dict[str, Any]:
    """``options`` of Registry.log_model, set explicitly rather than left to the library's defaults
    (enable_explainability defaulted to True for warehouse models from snowflake-ml-python 1.8.4 and
    to False again from 1.47.0: https://github.com/snowflakedb/snowflake-ml-python/blob/1.48.0/CHANGELOG.md).

    - enable_explainability False: no EXPLAIN function and no shap dependency (faster log_model);
    - target_methods predict (the 0/1 class) and predict_proba (the probabilities of 0 and 1);
    - relax_version False: the model's dependencies keep the exact xgboost and snowflake-ml-python
      pins of pipeline.yaml instead of being widened to >=x.y,<x+1.
    """
    return {"enable_explainability": False, "target_methods": ["predict", "predict_proba"], "relax_version": False}


@dataclass(frozen=True)
class ModelVersionInfo:
    name: str
    created_on: Optional[dt.datetime]
    is_default: bool
    # The version's own alias (SHOW VERSIONS ``aliases`` without DEFAULT, FIRST and LAST).
    aliases: Tuple[str, ...] = ()


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


class SnowflakeRegistry:
    """snowflake.ml.registry behind the small interface PROMOTE_MODEL and CLEANUP use."""

    def __init__(self, session: Any, registry_schema: str):
        from snowflake.ml.registry import Registry

        database, schema = split_name(registry_schema)
        self.session = session
        self.registry = Registry(session=session, database_name=database, schema_name=schema)

    def _model(self, model_name: str) -> Any:
        models = self.registry.show_models()
        names = {str(name).upper() for name in models["name"]} if len(models) else set()
        return self.registry.get_model(model_name) if model_name.upper() in names else None

    def versions(self, model_name: str) -> Optional[List[ModelVersionInfo]]:
        """The model's versions, or None when the model does not exist."""
        model = self._model(model_name)
        if model is None:
            return None
        table = model.show_versions()
        return [
            ModelVersionInfo(name=str(row["name"]), created_on=row["created_on"], is_default=_truthy(row["is_default_version"]),
                             aliases=model_aliases.parse_aliases(row.get("aliases")))
            for _, row in table.iterrows()
        ]

    def log_model(self, model_name: str, version: str, model: Any, *, train_dataset: Tuple[str, str],
                  metrics: Dict[str, Any], comment: str) -> None:
        """Register ``model``; its sample input is read from the training dataset version, which
        records the dataset -> model lineage. Options are explicit (log_model_options)."""
        from snowflake.ml.dataset import load_dataset

        name, dataset_version = train_dataset
        sample = load_dataset(self.session, name, dataset_version).read.to_snowpark_dataframe(only_feature_cols=True).limit(100)
        self.registry.log_model(
            model,
            model_name=model_name,
            version_name=version,
            sample_input_data=sample,
            metrics=dict(metrics),
            comment=comment,
            target_platforms=list(TARGET_PLATFORMS),
            options=log_model_options(),
        )

    def set_default(self, model_name: str, version: str) -> None:
        self.registry.get_model(model_name).default = version

    def set_alias(self, model_name: str, version: str, alias: str) -> None:
        """ALTER MODEL <m> VERSION <v> SET ALIAS = <a> (ModelVersion.set_alias)."""
        self.registry.get_model(model_name).version(version).set_alias(alias)

    def unset_alias(self, model_name: str, version: str) -> None:
        """ALTER MODEL <m> VERSION <v> UNSET ALIAS (ModelVersion.unset_alias takes the version or alias to clear)."""
        self.registry.get_model(model_name).version(version).unset_alias(version)

    def predict_proba(self, model_name: str, version: str, frame: Any) -> Any:
        """``frame`` with the version's PREDICT_PROBA outputs added (ModelVersion.run; output_feature_1 is P(class 1))."""
        return self.registry.get_model(model_name).version(version).run(frame, function_name="predict_proba")

    def delete_version(self, model_name: str, version: str) -> None:
        self.registry.get_model(model_name).delete_version(version)

    def default_version(self, model_name: str) -> Optional[str]:
        model = self._model(model_name)
        if model is None:
            return None
        return str(model.default.version_name)

    def default_model_version(self, model_name: str) -> Any:
        """The model's default ModelVersion (snowflake.ml), e.g. for scoring."""
        return self.registry.get_model(model_name).default

    def datasets_used_by(self, model_name: str, version: str) -> Set[Tuple[str, str]]:
        """(dataset name, dataset version) pairs upstream of a model version (its lineage)."""
        model = self._model(model_name)
        if model is None:
            return set()
        used = set()
        for node in model.version(version).lineage("upstream", domain_filter={"dataset"}):
            selected = getattr(node, "selected_version", None)
            node_version = getattr(node, "version", None) or (selected.name if selected is not None else None)
            if node_version:
                used.add((str(node.fully_qualified_name).upper(), str(node_version)))
        return used


def load_model_from_stage(session: Any, path: str) -> Any:
    """The model to register: an XGBClassifier carrying the trained booster, so ``predict`` returns the
    class (probability >= modeling.DECISION_THRESHOLD) and ``predict_proba`` the probabilities."""
    return classifier_from_bytes(artifacts.read_bytes(session, path))


def classifier_from_bytes(data: bytes) -> Any:
    """An ``xgboost.XGBClassifier`` carrying the booster saved by modeling.model_to_bytes.

    XGBClassifier.predict of a binary:logistic model returns 1 where P(1) >= 0.5, so it applies
    modeling.DECISION_THRESHOLD only while that is 0.5; a different threshold needs a CustomModel.
    """
    import xgboost as xgb

    if modeling.DECISION_THRESHOLD != 0.5:
        raise ValueError(
            f"modeling.DECISION_THRESHOLD is {modeling.DECISION_THRESHOLD}; XGBClassifier.predict applies 0.5, "
            "so the registered model would not predict what was scored"
        )
    classifier = xgb.XGBClassifier()
    classifier.load_model(bytearray(data))
    return classifier


def version_metadata(run_id: str, trained: Dict[str, Any], train_dataset: Tuple[str, str]) -> Dict[str, Any]:
    """What the model version records besides the metrics (log_model ``metrics`` takes any JSON value;
    ModelVersion.show_metrics reads them back): the decision threshold, the training dataset version
    and the ML Job that trained it."""
    return {
        "decision_threshold": modeling.DECISION_THRESHOLD,
        "training_dataset": {"name": train_dataset[0], "version": train_dataset[1]},
        "ml_job_id": trained.get("job_id"),
        "graph_run_id": run_id,
    }


def promote(cfg: PipelineConfig, run_id: str, trained: Dict[str, Any], prepared: Dict[str, Any], registry: Any,
            load_model: Any) -> Dict[str, Any]:
    """Register this run's model (unless this run already did) and make it the default version.

    Returns PROMOTE_MODEL's return value (docs/design.md).
    """
    version = run_id
    try:
        model_path = trained["model_path"]
        metrics = trained["metrics"]
        dataset = prepared["dataset"]
        train_dataset = (dataset["name"], dataset["train"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"a predecessor's return value lacks {error}") from error
    existing = registry.versions(cfg.model_name) or []
    reused = any(info.name.upper() == version.upper() for info in existing)
    if reused:
        print(f"model {cfg.model_fqn} version {version} exists (retried run); reusing it")
    else:
        if not isinstance(metrics, dict):
            raise ValueError(f"the training result's metrics must be an object, got {type(metrics).__name__}")
        registry.log_model(
            cfg.model_name,
            version,
            load_model(model_path),
            train_dataset=train_dataset,
            metrics={**metrics, **version_metadata(run_id, trained, train_dataset)},
            comment=(
                f"XGBoost classifier trained by {cfg.pipeline_name} run {run_id} (ML Job {trained.get('job_id')}) on "
                f"{train_dataset[0]} version {train_dataset[1]}; PREDICT returns the class 1 when P(1) >= "
                f"{modeling.DECISION_THRESHOLD}, PREDICT_PROBA the probabilities"
            ),
        )
    aliases = promote_aliases(cfg, registry, existing, version)
    registry.set_default(cfg.model_name, version)
    result = {"model": cfg.model_fqn, "version": version, "is_default": True, "reused": reused,
              "train_dataset": {"name": train_dataset[0], "version": train_dataset[1]}}
    if aliases is not None:
        result["aliases"] = aliases
    return result


def promote_aliases(cfg: PipelineConfig, registry: Any, existing: List[ModelVersionInfo], version: str) -> Optional[Dict[str, Any]]:
    """Moves the configured aliases (mlpipeline/model_aliases.py) before the default changes, so a
    retried run still knows which version it replaced. None when the pipeline declares no aliases."""
    if cfg.promoted_alias is None or cfg.previous_alias is None:
        return None
    names = model_aliases.AliasNames(cfg.promoted_alias, cfg.previous_alias)
    model_aliases.apply_steps(registry, cfg.model_name, model_aliases.plan_promotion(existing, version, names))
    replaced = model_aliases.replaced_version(existing, version, names)
    return {cfg.promoted_alias: version, cfg.previous_alias: replaced}
