"""Benchmark: mj.batch_predict on each engine vs MLflow's ``spark_udf``, rows/s and memory.

    python benchmarks/bench_batch.py [--rows 20000000] [--engines local,dask1,dask2,spark,udf]

Needs the ``dask`` and ``spark`` extras (and Java). The model and data are bench_predict.py's:
``StandardScaler + LogisticRegression`` fitted on 20,000 seeded rows of 10 numeric columns,
and ``--rows`` rows of the same columns in one Parquet file (row groups of 1,048,576 rows)
under benchmarks/_work/batch (written once per row count, reused). Our package is built
with ``tests/serving_helpers.build_package`` (the layout ``mj.export`` writes).

Each run is a fresh child process (this file with ``--child ENGINE``) that reads the file,
scores it and writes the predictions as Parquet (``out=``), timed from the call to the last
file written (session/cluster start-up excluded, reported apart). Runs:

- ``local``: ``engine="local"``, Arrow slices of 100,000 rows, one process;
- ``dask1`` / ``dask2``: ``engine="dask"`` on a ``LocalCluster(n_workers=1|2,
  threads_per_worker=1, processes=True)``;
- ``spark``: ``engine="spark"`` (``mapInPandas``) on ``local[2]``;
- ``udf``: MLflow's ``mlflow.pyfunc.spark_udf(spark, model, env_manager="local")`` on
  ``local[2]`` in its own venv (benchmarks/.venv-batchspark: mlflow-skinny, pyspark, our
  scikit-learn), the same pipeline saved with ``mlflow.sklearn.save_model`` (the model
  MLflow users have), the predictions written to Parquet.

Spark runs with ``spark.sql.execution.arrow.maxRecordsPerBatch=100000`` for both (the
default, 10,000, costs both sides per-batch overhead). Memory: every process of the child's
tree is sampled every 0.2 s with psutil; the table gives the driver's peak RSS and the
largest peak among the worker processes (Dask workers; Spark: the JVM and its Python
workers). Single-threaded BLAS everywhere. Not a test. Results: a table on stdout and
benchmarks/_work/batch/results.json.
"""

from __future__ import annotations

import os

THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREAD_ENV)

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "batch"
ENGINES = ("local", "dask1", "dask2", "spark", "udf")
ARROW_BATCH = 100_000
SPARK_CONF = {"spark.ui.enabled": "false",
              "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH),
              "spark.driver.memory": "2g"}

sys.path.insert(0, str(HERE))


def spark_session():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master("local[2]").appName("bench_batch")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# --------------------------------------------------------------------------- children


def child(engine: str, package: str, data: str, out: str) -> dict:
    """One run, in this (fresh) process: start the engine, score, write."""
    import mlops_jupyter as mj

    t0 = time.perf_counter()
    extra: dict = {}
    if engine.startswith("dask"):
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=int(engine[-1]), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        started = time.perf_counter()
        mj.batch_predict(package, data, engine="dask", out=out)
        seconds = time.perf_counter() - started

        def maxrss() -> float:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        extra["worker_maxrss_mb"] = sorted(client.run(maxrss).values())
        client.close()
        cluster.close()
    elif engine == "spark":
        spark = spark_session()
        started = time.perf_counter()
        mj.batch_predict(package, data, engine="spark", out=out)
        seconds = time.perf_counter() - started
        spark.stop()
    else:
        started = time.perf_counter()
        mj.batch_predict(package, data, engine="local", out=out, progress=False)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "startup_s": started - t0, **extra}


UDF_PEER = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
os.environ["PYSPARK_PYTHON"] = sys.executable
import mlflow.pyfunc
from pyspark.sql import SparkSession
model, data, out, conf = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
t0 = time.perf_counter()
builder = SparkSession.builder.master("local[2]").appName("bench_batch_udf")
for k, v in conf.items():
    builder = builder.config(k, v)
spark = builder.getOrCreate()
started = time.perf_counter()
frame = spark.read.parquet(data)
predict = mlflow.pyfunc.spark_udf(spark, model, env_manager="local", result_type="long")
frame.select(predict(*frame.columns).alias("prediction")).write.mode("overwrite").parquet(out)
seconds = time.perf_counter() - started
spark.stop()
print(json.dumps({"seconds": seconds, "startup_s": started - t0,
                  "mlflow": mlflow.__version__}))
"""


# --------------------------------------------------------------------------- parent


def sample_tree(proc) -> dict:
    """Wait for ``proc``; peak RSS (MB) per process of its tree, labelled by role."""
    import psutil

    root = psutil.Process(proc.pid)
    peaks: dict[int, tuple[str, float]] = {}
    while proc.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in members:
            try:
                rss = p.memory_info().rss / 2**20
                cmd = " ".join(p.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            role = ("driver" if p.pid == root.pid else "jvm" if "java" in cmd.split(" ")[0]
                    else "worker")
            old = peaks.get(p.pid, (role, 0.0))[1]
            peaks[p.pid] = (role, max(old, rss))
        time.sleep(0.2)
    roles: dict[str, list[float]] = {}
    for role, rss in peaks.values():
        roles.setdefault(role, []).append(round(rss))
    return {role: sorted(values) for role, values in roles.items()}


def run(argv: list[str], env: dict[str, str], log: Path) -> dict:
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=WORK)
        memory = sample_tree(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {proc.returncode}:\n"
                           f"{log.read_text(errors='replace')[-3000:]}")
    result = json.loads(log.read_text().strip().splitlines()[-1])
    result["rss_mb"] = memory
    return result


def prepare(rows: int) -> tuple[Path, Path, Path]:
    import pyarrow.parquet as pq
    from bench_predict import write_data, write_training
    from mlflow_serve_peer import make_pipeline

    sys.path.insert(0, str(ROOT))
    from tests.serving_helpers import build_package

    WORK.mkdir(parents=True, exist_ok=True)
    train = WORK / "train.parquet"
    X, y = write_training(train)
    model = make_pipeline().fit(X, y)
    package = WORK / "package"
    if package.exists():
        shutil.rmtree(package)
    build_package(package, model, X, name="bench_batch")
    data = WORK / f"data-{rows}.parquet"
    if not data.exists() or pq.ParquetFile(data).metadata.num_rows != rows:
        print(f"[batch] writing {rows:,} rows to {data}", file=sys.stderr)
        write_data(data, None, rows, 1)
    return train, package, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--child", choices=ENGINES[:4])
    parser.add_argument("--package")
    parser.add_argument("--data")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.package, args.data, args.out)))
        return
    import sklearn

    train, package, data = prepare(args.rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    results: dict = {"rows": args.rows, "cpus": os.cpu_count(), "runs": {},
                     "load_before": Path("/proc/loadavg").read_text().split()[:3]}
    for engine in args.engines.split(","):
        out = WORK / f"out-{engine}"
        shutil.rmtree(out, ignore_errors=True)
        print(f"[batch] {engine} ...", file=sys.stderr)
        if engine == "udf":
            import pyspark
            from peer_env import peer_python

            python = peer_python("batchspark", [
                "mlflow-skinny==3.17.0", f"pyspark=={pyspark.__version__}",
                f"scikit-learn=={sklearn.__version__}", "skops", "pandas", "pyarrow"])
            model = WORK / "mlflow-model"
            peer_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
            subprocess.run([str(python), str(HERE / "mlflow_predict_peer.py"), "save",
                            str(train), str(model)], check=True, env=peer_env,
                           stdout=subprocess.DEVNULL)
            argv = [str(python), "-c", UDF_PEER, str(model), str(data), str(out),
                    json.dumps(SPARK_CONF)]
            result = run(argv, peer_env, WORK / f"{engine}.log")
        else:
            argv = [sys.executable, __file__, "--child", engine, "--package", str(package),
                    "--data", str(data), "--out", str(out) + ("" if engine != "local"
                                                              else ".parquet")]
            result = run(argv, env, WORK / f"{engine}.log")
        result["rows_per_s"] = args.rows / result["seconds"]
        results["runs"][engine] = result
        print(f"[batch] {engine}: {result['rows_per_s']:,.0f} rows/s {result}", file=sys.stderr)
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\n{args.rows:,} rows of 10 float64 columns, Parquet -> Parquet, "
          f"{os.cpu_count()} CPUs (load before: {' '.join(results['load_before'])})\n")
    print(f"{'engine':<8} {'rows/s':>12} {'score s':>8} {'start s':>8} {'driver MB':>10} "
          f"{'worker peak MB (each)':>24}")
    for engine, r in results["runs"].items():
        workers = r.get("worker_maxrss_mb") or r["rss_mb"].get("worker", [])
        jvm = r["rss_mb"].get("jvm")
        each = ", ".join(f"{w:.0f}" for w in workers[-4:]) + (f"; JVM {jvm[-1]}" if jvm else "")
        print(f"{engine:<8} {r['rows_per_s']:>12,.0f} {r['seconds']:>8.1f} "
              f"{r['startup_s']:>8.1f} {r['rss_mb']['driver'][-1]:>10} {each:>24}")


if __name__ == "__main__":
    main()
