"""Feature engineering of the seed, pushed down into Snowflake through Snowpark.

``build_feature_frame`` turns the source table into the dataset's columns with Snowpark column
expressions and window functions only: it never collects rows into memory; Snowflake evaluates it
when the dataset version is written. ``reference_features`` is a pandas implementation of the same
semantics, for tests and local runs (training tests, benchmark).

Features (the seed's, data.py of sf-samples e2e_task_graph):

| Column | Definition |
| --- | --- |
| TIMESTAMP | TO_TIMESTAMP(TS) |
| MONTH, DAY_OF_YEAR | MONTH(TIMESTAMP), DAYOFYEAR(TIMESTAMP) |
| DOTW | day of week, 0 = Sunday .. 6 = Saturday: DAYOFWEEKISO(TIMESTAMP) % 7, which equals DAYOFWEEK under the default WEEK_START = 0 but does not depend on that session parameter |
| LOAN_AMOUNT, INCOME | LOAN_AMOUNT_000S * 1000, APPLICANT_INCOME_000S * 1000 (as DOUBLE) |
| INCOME_LOAN_RATIO | INCOME / NULLIFZERO(LOAN_AMOUNT) (NULL, not a division error, when LOAN_AMOUNT is 0) |
| MEAN_COUNTY_INCOME | AVG(INCOME) OVER (PARTITION BY COUNTY_NAME) |
| HIGH_INCOME_FLAG | INCOME > MEAN_COUNTY_INCOME as 1/0 (NULL when INCOME is NULL) |
| AVG_THIRTY_DAY_LOAN_AMOUNT | AVG(LOAN_AMOUNT) over the same county's loans in [TIMESTAMP - 30 days, TIMESTAMP] (RANGE frame: ties included) |
| mean imputation | each of the numeric features above: COALESCE(x, AVG(x) OVER ()) |
| *_ENCODED | label encoding of LOAN_TYPE_NAME, LOAN_PURPOSE_NAME, COUNTY_NAME: 0-based rank of the value among the column's sorted distinct values (DENSE_RANK() - 1); NULL -> -1 |
"""

from types import SimpleNamespace
from typing import Any, Optional, Tuple

ID_COLUMN = "LOAN_ID"
TIMESTAMP_COLUMN = "TIMESTAMP"
LABEL_COLUMN = "MORTGAGERESPONSE"
NUMERIC_FEATURES = (
    "MONTH",
    "DAY_OF_YEAR",
    "DOTW",
    "LOAN_AMOUNT",
    "INCOME",
    "INCOME_LOAN_RATIO",
    "MEAN_COUNTY_INCOME",
    "HIGH_INCOME_FLAG",
    "AVG_THIRTY_DAY_LOAN_AMOUNT",
)
CATEGORICAL_ENCODINGS = (
    ("LOAN_TYPE_NAME", "LOAN_TYPE_ENCODED"),
    ("LOAN_PURPOSE_NAME", "LOAN_PURPOSE_ENCODED"),
    ("COUNTY_NAME", "COUNTY_ENCODED"),
)
FEATURE_COLUMNS = NUMERIC_FEATURES + tuple(encoded for _, encoded in CATEGORICAL_ENCODINGS)
EXCLUDE_COLUMNS = (ID_COLUMN, TIMESTAMP_COLUMN)
LABEL_COLUMNS = (LABEL_COLUMN,)
DATASET_COLUMNS = EXCLUDE_COLUMNS + FEATURE_COLUMNS + LABEL_COLUMNS

ROLLING_DAYS = 30
ROLLING_LOAN_AVG_SQL = (
    "AVG(LOAN_AMOUNT) OVER (PARTITION BY COUNTY_NAME ORDER BY TIMESTAMP"
    f" RANGE BETWEEN INTERVAL '{ROLLING_DAYS} DAYS' PRECEDING AND CURRENT ROW)"
)
# Train/test split: a deterministic hash bucket of LOAN_ID, so a dataset version is reproducible.
TRAIN_PERCENT = 80


def snowpark_api() -> SimpleNamespace:
    """The Snowpark pieces the builder uses (imported here, where they run)."""
    from snowflake.snowpark import Window, functions, types

    return SimpleNamespace(functions=functions, Window=Window, types=types)


def build_feature_frame(source: Any, sp: Optional[SimpleNamespace] = None) -> Any:
    """Snowpark DataFrame of DATASET_COLUMNS computed from the source table's DataFrame (lazy)."""
    sp = sp or snowpark_api()
    F, Window, T = sp.functions, sp.Window, sp.types
    col = F.col

    # Each step only refers to columns of the previous one.
    df = source.with_columns([TIMESTAMP_COLUMN], [F.to_timestamp(col("TS"))])
    df = df.with_columns(
        ["MONTH", "DAY_OF_YEAR", "DOTW", "LOAN_AMOUNT", "INCOME"],
        [
            F.month(col(TIMESTAMP_COLUMN)),
            F.dayofyear(col(TIMESTAMP_COLUMN)),
            F.call_function("DAYOFWEEKISO", col(TIMESTAMP_COLUMN)) % 7,
            col("LOAN_AMOUNT_000S").cast(T.DoubleType()) * 1000,
            col("APPLICANT_INCOME_000S").cast(T.DoubleType()) * 1000,
        ],
    )
    df = df.with_columns(
        ["INCOME_LOAN_RATIO", "MEAN_COUNTY_INCOME"],
        [
            col("INCOME") / F.call_function("NULLIFZERO", col("LOAN_AMOUNT")),
            F.avg(col("INCOME")).over(Window.partition_by(col("COUNTY_NAME"))),
        ],
    )
    df = df.with_columns(
        ["HIGH_INCOME_FLAG", "AVG_THIRTY_DAY_LOAN_AMOUNT"],
        [
            (col("INCOME") > col("MEAN_COUNTY_INCOME")).cast(T.IntegerType()),
            F.sql_expr(ROLLING_LOAN_AVG_SQL),
        ],
    )
    df = df.with_columns(
        list(NUMERIC_FEATURES),
        [F.coalesce(col(name), F.avg(col(name)).over()) for name in NUMERIC_FEATURES],
    )
    df = df.with_columns(
        [encoded for _, encoded in CATEGORICAL_ENCODINGS],
        [
            F.iff(col(source_col).is_null(), F.lit(-1), F.dense_rank().over(Window.order_by(col(source_col))) - 1)
            for source_col, _ in CATEGORICAL_ENCODINGS
        ],
    )
    return df.select([col(name) for name in DATASET_COLUMNS])


def split_frames(features: Any, sp: Optional[SimpleNamespace] = None) -> Tuple[Any, Any]:
    """(train, test) Snowpark DataFrames: ABS(HASH(LOAN_ID)) % 100 < TRAIN_PERCENT is train."""
    sp = sp or snowpark_api()
    F = sp.functions
    bucket = F.abs(F.hash(F.col(ID_COLUMN))) % 100
    return features.filter(bucket < TRAIN_PERCENT), features.filter(bucket >= TRAIN_PERCENT)


def reference_features(raw: Any) -> Any:
    """pandas implementation of build_feature_frame's semantics (DATASET_COLUMNS, same row order)."""
    import numpy as np
    import pandas as pd

    out = pd.DataFrame({ID_COLUMN: raw[ID_COLUMN].to_numpy()}, index=raw.index)
    ts = pd.to_datetime(raw["TS"])
    out[TIMESTAMP_COLUMN] = ts
    out["MONTH"] = ts.dt.month.astype("float64")
    out["DAY_OF_YEAR"] = ts.dt.dayofyear.astype("float64")
    out["DOTW"] = ((ts.dt.dayofweek + 1) % 7).astype("float64")  # pandas: Monday = 0
    loan = raw["LOAN_AMOUNT_000S"].astype("float64") * 1000
    income = raw["APPLICANT_INCOME_000S"].astype("float64") * 1000
    out["LOAN_AMOUNT"] = loan
    out["INCOME"] = income
    out["INCOME_LOAN_RATIO"] = (income / loan.where(loan != 0)).astype("float64")
    county = raw["COUNTY_NAME"]
    out["MEAN_COUNTY_INCOME"] = income.groupby(county).transform("mean")
    flag = (income > out["MEAN_COUNTY_INCOME"]).astype("float64")
    out["HIGH_INCOME_FLAG"] = flag.where(income.notna() & out["MEAN_COUNTY_INCOME"].notna())
    out["AVG_THIRTY_DAY_LOAN_AMOUNT"] = _rolling_county_mean(ts, loan, county, np, pd)
    for name in NUMERIC_FEATURES:
        out[name] = out[name].fillna(out[name].mean())
    for source_col, encoded in CATEGORICAL_ENCODINGS:
        values = raw[source_col]
        codes = {value: index for index, value in enumerate(sorted(values.dropna().unique()))}
        out[encoded] = values.map(codes).fillna(-1).astype("int64")
    out[LABEL_COLUMN] = raw[LABEL_COLUMN].to_numpy()
    return out[list(DATASET_COLUMNS)]


def _rolling_county_mean(ts: Any, values: Any, county: Any, np: Any, pd: Any) -> Any:
    """Mean of the county's non-null values with time in [t - ROLLING_DAYS, t] (RANGE frame, ties in)."""
    result = pd.Series(np.nan, index=ts.index, dtype="float64")
    window = np.int64(ROLLING_DAYS * 86400 * 10**9)
    for _, index in county.groupby(county).groups.items():
        times = ts.loc[index].to_numpy(dtype="datetime64[ns]").astype("int64")
        vals = values.loc[index].to_numpy(dtype="float64")
        order = np.argsort(times, kind="stable")
        times, vals = times[order], vals[order]
        present = ~np.isnan(vals)
        sums = np.concatenate([[0.0], np.cumsum(np.where(present, vals, 0.0))])
        counts = np.concatenate([[0], np.cumsum(present)])
        lo = np.searchsorted(times, times - window, side="left")
        hi = np.searchsorted(times, times, side="right")
        n = counts[hi] - counts[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(n > 0, (sums[hi] - sums[lo]) / np.maximum(n, 1), np.nan)
        result.loc[np.asarray(index)[order]] = means
    return result


def local_split(frame: Any) -> Tuple[Any, Any]:
    """(train, test) of a pandas frame for local runs: LOAN_ID % 5 == 0 is test (20 %)."""
    is_test = frame[ID_COLUMN] % 5 == 0
    return frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)
