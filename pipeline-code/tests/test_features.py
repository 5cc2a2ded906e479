"""The feature logic through Snowpark's own local testing mode, against hand-computed tables and the
pandas reference; the state is fitted on TRAIN rows only (no leakage) and reusable for new rows.

Local testing lacks some functions the features use; tests/snowpark_local.py lists them (with the
link to Snowpark's list of supported APIs) and patches them. What cannot be patched faithfully is
HASH (the split's bucket): these tests assert only what holds for any split.
"""

import os

import numpy as np
import pandas as pd
import pytest

from mlpipeline import datasets, features

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")

TINY = pd.DataFrame(
    {
        "LOAN_ID": [1, 2, 3, 4, 5],
        "TS": pd.to_datetime(["2024-01-01 00:00:00", "2024-01-31 00:00:00", "2024-01-31 12:00:00", "2024-02-05 08:00:00", "2024-02-05 08:00:00"]),
        "LOAN_TYPE_NAME": ["FHA", "Conv", "Conv", None, "FHA"],
        "LOAN_PURPOSE_NAME": ["Purchase", "Refi", None, "Purchase", "Refi"],
        "APPLICANT_INCOME_000S": [50.0, 100.0, np.nan, 80.0, 60.0],
        "LOAN_AMOUNT_000S": [100, 200, 300, 0, 240],
        "COUNTY_NAME": ["A", "A", "A", "B", "B"],
        "MORTGAGERESPONSE": [1, 0, 1, 0, 1],
    }
)

# Worked out by hand (see the module docstring of mlpipeline.features for the definitions), with
# rows 1-4 TRAIN and row 5 TEST (the stand-in HASH: LOAN_ID * 7919 % 100 is 19, 38, 57, 76, 95):
# - 2024-01-01 is a Monday, 2024-01-31 a Wednesday, 2024-02-05 a Monday (Sunday = 0).
# - train incomes 50k, 100k, NULL, 80k -> imputation mean 230k / 3; row 3's NULL becomes that.
# - ratios 0.5, 0.5, NULL (no income), NULL (loan 0), 0.25 -> NULLs imputed with the train mean 0.5.
# - county means of TRAIN incomes: A (50k, 100k) = 75k, B (80k) = 80k: row 5's own 60k is not in it.
# - high-income flags 0, 1, NULL, 0 (80k is not > 80k), 0 -> NULL imputed with the train mean 1/3.
# - 30-day county loan averages (history, no labels): row 1 alone; row 2 includes row 1 (exactly 30
#   days earlier); row 3 (12 h later) no longer does; rows 4 and 5 are ties, so each sees both.
# - encodings over sorted distinct TRAIN values: Conv 0, FHA 1; Purchase 0, Refi 1; A 0, B 1; NULL -1.
TINY_IS_TRAIN = [True, True, True, True, False]
TINY_EXPECTED = {
    "SPLIT": ["TRAIN", "TRAIN", "TRAIN", "TRAIN", "TEST"],
    "MONTH": [1, 1, 1, 2, 2],
    "DAY_OF_YEAR": [1, 31, 31, 36, 36],
    "DOTW": [1, 3, 3, 1, 1],
    "LOAN_AMOUNT": [100000, 200000, 300000, 0, 240000],
    "INCOME": [50000, 100000, 230000 / 3, 80000, 60000],
    "INCOME_LOAN_RATIO": [0.5, 0.5, 0.5, 0.5, 0.25],
    "MEAN_COUNTY_INCOME": [75000, 75000, 75000, 80000, 80000],
    "HIGH_INCOME_FLAG": [0, 1, 1 / 3, 0, 0],
    "AVG_THIRTY_DAY_LOAN_AMOUNT": [100000, 150000, 250000, 120000, 120000],
    "LOAN_TYPE_ENCODED": [1, 0, 0, -1, 1],
    "LOAN_PURPOSE_ENCODED": [0, 1, -1, 0, 1],
    "COUNTY_ENCODED": [0, 0, 0, 1, 1],
}


def assert_tiny_expectations(frame):
    frame = frame.sort_values("LOAN_ID").reset_index(drop=True)
    assert list(frame.columns) == list(features.DATASET_COLUMNS)
    assert list(frame["LOAN_ID"]) == [1, 2, 3, 4, 5]
    assert list(frame["MORTGAGERESPONSE"]) == [1, 0, 1, 0, 1]
    assert list(frame["SPLIT"]) == TINY_EXPECTED["SPLIT"]
    for column, expected in TINY_EXPECTED.items():
        if column != "SPLIT":
            np.testing.assert_allclose(frame[column].to_numpy(dtype="float64"), np.array(expected, dtype="float64"), rtol=1e-12, err_msg=column)


def test_reference_features_on_a_hand_computed_table():
    assert_tiny_expectations(features.reference_features(TINY, TINY_IS_TRAIN))


def test_test_rows_never_influence_a_feature():
    """Fails on whole-table aggregates: changing a TEST row's income or category changes nobody
    else's features, and a category seen only in TEST rows is encoded as unseen (-1)."""
    changed = TINY.copy()
    changed.loc[4, "APPLICANT_INCOME_000S"] = 1000.0  # row 5 (TEST)
    changed.loc[4, "LOAN_TYPE_NAME"] = "AAA new type"  # sorts first: would shift every code
    before = features.reference_features(TINY, TINY_IS_TRAIN)
    after = features.reference_features(changed, TINY_IS_TRAIN)
    same = [c for c in features.DATASET_COLUMNS if c not in ("INCOME", "INCOME_LOAN_RATIO", "HIGH_INCOME_FLAG", "LOAN_TYPE_ENCODED")]
    pd.testing.assert_frame_equal(before[same].iloc[:4], after[same].iloc[:4])
    pd.testing.assert_frame_equal(before.iloc[:4], after.iloc[:4])
    assert after.loc[4, "LOAN_TYPE_ENCODED"] == -1


def test_dataset_columns():
    assert features.FEATURE_COLUMNS == (
        "MONTH", "DAY_OF_YEAR", "DOTW", "LOAN_AMOUNT", "INCOME", "INCOME_LOAN_RATIO", "MEAN_COUNTY_INCOME",
        "HIGH_INCOME_FLAG", "AVG_THIRTY_DAY_LOAN_AMOUNT", "LOAN_TYPE_ENCODED", "LOAN_PURPOSE_ENCODED", "COUNTY_ENCODED",
    )
    assert features.DATASET_COLUMNS == ("LOAN_ID", "TIMESTAMP", "SPLIT") + features.FEATURE_COLUMNS + ("MORTGAGERESPONSE",)
    assert features.EXCLUDE_COLUMNS == ("LOAN_ID", "TIMESTAMP", "SPLIT") and features.LABEL_COLUMNS == ("MORTGAGERESPONSE",)


def test_local_split_is_a_partition_by_loan_id():
    frame = features.reference_features(pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]).head(10))
    train, test = features.local_split(frame)
    assert list(test["LOAN_ID"]) == [5, 10]
    assert list(train["LOAN_ID"]) == [1, 2, 3, 4, 6, 7, 8, 9]


# -- Snowpark local testing --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local():
    snowpark_local = pytest.importorskip("snowpark_local")
    return snowpark_local


@pytest.fixture(scope="module")
def tiny_through_snowpark(local):
    """The dataset frame and saved state of TINY, the way PREPARE_DATA builds them."""
    session = local.session()
    tables = {"lookups": "ML_DEV.MODELS.TINY_V1_LOOKUPS", "means": "ML_DEV.MODELS.TINY_V1_MEANS"}
    frame = datasets.build_version_frame(session, session.create_dataframe(TINY), tables)
    yield session, tables, frame.to_pandas()
    session.close()


def test_snowpark_features_on_a_hand_computed_table(tiny_through_snowpark):
    _, _, frame = tiny_through_snowpark
    assert_tiny_expectations(frame)


def test_the_saved_state_scores_new_rows_with_the_training_features(tiny_through_snowpark):
    """A new loan, scored later: its features come from the saved tables, not from its own rows."""
    session, tables, _ = tiny_through_snowpark
    lookups = session.table(tables["lookups"]).to_pandas()
    assert sorted(lookups.loc[lookups["KIND"] == "COUNTY_MEAN_INCOME", "VALUE"]) == ["A", "B"]
    state = features.FeatureState(lookups=session.table(tables["lookups"]), means=session.table(tables["means"]))
    new = pd.DataFrame({
        "LOAN_ID": [99], "TS": pd.to_datetime(["2024-03-01 00:00:00"]), "LOAN_TYPE_NAME": ["FHA"], "LOAN_PURPOSE_NAME": ["Other"],
        "APPLICANT_INCOME_000S": [np.nan], "LOAN_AMOUNT_000S": [50], "COUNTY_NAME": ["B"], "MORTGAGERESPONSE": [0],
    })
    (row,) = features.apply_state(features.row_features(session.create_dataframe(new)), state).to_pandas().to_dict("records")
    # Hand-computed from TINY's TRAIN rows (see above): income imputed 230k/3, county B's mean 80k,
    # flag and ratio (NULL before imputation: no income) imputed 1/3 and 0.5, FHA 1, an unseen purpose -1, B 1; 2024-03-01 is a Friday.
    assert row["INCOME"] == pytest.approx(230000 / 3) and row["MEAN_COUNTY_INCOME"] == pytest.approx(80000)
    assert row["HIGH_INCOME_FLAG"] == pytest.approx(1 / 3) and row["INCOME_LOAN_RATIO"] == pytest.approx(0.5)
    assert (row["LOAN_TYPE_ENCODED"], row["LOAN_PURPOSE_ENCODED"], row["COUNTY_ENCODED"]) == (1, -1, 1)
    assert (row["MONTH"], row["DAY_OF_YEAR"], row["DOTW"]) == (3, 61, 5)


SAMPLE_ROWS_LOCAL = 300  # local testing evaluates windows row by row: the whole sample takes minutes


def test_snowpark_features_and_the_pandas_reference_agree_on_the_sample(local):
    raw = pd.read_csv(SAMPLE_FILE, parse_dates=["TS"]).head(SAMPLE_ROWS_LOCAL)
    session = local.session()
    try:
        tables = {"lookups": "ML_DEV.MODELS.S_V1_LOOKUPS", "means": "ML_DEV.MODELS.S_V1_MEANS"}
        pushed = datasets.build_version_frame(session, session.create_dataframe(raw), tables).to_pandas()
    finally:
        session.close()
    pushed = pushed.sort_values("LOAN_ID").reset_index(drop=True)
    is_train = pushed["SPLIT"] == "TRAIN"
    assert list(is_train) == list(local.stand_in_is_train(raw["LOAN_ID"], features.TRAIN_PERCENT))
    reference = features.reference_features(raw, is_train.to_numpy())
    assert list(pushed.columns) == list(reference.columns)
    for column in features.DATASET_COLUMNS:
        if column == "TIMESTAMP":
            assert (pd.to_datetime(pushed[column]) == reference[column]).all()
        elif column == "SPLIT":
            assert list(pushed[column]) == list(reference[column])
        else:
            np.testing.assert_allclose(pushed[column].to_numpy(dtype="float64"), reference[column].to_numpy(dtype="float64"), rtol=1e-9, err_msg=column)
    # The sample exercises the NULL paths: imputed incomes and flags.
    assert raw["APPLICANT_INCOME_000S"].isna().sum() > 0
    assert not reference[list(features.FEATURE_COLUMNS)].isna().any().any()
