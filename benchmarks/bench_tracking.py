"""Benchmark: the tracking core (``%%track``, runs, extension import) side by side with MLflow.

    .venv/bin/python benchmarks/bench_tracking.py [--reps N] [--runs N] [--no-peer]
                                                  [--only track,runs,import]

Three comparisons, each measured in separate fresh processes (ours: this script re-run as a
worker; MLflow: ``mlflow_tracking_peer.py`` in ``benchmarks/.venv-mlflow``, see peer_env.py):

1. track  - what tracking adds to a cell fitting ``RandomForestClassifier(n_estimators=50,
   n_jobs=1)`` on make_classification 10k x 20 (seeded, a DataFrame). Ours: ``%%track`` in a
   real in-process IPython ``InteractiveShell``, the same cell with and without the ``%%track``
   line, paired per repetition, median; the first tracked cell of the session (cold: store
   creation, first imports), a frame never seen before (new snapshot) and the same frame again
   (deduplicated snapshot) are reported apart. MLflow: ``mlflow.sklearn.autolog()`` with
   ``log_models`` True and False vs autolog disabled, each fit in a fresh (autolog) run.
   Target: ours adds at most 1/10 of what MLflow adds.
2. runs   - 1,000 runs x (10 params, 5 metrics) written, then queried with a filter and an
   order. Target: ours at least 10x faster than MLflow for both.
3. import - ``%load_ext mlops_jupyter`` beyond ``import pandas`` (IPython already loaded, as in
   a kernel) vs ``import mlflow`` beyond ``import pandas``; fresh process each, median of 5.
   Target: < 0.3 s. Also which heavy modules each step imports.

Both sides run single-threaded BLAS/OpenMP (``OMP_NUM_THREADS=1`` etc.) and on SQLite in a
temp folder. Results: a table on stdout and ``benchmarks/_work/tracking.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
MLFLOW_REQUIREMENTS = ["mlflow==3.17.0"]  # 3.18.0 does not resolve (no mlflow-skinny 3.18.0 yet)
HEAVY = ("sklearn", "scipy", "plotly", "shap", "sqlalchemy", "alembic", "pyarrow", "skops",
         "ipywidgets", "matplotlib", "fsspec")
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}

SETUP_CELL = """\
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

def make_data(seed):
    X_, y_ = make_classification(n_samples=10_000, n_features=20, n_informative=10,
                                 random_state=seed)
    return pd.DataFrame(X_, columns=[f"f{i}" for i in range(20)]), pd.Series(y_, name="target")
"""
FIT_CELL = """\
model = RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=0)
model.fit(X, y)
"""


def median(values):
    return statistics.median(values) if values else None


def heavy_in(modules) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def cpu_now() -> float:
    """CPU seconds of this process and its finished children (git, pip probes): load-robust."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def emit(obj) -> None:
    print(json.dumps(obj))


# ---------------------------------------------------------------------------------------------
# workers (each runs in its own fresh process)
# ---------------------------------------------------------------------------------------------
def worker_track(reps: int, workdir: Path) -> None:
    """%%track in a real InteractiveShell; paired plain / tracked cells."""
    os.chdir(workdir)
    os.environ["MLOPS_STORE"] = str(workdir / "store")
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.display_formatter.active_types = ["text/plain"]  # no rich repr needed in a benchmark

    # Time spent inside the nested run_cell that %%track makes for the cell body: the
    # difference to the whole %%track cell is what tracking itself costs (noise-free of the fit).
    inner: list[tuple[float, float]] = []
    depth = [0]
    original = sh.run_cell

    def run_cell(*args, **kwargs):
        depth[0] += 1
        t0, c0 = time.perf_counter(), cpu_now()
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 1:
                inner.append((time.perf_counter() - t0, cpu_now() - c0))

    sh.run_cell = run_cell

    def cell(source: str) -> tuple[float, float, float | None, float | None]:
        inner.clear()
        t0, c0 = time.perf_counter(), cpu_now()
        result = sh.run_cell(source, store_history=True)
        wall, cpu = time.perf_counter() - t0, cpu_now() - c0
        if not result.success:
            raise RuntimeError(f"cell failed: {result.error_in_exec or result.error_before_exec!r}")
        if inner:
            return wall, cpu, wall - inner[0][0], cpu - inner[0][1]
        return wall, cpu, None, None

    t0 = time.perf_counter()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    load_ext_s = time.perf_counter() - t0
    assert cell(SETUP_CELL)
    import mlops_jupyter as mj

    tracked = "%%track\n" + FIT_CELL  # with its summary line, as a user sees it
    rows = []
    for rep in range(reps + 1):  # rep 0: the first %%track of the session (cold)
        cell(f"X, y = make_data({rep})")
        plain = cell(FIT_CELL)
        new = cell(tracked)
        run_new = mj.runs(limit=1).iloc[0]["run_id"]
        again = cell(tracked)
        run_again = mj.runs(limit=1).iloc[0]["run_id"]
        rec_new, rec_again = mj.get_run(run_new), mj.get_run(run_again)
        rows.append({
            "rep": rep,
            "plain_s": plain[0], "plain_cpu_s": plain[1],
            "new_s": new[0], "new_cpu_s": new[1], "new_direct_s": new[2], "new_direct_cpu_s": new[3],
            "again_s": again[0], "again_cpu_s": again[1], "again_direct_s": again[2],
            "again_direct_cpu_s": again[3],
            "new_models": [a["name"] for a in rec_new.artifacts if a["kind"] == "model"],
            "new_inputs": [f'{i["name"]}@v{i["version"]}' for i in rec_new.inputs],
            "again_inputs": [f'{i["name"]}@v{i["version"]}' for i in rec_again.inputs],
        })
        print(f"  [track] rep {rep}: plain {plain[0]:.3f}s  new {new[0]:.3f}s "
              f"(direct {new[2]:.3f}s)  again {again[0]:.3f}s (direct {again[2]:.3f}s)",
              file=sys.stderr, flush=True)
    emit({"load_ext_s": load_ext_s, "rows": rows})


def worker_runs(n_runs: int, workdir: Path, query_reps: int) -> None:

    os.chdir(workdir)
    import pandas  # noqa: F401 - both sides return DataFrames; not part of the timings

    import mlops_jupyter as mj

    mj.set_store(workdir / "store")
    with mj.start_run("warmup", experiment="bench") as run:  # store creation, not timed
        run.log_params({"warmup": 1})
    data = make_runs_data(n_runs)
    t0 = time.perf_counter()
    for params, metrics in data:
        with mj.start_run(experiment="bench") as run:
            run.log_params(params)
            run.log_metrics(metrics)
    write_s = time.perf_counter() - t0
    query_s = []
    for _ in range(query_reps):
        t0 = time.perf_counter()
        frame = mj.runs(filter="metrics.m0 > 0.5 and params.p0 == 'a'", order_by="metrics.m1 desc")
        query_s.append(time.perf_counter() - t0)
    m1 = frame["metrics.m1"].tolist()
    emit({"write_s": write_s, "query_s": query_s, "n_found": len(frame),
          "sorted_desc": m1 == sorted(m1, reverse=True)})


def make_runs_data(n_runs: int):
    """Same pure-Python generator as the peer: p0 in a/b/c, p1..p9 floats, m0..m4 in [0, 1)."""
    import random

    rng = random.Random(0)
    data = []
    for _ in range(n_runs):
        params = {"p0": rng.choice("abc"), **{f"p{j}": round(rng.random(), 6) for j in range(1, 10)}}
        metrics = {f"m{j}": rng.random() for j in range(5)}
        data.append((params, metrics))
    return data


def worker_import() -> None:
    t0 = time.perf_counter()
    import pandas  # noqa: F401

    t1 = time.perf_counter()
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    t2 = time.perf_counter()
    before = set(sys.modules)
    import mlops_jupyter  # noqa: F401

    t3 = time.perf_counter()
    after_import = set(sys.modules)
    sh.run_cell("%load_ext mlops_jupyter")
    t4 = time.perf_counter()
    after_ext = set(sys.modules)
    emit({"pandas_s": t1 - t0, "ipython_s": t2 - t1, "import_s": t3 - t2,
          "load_ext_s": t4 - t2,
          "heavy_import": heavy_in(after_import - before),
          "heavy_load_ext": heavy_in(after_ext - before),
          "n_modules_load_ext": len(after_ext - before)})


def worker_import_ext_only() -> None:
    """``%load_ext`` as the first thing (no explicit import first): same total, checked apart."""
    import pandas  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    before = set(sys.modules)
    t0 = time.perf_counter()
    sh.run_cell("%load_ext mlops_jupyter")
    emit({"load_ext_s": time.perf_counter() - t0, "heavy_load_ext": heavy_in(set(sys.modules) - before)})


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------
def run_worker(*args: str, env: dict | None = None, timeout: float = 3600) -> dict:
    full_env = {**os.environ, **THREAD_ENV, **(env or {})}
    full_env.pop("MLOPS_STORE", None)
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", *args],
                         capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{out.stderr[-3000:]}")
    sys.stderr.write(out.stderr[-4000:] if "--verbose" in sys.argv else "")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peer(mode: str, *args: str) -> dict:
    from peer_env import run_peer

    os.environ.update(THREAD_ENV)
    return run_peer("mlflow", MLFLOW_REQUIREMENTS, HERE / "mlflow_tracking_peer.py", mode, *args)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def fmt(x, unit="s"):
    return "-" if x is None else f"{x:.3f}{unit}"


def bench_track(reps: int, with_peer: bool) -> dict:
    print(f"\n[1] %%track overhead on a RandomForest fit ({reps} reps + 1 cold) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_track_") as tmp:
        ours = run_worker("track", str(reps), tmp)
    rows = ours["rows"]
    warm = rows[1:]
    res = {
        "ours_raw": ours,
        "plain_fit_s": median([r["plain_s"] for r in warm]),
        "cold_overhead_s": rows[0]["new_s"] - rows[0]["plain_s"],
        "cold_direct_s": rows[0]["new_direct_s"],
        "new_overhead_s": median([r["new_s"] - r["plain_s"] for r in warm]),
        "new_direct_s": median([r["new_direct_s"] for r in warm]),
        "new_direct_cpu_s": median([r["new_direct_cpu_s"] for r in warm]),
        "again_overhead_s": median([r["again_s"] - r["plain_s"] for r in warm]),
        "again_direct_s": median([r["again_direct_s"] for r in warm]),
        "again_direct_cpu_s": median([r["again_direct_cpu_s"] for r in warm]),
        "new_overhead_cpu_s": median([r["new_cpu_s"] - r["plain_cpu_s"] for r in warm]),
        "again_overhead_cpu_s": median([r["again_cpu_s"] - r["plain_cpu_s"] for r in warm]),
        "plain_fit_cpu_s": median([r["plain_cpu_s"] for r in warm]),
        "recorded": {"models": warm[-1]["new_models"], "inputs_new": warm[-1]["new_inputs"],
                     "inputs_again": warm[-1]["again_inputs"]},
    }
    if with_peer:
        print("    MLflow autolog (benchmarks/.venv-mlflow) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench_track_mlflow_") as tmp:
            res["mlflow_raw"] = p = peer("track", tmp, str(reps))
        prow = p["rows"][1:]
        res["mlflow_version"] = p["mlflow_version"]
        res["mlflow_plain_fit_s"] = median([r["off_s"] for r in prow])
        res["mlflow_models_overhead_s"] = median([r["models_s"] - r["off_s"] for r in prow])
        res["mlflow_nomodels_overhead_s"] = median([r["nomodels_s"] - r["off_s"] for r in prow])
        res["mlflow_cold_models_overhead_s"] = p["rows"][0]["models_s"] - p["rows"][0]["off_s"]
        res["mlflow_plain_fit_cpu_s"] = median([r["off_cpu_s"] for r in prow])
        res["mlflow_models_overhead_cpu_s"] = median([r["models_cpu_s"] - r["off_cpu_s"] for r in prow])
        res["mlflow_nomodels_overhead_cpu_s"] = median([r["nomodels_cpu_s"] - r["off_cpu_s"] for r in prow])
    return res


def bench_runs(n_runs: int, with_peer: bool, query_reps: int = 5) -> dict:
    print(f"\n[2] {n_runs} runs x (10 params, 5 metrics): write, then filter + order query ...",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_runs_") as tmp:
        ours = run_worker("runs", str(n_runs), tmp, str(query_reps))
    res = {"n_runs": n_runs, "ours_raw": ours, "write_s": ours["write_s"], "query_first_s": ours["query_s"][0],
           "query_s": median(ours["query_s"][1:] or ours["query_s"]), "n_found": ours["n_found"]}
    if with_peer:
        with tempfile.TemporaryDirectory(prefix="bench_runs_mlflow_") as tmp:
            res["mlflow_raw"] = p = peer("runs", tmp, str(n_runs), str(query_reps))
        res["mlflow_version"] = p["mlflow_version"]
        res["mlflow_write_s"] = p["write_s"]
        res["mlflow_query_first_s"] = p["query_s"][0]
        res["mlflow_query_s"] = median(p["query_s"][1:] or p["query_s"])
        res["mlflow_n_found"] = p["n_found"]
    return res


def bench_import(reps: int, with_peer: bool) -> dict:
    print(f"\n[3] %load_ext mlops_jupyter vs import mlflow, fresh process x {reps} ...", flush=True)
    ours = [run_worker("import") for _ in range(reps)]
    ext_only = [run_worker("import-ext") for _ in range(reps)]
    res = {
        "ours_raw": ours,
        "pandas_s": median([o["pandas_s"] for o in ours]),
        "import_s": median([o["import_s"] for o in ours]),
        "load_ext_s": median([o["load_ext_s"] for o in ours]),
        "load_ext_first_s": median([o["load_ext_s"] for o in ext_only]),
        "heavy_import": ours[0]["heavy_import"],
        "heavy_load_ext": sorted(set(ours[0]["heavy_load_ext"]) | set(ext_only[0]["heavy_load_ext"])),
    }
    if with_peer:
        p = [peer("import") for _ in range(reps)]
        res["mlflow_raw"] = p
        res["mlflow_version"] = p[0]["mlflow_version"]
        res["mlflow_import_s"] = median([o["import_s"] for o in p])
        res["mlflow_pandas_s"] = median([o["pandas_s"] for o in p])
        res["mlflow_heavy"] = p[0]["heavy"]
    return res


def report(results: dict) -> list[dict]:
    """The side-by-side table; returns its rows (also stored in the JSON)."""
    table = []

    def row(name, ours, theirs, target, ok, note=""):
        table.append({"measure": name, "ours_s": ours, "mlflow_s": theirs,
                      "ours_over_mlflow": ratio(ours, theirs),
                      "mlflow_over_ours": ratio(theirs, ours),
                      "target": target, "verdict": verdict(ok), "note": note})

    tr = results.get("track")
    if tr:
        # Verdicts use the direct measure (the %%track cell minus the cell body it runs): the
        # paired difference (tracked cell - plain cell) is reported too, but on a loaded machine
        # the fit itself varies by more than tracking costs (it even comes out negative).
        for label, key in (("new snapshot", "new"), ("dedup snapshot", "again")):
            for clock, sfx in (("wall", ""), ("CPU", "_cpu")):
                ours = tr[f"{key}_direct{sfx}_s"]
                for peer_label, peer_key in (("log_models=True", "models"),
                                             ("log_models=False", "nomodels")):
                    theirs = tr.get(f"mlflow_{peer_key}_overhead{sfx}_s")
                    row(f"%%track adds ({label}, {clock}) vs autolog {peer_label}", ours, theirs,
                        "<= 1/10 of MLflow", None if theirs is None else ours <= theirs / 10)
                row(f"  same, paired (tracked - plain cell, {clock}), noisy", tr[f"{key}_overhead{sfx}_s"],
                    tr.get(f"mlflow_models_overhead{sfx}_s"), "info", None, "vs log_models=True")
        row("first tracked cell / autolog fit of the session (cold, wall)",
            tr["cold_overhead_s"], tr.get("mlflow_cold_models_overhead_s"), "info", None,
            "MLflow: log_models=True")
        row("plain fit, no tracking (wall)", tr["plain_fit_s"], tr.get("mlflow_plain_fit_s"),
            "info", None)
        row("plain fit, no tracking (CPU)", tr["plain_fit_cpu_s"], tr.get("mlflow_plain_fit_cpu_s"),
            "info", None)
    ru = results.get("runs")
    if ru:
        mw, mq = ru.get("mlflow_write_s"), ru.get("mlflow_query_s")
        row(f"write {ru['n_runs']:,} runs x (10 params, 5 metrics)", ru["write_s"], mw, ">= 10x faster",
            None if mw is None else mw / ru["write_s"] >= 10)
        row("query filter + order (warm, median)", ru["query_s"], mq, ">= 10x faster",
            None if mq is None else mq / ru["query_s"] >= 10,
            f"found {ru['n_found']} / MLflow {ru.get('mlflow_n_found')}")
        row("query filter + order (first call)", ru["query_first_s"], ru.get("mlflow_query_first_s"),
            "info", None)
    im = results.get("import")
    if im:
        row("%load_ext mlops_jupyter beyond pandas (vs import mlflow beyond pandas)",
            im["load_ext_s"], im.get("mlflow_import_s"), "< 0.3 s", im["load_ext_s"] < 0.3,
            f"heavy: ours {im['heavy_load_ext'] or 'none'}; MLflow {im.get('mlflow_heavy')}")
        row("import mlops_jupyter beyond pandas", im["import_s"], im.get("mlflow_import_s"),
            "info", None, f"heavy: {im['heavy_import'] or 'none'}")

    width = max(len(r["measure"]) for r in table)
    print(f"\n{'measure':<{width}} {'ours':>9} {'MLflow':>9} {'ours/ML':>8} {'ML/ours':>8}  target / verdict")
    for r in table:
        o_m = "-" if r["ours_over_mlflow"] is None else f"{r['ours_over_mlflow']:.3f}"
        m_o = "-" if r["mlflow_over_ours"] is None else f"{r['mlflow_over_ours']:.1f}x"
        print(f"{r['measure']:<{width}} {fmt(r['ours_s']):>9} {fmt(r['mlflow_s']):>9} {o_m:>8} "
              f"{m_o:>8}  {r['target']} {r['verdict'] if r['verdict'] != 'n/a' else ''} {r['note']}")
    return table


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, rest = sys.argv[2], sys.argv[3:]
        if mode == "track":
            worker_track(int(rest[0]), Path(rest[1]))
        elif mode == "runs":
            worker_runs(int(rest[0]), Path(rest[1]), int(rest[2]))
        elif mode == "import":
            worker_import()
        elif mode == "import-ext":
            worker_import_ext_only()
        return

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions (track) / processes (import)")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--no-peer", action="store_true", help="skip the MLflow side")
    parser.add_argument("--only", default="track,runs,import")
    parser.add_argument("--verbose", action="store_true", help="show worker progress")
    parser.add_argument("--report-only", action="store_true",
                        help="re-print the table from benchmarks/_work/tracking.json")
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads((WORK / "tracking.json").read_text())
        saved["table"] = report(saved["results"])
        print(f"\nmeasured {saved['date']}, load before {saved['load_before']}, after {saved['load_after']}")
        (WORK / "tracking.json").write_text(json.dumps(saved, indent=1, default=str))
        return
    sys.path.insert(0, str(HERE))
    parts = set(args.only.split(","))
    with_peer = not args.no_peer

    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load {load_before}")
    results: dict = {}
    if "track" in parts:
        results["track"] = bench_track(args.reps, with_peer)
    if "runs" in parts:
        results["runs"] = bench_runs(args.runs, with_peer)
    if "import" in parts:
        results["import"] = bench_import(args.reps, with_peer)
    load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    table = report(results)
    print(f"\nload average before {load_before}, after {load_after} ({os.cpu_count()} CPUs)")
    if "track" in results:
        rec = results["track"]["recorded"]
        print(f"recorded by %%track: models {rec['models']}, inputs (new) {rec['inputs_new']}, "
              f"inputs (again) {rec['inputs_again']}")
    WORK.mkdir(exist_ok=True)
    out = WORK / "tracking.json"
    out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.platform(),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "load_before": load_before, "load_after": load_after, "reps": args.reps,
        "table": table, "results": results,
    }, indent=1, default=str))
    print(f"results written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
