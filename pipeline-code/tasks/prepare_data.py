"""PREPARE_DATA: source table -> features (in Snowflake) -> versioned dataset with train/test splits.

Returns ``{"dataset": {"name", "version", "train", "test"}, "feature_cols", "label_cols", ...}``.
Records the version in the run's folder on the artifact stage (artifacts.dataset_marker_path): CLEANUP
keeps a dataset version while a run folder naming it is kept, so a failed run's RETRY LAST finds it.
"""

import json

from mlpipeline import artifacts, datasets
from mlpipeline.graph_context import GraphContext

# This task builds the dataset versions (the standalone run's --force-refresh rebuilds them).
BUILDS_DATASET = True


def main(session, *, store=None, snowpark=None, build=None):
    """Handler. ``store`` (dataset versions) and ``snowpark`` (functions/Window/types) are seams
    for tests; in Snowflake they default to snowflake.ml.dataset and snowflake.snowpark. ``build``
    (datasets.build_version_frame's signature) is a seam for tests too."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    result = datasets.prepare(session, cfg, store or datasets.SnowflakeDatasets(session), snowpark, build)
    marker = artifacts.dataset_marker_path(cfg, ctx.run_id(), result["dataset"]["version"])
    artifacts.write_bytes(session, marker, json.dumps(result["dataset"], sort_keys=True).encode("utf-8"))
    return ctx.set_return_value(json.dumps(result, sort_keys=True))
