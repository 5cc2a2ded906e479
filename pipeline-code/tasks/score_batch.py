"""SCORE_BATCH (optional; not in the sample graph): score the unlabelled loans of a table with the
model's default version and append the scores to another table.

Add it to pipeline.yaml (README, "Scoring new rows"): a task entry
``{name: SCORE_BATCH, after: [PROMOTE_MODEL], entrypoint: tasks/score_batch.py}`` (or a graph of its
own on a schedule), and two graph config keys, declared in ``configSchema``:

- ``scoring_input_table``: DB.SCHEMA.TABLE with the source table's columns (the label is not needed);
- ``scoring_output_table``: DB.SCHEMA.TABLE the scores are appended to (created on first write), with
  mlpipeline.scoring.SCORE_COLUMNS: SCORED_AT, LOAN_ID, PREDICTED_CLASS, PROBABILITY.

The features use the saved state of the dataset version the default model version was trained on
(its metadata) and the source table as history for the 30-day county average.
When the stack declares a model monitor (``monitor_*`` graph config keys), the same scores are also
appended to the monitor's inference log with the version that scored them
(monitoring.append_inferences), which is what the monitor of the promoted version reads.
Returns ``{"model", "version", "training_dataset_version", "output_table", "scored_at"}``, plus
``"inference_log"`` and ``"logged_rows"`` with a monitor.
"""

import datetime as dt
import json

from mlpipeline import datasets, monitoring, scoring
from mlpipeline import registry as model_registry
from mlpipeline.config import table_key
from mlpipeline.graph_context import GraphContext


def main(session, *, registry=None, now=None):
    """Handler. ``registry`` (model versions) and ``now`` are seams for tests; in Snowflake the
    registry is snowflake.ml.registry's in the registry schema."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    raw = ctx.raw_config()
    input_table = table_key(raw, "scoring_input_table")
    output_table = table_key(raw, "scoring_output_table")
    model_version = (registry or model_registry.SnowflakeRegistry(session, cfg.registry_schema)).default_model_version(cfg.model_name)
    trained_on = scoring.training_dataset_version(model_version)
    scored_at = now or dt.datetime.now(dt.timezone.utc)
    scores = scoring.score_batch(
        session, session.table(input_table), model_version, datasets.state_tables(cfg, trained_on),
        history=session.table(cfg.source_table), scored_at=scored_at,
    )
    version = str(getattr(model_version, "version_name", ""))
    if cfg.monitor is not None:
        # Materialised once, so the output table and the inference log get the same rows and the
        # model's PREDICT_PROBA runs once.
        scores = scores.cache_result()
    scores.write.save_as_table(output_table, mode="append")
    result = {
        "model": cfg.model_fqn,
        "version": version,
        "training_dataset_version": trained_on,
        "output_table": output_table,
        "scored_at": scored_at.astimezone(dt.timezone.utc).isoformat(),
    }
    if cfg.monitor is not None:
        result["logged_rows"] = monitoring.append_inferences(session, cfg.registry_schema, cfg.pipeline_name, scores, version)
        result["inference_log"] = monitoring.names(cfg.registry_schema, cfg.pipeline_name).log
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
