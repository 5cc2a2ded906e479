"""Deterministic sample mortgage data: the seed's columns, a label that depends on the features.

Used for dev stacks (the program stages sample_data/mortgage_sample.csv; PREPARE_DATA loads it when
the source table is absent and the graph config has sample_data true), for tests and the benchmark.

Determinism: the only random source is numpy's PCG64 ``Generator.random`` (uniform doubles, a
stable bit stream); every other distribution is derived here with Python's ``math`` (not numpy's
CPU-dependent SIMD functions), so the same seed and row count give the same bytes.

CLI: ``python3 -m mlpipeline.sample_data --rows N --out FILE [--seed S]`` (run from pipeline-code/).
"""

import argparse
import datetime as dt
import math
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mlpipeline.source_schema import SOURCE_COLUMNS

COLUMNS = SOURCE_COLUMNS
DEFAULT_SEED = 20240101
SAMPLE_ROWS = 5000
START = dt.datetime(2024, 1, 1)
PERIOD_SECONDS = 366 * 86400  # 2024 is a leap year

# (name, share, effect on the label's log-odds)
LOAN_TYPES = (
    ("Conventional", 0.70, 0.25),
    ("FHA-insured", 0.17, -0.45),
    ("VA-guaranteed", 0.09, 0.20),
    ("FSA/RHS-guaranteed", 0.04, -0.70),
)
# (name, share, effect on log-odds, shift of log(income / loan))
LOAN_PURPOSES = (
    ("Home purchase", 0.55, 0.35, 0.0),
    ("Refinancing", 0.33, -0.40, 0.25),
    ("Home improvement", 0.12, -0.60, 1.10),
)
# (name, shift of log income, effect on log-odds); equal shares
COUNTIES = tuple(
    (name, income_shift, effect)
    for name, income_shift, effect in (
        ("Adams County", -0.30, -0.20), ("Baker County", 0.10, 0.15), ("Benton County", 0.35, 0.30),
        ("Clark County", 0.00, 0.00), ("Clay County", -0.20, -0.35), ("Dallas County", 0.25, 0.10),
        ("Douglas County", 0.15, 0.05), ("Franklin County", -0.10, -0.10), ("Fulton County", 0.40, 0.45),
        ("Grant County", -0.35, -0.40), ("Greene County", -0.05, 0.20), ("Hamilton County", 0.30, 0.25),
        ("Harris County", 0.20, -0.05), ("Jackson County", -0.15, -0.25), ("Jefferson County", 0.05, 0.10),
        ("King County", 0.50, 0.35), ("Lake County", 0.00, -0.15), ("Lee County", -0.25, -0.05),
        ("Lincoln County", -0.10, 0.00), ("Madison County", 0.10, 0.30), ("Marion County", -0.05, -0.30),
        ("Monroe County", 0.15, 0.20), ("Montgomery County", 0.25, -0.10), ("Orange County", 0.45, 0.15),
        ("Polk County", -0.20, 0.05), ("Union County", -0.30, -0.45), ("Warren County", 0.05, 0.25),
        ("Washington County", 0.20, 0.00), ("Wayne County", -0.40, -0.20), ("Wood County", 0.00, 0.10),
    )
)

_BASE_RATIO = 0.45  # median income / loan amount of home purchases
_MISSING_INCOME_SHARE = 0.015
_UNIFORMS_PER_ROW = 8

Row = Tuple[int, str, str, str, Optional[int], int, str, int]


def _pick(u: float, shares: Sequence[float]) -> int:
    total = 0.0
    for index, share in enumerate(shares):
        total += share
        if u < total:
            return index
    return len(shares) - 1


def _normal_pair(u1: float, u2: float) -> Tuple[float, float]:
    """Two independent standard normals from two uniforms in [0, 1) (Box-Muller)."""
    radius = math.sqrt(-2.0 * math.log(1.0 - u1))
    return radius * math.cos(2.0 * math.pi * u2), radius * math.sin(2.0 * math.pi * u2)


def label_log_odds(income_k: float, loan_k: float, type_index: int, purpose_index: int, county_index: int, day_of_year: int) -> float:
    """The generator's ground truth: log-odds of MORTGAGERESPONSE = 1 (higher income/loan ratio helps)."""
    return (
        4.0 * (math.log(income_k / loan_k) - math.log(_BASE_RATIO))
        + LOAN_TYPES[type_index][2]
        + LOAN_PURPOSES[purpose_index][2]
        + COUNTIES[county_index][2]
        + 0.35 * math.sin(2.0 * math.pi * day_of_year / 366.0)
    )


def generate_rows(rows: int, seed: int = DEFAULT_SEED) -> List[Row]:
    if rows < 0:
        raise ValueError("rows must be >= 0")
    uniforms = np.random.Generator(np.random.PCG64(seed)).random(rows * _UNIFORMS_PER_ROW).tolist()
    type_shares = [t[1] for t in LOAN_TYPES]
    purpose_shares = [p[1] for p in LOAN_PURPOSES]
    county_shares = [1.0 / len(COUNTIES)] * len(COUNTIES)
    out: List[Row] = []
    for i in range(rows):
        u = uniforms[i * _UNIFORMS_PER_ROW:(i + 1) * _UNIFORMS_PER_ROW]
        when = START + dt.timedelta(seconds=int(u[0] * PERIOD_SECONDS))
        type_index = _pick(u[1], type_shares)
        purpose_index = _pick(u[2], purpose_shares)
        county_index = _pick(u[3], county_shares)
        z_income, z_ratio = _normal_pair(u[4], u[5])
        income_k = max(8, min(3000, round(math.exp(4.25 + COUNTIES[county_index][1] + 0.5 * z_income))))
        ratio = math.exp(math.log(_BASE_RATIO) + LOAN_PURPOSES[purpose_index][3] + 0.45 * z_ratio)
        loan_k = max(1, round(income_k / ratio))
        day_of_year = when.timetuple().tm_yday
        p = 1.0 / (1.0 + math.exp(-label_log_odds(income_k, loan_k, type_index, purpose_index, county_index, day_of_year)))
        label = 1 if u[6] < p else 0
        income_out = None if u[7] < _MISSING_INCOME_SHARE else int(income_k)
        out.append((
            i + 1,
            when.strftime("%Y-%m-%d %H:%M:%S"),
            LOAN_TYPES[type_index][0],
            LOAN_PURPOSES[purpose_index][0],
            income_out,
            int(loan_k),
            COUNTIES[county_index][0],
            label,
        ))
    return out


def render_csv(rows: Sequence[Row]) -> str:
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join("" if value is None else str(value) for value in row))
    return "\n".join(lines) + "\n"


def generate_frame(rows: int, seed: int = DEFAULT_SEED):
    """The same data as a pandas DataFrame, typed as read_csv(parse_dates=['TS']) gives it."""
    import pandas as pd

    frame = pd.DataFrame(generate_rows(rows, seed), columns=list(COLUMNS))
    frame["TS"] = pd.to_datetime(frame["TS"])
    frame["APPLICANT_INCOME_000S"] = frame["APPLICANT_INCOME_000S"].astype("float64")
    return frame


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m mlpipeline.sample_data", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=SAMPLE_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", required=True, help="CSV file to write ('-' for stdout)")
    args = parser.parse_args(argv)
    text = render_csv(generate_rows(args.rows, args.seed))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
