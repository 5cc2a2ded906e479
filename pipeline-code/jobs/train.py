"""ML Job payload of TRAIN_MODEL: train XGBoost on the dataset's train split, evaluate on train and
test, save the model (model.ubj) to the artifact stage, return metrics.

On the compute pool the ML Job launcher runs this file as a script with the arguments TRAIN_MODEL
passed (mlpipeline.ml_jobs.payload_args) and returns the module global ``__return__`` as the job's
result. The dataset version holds both splits (its SPLIT column, mlpipeline.features).

- One instance: the train split is read into pandas and trained on this node.
- Several instances: snowflake-ml's distributed XGBEstimator reads the train split through a
  DataConnector, so no node holds it whole.
- Evaluation streams both splits in batches (Snowpark ``to_pandas_batches``) and sums confusion
  counts: on the distributed path the head node holds one batch and the model, whatever the table's
  size (bench_training.py measures it).


Locally (tests) ``main(argv, io=...)`` runs the same code on pandas DataFrames served by ``io``.
"""

import argparse
import os
import sys

if __package__ in (None, ""):
    # Run as a script: the payload root (pipeline-code/ in the repository) holds mlpipeline/.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mlpipeline import artifacts, features, modeling  # noqa: E402




def parse_args(argv):
    parser = argparse.ArgumentParser(prog="jobs/train.py")
    parser.add_argument("--dataset", required=True, help="fully qualified dataset name")
    parser.add_argument("--train-version", required=True)
    parser.add_argument("--test-version", required=True)
    parser.add_argument("--label-col", required=True)
    parser.add_argument("--feature-cols", required=True, help="comma-separated")
    parser.add_argument("--model-path", required=True, help="stage file the model is written to")
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--split-col", default=features.SPLIT_COLUMN, help="column saying TRAIN or TEST")
    return parser.parse_args(argv)


class SnowflakeJobIO:
    """Dataset reads and stage writes inside the ML Job (the launcher's session)."""

    def __init__(self, session=None):
        if session is None:
            from snowflake.snowpark.context import get_active_session

            session = get_active_session()
        self.session = session

    def _split(self, name, version, split_col, split):
        from snowflake.ml.dataset import load_dataset
        from snowflake.snowpark.functions import col, lit

        frame = load_dataset(self.session, name, version).read.to_snowpark_dataframe()
        return frame.filter(col(split_col) == lit(split))

    def frame(self, name, version, split_col, split):
        """The split's rows as one pandas DataFrame (the one-node training)."""
        return self._split(name, version, split_col, split).to_pandas()

    def batches(self, name, version, split_col, split):
        """The split's rows as pandas DataFrames, one result batch at a time."""
        return self._split(name, version, split_col, split).to_pandas_batches()

    def connector(self, name, version, split_col, split):
        """The split's rows as a DataConnector, read in batches by the distributed estimator.

        The dataset reader's DataFrame is a ``read.parquet`` (a scoped temporary file format, the
        SELECT, a DROP as post-action), which ``DataConnector.from_dataframe`` refuses ("DataFrames
        with multiple queries and/or post-actions not supported", snowflake/ml/data/data_connector.py,
        1.48.0). So the split is materialised once here (``cache_result``: a scoped temporary table,
        one SELECT), and that SELECT is run once without fetching its rows; the connector carries
        its query id, so every worker reads that query's result batches (``DataFrameInfo.query_id``,
        snowflake/ml/data/ingestor_utils.py) instead of re-running SQL against a temporary table
        only this session can see."""
        from snowflake.ml.data.data_connector import DataConnector
        from snowflake.ml.data.data_source import DataFrameInfo

        rows = self._split(name, version, split_col, split).cache_result()
        (query,) = rows.queries["queries"]
        return DataConnector.from_sources(self.session, [DataFrameInfo(sql=query, query_id=rows.collect_nowait().query_id)])

    def save(self, path, data):
        artifacts.write_bytes(self.session, path, data)


def run(args, io, distributed_trainer=None):
    feature_cols = [c for c in args.feature_cols.split(",") if c]
    booster, distributed, train_df = None, False, None
    if args.instances > 1:
        try:
            connector = io.connector(args.dataset, args.train_version, args.split_col, features.TRAIN)
            booster = (distributed_trainer or modeling.train_distributed)(connector, feature_cols, args.label_col)
            distributed = True
        except ImportError as error:
            print(f"distributed XGBoost unavailable ({error}); training on one node")
    if booster is None:
        train_df = io.frame(args.dataset, args.train_version, args.split_col, features.TRAIN)
        booster = modeling.train_local(train_df, feature_cols, args.label_col)
        train_metrics, train_rows = modeling.evaluate(booster, train_df, feature_cols, args.label_col, "train"), len(train_df)
        del train_df
    else:
        train_metrics, train_rows = modeling.evaluate_batches(
            booster, io.batches(args.dataset, args.train_version, args.split_col, features.TRAIN), feature_cols, args.label_col, "train"
        )
    test_metrics, test_rows = modeling.evaluate_batches(
        booster, io.batches(args.dataset, args.test_version, args.split_col, features.TEST), feature_cols, args.label_col, "test"
    )
    metrics = {**train_metrics, **test_metrics}
    io.save(args.model_path, modeling.model_to_bytes(booster))
    print(f"model saved to {args.model_path}; metrics {metrics}")
    info = {
        "distributed": distributed,
        "instances": args.instances,
        "rounds": modeling.DEFAULT_ROUNDS,
        "params": modeling.training_params(),
        "train_rows": int(train_rows),  # the rows the train metrics cover
        "test_rows": int(test_rows),
    }
    return {"model_path": args.model_path, "metrics": metrics, **info}


def main(argv=None, io=None, distributed_trainer=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args, io or SnowflakeJobIO(), distributed_trainer)


if __name__ == "__main__":
    __return__ = main()
