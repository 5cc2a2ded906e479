"""ML Job payload of TRAIN_MODEL: train XGBoost on the dataset's train split, evaluate on train and
test, save the model (model.ubj) to the artifact stage, return metrics.

On the compute pool the ML Job launcher runs this file as a script with the arguments TRAIN_MODEL
passed (mlpipeline.ml_jobs.payload_args) and returns the module global ``__return__`` as the job's
result. With several instances training is distributed (snowflake-ml's XGBEstimator).

Locally (tests) ``main(argv, io=...)`` runs the same code on pandas DataFrames served by ``io``.
"""

import argparse
import os
import sys

if __package__ in (None, ""):
    # Run as a script: the payload root (pipeline-code/ in the repository) holds mlpipeline/.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mlpipeline import artifacts, modeling  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="jobs/train.py")
    parser.add_argument("--dataset", required=True, help="fully qualified dataset name")
    parser.add_argument("--train-version", required=True)
    parser.add_argument("--test-version", required=True)
    parser.add_argument("--label-col", required=True)
    parser.add_argument("--feature-cols", required=True, help="comma-separated")
    parser.add_argument("--model-path", required=True, help="stage file the model is written to")
    parser.add_argument("--instances", type=int, default=1)
    return parser.parse_args(argv)


class SnowflakeJobIO:
    """Dataset reads and stage writes inside the ML Job (the launcher's session)."""

    def __init__(self, session=None):
        if session is None:
            from snowflake.snowpark.context import get_active_session

            session = get_active_session()
        self.session = session

    def load(self, name, version):
        from snowflake.ml.dataset import load_dataset

        return load_dataset(self.session, name, version).read.to_pandas()

    def save(self, path, data):
        artifacts.write_bytes(self.session, path, data)


def run(args, io, distributed_trainer=None):
    feature_cols = [c for c in args.feature_cols.split(",") if c]
    train_df = io.load(args.dataset, args.train_version)
    test_df = io.load(args.dataset, args.test_version)
    booster, metrics, info = modeling.train_and_evaluate(
        train_df,
        test_df,
        feature_cols,
        args.label_col,
        instances=args.instances,
        distributed_trainer=distributed_trainer,
    )
    io.save(args.model_path, modeling.model_to_bytes(booster))
    print(f"model saved to {args.model_path}; metrics {metrics}")
    return {"model_path": args.model_path, "metrics": metrics, **info}


def main(argv=None, io=None, distributed_trainer=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args, io or SnowflakeJobIO(), distributed_trainer)


if __name__ == "__main__":
    __return__ = main()
