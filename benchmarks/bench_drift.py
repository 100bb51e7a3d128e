"""Drift on 1M x 20 (and 100k x 20): mlops_jupyter vs naive per-column scipy vs Evidently 0.7.

Same seeded frames for everyone: 16 numeric columns (normal, lognormal, uniform, integer
counts, with a few missing values) and 4 categorical ones; 3 columns shifted in current
(num_00 by 0.5 std, num_01 scaled x1.5, cat_0 re-weighted). Written once as parquet to
benchmarks/_work/, then read by each side.

Measured for mlops_jupyter: compute_drift wall time (best of REPEATS, the machine is shared),
CPU time, building the view (widget + static bundle), the notebook output size (JSON of the
display bundle plus the figure inside the widget), and the peak extra memory of
compute_drift (tracemalloc, a separate run) against the two frames' own size.
Evidently's DataDriftPreset runs in its own venv (pandas<3) via peer_env.run_peer.

Run: .venv/bin/python benchmarks/bench_drift.py [--rows 1000000 100000] [--no-peer] [--no-naive]
(not a test)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
sys.path.insert(0, str(HERE))

from peer_env import run_peer  # noqa: E402

from mlops_jupyter.analysis.drift import compute_drift  # noqa: E402

EVIDENTLY = ["evidently==0.7.23", "pandas<3", "pyarrow"]
REPEATS = 3
SHIFTED = ["num_00", "num_01", "cat_0"]


def make_frame(n: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(16):
        kind = i % 4
        if kind == 0:
            x = rng.normal(0, 1, n)
        elif kind == 1:
            x = rng.lognormal(3, 0.6, n)
        elif kind == 2:
            x = rng.uniform(-5, 5, n)
        else:
            x = rng.poisson(20, n).astype(float)  # counts: many ties
        if shifted and i == 0:
            x = x + 0.5
        if shifted and i == 1:
            x = x * 1.5
        x[rng.random(n) < 0.01] = np.nan
        cols[f"num_{i:02d}"] = x
    levels = np.array([f"level_{k}" for k in range(12)])
    for i in range(4):
        p = np.full(12, 1 / 12)
        if shifted and i == 0:
            p = np.array([0.25, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])
        cols[f"cat_{i}"] = levels[rng.choice(12, n, p=p)]
    return pd.DataFrame(cols)


def data_files(n: int) -> tuple[Path, Path]:
    WORK.mkdir(exist_ok=True)
    ref_path, cur_path = WORK / f"drift_{n}_reference.parquet", WORK / f"drift_{n}_current.parquet"
    if not (ref_path.exists() and cur_path.exists()):
        make_frame(n, 1, False).to_parquet(ref_path)
        make_frame(n, 2, True).to_parquet(cur_path)
    return ref_path, cur_path


def naive_scipy(ref: pd.DataFrame, cur: pd.DataFrame) -> float:
    """What a user writes by hand: scipy per column (KS + Wasserstein, chi-square + JS)."""
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    t = time.perf_counter()
    for name in ref.columns:
        a, b = ref[name].dropna(), cur[name].dropna()
        if pd.api.types.is_numeric_dtype(a):
            stats.ks_2samp(a, b)
            stats.wasserstein_distance(a, b) / np.std(a)
        else:
            table = pd.concat([a.value_counts(), b.value_counts()], axis=1).fillna(0).to_numpy().T
            stats.chi2_contingency(table)
            jensenshannon(table[0], table[1])
    return time.perf_counter() - t


def ours(ref: pd.DataFrame, cur: pd.DataFrame) -> dict:
    import plotly.graph_objects  # noqa: F401  - a once-per-session import, not the view's cost

    from mlops_jupyter.views.drift_view import DriftReportWidget, drift_report_mimebundle

    compute_drift(ref, cur)  # warm-up: imports, scipy distribution objects
    walls, cpus = [], []
    for _ in range(REPEATS):
        t, c = time.perf_counter(), time.process_time()
        report = compute_drift(ref, cur)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)

    view_times = []
    for _ in range(2):  # the first build in a session also pays ipywidgets/plotly imports
        t = time.perf_counter()
        widget = DriftReportWidget(report)
        bundle = dict(widget._repr_mimebundle_())
        bundle.update(drift_report_mimebundle(report))
        view_times.append(time.perf_counter() - t)
    first_view_seconds, view_seconds = view_times
    # what the notebook keeps: the display bundle plus the figure shown inside the widget
    output_bytes = len(json.dumps(bundle)) + len(widget.figure.to_json())

    tracemalloc.start()
    compute_drift(ref, cur)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    frames_bytes = int(ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum())
    return {
        "seconds": min(walls), "seconds_all": walls, "cpu_seconds": min(cpus),
        "view_seconds": view_seconds, "first_view_seconds": first_view_seconds, "output_bytes": output_bytes,
        "peak_extra_bytes": peak, "frames_bytes": frames_bytes,
        "drifted_columns": sorted(report.drifted_columns), "share_drifted": report.share_drifted,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 100_000])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-naive", action="store_true")
    args = parser.parse_args()

    results = {}
    for n in args.rows:
        ref_path, cur_path = data_files(n)
        ref, cur = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
        row: dict = {"ours": ours(ref, cur)}
        if not args.no_naive:
            row["naive_seconds"] = naive_scipy(ref, cur)
        del ref, cur
        if not args.no_peer:
            html = WORK / f"evidently_drift_{n}.html"
            row["evidently"] = run_peer("evidently", EVIDENTLY, HERE / "evidently_drift_peer.py",
                                        str(ref_path), str(cur_path), str(html))
        results[n] = row
        print(json.dumps({str(n): row}), file=sys.stderr)

    mb = 1e6
    print(f"\nshifted columns: {SHIFTED}")
    header = f"{'rows x 20':>11} | {'':<34} | {'mlops_jupyter':>14} | {'naive scipy':>11} | {'Evidently 0.7.23':>16} | {'ratio':>8}"
    print(header)
    print("-" * len(header))
    for n, row in results.items():
        o, e = row["ours"], row.get("evidently")
        naive = row.get("naive_seconds")

        def line(label, ours_v, naive_v, peer_v, ratio, n=n):
            print(f"{n:>11,} | {label:<34} | {ours_v:>14} | {naive_v:>11} | {peer_v:>16} | {ratio:>8}")

        line("drift computation, s (best of 3)", f"{o['seconds']:.2f}",
             f"{naive:.2f}" if naive else "-", f"{e['run_seconds']:.2f}" if e else "-",
             f"{e['run_seconds'] / o['seconds']:.0f}x" if e else "-")
        line("  CPU s (2 cores)", f"{o['cpu_seconds']:.2f}", "", "", "")
        line("view / HTML build, s (first)", f"{o['view_seconds']:.2f} ({o['first_view_seconds']:.2f})", "-",
             f"{e['html_seconds']:.2f}" if e else "-", "")
        line("total, s", f"{o['seconds'] + o['view_seconds']:.2f}", "-",
             f"{e['seconds']:.2f}" if e else "-",
             f"{e['seconds'] / (o['seconds'] + o['view_seconds']):.0f}x" if e else "-")
        line("output size, MB", f"{o['output_bytes'] / mb:.3f}", "-",
             f"{e['html_bytes'] / mb:.1f}" if e else "-",
             f"{e['html_bytes'] / o['output_bytes']:.0f}x" if e else "-")
        line("peak extra memory / frames size", f"{o['peak_extra_bytes'] / mb:.0f} / {o['frames_bytes'] / mb:.0f} MB",
             "", "", "")
        line("drifted columns", ",".join(o["drifted_columns"]), "",
             ",".join(e["drifted_columns"]) if e else "-", "")


if __name__ == "__main__":
    main()
