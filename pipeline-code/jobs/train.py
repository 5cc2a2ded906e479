"""ML Job payload of TRAIN_MODEL: train XGBoost on the dataset's train split, evaluate on train and
test, save the model (model.ubj) to the artifact stage, return metrics.

On the compute pool the ML Job launcher runs this file as a script with the arguments TRAIN_MODEL
passed (mlpipeline.ml_jobs.payload_args) and returns the module global ``__return__`` as the job's
result. The dataset version holds both splits (its SPLIT column, mlpipeline.features).

- One instance: the train split is read into pandas and trained on this node.
- Several instances: snowflake-ml's distributed XGBEstimator reads the train split through a
  DataConnector, so no node holds it whole; the train metrics are then computed on at most
  TRAIN_EVAL_ROWS of it. The test split is read into pandas for evaluation on both paths.


Locally (tests) ``main(argv, io=...)`` runs the same code on pandas DataFrames served by ``io``.
"""

import argparse
import os
import sys

if __package__ in (None, ""):
    # Run as a script: the payload root (pipeline-code/ in the repository) holds mlpipeline/.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mlpipeline import artifacts, features, modeling  # noqa: E402


TRAIN_EVAL_ROWS = 100_000


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

    def frame(self, name, version, split_col, split, limit=None):
        """The split's rows as a pandas DataFrame (at most ``limit``)."""
        rows = self._split(name, version, split_col, split)
        return (rows if limit is None else rows.limit(limit)).to_pandas()

    def connector(self, name, version, split_col, split):
        """The split's rows as a DataConnector, read in batches by the distributed estimator."""
        from snowflake.ml.data.data_connector import DataConnector

        return DataConnector.from_dataframe(self._split(name, version, split_col, split))

    def save(self, path, data):
        artifacts.write_bytes(self.session, path, data)


def run(args, io, distributed_trainer=None):
    feature_cols = [c for c in args.feature_cols.split(",") if c]
    test_df = io.frame(args.dataset, args.test_version, args.split_col, features.TEST)
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
    else:
        train_df = io.frame(args.dataset, args.train_version, args.split_col, features.TRAIN, limit=TRAIN_EVAL_ROWS)
    metrics = {
        **modeling.evaluate(booster, train_df, feature_cols, args.label_col, "train"),
        **modeling.evaluate(booster, test_df, feature_cols, args.label_col, "test"),
    }
    io.save(args.model_path, modeling.model_to_bytes(booster))
    print(f"model saved to {args.model_path}; metrics {metrics}")
    info = {
        "distributed": distributed,
        "instances": args.instances,
        "rounds": modeling.DEFAULT_ROUNDS,
        "params": modeling.training_params(),
        "train_rows": int(len(train_df)),  # the rows the train metrics cover
        "test_rows": int(len(test_df)),
    }
    return {"model_path": args.model_path, "metrics": metrics, **info}


def main(argv=None, io=None, distributed_trainer=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args, io or SnowflakeJobIO(), distributed_trainer)


if __name__ == "__main__":
    __return__ = main()
