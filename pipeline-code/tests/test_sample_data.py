import os
import subprocess
import sys

import pandas as pd
import pytest

from mlpipeline import sample_data

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_FILE = os.path.join(CODE_ROOT, "sample_data", "mortgage_sample.csv")


def committed_bytes():
    with open(SAMPLE_FILE, "rb") as handle:
        return handle.read()


def test_regenerating_the_sample_gives_the_committed_bytes():
    regenerated = sample_data.render_csv(sample_data.generate_rows(5000)).encode("utf-8")
    assert regenerated == committed_bytes()


def test_the_cli_writes_the_same_bytes(tmp_path):
    out = tmp_path / "sample.csv"
    subprocess.run(
        [sys.executable, "-m", "mlpipeline.sample_data", "--rows", "5000", "--out", str(out)],
        cwd=CODE_ROOT,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert out.read_bytes() == committed_bytes()


def test_the_committed_sample_is_small_and_has_the_seeds_columns():
    assert os.path.getsize(SAMPLE_FILE) < 1_000_000
    frame = pd.read_csv(SAMPLE_FILE, parse_dates=["TS"])
    assert list(frame.columns) == [
        "LOAN_ID", "TS", "LOAN_TYPE_NAME", "LOAN_PURPOSE_NAME", "APPLICANT_INCOME_000S",
        "LOAN_AMOUNT_000S", "COUNTY_NAME", "MORTGAGERESPONSE",
    ]
    assert len(frame) == 5000
    assert list(frame["LOAN_ID"]) == list(range(1, 5001))
    assert frame["TS"].min() >= pd.Timestamp("2024-01-01") and frame["TS"].max() < pd.Timestamp("2025-01-01")
    assert set(frame["MORTGAGERESPONSE"]) == {0, 1}
    assert set(frame["LOAN_PURPOSE_NAME"]) == {"Home purchase", "Refinancing", "Home improvement"}
    assert frame["COUNTY_NAME"].nunique() == 30
    assert (frame["LOAN_AMOUNT_000S"] >= 1).all()
    # Some incomes are missing (so mean imputation has work), but few.
    missing = frame["APPLICANT_INCOME_000S"].isna().mean()
    assert 0.005 < missing < 0.03


def test_the_label_depends_on_the_features():
    frame = pd.read_csv(SAMPLE_FILE).dropna()
    ratio = frame["APPLICANT_INCOME_000S"] / frame["LOAN_AMOUNT_000S"]
    low, high = ratio.quantile(0.25), ratio.quantile(0.75)
    approval_low = frame.loc[ratio <= low, "MORTGAGERESPONSE"].mean()
    approval_high = frame.loc[ratio >= high, "MORTGAGERESPONSE"].mean()
    assert approval_high - approval_low > 0.3
    by_purpose = frame.groupby("LOAN_PURPOSE_NAME")["MORTGAGERESPONSE"].mean()
    assert by_purpose.max() - by_purpose.min() > 0.05


def test_same_seed_same_rows_other_seed_other_rows():
    assert sample_data.generate_rows(200, seed=7) == sample_data.generate_rows(200, seed=7)
    assert sample_data.generate_rows(200, seed=7) != sample_data.generate_rows(200, seed=8)
    # A prefix of a longer run is not promised, but row count is.
    assert len(sample_data.generate_rows(0)) == 0
    with pytest.raises(ValueError):
        sample_data.generate_rows(-1)


def test_generate_frame_matches_reading_the_rendered_csv(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(sample_data.render_csv(sample_data.generate_rows(300, seed=3)))
    from_csv = pd.read_csv(path, parse_dates=["TS"])
    pd.testing.assert_frame_equal(sample_data.generate_frame(300, seed=3), from_csv, check_dtype=False)
