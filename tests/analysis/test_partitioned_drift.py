"""mj.drift over partitioned data (Parquet glob, Dask, Spark) against the in-memory mj.drift on
the same rows: counts-based statistics equal, sketch-based ones within the documented bound."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from ci_rules import missing
from datasketches import kll_doubles_sketch

import mlops_jupyter as mj
from mlops_jupyter.analysis.drift import profiles as pr

N = 200_000
NUMERIC = ["normal", "expo", "lognorm", "uniform", "same"]


def _frame(shift: float, seed: int, n: int = N) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    return pd.DataFrame({
        "normal": r.normal(shift, 1, n),
        "expo": r.exponential(1 + shift, n),
        "lognorm": r.lognormal(shift, 1, n),  # heavy tail: a wide range, a loose W bound
        "uniform": r.uniform(0, 1 + shift, n),
        "same": r.normal(0, 1, n),  # not shifted
        "level": r.integers(0, 4, n).astype(float),  # discrete: compared as categories
        "city": r.choice(["a", "b", "c", "d"], n, p=[.4, .3, .2, .1] if shift else [.25] * 4),
    })


def _split(df: pd.DataFrame, k: int) -> list[pd.DataFrame]:
    return [df.iloc[i * len(df) // k:(i + 1) * len(df) // k].reset_index(drop=True)
            for i in range(k)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    ref = _frame(0.0, 1)
    parts = _split(_frame(0.3, 2), 4)
    parts[1]["normal"] = np.nan  # an all-NaN partition of one column
    parts[2] = parts[2].drop(columns=["uniform"])  # a column missing from one file
    parts[3].loc[:10, "city"] = "zz"  # a category only in one partition
    parts.append(parts[0].iloc[:0])  # an empty partition
    cur = pd.concat(parts, ignore_index=True)  # the in-memory equivalent (NaN where missing)
    folder = tmp_path_factory.mktemp("parquet")
    for i, p in enumerate(parts):
        p.to_parquet(folder / f"cur-{i}.parquet")
    for i, p in enumerate(_split(ref, 3)):
        p.to_parquet(folder / f"ref-{i}.parquet")
    return ref, cur, parts, str(folder)


def _eps() -> float:
    return kll_doubles_sketch.get_normalized_rank_error(pr.SKETCH_K, True)


def _bounds(ref: pd.Series, cur: pd.Series) -> tuple[float, float]:
    """The documented bounds: KS within 2 eps, normalised W within eps (range_r + range_c) / std."""
    a, b = ref.dropna().to_numpy(), cur.dropna().to_numpy()
    w = _eps() * ((a.max() - a.min()) + (b.max() - b.min())) / a.std()
    return 2 * _eps(), w


def _check(mem, part, ref, cur, exact_psi: bool) -> None:
    fm, fp = mem.to_frame().set_index("column"), part.to_frame().set_index("column")
    assert sorted(fm.index) == sorted(fp.index)
    for col in fm.index:
        m, p = fm.loc[col], fp.loc[col]
        assert (m["status"], m["test"], bool(m["drifted"])) == \
            (p["status"], p["test"], bool(p["drifted"])), col
        assert m["reference_missing"] == p["reference_missing"], col
        assert m["current_missing"] == p["current_missing"], col
        if m["test"] in ("chisquare", "jensenshannon"):  # counts: exactly equal
            for k in ("statistic", "p_value", "distance", "psi"):
                assert m[k] == p[k], (col, k)
        else:
            _, w_bound = _bounds(ref[col], cur[col])
            assert abs(m["distance"] - p["distance"]) <= w_bound, col
            if exact_psi:
                assert m["psi"] == p["psi"], col
    # the drift is real in the shifted columns and absent in "same": the test can fail
    assert {"normal", "expo", "lognorm", "uniform", "city"} <= set(part.drifted_columns)
    assert "same" not in part.drifted_columns


def _check_ks(ref, cur, current_data) -> None:
    mem = mj.drift(ref, cur, method="ks", columns=NUMERIC).to_frame().set_index("column")
    part = mj.drift(ref, current_data, method="ks", columns=NUMERIC).to_frame().set_index("column")
    for col in NUMERIC:
        ks_bound, _ = _bounds(ref[col], cur[col])
        assert abs(mem.loc[col, "statistic"] - part.loc[col, "statistic"]) <= ks_bound, col


def test_parquet_glob_against_in_memory(data):
    ref, cur, _, folder = data
    mem = mj.drift(ref, cur)
    _check(mem, mj.drift(ref, f"{folder}/cur-*.parquet"), ref, cur, exact_psi=True)
    # both sides partitioned: the reference's bins are its sketch deciles
    both = mj.drift(f"{folder}/ref-*.parquet", f"{folder}/cur-*.parquet")
    _check(mem, both, ref, cur, exact_psi=False)
    _check_ks(ref, cur, f"{folder}/cur-*.parquet")


def test_psi_equals_in_memory_on_the_same_bins(data):
    ref, cur, parts, folder = data
    prof = pr.with_edges(pr.merge(pr.profile_batch(ref.iloc[:N // 2]),
                                  pr.profile_batch(ref.iloc[N // 2:])))
    from mlops_jupyter.analysis.drift import statistics as st
    for col in NUMERIC:
        edges = np.asarray(prof.edges[col])
        merged = pr.profile_batch(parts[0], (), prof.edges)
        for p in parts[1:]:
            merged = pr.merge(merged, pr.profile_batch(p, (), prof.edges))
        b = np.sort(cur[col].dropna().to_numpy())
        assert merged.columns[col].bins.tolist() == st.counts_in_bins(b, edges, "right").tolist()


def test_small_data_is_exact(tmp_path):
    ref, cur = _frame(0.0, 5, 800), _frame(0.2, 6, 900)
    for i, p in enumerate(_split(cur, 3)):
        p.to_parquet(tmp_path / f"c{i}.parquet")
    mem = mj.drift(ref, cur).to_frame().set_index("column")
    part = mj.drift(ref, f"{tmp_path}/c*.parquet").to_frame().set_index("column")
    cols = ["test", "statistic", "p_value", "distance", "psi", "drifted"]
    pd.testing.assert_frame_equal(mem[cols], part.loc[mem.index, cols])


def test_snapshot_profile_stored_once(data, monkeypatch):
    ref, cur, _, folder = data
    mj.snapshot(ref, "train")
    made = []
    real = pr.profile_frame
    monkeypatch.setattr(pr, "profile_frame", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    first = mj.drift("train", f"{folder}/cur-*.parquet")
    second = mj.drift("train", f"{folder}/cur-*.parquet")
    assert len(made) == 1  # the second call read the stored profile
    from mlops_jupyter.api._analysis import reference_profile
    stored = reference_profile("train", ref)
    assert len(made) == 1
    for name, col in made[0].columns.items():  # the same profile, sketch items and all
        got = stored.columns[name]
        assert (got.kind, got.rows, got.missing, got.count, got.values) == \
            (col.kind, col.rows, col.missing, col.count, col.values)
        assert (col.bins is None and got.bins is None) or col.bins.tolist() == got.bins.tolist()
        if col.sketch is not None:
            assert sorted(got.sketch) == sorted(col.sketch)
    assert stored.edges == made[0].edges
    # the current side is sketched again on each call (KLL compaction is randomised): counts
    # are equal, the sketched distance within the bound
    _check(first, second, ref, cur, exact_psi=True)
    _check(mj.drift(ref, cur), second, ref, cur, exact_psi=True)


def test_dask_local_cluster(data):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    ref, cur, _, folder = data
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        ddf = dd.from_pandas(cur, npartitions=6)
        mem = mj.drift(ref, cur)
        _check(mem, mj.drift(ref, ddf), ref, cur, exact_psi=True)
        dref = dd.from_pandas(ref, npartitions=3)
        _check(mem, mj.drift(dref, ddf), ref, cur, exact_psi=False)


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark.sql")
    if not shutil.which("java"):
        missing("Spark needs Java: install a JRE (apt-get install default-jre-headless)")
    import os
    import sys

    # the workers must run this interpreter (with this package), not the first python3 on PATH
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (pyspark.SparkSession.builder.master("local[2]").appName("drift-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    yield session
    session.stop()


def test_spark_local(data, spark):
    ref, cur, _, folder = data
    sdf = spark.read.parquet(*[f"{folder}/cur-{i}.parquet" for i in (0, 1, 3)])
    sub = pd.concat([data[2][i] for i in (0, 1, 3)], ignore_index=True)
    mem = mj.drift(ref, sub)
    part = mj.drift(ref, sdf.repartition(4))
    fm, fp = mem.to_frame().set_index("column"), part.to_frame().set_index("column")
    for col in fm.index:
        assert bool(fm.loc[col, "drifted"]) == bool(fp.loc[col, "drifted"]), col
        if fm.loc[col, "test"] == "jensenshannon":
            assert fm.loc[col, "statistic"] == fp.loc[col, "statistic"], col
        elif fm.loc[col, "status"] == "tested":
            assert fm.loc[col, "psi"] == fp.loc[col, "psi"], col
            _, w = _bounds(ref[col], sub[col])
            assert math.isclose(fm.loc[col, "distance"], fp.loc[col, "distance"], abs_tol=w)
