"""Peer half of bench_snapshot.py: MLflow's dataset tracking on the same data.

Runs in benchmarks/.venv-mlflow (see peer_env.py). Usage: python mlflow_snapshot_peer.py DATA.parquet WORKDIR
Prints one JSON line: timings of ``mlflow.data.from_pandas`` and ``mlflow.log_input`` on a
``sqlite:///`` tracking store, and whether MLflow's digest notices a changed value below row 10,000.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path


def main() -> None:
    data_path, work = Path(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    import mlflow
    import mlflow.data
    import pandas as pd

    import_s = time.perf_counter() - t0
    df = pd.read_parquet(data_path)
    db = work / "mlflow.db"
    db.unlink(missing_ok=True)
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    mlflow.set_experiment("bench_snapshot")

    with mlflow.start_run():  # first run warms up the store (schema creation) outside the timing
        mlflow.log_param("warmup", 1)

    t0 = time.perf_counter()
    dataset = mlflow.data.from_pandas(df, name="bench")
    from_pandas_s = time.perf_counter() - t0
    digest = dataset.digest
    t0 = time.perf_counter()
    dataset_again = mlflow.data.from_pandas(df, name="bench")
    second_from_pandas_s = time.perf_counter() - t0
    with mlflow.start_run():
        t0 = time.perf_counter()
        mlflow.log_input(dataset, context="training")
        log_input_s = time.perf_counter() - t0

    changed_late = df.copy()
    changed_late.iloc[900_000, 0] = changed_late.iloc[900_000, 0] + 1.0  # row 900,000, first column
    changed_early = df.copy()
    changed_early.iloc[5, 0] = changed_early.iloc[5, 0] + 1.0
    print(
        json.dumps(
            {
                "mlflow_version": mlflow.__version__,
                "import_s": import_s,
                "from_pandas_s": from_pandas_s,
                "second_from_pandas_s": second_from_pandas_s,
                "log_input_s": log_input_s,
                "digest": digest,
                "digest_repeat_equal": dataset_again.digest == digest,
                "digest_after_change_at_row_900000": mlflow.data.from_pandas(
                    changed_late, name="bench"
                ).digest,
                "digest_after_change_at_row_5": mlflow.data.from_pandas(
                    changed_early, name="bench"
                ).digest,
            }
        )
    )


if __name__ == "__main__":
    main()
