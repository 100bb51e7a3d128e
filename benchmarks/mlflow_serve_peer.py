"""Peer half of bench_serve.py: the same pipeline saved as an MLflow model.

Runs in benchmarks/.venv-mlflow (see peer_env.py). Usage: python mlflow_serve_peer.py MODEL_DIR
Fits ``make_pipeline`` on ``make_data`` (both defined here and imported by bench_serve.py, so
the two sides fit the same model on the same data with the same scikit-learn version) and
saves it with ``mlflow.sklearn.save_model`` with a signature and an input example, as a user
logging a model does. Prints one JSON line: versions and the save time.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import warnings
from pathlib import Path

SEED = 0


def make_data():
    """load_breast_cancer as a DataFrame (30 numeric columns), a seeded 75/25 split."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(as_frame=True, return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=SEED, stratify=y)


def make_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline as _make
    from sklearn.preprocessing import StandardScaler

    return _make(StandardScaler(), LogisticRegression(max_iter=1000, random_state=SEED))


def main() -> None:
    model_dir = Path(sys.argv[1])
    warnings.filterwarnings("ignore")
    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow.models import infer_signature

    X_train, X_test, y_train, _ = make_data()
    model = make_pipeline().fit(X_train, y_train)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    t0 = time.perf_counter()
    mlflow.sklearn.save_model(model, str(model_dir),
                              signature=infer_signature(X_train, model.predict(X_train)),
                              input_example=X_train.head(3))
    save_s = time.perf_counter() - t0
    print(json.dumps({"mlflow": mlflow.__version__, "sklearn": sklearn.__version__,
                      "save_s": save_s, "predictions": model.predict(X_test).tolist()}))


if __name__ == "__main__":
    main()
