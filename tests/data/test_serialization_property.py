"""Property: a snapshot either round-trips exactly or is refused before anything is stored.

Frames are built from varied dtypes and awkward ``object`` columns (mixed bytes/str, mixed
int/str/float, None vs NaN vs pd.NA, Decimal, mixed-timezone and naive+aware timestamps,
timedeltas, periods, categoricals of mixed types, duplicate and non-string column labels,
rows without columns, MultiIndex rows). "Exactly" is ``assert_frame_equal`` with every check on,
plus the same fingerprint (which tells ``1`` from ``"1"``, ``b"x"`` from ``"x"``, None from NaN).
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal

from mlops_jupyter.data import fingerprint, frame_from_parquet_bytes, frame_to_parquet_bytes
from mlops_jupyter.errors import SnapshotError

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]

# -- values of object columns ---------------------------------------------------------------------

texts = st.text(max_size=5)
naive_datetimes = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)
)
timestamps = st.builds(
    lambda d, tz, unit: pd.Timestamp(d).as_unit(unit) if tz is None
    else pd.Timestamp(d).tz_localize(tz, ambiguous=False, nonexistent="shift_forward").as_unit(unit),
    naive_datetimes,
    st.sampled_from([None, *ZONES]),
    st.sampled_from(["s", "ms", "us", "ns"]),
)
nulls = st.sampled_from([None, np.nan, pd.NA, pd.NaT])
supported_values = st.one_of(
    texts,
    st.binary(max_size=4),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    nulls,
    st.decimals(allow_nan=True, places=None).filter(lambda d: not d.is_snan()),
    st.dates(),
    naive_datetimes,
    st.datetimes(
        min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
        timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-3))]),
    ),
    timestamps,
    st.timedeltas(min_value=dt.timedelta(days=-9999), max_value=dt.timedelta(days=9999)),
    st.integers(-(10**15), 10**15).map(pd.Timedelta),
    st.times(),
    st.builds(pd.Period, st.dates(), st.sampled_from(["D", "M", "Y", "Q"])),
)
# Values a snapshot may refuse (with a SnapshotError naming the column).
exotic_values = st.one_of(
    st.lists(st.integers(), max_size=2),
    st.dictionaries(texts, st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.complex_numbers(allow_nan=False),
    st.builds(pd.Interval, st.integers(0, 5), st.integers(6, 9)),
    st.builds(object),
)


def object_column(values, n):
    return st.lists(values, min_size=n, max_size=n).map(
        lambda vs: pd.Series(np.array(vs + [None], dtype=object)[:-1], dtype=object)
    )


def typed_column(n):
    floats = st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n)
    ints = st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)
    optional_ints = st.lists(st.one_of(st.none(), st.integers(-(2**31), 2**31)), min_size=n,
                             max_size=n)
    optional_texts = st.lists(st.one_of(st.none(), texts), min_size=n, max_size=n)
    stamps = st.lists(st.one_of(st.none(), naive_datetimes), min_size=n, max_size=n)
    return st.one_of(
        floats.map(lambda v: pd.Series(v, dtype="float64")),
        floats.map(lambda v: pd.Series(v, dtype="float32")),
        ints.map(lambda v: pd.Series(v, dtype="int64")),
        st.lists(st.booleans(), min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=bool)),
        optional_ints.map(lambda v: pd.Series(v, dtype="Int64")),
        optional_texts.map(lambda v: pd.Series(v, dtype="str")),
        optional_texts.map(lambda v: pd.Series(v, dtype="string")),
        st.tuples(stamps, st.sampled_from([None, *ZONES]), st.sampled_from(["s", "us", "ns"])).map(
            lambda a: pd.Series(pd.to_datetime(a[0]).as_unit(a[2]).tz_localize(
                a[1], ambiguous="NaT", nonexistent="NaT"))
        ),
        optional_ints.map(lambda v: pd.Series(pd.to_timedelta(v, unit="ms"))),
        optional_ints.map(lambda v: pd.Series(pd.array(
            [None if x is None else pd.Period(ordinal=x % 10**6, freq="D") for x in v],
            dtype="period[D]"))),
        categorical_column(n),
    )


@st.composite
def categorical_column(draw, n):
    """Categories of mixed kinds (str next to bytes, ints, timestamps), unused ones included."""
    values = draw(st.lists(st.one_of(texts, st.binary(max_size=2), st.integers(-3, 3),
                                     timestamps, st.floats(allow_nan=False)), max_size=4))
    categories = _unique(values)
    if categories is None:
        categories = pd.Index(values[:1], dtype=object)
    codes = draw(st.lists(st.integers(-1, len(categories) - 1), min_size=n, max_size=n))
    ordered = draw(st.booleans())
    return pd.Series(pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(categories, ordered=ordered)))


def _unique(values):
    """``values`` without repeats as an object Index, or None when pandas would merge some."""
    seen, out = set(), []
    for v in values:
        key = (type(v), v)
        try:
            if key in seen:
                continue
            seen.add(key)
        except TypeError:
            return None
        out.append(v)
    try:
        cats = pd.Index(out, dtype=object, tupleize_cols=False)
        return cats if cats.is_unique else None
    except (TypeError, ValueError):
        return None


LABELS = [0, 1, "1", "a", "a", None, 1.5, "__index_level_0__"]


@st.composite
def frames(draw, values=supported_values):
    n = draw(st.integers(0, 5))
    k = draw(st.integers(0, 4))
    columns = []
    for _ in range(k):
        if draw(st.booleans()):
            columns.append(draw(object_column(values, n)))
        else:
            columns.append(draw(typed_column(n)))
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=k, max_size=k))
    index_kind = draw(st.sampled_from(["range", "int", "str", "datetime", "multi", "object"]))
    if index_kind == "range":
        index = pd.RangeIndex(n)
    elif index_kind == "int":
        index = pd.Index(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)),
                         dtype="int64", name="i")
    elif index_kind == "str":
        index = pd.Index(draw(st.lists(texts, min_size=n, max_size=n)), dtype="str")
    elif index_kind == "object":
        index = pd.Index(draw(st.lists(texts, min_size=n, max_size=n)), dtype=object, name=1)
    elif index_kind == "datetime":
        index = pd.DatetimeIndex(draw(st.lists(naive_datetimes, min_size=n, max_size=n)),
                                 name="t").tz_localize(draw(st.sampled_from([None, *ZONES])),
                                                       ambiguous="NaT", nonexistent="NaT")
    else:
        index = pd.MultiIndex.from_arrays(
            [list(range(n)), draw(st.lists(texts, min_size=n, max_size=n))], names=["k", None]
        )
    data = {i: c.reset_index(drop=True) for i, c in enumerate(columns)}
    df = pd.DataFrame(data, index=pd.RangeIndex(n)) if data else pd.DataFrame(index=range(n))
    df.columns = pd.Index(labels, dtype=object, tupleize_cols=False) if k else df.columns
    return df.set_axis(index, axis=0)


def assert_round_trips_exactly(df: pd.DataFrame) -> None:
    before = fingerprint(df)
    data = frame_to_parquet_bytes(df)
    assert fingerprint(df) == before, "serialising changed the frame"
    restored = frame_from_parquet_bytes(data)
    assert_frame_equal(
        df, restored, check_dtype=True, check_index_type=True, check_column_type=True,
        check_exact=True, check_categorical=True, check_names=True,
    )
    for (_, a), (_, b) in zip(df.items(), restored.items(), strict=True):
        if a.dtype == object:  # same Python types, not just equal values (1 == 1.0 == True)
            assert [type(v) for v in a] == [type(v) for v in b]
    assert fingerprint(restored) == before


SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("SNAPSHOT_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # float32
@SETTINGS
@given(frames())
def test_supported_frames_round_trip_exactly(df):
    assert_round_trips_exactly(df)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@SETTINGS
@given(frames(values=st.one_of(supported_values, exotic_values)))
def test_other_frames_round_trip_exactly_or_are_refused_naming_the_column(df):
    try:
        data = frame_to_parquet_bytes(df)
    except SnapshotError as exc:
        message = str(exc)
        assert any(repr(label) in message for label in df.columns), message
        assert "convert" in message.lower(), message
        return
    restored = frame_from_parquet_bytes(data)
    assert_frame_equal(df, restored, check_exact=True, check_index_type=True,
                       check_column_type=True)
    assert fingerprint(restored) == fingerprint(df)


# -- the examples -----------------------------------------------------------------------


def test_object_column_mixing_bytes_and_str_keeps_both():
    df = pd.DataFrame({"a": pd.Series([b"x", "x", None, "y"], dtype=object)})
    assert_round_trips_exactly(df)
    assert fingerprint(df) != fingerprint(
        pd.DataFrame({"a": pd.Series([b"x", b"x", None, b"y"], dtype=object)})
    )


def test_mixed_timezone_timestamps_keep_their_zones():
    values = [
        pd.Timestamp("2020-01-01 12:00", tz="Europe/Berlin"),
        pd.Timestamp("2020-01-01 12:00", tz="America/New_York"),
        pd.Timestamp("2020-01-01 12:00"),
        pd.NaT,
    ]
    df = pd.DataFrame({"t": pd.Series(values, dtype=object)})
    assert_round_trips_exactly(df)
    restored = frame_from_parquet_bytes(frame_to_parquet_bytes(df))
    assert [str(v.tz) if v is not pd.NaT else None for v in restored["t"]] == [
        "Europe/Berlin", "America/New_York", "None", None
    ]


def test_same_instant_in_another_zone_is_another_fingerprint():
    berlin = pd.Timestamp("2020-01-01 12:00", tz="Europe/Berlin")
    paris = berlin.tz_convert("Europe/Paris")  # same offset, different zone
    a = pd.DataFrame({"t": pd.Series([berlin], dtype=object)})
    b = pd.DataFrame({"t": pd.Series([paris], dtype=object)})
    assert fingerprint(a) != fingerprint(b)


@pytest.mark.parametrize(
    "index",
    [pd.RangeIndex(3), pd.RangeIndex(5, 11, 2, name="r"), pd.Index([7, 8, 9], name="k"),
     pd.MultiIndex.from_tuples([(1, "a"), (2, "b"), (3, "c")])],
    ids=str,
)
def test_rows_without_columns_keep_their_rows(index):
    df = pd.DataFrame(index=index)
    assert_round_trips_exactly(df)
    assert len(frame_from_parquet_bytes(frame_to_parquet_bytes(df))) == 3


def test_series_of_mixed_objects_round_trips():
    s = pd.Series([b"x", "x", 1, 1.0, True, None, np.nan, pd.NA], dtype=object, name="m")
    restored = frame_from_parquet_bytes(frame_to_parquet_bytes(s))
    assert_series_equal(s, restored, check_exact=True)
    assert [type(v) for v in restored] == [type(v) for v in s]


def test_refusal_names_the_column_and_says_what_to_do():
    df = pd.DataFrame({"ok": [1, 2], "bad": pd.Series([[1], {"a": 1}], dtype=object)})
    with pytest.raises(SnapshotError, match=r"'bad'.*(?i:convert)"):
        frame_to_parquet_bytes(df)


def test_index_that_cannot_be_stored_is_refused_naming_it():
    df = pd.DataFrame({"a": [1, 2]}, index=pd.Index([1, "x"], dtype=object, name="key"))
    with pytest.raises(SnapshotError, match=r"index level 'key'.*reset_index"):
        frame_to_parquet_bytes(df)


def test_decimal_text_is_kept():
    df = pd.DataFrame({"d": pd.Series([decimal.Decimal("1.10"), decimal.Decimal("1.1"),
                                       decimal.Decimal("NaN")], dtype=object)})
    restored = frame_from_parquet_bytes(frame_to_parquet_bytes(df))
    assert [str(v) for v in restored["d"]] == ["1.10", "1.1", "NaN"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([decimal.Decimal("1.10")], [decimal.Decimal("1.1")]),
        ([pd.Timestamp("2020-01-01", tz="Europe/Berlin")],
         [pd.Timestamp("2020-01-01", tz="Europe/Berlin").tz_convert("Europe/Paris")]),
        ([pd.Timestamp("2020-01-01").as_unit("s")], [pd.Timestamp("2020-01-01").as_unit("ns")]),
        ([pd.Timedelta(1, unit="s").as_unit("s")], [pd.Timedelta(1, unit="s").as_unit("ns")]),
        ([b"x"], ["x"]),
        ([None], [np.nan]),
    ],
    ids=["decimal text", "zone", "timestamp unit", "timedelta unit", "bytes/str", "None/NaN"],
)
def test_what_round_trips_differently_fingerprints_differently(a, b):
    # Deduplication is by fingerprint: two frames sharing one would share one stored blob.
    fa = pd.DataFrame({"v": pd.Series(a, dtype=object)})
    fb = pd.DataFrame({"v": pd.Series(b, dtype=object)})
    restored_a = frame_from_parquet_bytes(frame_to_parquet_bytes(fa))
    restored_b = frame_from_parquet_bytes(frame_to_parquet_bytes(fb))
    def seen(values):  # what a user can tell apart: type, text, unit, zone
        return [(type(v), repr(v), getattr(v, "unit", None), str(getattr(v, "tzinfo", None)))
                for v in values]

    assert seen(restored_a["v"]) == seen(fa["v"]) and seen(restored_b["v"]) == seen(fb["v"])
    assert seen(restored_a["v"]) != seen(restored_b["v"])
    assert fingerprint(fa) != fingerprint(fb)
