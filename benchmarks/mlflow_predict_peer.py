"""Peer half of bench_predict.py: the same pipeline as an MLflow model, scored in batch.

Runs in benchmarks/.venv-mlflow (see peer_env.py).

    python mlflow_predict_peer.py save TRAIN.parquet MODEL_DIR
        fits ``mlflow_serve_peer.make_pipeline`` on TRAIN (columns + "label"), as
        bench_predict.py does on its side (same data, same scikit-learn: the same model), and
        saves it with ``mlflow.sklearn.save_model`` with a signature and an input example.
    python mlflow_predict_peer.py pyfunc MODEL_DIR DATA.parquet OUT.parquet
        MLflow's in-memory batch path: ``pd.read_parquet`` of the whole file,
        ``mlflow.pyfunc.load_model(MODEL_DIR).predict(frame)`` (schema enforcement included),
        the predictions written to Parquet.

Each prints one JSON line (versions, seconds).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mlflow_serve_peer import make_pipeline  # noqa: E402


def save(train: str, model_dir: str) -> dict:
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    import sklearn
    from mlflow.models import infer_signature

    frame = pd.read_parquet(train)
    X, y = frame.drop(columns=["label"]), frame["label"]
    model = make_pipeline().fit(X, y)
    if Path(model_dir).exists():
        shutil.rmtree(model_dir)
    mlflow.sklearn.save_model(model, model_dir, signature=infer_signature(X, model.predict(X)),
                              input_example=X.head(3))
    return {"mlflow": mlflow.__version__, "sklearn": sklearn.__version__,
            "train_predictions_head": model.predict(X.head(20)).tolist()}


def pyfunc(model_dir: str, data: str, out: str) -> dict:
    import mlflow.pyfunc
    import pandas as pd

    t0 = time.perf_counter()
    model = mlflow.pyfunc.load_model(model_dir)
    t1 = time.perf_counter()
    frame = pd.read_parquet(data)
    t2 = time.perf_counter()
    predictions = model.predict(frame)
    t3 = time.perf_counter()
    pd.DataFrame({"prediction": predictions}).to_parquet(out, index=False)
    t4 = time.perf_counter()
    return {"load_s": t1 - t0, "read_s": t2 - t1, "predict_s": t3 - t2, "write_s": t4 - t3,
            "rows": len(frame)}


def main() -> None:
    warnings.filterwarnings("ignore")
    mode, *args = sys.argv[1:]
    result = save(*args) if mode == "save" else pyfunc(*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
