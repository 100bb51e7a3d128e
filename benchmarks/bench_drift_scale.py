"""Drift over partitioned Parquet: mj.drift on Dask (LocalCluster, 2 worker processes) against
Evidently's Spark engine and the in-memory mj.drift on the same rows, ROWS x 20 columns.

- ``dask``: ``mj.drift(dd.read_parquet(ref), dd.read_parquet(cur))`` on a
  ``LocalCluster(n_workers=--workers, threads_per_worker=1)``; peak RSS per worker process.
- ``evidently-spark``: Evidently 0.7's legacy ``Report([DataDriftTable()])`` run with
  ``engine=SparkEngine`` on ``spark.read.parquet`` of the same files, ``local[--workers]``
  (evidently_spark_drift_peer.py in benchmarks/.venv-evidently-spark: evidently==0.7.23,
  pandas<3, our pyspark); peak RSS of its Python driver and of the JVM. ``--skip-evidently``.
- ``in_memory``: both sides read whole with pandas, then ``mj.drift``; peak RSS of that
  process. ``--skip-memory`` (it needs about 0.65 GB per million rows of both sides).

The files (16 float64 columns, half of them shifted by 0.2 sd in ``cur``, and 4 categoricals
of 8 values) go to benchmarks/_work/drift_scale/ROWSxFILES/ and are reused; ``--clean``
deletes them at the end. Times exclude cluster and Spark session start-up.

    PYTHONPATH=. python benchmarks/bench_drift_scale.py --rows 4000000 --files 8
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_COLS = 20
HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "drift_scale"
sys.path.insert(0, str(HERE))


def write(folder: Path, prefix: str, rows: int, files: int, shift: float, seed: int) -> str:
    r = np.random.default_rng(seed)
    per = rows // files
    done = folder / f"{prefix}.done"
    for i in range(files if not done.exists() else 0):
        cols = {f"n{j}": r.normal(shift * (j % 2), 1, per) for j in range(N_COLS - 4)}
        for j in range(4):
            cols[f"c{j}"] = pd.Categorical(r.choice(list("abcdefgh"), per))
        pd.DataFrame(cols).to_parquet(folder / f"{prefix}-{i:03d}.parquet", row_group_size=500_000)
    done.touch()
    return str(folder / f"{prefix}-*.parquet")


def run_in_memory(ref: str, cur: str) -> dict:
    code = f"""
import json, resource, time, pandas as pd, glob, mlops_jupyter as mj
t = time.perf_counter()
ref = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob({ref!r}))], ignore_index=True)
cur = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob({cur!r}))], ignore_index=True)
rep = mj.drift(ref, cur)
print(json.dumps({{"seconds": time.perf_counter() - t, "n_drifted": rep.n_drifted,
                   "drifted_columns": sorted(rep.drifted_columns),
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_evidently_spark(ref: str, cur: str, workers: int, driver_memory: str) -> dict:
    import pyspark
    from peer_env import peer_python

    python = peer_python("evidently-spark", [
        "evidently==0.7.23", "pandas<3", f"pyspark=={pyspark.__version__}", "pyarrow", "psutil"])
    out = subprocess.run([str(python), str(HERE / "evidently_spark_drift_peer.py"), ref, cur,
                          "--master", f"local[{workers}]", "--driver-memory", driver_memory],
                         capture_output=True, text=True)
    if out.returncode:
        lines = out.stderr.strip().splitlines() or [f"exit {out.returncode}"]
        return {"error": "\n".join(lines[-5:])}
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
            "drifted_columns": sorted(rep.drifted_columns),
            "peak_rss_mb_per_worker": sorted(round(v) for v in peaks.values()),
            "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true", help="skip the in-memory peer")
    ap.add_argument("--skip-evidently", action="store_true", help="skip Evidently's Spark engine")
    ap.add_argument("--driver-memory", default="4g", help="Evidently's Spark driver (local mode)")
    ap.add_argument("--clean", action="store_true", help="delete the generated files at the end")
    args = ap.parse_args()
    folder = WORK / f"{args.rows}x{args.files}"
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    ref = write(folder, "ref", args.rows, args.files, 0.0, 1)
    cur = write(folder, "cur", args.rows, args.files, 0.2, 2)
    print(f"2 x {args.rows:,} rows x {N_COLS} columns in {args.files} files each "
          f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    results: dict = {"rows": args.rows, "columns": N_COLS, "files": args.files,
                     "load_before": Path("/proc/loadavg").read_text().split()[:3]}
    results[f"dask_{args.workers}_workers"] = run_dask(ref, cur, args.workers)
    print(f"dask: {results[f'dask_{args.workers}_workers']}", file=sys.stderr)
    if not args.skip_evidently:
        results["evidently_spark"] = run_evidently_spark(ref, cur, args.workers,
                                                         args.driver_memory)
        print(f"evidently-spark: {results['evidently_spark']}", file=sys.stderr)
    if not args.skip_memory:
        results["in_memory"] = run_in_memory(ref, cur)
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    (WORK / f"results-{args.rows}.json").write_text(json.dumps(results, indent=2))
    if args.clean:
        shutil.rmtree(folder)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
