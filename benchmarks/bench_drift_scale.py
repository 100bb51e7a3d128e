"""Drift over partitioned Parquet: mj.drift on Dask (LocalCluster, 2 worker processes) against
the in-memory mj.drift on the same rows (read whole with pandas), ROWS x 20 columns.

Evidently's Spark engine was removed from Evidently (0.7 has no ``evidently.spark``), so the
peer here is the in-memory path, on as many rows as fit. Reports wall time and peak RSS per
Dask worker / of the in-memory process.

    PYTHONPATH=. python benchmarks/bench_drift_scale.py --rows 5000000 --files 20
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_COLS = 20


def write(folder: Path, prefix: str, rows: int, files: int, shift: float, seed: int) -> str:
    r = np.random.default_rng(seed)
    per = rows // files
    for i in range(files):
        cols = {f"n{j}": r.normal(shift * (j % 2), 1, per) for j in range(N_COLS - 4)}
        for j in range(4):
            cols[f"c{j}"] = pd.Categorical(r.choice(list("abcdefgh"), per))
        pd.DataFrame(cols).to_parquet(folder / f"{prefix}-{i:03d}.parquet", row_group_size=500_000)
    return str(folder / f"{prefix}-*.parquet")


def run_in_memory(ref: str, cur: str) -> dict:
    code = f"""
import json, resource, time, pandas as pd, glob, mlops_jupyter as mj
t = time.perf_counter()
ref = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob({ref!r}))], ignore_index=True)
cur = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob({cur!r}))], ignore_index=True)
rep = mj.drift(ref, cur)
print(json.dumps({{"seconds": time.perf_counter() - t, "n_drifted": rep.n_drifted,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_dask(ref: str, cur: str, workers: int) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import mlops_jupyter as mj

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t = time.perf_counter()
        rep = mj.drift(dd.read_parquet(ref), dd.read_parquet(cur))
        seconds = time.perf_counter() - t
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"seconds": seconds, "n_drifted": rep.n_drifted,
            "peak_rss_mb_per_worker": sorted(round(v) for v in peaks.values())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true", help="skip the in-memory peer")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        ref = write(folder, "ref", args.rows, args.files, 0.0, 1)
        cur = write(folder, "cur", args.rows, args.files, 0.2, 2)
        print(f"wrote 2 x {args.rows:,} rows x {N_COLS} columns in {args.files} files each "
              f"({time.perf_counter() - t:.0f} s)")
        results = {"rows": args.rows, "columns": N_COLS,
                   f"dask_{args.workers}_workers": run_dask(ref, cur, args.workers)}
        if not args.skip_memory:
            results["in_memory"] = run_in_memory(ref, cur)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
