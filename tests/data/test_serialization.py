"""frame_to_parquet_bytes / frame_from_parquet_bytes: exact round trips, clear refusals."""

from __future__ import annotations

import datetime as dt
import decimal
import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from mlops_jupyter.data import fingerprint, frame_from_parquet_bytes, frame_to_parquet_bytes
from mlops_jupyter.errors import SnapshotError


def round_trip(obj):
    return frame_from_parquet_bytes(frame_to_parquet_bytes(obj))


def assert_exact(df: pd.DataFrame) -> None:
    restored = round_trip(df)
    assert_frame_equal(
        df,
        restored,
        check_dtype=True,
        check_index_type=True,
        check_column_type=True,
        check_exact=True,
    )
    assert fingerprint(restored) == fingerprint(df)


COLUMNS = {
    "float64": pd.Series([1.5, np.nan, -0.0]),
    "float32": pd.Series([1.5, np.nan, 2.0], dtype="float32"),
    "int64": pd.Series([1, -2, 2**62]),
    "uint8": pd.Series([1, 2, 255], dtype="uint8"),
    "bool": pd.Series([True, False, True]),
    "Int64": pd.Series([1, None, 3], dtype="Int64"),
    "UInt16": pd.Series([1, None, 3], dtype="UInt16"),
    "Float64": pd.Series([1.5, None, 3.0], dtype="Float64"),
    "boolean": pd.Series([True, None, False], dtype="boolean"),
    "str": pd.Series(["a", None, "ü€"], dtype="str"),
    "string": pd.Series(["a", None, "c"], dtype="string"),
    "object of str": pd.Series(np.array(["a", None, "c"], dtype=object)),
    "object of int": pd.Series(np.array([1, None, 3], dtype=object)),
    "object of bool": pd.Series(np.array([True, False, True], dtype=object)),
    "object of Decimal": pd.Series(
        np.array([decimal.Decimal("1.10"), None, decimal.Decimal("-2")], dtype=object)
    ),
    "object of date": pd.Series(
        np.array([dt.date(2020, 1, 1), None, dt.date(1999, 12, 31)], dtype=object)
    ),
    "object of bytes": pd.Series(np.array([b"a", None, b"\x00"], dtype=object)),
    "category": pd.Series(pd.Categorical(["b", None, "a"], categories=["b", "a", "unused"])),
    "ordered category": pd.Series(
        pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True)
    ),
    "int category": pd.Series(pd.Categorical([3, None, 1], categories=[3, 2, 1], ordered=True)),
    "datetime category": pd.Series(
        pd.Categorical(pd.to_datetime(["2020", "2021", "2020"]).tz_localize("UTC"))
    ),
    "bool category": pd.Series(pd.Categorical([True, None, False])),
    "datetime64[ns]": pd.Series(
        pd.to_datetime(
            ["2020-01-01 00:00:00", None, "2021-06-01 12:00:00.000000001"], format="ISO8601"
        )
    ),
    "datetime64[s]": pd.Series(pd.to_datetime(["2020-01-01", None, "1700-01-01"]).as_unit("s")),
    "datetime tz": pd.Series(
        pd.to_datetime(["2020-03-29 00:30", None, "2020-10-25 03:00"]).tz_localize("Europe/Berlin")
    ),
    "timedelta": pd.Series(pd.to_timedelta([1, None, -3], unit="s")),
    "timedelta[s]": pd.Series(pd.to_timedelta([1, None, -3], unit="s").as_unit("s")),
    "period": pd.Series(pd.period_range("2020-01", periods=3, freq="M")),
    "interval": pd.Series(pd.interval_range(0, 3)),
    "int64[pyarrow]": pd.Series([1, None, 3], dtype="int64[pyarrow]"),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_every_dtype_round_trips_exactly(name):
    assert_exact(pd.DataFrame({name: COLUMNS[name]}))


def test_all_dtypes_together_with_a_named_index():
    df = pd.DataFrame(COLUMNS).set_axis(pd.Index(["r1", "r2", "r3"], name="row"))
    assert_exact(df)


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(3),
        pd.RangeIndex(10, 40, 10, name="r"),
        pd.Index([5, 1, 3]),
        pd.Index([0.5, 1.5, 2.5], name="f"),
        pd.Index(["x", "y", "z"], name="k"),
        pd.date_range("2020-01-01", periods=3, freq="D", tz="UTC", name="day"),
        pd.timedelta_range(0, periods=3, freq="h"),
        pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2019-01-01"], name="s").as_unit("s"),
        pd.CategoricalIndex(["a", "b", "a"], name="c"),
        pd.MultiIndex.from_arrays([["a", "a", "b"], [1, 2, 1]], names=["g", None]),
        pd.MultiIndex.from_arrays(
            [
                pd.to_datetime(["2020", "2021", "2022"]).tz_localize("UTC"),
                pd.Index([1.5, 2.5, 3.5]),
            ],
            names=["t", "v"],
        ),
    ],
    ids=lambda i: type(i).__name__ + ("/" + str(i.names) if i.names else ""),
)
def test_indexes_round_trip(index):
    assert_exact(pd.DataFrame({"a": [1, 2, 3]}, index=index))


def test_index_named_like_a_column():
    assert_exact(pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="a")))


@pytest.mark.parametrize(
    "columns",
    [
        pd.RangeIndex(2),
        pd.Index([10, 20]),
        pd.Index([1.5, 2.5]),
        pd.Index([0, "0"], dtype=object),
        pd.Index(["a", "a"]),
        pd.Index([None, "b"], dtype=object),
        pd.Index(["a", "b"], name="features"),
        pd.Index([pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-02")]),
        pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")], names=["top", "sub"]),
        pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]),
    ],
    ids=str,
)
def test_column_labels_round_trip(columns):
    assert_exact(pd.DataFrame([[1, 2], [3, 4]], columns=columns))


@pytest.mark.parametrize("name", ["x", None, 3, ("a", "b")])
def test_series_comes_back_as_a_series(name):
    s = pd.Series(pd.Categorical([1, 2, 1]), name=name, index=pd.Index(["p", "q", "r"], name="k"))
    restored = round_trip(s)
    assert isinstance(restored, pd.Series)
    assert_series_equal(s, restored, check_index_type=True, check_exact=True)


def test_large_frame_and_slices_round_trip():
    rng = np.random.default_rng(0)
    n = 20_000
    df = pd.DataFrame(
        {
            "f": rng.random(n),
            "s": pd.array(rng.integers(0, 500, n).astype(str), dtype="str"),
            "c": pd.Categorical.from_codes(rng.integers(0, 4, n), categories=list("abcd")),
        }
    )
    assert_exact(df)
    assert_exact(df.iloc[1234:5678])


def test_empty_frames():
    assert_exact(pd.DataFrame())
    assert_exact(pd.DataFrame({"a": pd.Series([], dtype="Int64"), "b": pd.Series([], dtype="str")}))


def test_is_a_plain_zstd_parquet_file():
    data = frame_to_parquet_bytes(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    plain = pq.read_table(io.BytesIO(data)).to_pandas()  # another reader sees normal columns
    assert list(plain.columns) == ["a", "b"]


def test_foreign_parquet_is_read_as_is():
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2]}).to_parquet(buffer)
    assert_frame_equal(frame_from_parquet_bytes(buffer.getvalue()), pd.DataFrame({"a": [1, 2]}))


@pytest.mark.parametrize(
    ("column", "match"),
    [
        (pd.Series(np.array([[1], [2, 3]], dtype=object)), "column 'bad' holds lists/dicts"),
        (pd.Series(np.array([{"k": 1}, {"j": 2}], dtype=object)), "column 'bad' holds lists/dicts"),
        (pd.Series([1 + 2j, 3j]), r"column 'bad' \(dtype complex128\)"),
        (pd.Series(pd.arrays.SparseArray([0, 1])), r"column 'bad' \(dtype Sparse"),
    ],
    ids=["lists", "dicts", "complex", "sparse"],
)
def test_what_cannot_round_trip_is_refused_with_the_column_name(column, match):
    df = pd.DataFrame({"ok": [1, 2], "bad": column})
    with pytest.raises(SnapshotError, match=match):
        frame_to_parquet_bytes(df)


def test_mixed_objects_round_trip_instead_of_being_refused():
    assert_exact(pd.DataFrame({"m": pd.Series(["a", 1, 2.5, True, None], dtype=object)}))


def test_unsupported_label_types_are_refused():
    with pytest.raises(SnapshotError, match="column label"):
        frame_to_parquet_bytes(pd.DataFrame({object(): [1]}))
    with pytest.raises(TypeError, match="expected a pandas DataFrame or Series"):
        frame_to_parquet_bytes(np.zeros(2))
