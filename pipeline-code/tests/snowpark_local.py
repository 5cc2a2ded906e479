"""Snowpark's own local testing mode (``Session.builder.config("local_testing", True)``), with
patches for the functions mlpipeline.features uses that it does not implement.

Functions of mlpipeline/features.py that local testing (snowflake-snowpark-python 1.54.0) lacks,
per https://docs.snowflake.com/en/developer-guide/snowpark/python/testing-locally (its list of
supported APIs), and how the tests handle each:

| Function | Here |
| --- | --- |
| MONTH, DAYOFYEAR | patched with ``snowflake.snowpark.mock.patch``: the calendar month and day of the year of a TIMESTAMP_NTZ, as Snowflake defines them |
| DAYOFWEEKISO | patched: Monday 1 .. Sunday 7 (ISO), independent of WEEK_START, as Snowflake defines it |
| HASH | not reproducible: Snowflake's HASH is a proprietary 64-bit hash. Patched with a stand-in (LOAN_ID * 7919 mod 100), so only what does not depend on which rows are TRAIN is asserted through it: the split is a partition, and every learned number comes from the rows the SPLIT column marks TRAIN |

Patches are registered once per process (the registry is global); each is faithful for the
argument types the features pass it, so they cannot make another test pass wrongly.
"""

import pytest

snowpark = pytest.importorskip(
    "snowflake.snowpark", reason="snowflake-snowpark-python is not installed (Debian fallback): npm test installs it from tests/python/requirements-test.txt"
)
from snowflake.snowpark import Session  # noqa: E402
from snowflake.snowpark.mock import ColumnEmulator, ColumnType, patch  # noqa: E402
from snowflake.snowpark.types import LongType  # noqa: E402

_registered = False


def _longs(column: ColumnEmulator, fn) -> ColumnEmulator:
    result = ColumnEmulator(column.map(lambda value: None if value is None else fn(value)))
    result.sf_type = ColumnType(LongType(), True)
    return result


def register_patches() -> None:
    global _registered
    if _registered:
        return

    @patch("month")
    def _month(e: ColumnEmulator) -> ColumnEmulator:
        return _longs(e, lambda ts: ts.month)

    @patch("dayofyear")
    def _dayofyear(e: ColumnEmulator) -> ColumnEmulator:
        return _longs(e, lambda ts: ts.timetuple().tm_yday)

    @patch("dayofweekiso")
    def _dayofweekiso(e: ColumnEmulator) -> ColumnEmulator:
        return _longs(e, lambda ts: ts.isoweekday())

    @patch("hash")
    def _hash(*cols: ColumnEmulator) -> ColumnEmulator:
        (e,) = cols
        return _longs(e, lambda loan_id: int(loan_id) * STAND_IN_HASH_FACTOR)

    _registered = True


STAND_IN_HASH_FACTOR = 7919


def stand_in_is_train(loan_ids, train_percent):
    """Which LOAN_IDs the patched HASH puts in TRAIN (computed here, not by Snowpark)."""
    return (abs(loan_ids * STAND_IN_HASH_FACTOR) % 100) < train_percent


def session() -> Session:
    register_patches()
    return Session.builder.config("local_testing", True).create()
