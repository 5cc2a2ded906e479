"""Training benchmark (not a test): time, accuracy and the head node's peak memory of the training
payload's two paths on a seed-sized generated table (369,245 rows, the seed's
MORTGAGE_LENDING_DEMO_DATA), on this machine.

- single_node: the head node reads the train and test splits into pandas and trains (one instance).
- distributed_head_node: with several instances the distributed estimator reads the train split
  through a DataConnector on its workers; the head node streams both splits in result batches for
  the metrics (jobs/train.py, modeling.evaluate_batches) and holds one batch and the model.
  snowflake-ml's XGBEstimator exists only in the ML container runtime, so the model is trained here
  in a separate process standing in for the workers; the head node's memory and evaluation are
  measured as they run, the estimator's own driver overhead is not. Run with --rows 4x the default
  to see its peak stay flat while the single node's grows.

Each path runs in its own process (peak RSS is per process), reading the splits from files a
preparation process wrote to a temporary folder (removed afterwards). Prints one JSON line.
Run from pipeline-code/: ``python bench_training.py [--rows N]`` (``npm run bench -- --python``
uses the pinned environment).
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

# On a shared 2-core machine XGBoost's spinning OpenMP threads made the fit 4x slower (26 s
# instead of 6 s for the old 150-round defaults); wait passively unless told otherwise. Set before
# xgboost (and its libgomp) is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mlpipeline import features, modeling, sample_data  # noqa: E402

SEED_ROWS = 369_245
BATCH_ROWS = 50_000  # stands for the size of a Snowflake result batch streamed to the head node


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM (Linux) rather than getrusage's ru_maxrss: Linux
    carries ru_maxrss over fork and exec, so a child started by a big parent would report its
    parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def prepare(rows: int, folder: str) -> dict:
    """The dataset version's splits as files, and a model trained on the train split (the workers'
    stand-in for the distributed path)."""
    import pandas as pd

    t0 = time.perf_counter()
    raw = sample_data.generate_frame(rows)
    t1 = time.perf_counter()
    frame = features.reference_features(raw)
    t2 = time.perf_counter()
    train, test = features.split(frame)
    for name, split in (("train", train), ("test", test)):
        for index, start in enumerate(range(0, len(split), BATCH_ROWS)):
            split.iloc[start:start + BATCH_ROWS].to_pickle(os.path.join(folder, f"{name}_{index:05d}.pkl"))
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN)
    with open(os.path.join(folder, "model.ubj"), "wb") as handle:
        handle.write(modeling.model_to_bytes(booster))
    del pd
    return {"rows": rows, "train_rows": len(train), "test_rows": len(test), "generate_s": round(t1 - t0, 2), "features_s": round(t2 - t1, 2)}


def batches(folder: str, split: str, held: list):
    """The split's batch files, one at a time (as Snowpark's to_pandas_batches yields result batches)."""
    import pandas as pd

    for name in sorted(f for f in os.listdir(folder) if f.startswith(split + "_")):
        batch = pd.read_pickle(os.path.join(folder, name))
        held[0] = max(held[0], len(batch))
        yield batch
        del batch


def run_path(path: str, folder: str) -> dict:
    import pandas as pd

    held = [0]
    t0 = time.perf_counter()
    if path == "single_node":
        train = pd.concat(list(batches(folder, "train", [0])), ignore_index=True)
        held[0] = len(train)
        booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN)
        t1 = time.perf_counter()
        train_metrics = modeling.evaluate(booster, train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, "train")
    else:
        with open(os.path.join(folder, "model.ubj"), "rb") as handle:
            booster = modeling.model_from_bytes(handle.read())
        t1 = time.perf_counter()
        train_metrics, _ = modeling.evaluate_batches(booster, batches(folder, "train", held), features.FEATURE_COLUMNS, features.LABEL_COLUMN, "train")
    test_metrics, _ = modeling.evaluate_batches(booster, batches(folder, "test", held), features.FEATURE_COLUMNS, features.LABEL_COLUMN, "test")
    metrics = {**train_metrics, **test_metrics}
    t2 = time.perf_counter()
    result = {
        "rows_held": held[0],  # the most rows held at once
        "evaluate_s": round(t2 - t1, 2),
        "peak_rss_mb": peak_rss_mb(),
        "test_accuracy": metrics["test_accuracy"],
        "test_f1": metrics["test_f1"],
        "train_accuracy": metrics["train_accuracy"],
    }
    if path == "single_node":
        result["fit_s"] = round(t1 - t0, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=SEED_ROWS)
    parser.add_argument("--path", choices=["single_node", "distributed_head_node"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.path:  # one path, in its own process
        print(json.dumps(run_path(args.path, args.folder)))
        return

    import xgboost

    folder = tempfile.mkdtemp(prefix="bench-training-")
    try:
        report = prepare(args.rows, folder)
        for path in ("single_node", "distributed_head_node"):
            out = subprocess.run([sys.executable, __file__, "--path", path, "--folder", folder], capture_output=True, text=True, check=True)
            report[path] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report.update({
        "batch_rows": BATCH_ROWS,
        "features": len(features.FEATURE_COLUMNS),
        "rounds": modeling.DEFAULT_ROUNDS,
        "params": modeling.DEFAULT_PARAMS,
        "xgboost": xgboost.__version__,
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "cpus": os.cpu_count(),
    })
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
