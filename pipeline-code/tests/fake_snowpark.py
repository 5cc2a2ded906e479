"""A pandas-backed stand-in for the part of Snowpark that mlpipeline.features uses.

It evaluates column expressions with SQL semantics where they matter here (NULL propagation in
arithmetic and comparisons, NULLs ignored by AVG, DENSE_RANK with NULLS LAST, RANGE window frames
with ties), written independently of mlpipeline.features.reference_features so the two can be
compared. It also counts materialisations, so tests can check that building features collects
nothing.
"""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd


class FakeSnowparkError(Exception):
    pass


def _series(value, frame):
    if isinstance(value, Column):
        return value.eval(frame)
    return pd.Series([value] * len(frame), index=frame.index, dtype="object" if value is None else None)


def _nullable_compare(op):
    def compare(self, other):
        def fn(frame):
            a, b = _series(self, frame), _series(other, frame)
            nulls = a.isna() | b.isna()
            result = pd.Series(op(a.where(~nulls, 0), b.where(~nulls, 0)), index=frame.index).astype("boolean")
            result[nulls] = pd.NA
            return result

        return Column(fn)

    return compare


def _arith(op):
    def arith(self, other):
        def fn(frame):
            a = _series(self, frame).astype("float64")
            b = _series(other, frame).astype("float64")
            return op(a, b)

        return Column(fn)

    return arith


def _divide(a, b):
    if ((b == 0) & a.notna()).any():
        raise FakeSnowparkError("Division by zero")
    return a / b


class Column:
    def __init__(self, fn, name=None):
        self._fn = fn
        self.name = name

    def eval(self, frame):
        return self._fn(frame)

    __gt__ = _nullable_compare(lambda a, b: a > b)
    __lt__ = _nullable_compare(lambda a, b: a < b)
    __ge__ = _nullable_compare(lambda a, b: a >= b)
    __le__ = _nullable_compare(lambda a, b: a <= b)
    __eq__ = _nullable_compare(lambda a, b: a == b)
    __ne__ = _nullable_compare(lambda a, b: a != b)
    __mul__ = _arith(lambda a, b: a * b)
    __sub__ = _arith(lambda a, b: a - b)
    __add__ = _arith(lambda a, b: a + b)
    __truediv__ = _arith(_divide)
    __mod__ = _arith(lambda a, b: np.fmod(a, b))
    __hash__ = None

    def cast(self, kind):
        def fn(frame):
            values = self.eval(frame)
            if isinstance(kind, IntegerType):
                if str(values.dtype) == "boolean":
                    return values.astype("Float64").astype("float64")
                return values.astype("float64").round()
            if isinstance(kind, DoubleType):
                return values.astype("float64")
            raise FakeSnowparkError(f"cast to {kind!r} not faked")

        return Column(fn)

    def is_null(self):
        return Column(lambda frame: self.eval(frame).isna().astype("boolean"))

    def over(self, window=None):
        raise FakeSnowparkError("over() on a non-window expression")


class WindowExpression(Column):
    """An aggregate or ranking function that needs over()."""

    def __init__(self, kind, argument=None):
        super().__init__(self._outside)
        self.kind = kind
        self.argument = argument

    def _outside(self, frame):
        raise FakeSnowparkError(f"{self.kind} used without over()")

    def over(self, window=None):
        window = window or WindowSpec()

        def fn(frame):
            if self.kind == "avg":
                values = self.argument.eval(frame).astype("float64")
                if not window.partition:
                    return pd.Series(values.mean(skipna=True), index=frame.index)
                keys = [c.eval(frame) for c in window.partition]
                return values.groupby(keys, dropna=False).transform("mean")
            if self.kind == "dense_rank":
                if window.partition or len(window.order) != 1:
                    raise FakeSnowparkError("dense_rank faked only over ORDER BY one column")
                key = window.order[0].eval(frame)
                present = key.dropna()
                ranks = {value: index + 1 for index, value in enumerate(sorted(present.unique()))}
                return key.map(ranks).fillna(len(ranks) + 1).astype("float64")  # NULLS LAST
            raise FakeSnowparkError(self.kind)

        return Column(fn)


class WindowSpec:
    def __init__(self, partition=(), order=()):
        self.partition = tuple(partition)
        self.order = tuple(order)

    def partition_by(self, *cols):
        return WindowSpec(self.partition + tuple(_as_col(c) for c in cols), self.order)

    def order_by(self, *cols):
        return WindowSpec(self.partition, self.order + tuple(_as_col(c) for c in cols))


class Window:
    @staticmethod
    def partition_by(*cols):
        return WindowSpec().partition_by(*cols)

    @staticmethod
    def order_by(*cols):
        return WindowSpec().order_by(*cols)


class DoubleType:
    pass


class IntegerType:
    pass


def _as_col(value):
    return value if isinstance(value, Column) else col(value)


def col(name):
    key = name.upper()

    def fn(frame):
        if key not in frame.columns:
            raise FakeSnowparkError(f"invalid identifier '{key}'")
        return frame[key]

    return Column(fn, key)


def lit(value):
    return Column(lambda frame: _series(value, frame))


def to_timestamp(c):
    return Column(lambda frame: pd.to_datetime(c.eval(frame)))


def month(c):
    return Column(lambda frame: c.eval(frame).dt.month.astype("float64"))


def dayofyear(c):
    return Column(lambda frame: c.eval(frame).dt.dayofyear.astype("float64"))


def call_function(name, c):
    if name.upper() == "DAYOFWEEKISO":
        return Column(lambda frame: (c.eval(frame).dt.dayofweek + 1).astype("float64"))  # Monday 1 .. Sunday 7
    if name.upper() == "NULLIFZERO":
        return Column(lambda frame: c.eval(frame).astype("float64").where(lambda v: v != 0))
    raise FakeSnowparkError(f"function {name} not faked")


def iff(condition, if_true, if_false):
    def fn(frame):
        take = condition.eval(frame).fillna(False).astype(bool)
        return _series(if_true, frame).astype("float64").where(take, _series(if_false, frame).astype("float64"))

    return Column(fn)


def coalesce(first, second):
    return Column(lambda frame: _series(first, frame).astype("float64").fillna(_series(second, frame).astype("float64")))


def avg(c):
    return WindowExpression("avg", c)


def dense_rank():
    return WindowExpression("dense_rank")


def abs(c):  # noqa: A001 - Snowpark's name
    return Column(lambda frame: c.eval(frame).abs())


def hash(c):  # noqa: A001 - Snowpark's name; any deterministic signed 64-bit mix will do here
    def fn(frame):
        x = c.eval(frame).astype("int64").to_numpy().astype("uint64")
        mixed = (x * np.uint64(0x9E3779B97F4A7C15)) ^ (x >> np.uint64(7))
        return pd.Series(mixed.view("int64").astype("float64"), index=frame.index)

    return Column(fn)


_RANGE_AVG = re.compile(
    r"^AVG\((\w+)\) OVER \(PARTITION BY (\w+) ORDER BY (\w+) RANGE BETWEEN INTERVAL '(\d+) DAYS' PRECEDING AND CURRENT ROW\)$"
)


def sql_expr(text):
    """Only the RANGE-frame moving average is faked: evaluated row by row (brute force)."""
    match = _RANGE_AVG.match(" ".join(text.split()))
    if not match:
        raise FakeSnowparkError(f"sql_expr not faked: {text}")
    value_col, partition_col, order_col, days = match.group(1), match.group(2), match.group(3), int(match.group(4))

    def fn(frame):
        values = frame[value_col].astype("float64").to_numpy()
        keys = frame[partition_col].to_numpy()
        times = pd.to_datetime(frame[order_col]).to_numpy()
        span = np.timedelta64(days, "D")
        out = np.full(len(frame), np.nan)
        for i in range(len(frame)):
            same = (keys == keys[i]) & (times >= times[i] - span) & (times <= times[i]) & ~np.isnan(values)
            if same.any():
                out[i] = values[same].mean()
        return pd.Series(out, index=frame.index)

    return Column(fn)


class FakeDataFrame:
    """Lazy-looking DataFrame: each transformation returns a new frame; counts materialisations."""

    materialisations = 0

    def __init__(self, frame):
        self._frame = frame

    @property
    def columns(self):
        return list(self._frame.columns)

    def with_columns(self, names, values):
        if len(names) != len(values):
            raise FakeSnowparkError("with_columns: names and values differ in length")
        source = self._frame
        out = source.copy()
        for name, value in zip(names, values):
            out[name.upper()] = value.eval(source)  # every expression sees the input row
        return FakeDataFrame(out)

    def select(self, cols):
        return FakeDataFrame(pd.DataFrame({c.name: c.eval(self._frame) for c in (_as_col(x) for x in cols)}))

    def filter(self, condition):
        keep = condition.eval(self._frame).fillna(False).astype(bool)
        return FakeDataFrame(self._frame[keep])

    def to_pandas(self):
        FakeDataFrame.materialisations += 1
        return self._frame.reset_index(drop=True).copy()

    def collect(self):
        FakeDataFrame.materialisations += 1
        return [tuple(row) for row in self._frame.itertuples(index=False)]


def api():
    """The namespace mlpipeline.features.build_feature_frame takes as ``sp``."""
    functions = SimpleNamespace(
        col=col, lit=lit, to_timestamp=to_timestamp, month=month, dayofyear=dayofyear, call_function=call_function,
        iff=iff, coalesce=coalesce, avg=avg, dense_rank=dense_rank, abs=abs, hash=hash, sql_expr=sql_expr,
    )
    return SimpleNamespace(functions=functions, Window=Window, types=SimpleNamespace(DoubleType=DoubleType, IntegerType=IntegerType))
