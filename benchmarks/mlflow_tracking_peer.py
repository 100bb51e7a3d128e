"""Peer half of bench_tracking.py: MLflow's tracking on the same work, in benchmarks/.venv-mlflow.

    python mlflow_tracking_peer.py track WORKDIR REPS     # sklearn autolog overhead on a fit
    python mlflow_tracking_peer.py runs WORKDIR N QREPS   # N runs written, then search_runs
    python mlflow_tracking_peer.py import                 # import mlflow beyond import pandas

Always a ``sqlite:///`` tracking URI in WORKDIR (MLflow 3.x refuses the file store).
Prints one JSON object as its last stdout line.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

HEAVY = ("sklearn", "scipy", "plotly", "shap", "sqlalchemy", "alembic", "pyarrow", "skops",
         "ipywidgets", "matplotlib", "fsspec")


def cpu_now() -> float:
    """CPU seconds of this process and its finished children (MLflow's pip probes): load-robust."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _setup(workdir: Path, experiment: str):
    import mlflow

    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    os.chdir(workdir)
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="warmup"):  # schema creation (Alembic), not timed
        mlflow.log_param("warmup", 1)
    return mlflow


def track(workdir: Path, reps: int) -> None:
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    mlflow = _setup(workdir, "bench_track")
    importlib.import_module("mlflow.sklearn")  # makes mlflow.sklearn available

    def make_data(seed):
        X_, y_ = make_classification(n_samples=10_000, n_features=20, n_informative=10,
                                     random_state=seed)
        return pd.DataFrame(X_, columns=[f"f{i}" for i in range(20)]), pd.Series(y_, name="target")

    def fit(X, y) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), cpu_now()
        RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=0).fit(X, y)
        return time.perf_counter() - t0, cpu_now() - c0

    rows = []
    for rep in range(reps + 1):  # rep 0: first autolog fit of the process (cold)
        X, y = make_data(rep)
        mlflow.sklearn.autolog(disable=True)
        off = fit(X, y)
        # autolog starts a fresh run for a fit made outside a run and ends it after the fit
        mlflow.sklearn.autolog(log_models=True, silent=True)
        models = fit(X, y)
        mlflow.sklearn.autolog(log_models=False, silent=True)
        nomodels = fit(X, y)
        rows.append({"rep": rep, "off_s": off[0], "models_s": models[0], "nomodels_s": nomodels[0],
                     "off_cpu_s": off[1], "models_cpu_s": models[1], "nomodels_cpu_s": nomodels[1]})
        print(f"  [mlflow track] rep {rep}: off {off[0]:.3f}s models {models[0]:.3f}s "
              f"nomodels {nomodels[0]:.3f}s (cpu {off[1]:.3f} / {models[1]:.3f} / {nomodels[1]:.3f})",
              file=sys.stderr, flush=True)
    mlflow.sklearn.autolog(disable=True)
    n_runs = len(mlflow.search_runs())
    print(json.dumps({"mlflow_version": mlflow.__version__, "rows": rows, "n_runs": n_runs}))


def runs(workdir: Path, n_runs: int, query_reps: int) -> None:
    import random

    import pandas  # noqa: F401

    mlflow = _setup(workdir, "bench")
    rng = random.Random(0)  # same generator as bench_tracking.make_runs_data
    data = []
    for _ in range(n_runs):
        params = {"p0": rng.choice("abc"), **{f"p{j}": round(rng.random(), 6) for j in range(1, 10)}}
        metrics = {f"m{j}": rng.random() for j in range(5)}
        data.append((params, metrics))
    t0 = time.perf_counter()
    for params, metrics in data:
        with mlflow.start_run():
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    write_s = time.perf_counter() - t0
    query_s = []
    for _ in range(query_reps):
        t0 = time.perf_counter()
        frame = mlflow.search_runs(filter_string="metrics.m0 > 0.5 and params.p0 = 'a'",
                                   order_by=["metrics.m1 DESC"])
        query_s.append(time.perf_counter() - t0)
    m1 = frame["metrics.m1"].tolist()
    print(json.dumps({"mlflow_version": mlflow.__version__, "write_s": write_s,
                      "query_s": query_s, "n_found": len(frame),
                      "sorted_desc": m1 == sorted(m1, reverse=True)}))


def import_cost() -> None:
    t0 = time.perf_counter()
    import pandas  # noqa: F401

    t1 = time.perf_counter()
    before = set(sys.modules)
    import mlflow

    t2 = time.perf_counter()
    heavy = sorted({m.split(".")[0] for m in set(sys.modules) - before} & set(HEAVY))
    print(json.dumps({"mlflow_version": mlflow.__version__, "pandas_s": t1 - t0,
                      "import_s": t2 - t1, "heavy": heavy}))


def main() -> None:
    mode = sys.argv[1]
    if mode == "track":
        track(Path(sys.argv[2]), int(sys.argv[3]))
    elif mode == "runs":
        runs(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "import":
        import_cost()
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
