"""Batch scoring: unlabelled loans in, one row per loan out, scored by a registered model version with
the feature state of the dataset version it was trained on.

``score_batch(session, rows, model_version, state_tables, *, history=None, scored_at=None)`` returns a
lazy Snowpark DataFrame with ``SCORE_COLUMNS``:

| Column | Type | Holds |
| --- | --- | --- |
| SCORED_AT | TIMESTAMP_NTZ (UTC) | when the batch was scored (the same for every row of a call) |
| LOAN_ID | the input's | the loan's key, as given |
| PREDICTED_CLASS | INTEGER | 1 where PROBABILITY >= modeling.DECISION_THRESHOLD, else 0 (what the model's PREDICT returns) |
| PROBABILITY | DOUBLE | P(class 1), the model's PREDICT_PROBA |

These are the columns a model monitor needs (a timestamp, the id, the prediction class and score:
https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability), so
the output can be appended to an inference log as it is.

Features: the new rows' per-row features are computed with the same code as training
(features.row_features); the 30-day county average reads the county's earlier loans, so pass the
source table as ``history``. A loan of ``rows`` that is also in ``history`` is scored once, with the
values of ``rows``. The learned part (category codes, county incomes, imputation means) comes from
the saved state tables of the model's training dataset version (datasets.state_tables), never from
the new rows.
"""

import datetime as dt
from typing import Any, Mapping, Optional

from mlpipeline import features, modeling
from mlpipeline.source_schema import SOURCE_TABLE_COLUMNS

SCORE_COLUMNS = ("SCORED_AT", features.ID_COLUMN, "PREDICTED_CLASS", "PROBABILITY")
# The model's PREDICT_PROBA output columns (snowflake-ml names a classifier's probability columns
# output_feature_<class>); class 1's is the probability.
PROBABILITY_OUTPUT = "output_feature_1"
# The source columns scoring reads (the source table's, without the label).
INPUT_COLUMNS = tuple(name for name, _ in SOURCE_TABLE_COLUMNS if name != features.LABEL_COLUMN)


class ScoringError(ValueError):
    """The rows, the model version or its metadata cannot be scored; the message says which and why."""


def training_dataset_version(model_version: Any) -> str:
    """The dataset version a model version was trained on, from the metadata PROMOTE_MODEL recorded
    (registry.version_metadata: ``training_dataset.version`` among the version's metrics)."""
    metrics = model_version.show_metrics()
    try:
        return str(metrics["training_dataset"]["version"])
    except (KeyError, TypeError):
        raise ScoringError(
            f"model version {getattr(model_version, 'version_name', '?')} records no training_dataset.version in its metrics; "
            "it was not registered by this pipeline (registry.version_metadata), so its feature state is unknown"
        ) from None


def _source_columns(frame: Any, what: str, sp: Any) -> Any:
    """``frame``'s INPUT_COLUMNS plus a NULL label (row_features carries the label through)."""
    names = {str(c).strip('"').upper() for c in frame.columns}
    missing = [c for c in INPUT_COLUMNS if c not in names]
    if missing:
        raise ScoringError(f"{what} lack column(s) {', '.join(missing)}; expected the source table's columns {', '.join(INPUT_COLUMNS)}")
    F, T = sp.functions, sp.types
    return frame.select([F.col(c) for c in INPUT_COLUMNS] + [F.lit(None).cast(T.IntegerType()).alias(features.LABEL_COLUMN)])


def _column_named(frame: Any, name: str) -> str:
    for column in frame.columns:
        if str(column).strip('"').lower() == name.lower():
            return column
    raise ScoringError(f"the model's PREDICT_PROBA returned no {name} column (columns: {', '.join(map(str, frame.columns))})")


def score_batch(session: Any, rows: Any, model_version: Any, state_tables: Mapping[str, str], *,
                history: Optional[Any] = None, scored_at: Optional[dt.datetime] = None, sp: Any = None) -> Any:
    """Score unlabelled ``rows`` (a Snowpark DataFrame with the source table's columns; a label column
    is ignored) with ``model_version`` (a snowflake.ml ModelVersion, e.g.
    ``Registry(...).get_model(name).default``). ``state_tables`` is ``{"lookups": ..., "means": ...}``
    of the model's training dataset version (``datasets.state_tables(cfg, training_dataset_version(mv))``).
    ``history``: earlier loans (the source table) for the 30-day county average. ``scored_at``
    defaults to now (UTC). Returns a lazy DataFrame with SCORE_COLUMNS, one row per row of ``rows``."""
    sp = sp or features.snowpark_api()
    F, T = sp.functions, sp.types
    col = F.col
    scored_at = (scored_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(tzinfo=None)
    new = _source_columns(rows, "the rows to score", sp)
    ids = new.select(col(features.ID_COLUMN).alias("SCORE_KEY"))
    combined = new
    if history is not None:
        earlier = _source_columns(history, "the history rows", sp)
        # A loan in both is taken from the new rows, so it is neither scored twice nor averaged twice.
        earlier = earlier.join(ids, col(features.ID_COLUMN) == col("SCORE_KEY"), how="leftanti")
        combined = new.union_all(earlier)
    per_row = features.row_features(combined, sp)
    per_row = per_row.join(ids.distinct(), col(features.ID_COLUMN) == col("SCORE_KEY"), how="leftsemi")
    state = features.FeatureState(lookups=session.table(state_tables["lookups"]), means=session.table(state_tables["means"]))
    inputs = features.apply_state(per_row, state, sp).select([col(features.ID_COLUMN)] + [col(c) for c in features.FEATURE_COLUMNS])
    predicted = model_version.run(inputs, function_name="predict_proba")
    return predicted.select(score_columns(_column_named(predicted, PROBABILITY_OUTPUT), scored_at, sp))


def score_columns(probability_column: str, scored_at: dt.datetime, sp: Any, threshold: float = modeling.DECISION_THRESHOLD) -> "list[Any]":
    """SCORE_COLUMNS as Snowpark column expressions over a frame with LOAN_ID and the model's
    P(class 1) in ``probability_column``; ``scored_at`` is naive UTC. The model monitor's baseline
    (monitoring.baseline_frame) uses the same columns, so its rows match the inference log's."""
    F, T = sp.functions, sp.types
    probability = F.col(probability_column).cast(T.DoubleType())
    return [
        F.lit(scored_at).cast(T.TimestampType(T.TimestampTimeZone.NTZ)).alias("SCORED_AT"),
        F.col(features.ID_COLUMN),
        F.iff(probability >= F.lit(threshold), F.lit(1), F.lit(0)).cast(T.IntegerType()).alias("PREDICTED_CLASS"),
        probability.alias("PROBABILITY"),
    ]
