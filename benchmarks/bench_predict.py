"""Benchmark: scoring a big file offline, ours (`mlops-jupyter predict`) vs MLflow's batch paths.

    .venv/bin/python benchmarks/bench_predict.py [--rows 5000000] [--small-rows 1000000]
                                                 [--batch-size 100000] [--no-peer]
                                                 [--report-only]

The model: ``StandardScaler + LogisticRegression`` (bench_serve.py's pipeline,
``mlflow_serve_peer.make_pipeline``) fitted on 20,000 seeded rows of 10 numeric columns
(a linear rule plus noise), on both sides from the same Parquet file with the same
scikit-learn, so both hold the same model (checked: the predictions are compared).

The data: ``--rows`` rows of the same 10 columns (seeded, 6 decimals) written as Parquet
(row groups of 1,048,576 rows, pyarrow's default) and the same values as CSV; a second
Parquet file of ``--small-rows`` rows for the memory check. Each run is a fresh child
process timed from start to exit (imports and model loading included: "process"), and where
the tool reports it, the scoring alone (ours: the summary line's seconds; MLflow pyfunc:
read + predict + write, not load). Peak resident memory: the ``ru_maxrss`` that ``os.wait4``
reports for the child (its waited children included), forked from a small launcher
(``LAUNCHER``) so the benchmark's own memory is not counted. Runs:

- ours: ``python -m mlops_jupyter.cli predict PACKAGE FILE --out preds.parquet --quiet``
  on the big Parquet, the small Parquet and the big CSV (``--batch-size`` rows per slice;
  the package built with ``tests/serving_helpers.build_package``, the layout ``mj.export``
  writes); output: prediction + 2 probability columns;
- MLflow 3.17 CLI: ``mlflow models predict -m MODEL -i FILE.csv -t csv -o preds.json
  --env-manager local`` (its batch command takes CSV or JSON, not Parquet), on the big CSV;
  output: predictions only;
- MLflow pyfunc: in the peer venv, ``pd.read_parquet`` of the whole file +
  ``mlflow.pyfunc.load_model(MODEL).predict(frame)`` + the predictions to Parquet
  (``mlflow_predict_peer.py``), on the big and the small Parquet.

Single-threaded BLAS everywhere (pyarrow keeps its own I/O and CSV threads). Not a test (CI
does not run it). Results: a table on stdout and ``benchmarks/_work/predict.json``.
"""

from __future__ import annotations

import os

THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
os.environ.update(THREAD_ENV)  # before NumPy is imported, here and in every child

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
PREDICT_WORK = WORK / "predict"
MLFLOW_REQUIREMENTS = ["mlflow==3.17.0"]  # shared with bench_serve.py (one .venv-mlflow)
N_COLUMNS = 10
TRAIN_ROWS = 20_000
CHUNK_ROWS = 1_048_576  # rows per write = per row group (pyarrow's default row group size)
SEED = 0

sys.path.insert(0, str(HERE))
from mlflow_serve_peer import make_pipeline  # noqa: E402
from peer_env import peer_python  # noqa: E402


def loadavg() -> list[str] | None:
    p = Path("/proc/loadavg")
    return p.read_text().split()[:3] if p.exists() else None


# --------------------------------------------------------------------------- data


def columns() -> list[str]:
    return [f"x{i}" for i in range(N_COLUMNS)]


def draw(rng, n: int):
    """n rows: 10 columns of different scales, rounded to 6 decimals; label by a linear rule."""
    import numpy as np

    scale = np.linspace(0.5, 50.0, N_COLUMNS)
    shift = np.linspace(-10.0, 10.0, N_COLUMNS)
    X = np.round(rng.standard_normal((n, N_COLUMNS)) * scale + shift, 6)
    weights = np.linspace(-1.0, 1.0, N_COLUMNS) / scale
    y = ((X - shift) @ weights + 0.5 * rng.standard_normal(n) > 0).astype(np.int64)
    return X, y


def write_training(path: Path):
    import numpy as np
    import pandas as pd

    X, y = draw(np.random.default_rng(SEED), TRAIN_ROWS)
    frame = pd.DataFrame(X, columns=columns()).assign(label=y)
    frame.to_parquet(path, index=False)
    return frame.drop(columns=["label"]), frame["label"]


def write_data(parquet: Path, csv: Path | None, rows: int, seed: int) -> None:
    """``rows`` rows in chunks (memory: one chunk), to Parquet and optionally CSV."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([(c, pa.float64()) for c in columns()])
    pw = pq.ParquetWriter(parquet, schema)
    cw = pcsv.CSVWriter(csv, schema) if csv is not None else None
    try:
        done = 0
        while done < rows:
            n = min(CHUNK_ROWS, rows - done)
            X, _ = draw(rng, n)
            table = pa.Table.from_arrays([pa.array(X[:, j]) for j in range(N_COLUMNS)],
                                         schema=schema)
            pw.write_table(table)
            if cw is not None:
                cw.write_table(table)
            done += n
    finally:
        pw.close()
        if cw is not None:
            cw.close()


# --------------------------------------------------------------------------- runs


# A child's ru_maxrss starts from the memory of the process that forked it (Linux keeps the
# high-water mark across exec): fork from this small launcher, not from the benchmark, whose
# own data would be counted. python -S: no site imports, about 10 MB.
LAUNCHER = """
import json, os, sys
result, *argv = sys.argv[1:]
pid = os.fork()
if pid == 0:
    os.execvp(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(result, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, fh)
"""


def run_child(argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Wall seconds and peak RSS (MB) of one child process, from start to exit."""
    result = log.with_suffix(".rusage.json")
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(result), *argv], env=env,
                       stdout=out, stderr=subprocess.STDOUT, cwd=PREDICT_WORK, check=True)
    seconds = time.perf_counter() - t0
    usage = json.loads(result.read_text())
    if usage["code"] != 0:
        raise RuntimeError(f"{argv[:4]} exited with {usage['code']}:\n"
                           f"{log.read_text(errors='replace')[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage["maxrss_kb"] / 1024}  # Linux: kB


def ours(package: Path, source: Path, out: Path, batch_size: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, "-m", "mlops_jupyter.cli", "predict", str(package), str(source),
            "--out", str(out), "--batch-size", str(batch_size), "--quiet"]
    log = PREDICT_WORK / f"ours-{source.name}.log"
    result = run_child(argv, env, log)
    # "scored N rows in X s (...)": the scoring loop alone, without start-up
    summary = log.read_text().strip().splitlines()[-1]
    result["scoring_s"] = float(summary.split(" in ")[1].split(" s ")[0])
    return result


def mlflow_env(python: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    return env


def mlflow_cli(python: Path, model: Path, source: Path, out: Path) -> dict:
    argv = [str(python.parent / "mlflow"), "models", "predict", "-m", str(model), "-i",
            str(source), "-t", "csv", "-o", str(out), "--env-manager", "local"]
    return run_child(argv, mlflow_env(python), PREDICT_WORK / f"mlflow-cli-{source.name}.log")


def mlflow_pyfunc(python: Path, model: Path, source: Path, out: Path) -> dict:
    log = PREDICT_WORK / f"mlflow-pyfunc-{source.name}.log"
    argv = [str(python), str(HERE / "mlflow_predict_peer.py"), "pyfunc", str(model),
            str(source), str(out)]
    result = run_child(argv, mlflow_env(python), log)
    result["phases"] = phases = json.loads(log.read_text().strip().splitlines()[-1])
    result["scoring_s"] = phases["read_s"] + phases["predict_s"] + phases["write_s"]
    return result


def same_predictions(ours_out: Path, other: Path) -> bool:
    import numpy as np
    import pandas as pd

    mine = pd.read_parquet(ours_out, columns=["prediction"])["prediction"].to_numpy()
    if other.suffix == ".json":
        theirs = np.asarray(json.loads(other.read_text())["predictions"])
    else:
        theirs = pd.read_parquet(other)["prediction"].to_numpy()
    return bool(len(mine) == len(theirs) and np.array_equal(mine, theirs))


# --------------------------------------------------------------------------- report


def report(results: dict) -> list[dict]:
    rows = []
    big, small = results["rows"], results["small_rows"]
    for key, label, n in (
            ("ours_parquet", f"ours, Parquet {big:,} rows", big),
            ("ours_parquet_small", f"ours, Parquet {small:,} rows", small),
            ("ours_csv", f"ours, CSV {big:,} rows", big),
            ("mlflow_cli_csv", f"MLflow `models predict`, CSV {big:,} rows", big),
            ("mlflow_pyfunc_parquet", f"MLflow pyfunc whole frame, Parquet {big:,} rows", big),
            ("mlflow_pyfunc_parquet_small",
             f"MLflow pyfunc whole frame, Parquet {small:,} rows", small)):
        r = results["runs"].get(key)
        if r is None:
            continue
        scoring = r.get("scoring_s")
        rows.append({"run": label, "seconds": r["seconds"], "rows_per_s": n / r["seconds"],
                     "scoring_s": scoring,
                     "scoring_rows_per_s": n / scoring if scoring else None,
                     "peak_rss_mb": r["peak_rss_mb"]})
    print()
    print("| run | process s | rows/s (process) | scoring s | rows/s (scoring) "
          "| peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        scoring = ("-", "-") if r["scoring_s"] is None else (
            f"{r['scoring_s']:.1f}", f"{r['scoring_rows_per_s']:,.0f}")
        print(f"| {r['run']} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {scoring[0]} "
              f"| {scoring[1]} | {r['peak_rss_mb']:,.0f} |")
    runs = results["runs"]

    def ratio(a: str, b: str, key: str) -> str:
        if a not in runs or b not in runs:
            return "-"
        return f"{runs[a][key] / runs[b][key]:.1f}x"

    print(f"\nspeed, ours Parquet vs MLflow pyfunc Parquet: "
          f"{ratio('mlflow_pyfunc_parquet', 'ours_parquet', 'seconds')} faster; "
          f"memory {ratio('mlflow_pyfunc_parquet', 'ours_parquet', 'peak_rss_mb')} less")
    print(f"speed, ours CSV vs MLflow `models predict` CSV: "
          f"{ratio('mlflow_cli_csv', 'ours_csv', 'seconds')} faster; "
          f"memory {ratio('mlflow_cli_csv', 'ours_csv', 'peak_rss_mb')} less")
    print(f"ours peak RSS, {small:,} -> {big:,} rows: "
          f"{runs['ours_parquet_small']['peak_rss_mb']:.0f} -> "
          f"{runs['ours_parquet']['peak_rss_mb']:.0f} MB (batch {results['batch_size']:,} rows)")
    print(f"files: Parquet {results['sizes']['parquet'] / 1e6:.0f} MB, CSV "
          f"{results['sizes']['csv'] / 1e6:.0f} MB; predictions equal: "
          f"{results.get('predictions_equal')}; load before {results['load_before']} "
          f"after {results.get('load_after')}")
    return rows


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--small-rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--no-peer", action="store_true", help="skip MLflow")
    parser.add_argument("--report-only", action="store_true",
                        help="re-print the table from _work/predict.json")
    args = parser.parse_args()
    out_json = WORK / "predict.json"
    if args.report_only:
        report(json.loads(out_json.read_text()))
        return
    PREDICT_WORK.mkdir(parents=True, exist_ok=True)
    results: dict = {"load_before": loadavg(), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "rows": args.rows, "small_rows": args.small_rows,
                     "batch_size": args.batch_size, "runs": {}}

    sys.path.insert(0, str(ROOT))
    import pyarrow
    import sklearn

    from tests.serving_helpers import build_package

    train = PREDICT_WORK / "train.parquet"
    X, y = write_training(train)
    model = make_pipeline().fit(X, y)
    package = PREDICT_WORK / "package"
    if package.exists():
        shutil.rmtree(package)
    build_package(package, model, X, name="bench_predict")
    results["versions"] = {"sklearn": sklearn.__version__, "pyarrow": pyarrow.__version__}

    big_pq, big_csv = PREDICT_WORK / "data.parquet", PREDICT_WORK / "data.csv"
    small_pq = PREDICT_WORK / "small.parquet"
    print(f"[predict] writing {args.rows:,} + {args.small_rows:,} rows", file=sys.stderr)
    write_data(big_pq, big_csv, args.rows, SEED + 1)
    write_data(small_pq, None, args.small_rows, SEED + 2)
    results["sizes"] = {"parquet": big_pq.stat().st_size, "csv": big_csv.stat().st_size}

    runs = results["runs"]
    for key, source in (("ours_parquet_small", small_pq), ("ours_parquet", big_pq),
                        ("ours_csv", big_csv)):
        out = PREDICT_WORK / f"{key}.parquet"
        runs[key] = ours(package, source, out, args.batch_size)
        print(f"[predict] {key}: {runs[key]}", file=sys.stderr)
    ours_big = PREDICT_WORK / "ours_parquet.parquet"
    equal = {"ours_csv_vs_parquet": same_predictions(ours_big,
                                                     PREDICT_WORK / "ours_csv.parquet")}

    if not args.no_peer:
        python = peer_python("mlflow", MLFLOW_REQUIREMENTS)
        model_dir = PREDICT_WORK / "mlflow-model"
        out = subprocess.run([str(python), str(HERE / "mlflow_predict_peer.py"), "save",
                              str(train), str(model_dir)], check=True, capture_output=True,
                             text=True, env={**mlflow_env(python), **THREAD_ENV})
        peer = json.loads(out.stdout.strip().splitlines()[-1])
        results["versions"].update(mlflow=peer["mlflow"], peer_sklearn=peer["sklearn"])
        equal["peer_fit"] = peer["train_predictions_head"] == model.predict(X.head(20)).tolist()
        for key, source in (("mlflow_pyfunc_parquet_small", small_pq),
                            ("mlflow_pyfunc_parquet", big_pq)):
            out_path = PREDICT_WORK / f"{key}.parquet"
            runs[key] = mlflow_pyfunc(python, model_dir, source, out_path)
            print(f"[predict] {key}: {runs[key]}", file=sys.stderr)
        equal["mlflow_pyfunc"] = same_predictions(ours_big,
                                                  PREDICT_WORK / "mlflow_pyfunc_parquet.parquet")
        cli_out = PREDICT_WORK / "mlflow_cli_csv.json"
        runs["mlflow_cli_csv"] = mlflow_cli(python, model_dir, big_csv, cli_out)
        print(f"[predict] mlflow_cli_csv: {runs['mlflow_cli_csv']}", file=sys.stderr)
        equal["mlflow_cli"] = same_predictions(ours_big, cli_out)
    results["predictions_equal"] = equal
    results["load_after"] = loadavg()
    results["table"] = report(results)
    out_json.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {out_json}")


if __name__ == "__main__":
    main()
