"""The shipped pipeline.yaml pins the libraries the model depends on, and they agree with what the
tests run and with what the ML Job's model must load in (these tests' point is the shipped file).

One set of pins: every ``packages`` entry is ``name==version`` and equals requirements-test.txt's pin,
and the model trained with them is packaged by snowflake-ml's own ModelPackager (what
Registry.log_model runs before it uploads, no session needed) and loads again."""

import os
import re
from importlib import metadata

import pytest

from test_pipeline_definition import CODE_ROOT, load_pipeline

# Every library the pipeline's and the registered model's code imports (mlpipeline/, jobs/, tasks/;
# XGBClassifier imports scikit-learn, and snowflake-ml records it as the model's dependency).
PINNED = ("snowflake-snowpark-python", "snowflake-ml-python", "xgboost", "scikit-learn", "pandas", "numpy")
# The test environment's pins live beside the repository's tests (tests/python/), not in a pipeline's folder.
REQUIREMENTS_FILE = os.path.join(os.path.dirname(CODE_ROOT), "tests", "python", "requirements-test.txt")


def requirement_pins(path=REQUIREMENTS_FILE):
    """{package: version} of a requirements file's ``name==version`` lines (names lower-cased)."""
    with open(path, encoding="utf-8") as handle:
        return pins([line.strip() for line in handle if line.strip() and not line.startswith("#")])


def pinned_environment():
    """Skip unless the installed snowflake-ml-python is the pinned one (not Debian's fallback)."""
    try:
        installed = metadata.version("snowflake-ml-python")
    except metadata.PackageNotFoundError:
        pytest.skip("snowflake-ml-python is not installed here (Debian's packages, the fallback where the package index is out of reach)")
    if installed != requirement_pins()["snowflake-ml-python"]:
        pytest.skip(f"snowflake-ml-python {installed} here is not the pinned environment")


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


def test_the_pipeline_pins_every_library_the_code_imports_exactly():
    packages = load_pipeline()["packages"]
    pinned = pins(packages)
    assert set(PINNED) <= set(pinned), f"pipeline.yaml packages must pin {PINNED} with ==; got {packages}"
    assert len(pinned) == len(packages), f"every pipeline.yaml packages entry must be name==version; got {packages}"


def test_the_pipeline_pins_equal_the_test_environments_pins():
    # One set of pins: what the warehouse resolves (packages) is what the tests install.
    required = requirement_pins()
    assert {name: required.get(name) for name in pins(load_pipeline()["packages"])} == pins(load_pipeline()["packages"])


@pytest.mark.parametrize("package", PINNED)
def test_the_pins_are_the_versions_the_tests_run(package):
    # The wrappers' tests autospec the installed snowflake-ml-python and train with the installed
    # xgboost: the warehouse must run the same versions for those tests to say anything about it.
    try:
        installed = metadata.version(package)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{package} is not installed here")
    pinned_environment()
    assert pins(load_pipeline()["packages"])[package] == installed


def test_the_model_trained_under_the_pins_packages_with_snowflake_ml_and_loads_again(tmp_path):
    # What Registry.log_model does before any upload: ModelPackager.save of the classifier PROMOTE_MODEL
    # registers, with the options and platforms it passes, then a load from the written files. With
    # scikit-learn 1.8.0 and xgboost 2.1.4 save raises "`_estimator_type` undefined".
    pinned_environment()
    from snowflake.ml.model._packager import model_packager

    from mlpipeline import features, modeling, registry, sample_data

    frame = features.reference_features(sample_data.generate_frame(400))
    train, test = features.split(frame)
    booster = modeling.train_local(train, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=5)
    classifier = registry.classifier_from_bytes(modeling.model_to_bytes(booster))
    sample = train[list(features.FEATURE_COLUMNS)].head(100)
    packager = model_packager.ModelPackager(str(tmp_path / "model"))
    packager.save(name="mortgage_model", model=classifier, sample_input_data=sample,
                  options=registry.log_model_options(), target_platforms=list(registry.TARGET_PLATFORMS))

    loaded = model_packager.ModelPackager(str(tmp_path / "model"))
    loaded.load()
    expected = booster.predict(modeling._matrix(test, features.FEATURE_COLUMNS))
    probabilities = loaded.model.predict_proba(test[list(features.FEATURE_COLUMNS)].astype("float64"))[:, 1]
    assert probabilities.tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    assert loaded.model.predict(test[list(features.FEATURE_COLUMNS)].astype("float64")).tolist() == (expected >= 0.5).astype(int).tolist()
    # The dependencies the model version records are the pins (relax_version False).
    recorded = pins([str(d).replace(" ", "") for d in loaded.meta.env.conda_dependencies])
    packages = pins(load_pipeline()["packages"])
    assert {name: recorded.get(name) for name in ("xgboost", "scikit-learn")} == {name: packages[name] for name in ("xgboost", "scikit-learn")}


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
