"""The feature logic: hand-computed expectations on a tiny table, the pandas reference against the
Snowpark builder (run on a pandas-backed fake of Snowpark) on the sample data, and push-down."""

import os

import numpy as np
import pandas as pd
import pytest

import fake_snowpark
from mlpipeline import features

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

# Worked out by hand (see the module docstring of mlpipeline.features for the definitions):
# - 2024-01-01 is a Monday, 2024-01-31 a Wednesday, 2024-02-05 a Monday (Sunday = 0).
# - ratios 0.5, 0.5, NULL (no income), NULL (loan 0), 0.25 -> NULLs imputed with 1.25 / 3.
# - county means of income: A (50k, 100k) = 75k, B (80k, 60k) = 70k; the missing income -> 290k / 4 = 72.5k.
# - high-income flags 0, 1, NULL, 1, 0 -> NULL imputed with 0.5.
# - 30-day county loan averages: row 1 alone; row 2 includes row 1 (exactly 30 days earlier);
#   row 3 (12 h later) no longer does; rows 4 and 5 are ties, so each sees both.
# - encodings over sorted distinct values: Conv 0, FHA 1; Purchase 0, Refi 1; A 0, B 1; NULL -1.
TINY_EXPECTED = {
    "MONTH": [1, 1, 1, 2, 2],
    "DAY_OF_YEAR": [1, 31, 31, 36, 36],
    "DOTW": [1, 3, 3, 1, 1],
    "LOAN_AMOUNT": [100000, 200000, 300000, 0, 240000],
    "INCOME": [50000, 100000, 72500, 80000, 60000],
    "INCOME_LOAN_RATIO": [0.5, 0.5, 1.25 / 3, 1.25 / 3, 0.25],
    "MEAN_COUNTY_INCOME": [75000, 75000, 75000, 70000, 70000],
    "HIGH_INCOME_FLAG": [0, 1, 0.5, 1, 0],
    "AVG_THIRTY_DAY_LOAN_AMOUNT": [100000, 150000, 250000, 120000, 120000],
    "LOAN_TYPE_ENCODED": [1, 0, 0, -1, 1],
    "LOAN_PURPOSE_ENCODED": [0, 1, -1, 0, 1],
    "COUNTY_ENCODED": [0, 0, 0, 1, 1],
}


def snowpark_features(raw):
    return features.build_feature_frame(fake_snowpark.FakeDataFrame(raw.copy()), fake_snowpark.api()).to_pandas()


def assert_tiny_expectations(frame):
    assert list(frame.columns) == list(features.DATASET_COLUMNS)
    assert list(frame["LOAN_ID"]) == [1, 2, 3, 4, 5]
    assert list(frame["MORTGAGERESPONSE"]) == [1, 0, 1, 0, 1]
    for column, expected in TINY_EXPECTED.items():
        np.testing.assert_allclose(frame[column].to_numpy(dtype="float64"), np.array(expected, dtype="float64"), rtol=1e-12, err_msg=column)


def test_reference_features_on_a_hand_computed_table():
    assert_tiny_expectations(features.reference_features(TINY))


def test_snowpark_features_on_a_hand_computed_table():
    assert_tiny_expectations(snowpark_features(TINY))


def test_dataset_columns():
    assert features.FEATURE_COLUMNS == (
        "MONTH", "DAY_OF_YEAR", "DOTW", "LOAN_AMOUNT", "INCOME", "INCOME_LOAN_RATIO", "MEAN_COUNTY_INCOME",
        "HIGH_INCOME_FLAG", "AVG_THIRTY_DAY_LOAN_AMOUNT", "LOAN_TYPE_ENCODED", "LOAN_PURPOSE_ENCODED", "COUNTY_ENCODED",
    )
    assert features.DATASET_COLUMNS == ("LOAN_ID", "TIMESTAMP") + features.FEATURE_COLUMNS + ("MORTGAGERESPONSE",)
    assert features.EXCLUDE_COLUMNS == ("LOAN_ID", "TIMESTAMP") and features.LABEL_COLUMNS == ("MORTGAGERESPONSE",)
    assert features.ROLLING_LOAN_AVG_SQL == (
        "AVG(LOAN_AMOUNT) OVER (PARTITION BY COUNTY_NAME ORDER BY TIMESTAMP RANGE BETWEEN INTERVAL '30 DAYS' PRECEDING AND CURRENT ROW)"
    )


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(SAMPLE_FILE, parse_dates=["TS"])


def test_snowpark_builder_and_pandas_reference_agree_on_the_sample(sample):
    reference = features.reference_features(sample)
    pushed = snowpark_features(sample)
    assert list(pushed.columns) == list(reference.columns)
    for column in features.DATASET_COLUMNS:
        if column == "TIMESTAMP":
            assert (pd.to_datetime(pushed[column]) == reference[column]).all()
        else:
            np.testing.assert_allclose(pushed[column].to_numpy(dtype="float64"), reference[column].to_numpy(dtype="float64"), rtol=1e-9, err_msg=column)
    # The sample exercises the NULL paths: imputed incomes and flags.
    assert sample["APPLICANT_INCOME_000S"].isna().sum() > 0
    assert not reference[list(features.FEATURE_COLUMNS)].isna().any().any()


def test_building_features_and_splits_materialises_nothing(sample):
    before = fake_snowpark.FakeDataFrame.materialisations
    frame = features.build_feature_frame(fake_snowpark.FakeDataFrame(sample), fake_snowpark.api())
    features.split_frames(frame, fake_snowpark.api())
    assert fake_snowpark.FakeDataFrame.materialisations == before


def test_split_is_a_partition_of_about_80_20(sample):
    frame = features.build_feature_frame(fake_snowpark.FakeDataFrame(sample), fake_snowpark.api())
    train, test = (part.to_pandas() for part in features.split_frames(frame, fake_snowpark.api()))
    assert set(train["LOAN_ID"]).isdisjoint(test["LOAN_ID"])
    assert len(train) + len(test) == len(sample)
    assert 0.15 < len(test) / len(sample) < 0.25


def test_local_split_is_a_partition_by_loan_id():
    frame = pd.DataFrame({"LOAN_ID": range(1, 11)})
    train, test = features.local_split(frame)
    assert list(test["LOAN_ID"]) == [5, 10]
    assert list(train["LOAN_ID"]) == [1, 2, 3, 4, 6, 7, 8, 9]
