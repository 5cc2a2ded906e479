"""Training benchmark (not a test): time and peak memory of the training payload's work on a
seed-sized generated table (369,245 rows, the seed's MORTGAGE_LENDING_DEMO_DATA), on this machine.

Prints one JSON line. Run from pipeline-code/: ``/usr/bin/python3 bench_training.py [--rows N]``.
The seed's hyperparameters (max_depth=50, n_estimators=3, learning_rate=0.75, exact trees) took
28 s to fit and 1 GB here; the payload's defaults (mlpipeline.modeling.DEFAULT_PARAMS) are reported.
"""

import argparse
import json
import os
import platform
import resource
import time

# On a shared 2-core machine XGBoost's spinning OpenMP threads made the fit 4x slower (26 s
# instead of 6 s for the old 150-round defaults); wait passively unless told otherwise. Set before
# xgboost (and its libgomp) is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mlpipeline import features, modeling, sample_data  # noqa: E402

SEED_ROWS = 369_245


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=SEED_ROWS)
    args = parser.parse_args()

    import xgboost

    t0 = time.perf_counter()
    raw = sample_data.generate_frame(args.rows)
    t1 = time.perf_counter()
    frame = features.reference_features(raw)
    train, test = features.local_split(frame)
    del raw, frame
    t2 = time.perf_counter()
    rss_before_fit = peak_rss_mb()
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    t3 = time.perf_counter()
    metrics = {
        **modeling.evaluate(booster, train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, "train"),
        **modeling.evaluate(booster, test, features.FEATURE_COLUMNS, features.LABEL_COLUMN, "test"),
    }
    t4 = time.perf_counter()
    print(json.dumps({
        "rows": args.rows,
        "train_rows": len(train),
        "test_rows": len(test),
        "features": len(features.FEATURE_COLUMNS),
        "generate_s": round(t1 - t0, 2),
        "features_s": round(t2 - t1, 2),
        "fit_s": round(t3 - t2, 2),
        "evaluate_s": round(t4 - t3, 2),
        "total_s": round(t4 - t0, 2),
        "peak_rss_mb_before_fit": rss_before_fit,
        "peak_rss_mb": peak_rss_mb(),
        "test_accuracy": metrics["test_accuracy"],
        "test_f1": metrics["test_f1"],
        "train_accuracy": metrics["train_accuracy"],
        "rounds": modeling.DEFAULT_ROUNDS,
        "params": modeling.DEFAULT_PARAMS,
        "xgboost": xgboost.__version__,
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "cpus": os.cpu_count(),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
