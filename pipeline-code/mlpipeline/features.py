"""Feature engineering of the seed, pushed down into Snowflake through Snowpark, fitted on the
training split only and kept for scoring new rows.

Three steps, all lazy Snowpark DataFrames (nothing is collected into memory):

1. ``row_features``: what each row gives by itself, plus its split and its 30-day county history.
2. ``fit_state``: the learned part, from the TRAIN rows only: each county's mean income and each
   category's code (a small long-format lookup table, ``LOOKUP_COLUMNS``), and each numeric
   feature's imputation mean (a one-row table). PREPARE_DATA saves both per dataset version, and a
   scoring query joins them (README, "Scoring new rows").
3. ``apply_state``: the dataset's columns (``DATASET_COLUMNS``) for any rows, train, test or new.

Features (the seed's, data.py of sf-samples e2e_task_graph):

| Column | Definition |
| --- | --- |
| TIMESTAMP | TO_TIMESTAMP(TS) |
| MONTH, DAY_OF_YEAR | MONTH(TIMESTAMP), DAYOFYEAR(TIMESTAMP) |
| DOTW | day of week, 0 = Sunday .. 6 = Saturday: DAYOFWEEKISO(TIMESTAMP) % 7, which equals DAYOFWEEK under the default WEEK_START = 0 but does not depend on that session parameter |
| LOAN_AMOUNT, INCOME | LOAN_AMOUNT_000S * 1000, APPLICANT_INCOME_000S * 1000 (as DOUBLE) |
| INCOME_LOAN_RATIO | INCOME / NULLIF(LOAN_AMOUNT, 0) (NULL, not a division error, when LOAN_AMOUNT is 0) |
| AVG_THIRTY_DAY_LOAN_AMOUNT | AVG(LOAN_AMOUNT) over the same county's loans in [TIMESTAMP - 30 days, TIMESTAMP] (RANGE frame: ties included). A history feature: it reads other loans' amounts (never labels), as scoring a new loan reads the source table's history |
| MEAN_COUNTY_INCOME | the mean INCOME of the county's TRAIN rows (state); NULL for a county with none |
| HIGH_INCOME_FLAG | INCOME > MEAN_COUNTY_INCOME as 1/0 (NULL when either is NULL) |
| mean imputation | each numeric feature above: COALESCE(x, mean of x over the TRAIN rows) (state) |
| *_ENCODED | label encoding of LOAN_TYPE_NAME, LOAN_PURPOSE_NAME, COUNTY_NAME: 0-based rank of the value among the column's sorted distinct TRAIN values (state); NULL or a value not seen in training -> -1 |
| SPLIT | 'TRAIN' when ABS(HASH(LOAN_ID)) % 100 < TRAIN_PERCENT, else 'TEST' (deterministic: a dataset version is reproducible) |

Test rows never influence a feature: every learned number comes from TRAIN rows.
"""

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Optional

ID_COLUMN = "LOAN_ID"
TIMESTAMP_COLUMN = "TIMESTAMP"
LABEL_COLUMN = "MORTGAGERESPONSE"
SPLIT_COLUMN = "SPLIT"
TRAIN, TEST = "TRAIN", "TEST"
ROW_FEATURES = ("MONTH", "DAY_OF_YEAR", "DOTW", "LOAN_AMOUNT", "INCOME", "INCOME_LOAN_RATIO", "AVG_THIRTY_DAY_LOAN_AMOUNT")
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
CATEGORICAL_COLUMNS = tuple(source for source, _ in CATEGORICAL_ENCODINGS)
FEATURE_COLUMNS = NUMERIC_FEATURES + tuple(encoded for _, encoded in CATEGORICAL_ENCODINGS)
EXCLUDE_COLUMNS = (ID_COLUMN, TIMESTAMP_COLUMN, SPLIT_COLUMN)
LABEL_COLUMNS = (LABEL_COLUMN,)
DATASET_COLUMNS = EXCLUDE_COLUMNS + FEATURE_COLUMNS + LABEL_COLUMNS
ROW_COLUMNS = (ID_COLUMN, TIMESTAMP_COLUMN, SPLIT_COLUMN) + ROW_FEATURES + CATEGORICAL_COLUMNS + (LABEL_COLUMN,)

ROLLING_DAYS = 30
TRAIN_PERCENT = 80

# The lookup table of the state (one per dataset version): KIND, COLUMN_NAME, VALUE, NUMBER.
LOOKUP_COLUMNS = ("KIND", "COLUMN_NAME", "VALUE", "NUMBER")
STATE_ENCODING = "ENCODING"  # COLUMN_NAME = the categorical column, VALUE = a category, NUMBER = its code
STATE_COUNTY_INCOME = "COUNTY_MEAN_INCOME"  # COLUMN_NAME = 'COUNTY_NAME', VALUE = a county, NUMBER = mean income


@dataclass(frozen=True)
class FeatureState:
    """The learned part of the features: ``lookups`` (LOOKUP_COLUMNS: county incomes and category
    codes) and ``means`` (one row, a column per NUMERIC_FEATURES: the train means for imputation)."""

    lookups: Any
    means: Any


def snowpark_api() -> SimpleNamespace:
    """The Snowpark pieces the builder uses (imported here, where they run)."""
    from snowflake.snowpark import Window, functions, types

    return SimpleNamespace(functions=functions, Window=Window, types=types)


def row_features(source: Any, sp: Optional[SimpleNamespace] = None) -> Any:
    """ROW_COLUMNS from the source table's DataFrame: nothing learned, so any rows can go through."""
    sp = sp or snowpark_api()
    F, Window, T = sp.functions, sp.Window, sp.types
    col = F.col

    # Each step only refers to columns of the previous one.
    df = source.with_columns([TIMESTAMP_COLUMN], [F.to_timestamp(col("TS"))])
    bucket = F.abs(F.hash(col(ID_COLUMN))) % 100
    df = df.with_columns(
        ["MONTH", "DAY_OF_YEAR", "DOTW", "LOAN_AMOUNT", "INCOME", SPLIT_COLUMN],
        [
            F.month(col(TIMESTAMP_COLUMN)).cast(T.DoubleType()),
            F.dayofyear(col(TIMESTAMP_COLUMN)).cast(T.DoubleType()),
            (F.call_function("DAYOFWEEKISO", col(TIMESTAMP_COLUMN)) % 7).cast(T.DoubleType()),
            col("LOAN_AMOUNT_000S").cast(T.DoubleType()) * 1000,
            col("APPLICANT_INCOME_000S").cast(T.DoubleType()) * 1000,
            F.iff(bucket < TRAIN_PERCENT, F.lit(TRAIN), F.lit(TEST)),
        ],
    )
    history = Window.partition_by(col("COUNTY_NAME")).order_by(col(TIMESTAMP_COLUMN)).range_between(
        -F.make_interval(days=ROLLING_DAYS), Window.CURRENT_ROW
    )
    df = df.with_columns(
        ["INCOME_LOAN_RATIO", "AVG_THIRTY_DAY_LOAN_AMOUNT"],
        [
            col("INCOME") / F.iff(col("LOAN_AMOUNT") == 0, F.lit(None), col("LOAN_AMOUNT")),
            F.avg(col("LOAN_AMOUNT")).over(history),
        ],
    )
    return df.select([col(name) for name in ROW_COLUMNS])


def _with_county_income(rows: Any, county_income: Any, sp: SimpleNamespace) -> Any:
    """rows + MEAN_COUNTY_INCOME and HIGH_INCOME_FLAG from a (STATE_COUNTY, MEAN_COUNTY_INCOME) frame."""
    F, T = sp.functions, sp.types
    col = F.col
    df = rows.join(county_income, col("COUNTY_NAME") == col("STATE_COUNTY"), how="left").drop("STATE_COUNTY")
    unknown = col("INCOME").is_null() | col("MEAN_COUNTY_INCOME").is_null()
    flag = F.iff(unknown, F.lit(None), (col("INCOME") > col("MEAN_COUNTY_INCOME")).cast(T.IntegerType()))
    return df.with_columns(["HIGH_INCOME_FLAG"], [flag])


def _state_rows(frame: Any, kind: str, column_name: Any, value: Any, number: Any, sp: SimpleNamespace) -> Any:
    F, T = sp.functions, sp.types
    return frame.select(
        F.lit(kind).alias("KIND"),
        F.lit(column_name).alias("COLUMN_NAME"),
        (value if value is not None else F.lit(None)).cast(T.StringType()).alias("VALUE"),
        number.cast(T.DoubleType()).alias("NUMBER"),
    )


def fit_state(rows: Any, sp: Optional[SimpleNamespace] = None) -> Any:
    """The learned part of the features (FeatureState of two lazy frames), from the TRAIN rows only."""
    sp = sp or snowpark_api()
    F, Window = sp.functions, sp.Window
    col = F.col
    train = rows.filter(col(SPLIT_COLUMN) == F.lit(TRAIN))

    county_income = train.filter(col("COUNTY_NAME").is_not_null()).group_by(col("COUNTY_NAME")).agg(
        F.avg(col("INCOME")).alias("MEAN_COUNTY_INCOME")
    )
    parts = [_state_rows(county_income, STATE_COUNTY_INCOME, "COUNTY_NAME", col("COUNTY_NAME"), col("MEAN_COUNTY_INCOME"), sp)]
    for source_col in CATEGORICAL_COLUMNS:
        values = train.filter(col(source_col).is_not_null()).select(col(source_col).alias("CATEGORY")).distinct()
        coded = values.with_columns(["CODE"], [F.dense_rank().over(Window.order_by(col("CATEGORY"))) - 1])
        parts.append(_state_rows(coded, STATE_ENCODING, source_col, col("CATEGORY"), col("CODE"), sp))
    enriched = _with_county_income(train, county_income.select(col("COUNTY_NAME").alias("STATE_COUNTY"), col("MEAN_COUNTY_INCOME")), sp)
    means = enriched.agg(*[F.avg(col(name).cast(sp.types.DoubleType())).alias(name) for name in NUMERIC_FEATURES])
    lookups = parts[0]
    for part in parts[1:]:
        lookups = lookups.union_all(part)
    return FeatureState(lookups=lookups, means=means)


def apply_state(rows: Any, state: "FeatureState", sp: Optional[SimpleNamespace] = None) -> Any:
    """DATASET_COLUMNS of ``rows`` (ROW_COLUMNS) with the fitted ``state`` (its frames or saved tables)."""
    sp = sp or snowpark_api()
    F = sp.functions
    col = F.col
    lookups = state.lookups

    county_income = lookups.filter(col("KIND") == F.lit(STATE_COUNTY_INCOME)).select(
        col("VALUE").alias("STATE_COUNTY"), col("NUMBER").alias("MEAN_COUNTY_INCOME")
    )
    df = _with_county_income(rows, county_income, sp)
    df = df.cross_join(state.means.select([col(name).alias(f"MEAN_OF_{name}") for name in NUMERIC_FEATURES]))
    df = df.with_columns(
        list(NUMERIC_FEATURES),
        [F.coalesce(col(name).cast(sp.types.DoubleType()), col(f"MEAN_OF_{name}")) for name in NUMERIC_FEATURES],
    )
    for source_col, encoded in CATEGORICAL_ENCODINGS:
        codes = lookups.filter((col("KIND") == F.lit(STATE_ENCODING)) & (col("COLUMN_NAME") == F.lit(source_col))).select(
            col("VALUE").alias(f"CATEGORY_OF_{encoded}"), col("NUMBER").alias(f"CODE_OF_{encoded}")
        )
        df = df.join(codes, col(source_col) == col(f"CATEGORY_OF_{encoded}"), how="left")
        df = df.with_columns([encoded], [F.coalesce(col(f"CODE_OF_{encoded}"), F.lit(-1)).cast(sp.types.IntegerType())])
    return df.select([col(name) for name in DATASET_COLUMNS])


# -- pandas reference (tests, local runs and the benchmark) -----------------------------------------


def reference_features(raw: Any, is_train: Any = None) -> Any:
    """pandas implementation of row_features -> fit_state -> apply_state (DATASET_COLUMNS, same row
    order). ``is_train``: boolean Series (index of ``raw``) choosing the rows the state is fitted on;
    by default ``local_is_train``."""
    import numpy as np
    import pandas as pd

    is_train = local_is_train(raw) if is_train is None else pd.Series(np.asarray(is_train, dtype=bool), index=raw.index)
    out = pd.DataFrame({ID_COLUMN: raw[ID_COLUMN].to_numpy()}, index=raw.index)
    ts = pd.to_datetime(raw["TS"])
    out[TIMESTAMP_COLUMN] = ts
    out[SPLIT_COLUMN] = np.where(is_train, TRAIN, TEST)
    out["MONTH"] = ts.dt.month.astype("float64")
    out["DAY_OF_YEAR"] = ts.dt.dayofyear.astype("float64")
    out["DOTW"] = ((ts.dt.dayofweek + 1) % 7).astype("float64")  # pandas: Monday = 0
    loan = raw["LOAN_AMOUNT_000S"].astype("float64") * 1000
    income = raw["APPLICANT_INCOME_000S"].astype("float64") * 1000
    out["LOAN_AMOUNT"] = loan
    out["INCOME"] = income
    out["INCOME_LOAN_RATIO"] = (income / loan.where(loan != 0)).astype("float64")
    county = raw["COUNTY_NAME"]
    train_means = income[is_train].groupby(county[is_train]).mean()
    out["MEAN_COUNTY_INCOME"] = county.map(train_means).astype("float64")
    flag = (income > out["MEAN_COUNTY_INCOME"]).astype("float64")
    out["HIGH_INCOME_FLAG"] = flag.where(income.notna() & out["MEAN_COUNTY_INCOME"].notna())
    out["AVG_THIRTY_DAY_LOAN_AMOUNT"] = _rolling_county_mean(ts, loan, county, np, pd)
    for name in NUMERIC_FEATURES:
        out[name] = out[name].fillna(out.loc[is_train, name].mean())
    for source_col, encoded in CATEGORICAL_ENCODINGS:
        values = raw[source_col]
        codes = {value: index for index, value in enumerate(sorted(values[is_train].dropna().unique()))}
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


def local_is_train(frame: Any) -> Any:
    """The local runs' split (no Snowflake HASH here): LOAN_ID % 5 == 0 is test (20 %)."""
    return frame[ID_COLUMN] % 5 != 0


def split(frame: Any) -> Any:
    """(train, test) pandas frames of a dataset version, by its SPLIT column."""
    is_train = frame[SPLIT_COLUMN] == TRAIN
    return frame[is_train].reset_index(drop=True), frame[~is_train].reset_index(drop=True)


def local_split(frame: Any) -> Any:
    """(train, test) of a reference_features frame (its SPLIT column)."""
    return split(frame)
