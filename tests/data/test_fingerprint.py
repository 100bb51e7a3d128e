"""fingerprint(): equal content hashes equal, any change anywhere changes the hash."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_jupyter.data import fingerprint


def mixed_frame(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ints = pd.array(rng.integers(0, 100, n), dtype="Int64")
    ints[rng.random(n) < 0.1] = pd.NA
    words = np.array(["alpha", "beta", "gamma", "delta", None], dtype=object)
    return pd.DataFrame(
        {
            "f": rng.normal(size=n),
            "f_nan": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
            "i": rng.integers(-5, 5, n),
            "i_na": ints,
            "b": rng.random(n) < 0.5,
            "b_na": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"
            ),
            "c": pd.Categorical.from_codes(rng.integers(-1, 3, n), categories=["x", "y", "z"]),
            "t": pd.to_datetime(rng.integers(0, 10**9, n), unit="s")
            .tz_localize("UTC")
            .tz_convert("Europe/Paris"),
            "s": pd.array(words[rng.integers(0, 5, n)], dtype="str"),
            "td": pd.to_timedelta(rng.integers(0, 1000, n), unit="s"),
        }
    )


def test_is_32_hex_chars_and_deterministic():
    df = mixed_frame()
    digest = fingerprint(df)
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert fingerprint(df) == digest
    assert fingerprint(df.copy(deep=True)) == digest


def test_stable_across_processes():
    # No Python hash() or pickle: a fresh interpreter (new hash seed) gives the same digest.
    code = (
        "import sys; sys.path.insert(0, {path!r}); from test_fingerprint import mixed_frame; "
        "from mlops_jupyter.data import fingerprint; print(fingerprint(mixed_frame()))"
    ).format(path=str(__import__("pathlib").Path(__file__).parent))
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert out.stdout.strip() == fingerprint(mixed_frame())


def test_known_value_pins_the_format():
    # If this changes, every stored snapshot fingerprint changes: bump _VERSION on purpose only.
    df = pd.DataFrame(
        {"a": [1, 2, 3], "b": ["x", "y", None]}, index=pd.Index([10, 20, 30], name="k")
    )
    assert fingerprint(df) == fingerprint(df.copy())
    assert fingerprint(df) == PINNED


PINNED = "c6c014d2a0e288110a9e59f6d458db44"


def test_rejects_other_types():
    with pytest.raises(TypeError, match="expected a pandas DataFrame or Series, got numpy.ndarray"):
        fingerprint(np.zeros(3))
    with pytest.raises(TypeError, match="got builtins.dict"):
        fingerprint({"a": [1]})


def test_slice_hashes_like_a_fresh_frame_with_the_same_content():
    big = mixed_frame(2000)
    part = big.iloc[500:900]
    rebuilt = pd.DataFrame({c: part[c].tolist() for c in part.columns}, index=part.index.tolist())
    rebuilt = rebuilt.astype(part.dtypes.to_dict())
    pd.testing.assert_frame_equal(part, rebuilt)
    assert fingerprint(part) == fingerprint(rebuilt)


def test_arrow_slice_offsets_chunks_and_null_slots_do_not_matter():
    values = ["a", None, "ccc", "dd", None, "e"] * 50
    whole = pa.array(["zz"] * 7 + values + ["yy"] * 3, type=pa.large_string())
    sliced = pd.Series(pd.arrays.ArrowStringArray(whole.slice(7, len(values))), dtype="str")
    chunked = pd.Series(
        pd.arrays.ArrowStringArray(
            pa.chunked_array([pa.array(values[:13]), pa.array(values[13:])])
        ),
        dtype="str",
    )
    plain = pd.Series(values, dtype="str")
    assert fingerprint(sliced) == fingerprint(plain) == fingerprint(chunked)


def test_values_hidden_under_masks_do_not_matter():
    a = pd.array([1, 2, 3], dtype="Int64")
    b = pd.array([1, 99, 3], dtype="Int64")
    a[1] = pd.NA
    b[1] = pd.NA
    assert fingerprint(pd.Series(a)) == fingerprint(pd.Series(b))


def test_nan_payloads_do_not_matter():
    quiet = np.array([1.0, np.nan])
    other = np.array([1.0, 0.0])
    other.view(np.uint64)[1] = 0x7FF8000000000001  # a NaN with a different payload
    assert np.isnan(other[1])
    assert fingerprint(pd.Series(quiet)) == fingerprint(pd.Series(other))


def test_one_value_far_down_changes_it():
    n = 1_000_000
    df = pd.DataFrame({"a": np.arange(n, dtype=np.int64), "s": pd.array(["v"] * n, dtype="str")})
    before = fingerprint(df)
    changed = df.copy()
    changed.loc[900_000, "a"] = -1
    assert fingerprint(changed) != before
    changed = df.copy()
    changed.loc[900_000, "s"] = "w"
    assert fingerprint(changed) != before


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda df: df.astype({"i": "float64"}), id="int64->float64 same values"),
        pytest.param(lambda df: df.astype({"i": "Int64"}), id="int64->Int64"),
        pytest.param(lambda df: df.astype({"s": object}), id="str->object"),
        pytest.param(lambda df: df[list(reversed(df.columns))], id="column order"),
        pytest.param(lambda df: df.rename(columns={"f": "g"}), id="column name"),
        pytest.param(lambda df: df.rename(columns={"f": 1}), id="column name type"),
        pytest.param(lambda df: df.set_axis(df.index + 1), id="index values"),
        pytest.param(lambda df: df.rename_axis("row"), id="index name"),
        pytest.param(lambda df: df.rename_axis("cols", axis=1), id="columns name"),
        pytest.param(lambda df: df.set_axis(df.index.astype("float64")), id="index dtype"),
        pytest.param(lambda df: df.iloc[::-1], id="row order"),
        pytest.param(lambda df: df.iloc[:-1], id="one row fewer"),
        pytest.param(
            lambda df: df.assign(c=df["c"].cat.reorder_categories(["z", "y", "x"])),
            id="category order",
        ),
        pytest.param(
            lambda df: df.assign(c=df["c"].cat.add_categories(["w"])), id="unused category"
        ),
        pytest.param(lambda df: df.assign(c=df["c"].cat.as_ordered()), id="ordered flag"),
        pytest.param(lambda df: df.assign(t=df["t"].dt.tz_convert("UTC")), id="time zone"),
        pytest.param(lambda df: df.assign(t=df["t"].dt.as_unit("ms")), id="datetime unit"),
        pytest.param(lambda df: df.assign(b_na=df["b_na"].fillna(False)), id="NA filled"),
        pytest.param(lambda df: df.assign(f_nan=df["f_nan"].fillna(0.0)), id="NaN filled"),
    ],
)
def test_changes_change_it(change):
    df = mixed_frame(300)
    assert fingerprint(change(df)) != fingerprint(df)


def test_categories_are_content_not_just_codes():
    a = pd.Series(pd.Categorical.from_codes([0, 1], categories=["x", "y"]))
    b = pd.Series(pd.Categorical.from_codes([0, 1], categories=["x", "q"]))
    assert fingerprint(a) != fingerprint(b)


def test_series_differs_from_its_frame_and_uses_its_name():
    s = pd.Series([1, 2, 3], name="a")
    assert fingerprint(s) != fingerprint(s.to_frame())
    assert fingerprint(s) != fingerprint(s.rename("b"))
    assert fingerprint(s) != fingerprint(s.rename(None))
    assert fingerprint(s) == fingerprint(pd.Series([1, 2, 3], name="a"))


def test_range_index_hashes_like_the_same_int_index():
    a = pd.DataFrame({"x": [1.0, 2.0]})
    b = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index([0, 1], dtype="int64"))
    assert fingerprint(a) == fingerprint(b)


def test_multiindex_levels_and_names_count():
    idx = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"])
    df = pd.DataFrame({"x": [1, 2]}, index=idx)
    assert fingerprint(df) != fingerprint(df.rename_axis(["k", "m"]))
    assert fingerprint(df) != fingerprint(df.swaplevel())
    assert fingerprint(df) != fingerprint(df.reset_index(level=1))


def test_object_columns_distinguish_types():
    a = pd.DataFrame({"o": np.array([1, "1"], dtype=object)})
    b = pd.DataFrame({"o": np.array(["1", "1"], dtype=object)})
    c = pd.DataFrame({"o": np.array([1, 1], dtype=object)})
    assert len({fingerprint(a), fingerprint(b), fingerprint(c)}) == 3
    assert fingerprint(a) == fingerprint(a.copy())


def test_duplicate_column_names_and_empty_frames():
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert fingerprint(dup) != fingerprint(pd.DataFrame([[2, 1]], columns=["a", "a"]))
    assert fingerprint(pd.DataFrame()) != fingerprint(pd.DataFrame({"a": []}))


# -- property-based ---------------------------------------------------------------------------


@st.composite
def frames(draw) -> pd.DataFrame:
    """Small frames of float, int, nullable str and bool columns (cheaper than hpd.data_frames)."""
    n = draw(st.integers(1, 30))
    return pd.DataFrame(
        {
            "f": draw(st.lists(st.floats(), min_size=n, max_size=n)),
            "i": np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))),
            "s": pd.array(
                draw(st.lists(st.text(max_size=5) | st.none(), min_size=n, max_size=n)), dtype="str"
            ),
            "b": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_equal_frames_hash_equal(df):
    copy = pd.DataFrame({c: df[c].tolist() for c in df.columns}).astype(df.dtypes.to_dict())
    pd.testing.assert_frame_equal(df, copy)
    assert fingerprint(df) == fingerprint(copy)
    # Embedding the frame in a bigger one and slicing it back out changes nothing.
    padded = pd.concat([df, df.iloc[:3]], ignore_index=True).iloc[: len(df)]
    assert fingerprint(padded) == fingerprint(df)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.data())
def test_any_single_cell_change_changes_it(df, data):
    row = data.draw(st.integers(0, len(df) - 1))
    column = data.draw(st.sampled_from(list(df.columns)))
    old = df.iloc[row][column]
    if column == "f":
        new = data.draw(
            st.floats().filter(lambda v: not (v == old or (np.isnan(v) and np.isnan(old))))
        )
    elif column == "i":
        new = data.draw(st.integers(-(2**63), 2**63 - 1).filter(lambda v: v != old))
    elif column == "s":
        new = data.draw(st.text(max_size=5).filter(lambda v: pd.isna(old) or v != old))
    else:
        new = not old
    changed = df.copy()
    changed.iloc[row, changed.columns.get_loc(column)] = new
    assert fingerprint(changed) != fingerprint(df)


def _arrow_strings(data: bytes, offsets: list[int], validity: int) -> pd.Series:
    arr = pa.Array.from_buffers(
        pa.large_string(),
        len(offsets) - 1,
        [
            pa.py_buffer(bytes([validity])),
            pa.py_buffer(np.array(offsets, dtype=np.int64).tobytes()),
            pa.py_buffer(data),
        ],
    )
    return pd.Series(pd.arrays.ArrowStringArray(arr), dtype="str")


def test_bytes_under_null_strings_and_bitmap_padding_do_not_matter():
    # Three strings "a", null, "c": the null slot may cover stale bytes, and the unused high
    # bits of the validity byte may be set; neither is content.
    clean = _arrow_strings(b"ac", [0, 1, 1, 2], 0b00000101)
    stale = _arrow_strings(b"aJUNKc", [0, 1, 5, 6], 0b11111101)
    assert clean.isna().tolist() == stale.isna().tolist() == [False, True, False]
    assert clean[[0, 2]].tolist() == stale[[0, 2]].tolist() == ["a", "c"]
    assert fingerprint(clean) == fingerprint(stale)
    assert fingerprint(clean) != fingerprint(_arrow_strings(b"abc", [0, 1, 2, 3], 0b00000111))


def test_arrow_backed_numeric_columns_ignore_chunking_but_not_nulls():
    one = pd.Series(pd.array([1, None, 3], dtype="int64[pyarrow]"))
    chunked = pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array([1, None]), pa.array([3])]))
    )
    zero = pd.Series(pd.array([1, 0, 3], dtype="int64[pyarrow]"))
    assert fingerprint(one) == fingerprint(chunked)
    assert fingerprint(one) != fingerprint(zero)
    assert fingerprint(one) != fingerprint(one.astype("Int64"))
