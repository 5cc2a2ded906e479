"""The shipped pipeline.yaml pins the libraries the model depends on, and they agree with what the
tests run and with what the ML Job's model must load in (these tests' point is the shipped file)."""

import re
from importlib import metadata

import pytest

from test_pipeline_definition import load_pipeline

PINNED = ("snowflake-ml-python", "xgboost")


def pins(packages):
    """{package: version} of the ``name==version`` entries of a PACKAGES list."""
    found = {}
    for entry in packages:
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+-]*)$", entry)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_pins_parse():
    assert pins(["snowflake-snowpark-python", "xgboost==2.1.4", "a>=1"]) == {"xgboost": "2.1.4"}


def test_the_pipeline_pins_snowflake_ml_python_and_xgboost_exactly():
    packages = load_pipeline()["packages"]
    pinned = pins(packages)
    assert set(PINNED) <= set(pinned), f"pipeline.yaml packages must pin {PINNED} with ==; got {packages}"


@pytest.mark.parametrize("package", PINNED)
def test_the_pins_are_the_versions_the_tests_run(package):
    # The wrappers' tests autospec the installed snowflake-ml-python and train with the installed
    # xgboost: the warehouse must run the same versions for those tests to say anything about it.
    try:
        installed = metadata.version(package)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{package} is not installed here")
    try:
        metadata.version("snowflake-ml-python")
    except metadata.PackageNotFoundError:
        pytest.skip(f"{package} {installed} here is not the pinned environment (Debian's packages, the fallback where the package index is out of reach)")
    assert pins(load_pipeline()["packages"])[package] == installed


def test_a_model_written_by_the_pinned_xgboost_loads_as_the_registered_classifier():
    # The ML Job's runtime is accepted only if the model it writes loads in the warehouse's xgboost
    # (TRAIN_MODEL checks that at run time, mlpipeline.ml_jobs.check_model_loads); here the same
    # version writes and reads, through the classes PROMOTE_MODEL registers.
    import pandas as pd
    import xgboost as xgb

    from mlpipeline import modeling, registry

    frame = pd.DataFrame({"A": [0.0, 1.0, 0.1, 0.9], "B": [1.0, 0.0, 0.8, 0.2]})
    booster = xgb.train({"objective": "binary:logistic", "min_child_weight": 0}, xgb.DMatrix(frame, label=[0, 1, 0, 1]), num_boost_round=3)
    data = modeling.model_to_bytes(booster)
    assert modeling.model_from_bytes(data).num_boosted_rounds() == 3
    classifier = registry.classifier_from_bytes(data)
    assert classifier.predict_proba(frame)[:, 1].tolist() == pytest.approx(booster.predict(xgb.DMatrix(frame)).tolist())


def test_a_configured_job_runtime_is_an_image_tag():
    runtime = load_pipeline().get("config", {}).get("ml_job_runtime")
    if runtime is None:
        pytest.skip("pipeline.yaml leaves the ML Job runtime to the pool's default (checked at run time)")
    assert re.match(r"^[A-Za-z0-9_.:/-]+$", runtime)
