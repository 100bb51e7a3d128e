"""Fixtures of the serving tests: fitted models, packages built from them, running servers
(helpers in tests/serving_helpers.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from serving_helpers import (
    build_package,
    iris_frame,
    iris_mixed_frame,
    mixed_pipeline,
    numeric_pipeline,
    start_server,
)


@pytest.fixture(scope="session")
def iris_model():
    X, y = iris_frame()
    return numeric_pipeline().fit(X, y), X


@pytest.fixture(scope="session")
def iris_mixed_model():
    X, y = iris_mixed_frame()
    return mixed_pipeline([c for c in X.columns if c != "region"]).fit(X, y), X


@pytest.fixture(scope="session")
def iris_package(tmp_path_factory, iris_model):
    model, X = iris_model
    return build_package(tmp_path_factory.mktemp("pkg") / "iris", model, X, name="iris",
                         version="3")


@pytest.fixture(scope="session")
def iris_mixed_package(tmp_path_factory, iris_mixed_model):
    model, X = iris_mixed_model
    return build_package(tmp_path_factory.mktemp("pkg") / "iris-mixed", model, X,
                         name="iris-mixed", version="1")


@pytest.fixture(scope="session")
def iris_server(iris_package, tmp_path_factory):
    server = start_server(iris_package, tmp_path_factory.mktemp("srv"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mixed_server(iris_mixed_package, tmp_path_factory):
    server = start_server(iris_mixed_package, tmp_path_factory.mktemp("srv"))
    yield server
    server.stop()


@dataclass
class Exported:
    """A package written by ``mj.export`` from a tracked run, with the fitted model and the
    training frame (the in-notebook model and data)."""

    folder: Path
    model: Any
    X: pd.DataFrame

    @property
    def name(self) -> str:
        return json.loads((self.folder / "mlops-model.json").read_text())["name"]


def _regression_frame() -> tuple[pd.DataFrame, pd.Series]:
    """Iris measures plus an int64 column ("batch"): the MLflow "long" / V2 INT64 paths."""
    X, _ = iris_frame()
    X = X.copy()
    y = X.pop("petal width (cm)")
    X["batch"] = np.arange(len(X), dtype=np.int64) % 7
    return X, y


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> dict[str, Exported]:
    """"classifier": numbers and a string column, string class labels (BYTES in and out);
    "regressor": float and int64 columns, float predictions. Exported with their own store."""
    from sklearn.linear_model import Ridge

    import mlops_jupyter as mj

    base = tmp_path_factory.mktemp("exported")
    X_c, y_c = iris_mixed_frame()
    X_r, y_r = _regression_frame()
    models = {"classifier": (mixed_pipeline([c for c in X_c.columns if c != "region"]),
                             X_c, y_c),
              "regressor": (Ridge(alpha=0.5), X_r, y_r)}
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_STORE", str(base / "store"))
        mp.delenv("MLOPS_ARTIFACTS", raising=False)
        mp.chdir(base)
        mj.set_store(None)
        try:
            for name, (model, X, y) in models.items():
                with mj.start_run(name) as run:
                    mj.snapshot(X, f"{name}_train", role="train")
                    run.log_model(model.fit(X, y), "model")
                mj.register(run.id, name)
                out[name] = Exported(mj.export(f"{name}/1", base / name), model, X)
        finally:
            mj.close_stores()
            mj.set_store(None)
    return out


@pytest.fixture(scope="session")
def package_venv(tmp_path_factory, exported):
    """A venv holding only what the exported packages' requirements.txt lists (both packages
    list the same pins): this project is not installed in it."""
    from venv_helpers import build_venv

    requirements = exported["classifier"].folder / "requirements.txt"
    assert requirements.read_text() == (exported["regressor"].folder
                                        / "requirements.txt").read_text()
    return build_venv(tmp_path_factory.mktemp("package-venv") / "venv", "-r",
                      str(requirements))


@pytest.fixture(scope="session")
def fresh_servers(exported, package_venv, tmp_path_factory):
    """Each exported package served by ``python serve.py`` of the package venv, from the
    package folder, with no PYTHONPATH."""
    servers = {}
    try:
        for name, item in exported.items():
            servers[name] = start_server(item.folder, tmp_path_factory.mktemp("fresh-srv"),
                                         "--host", "127.0.0.1", python=package_venv.python)
        yield servers
    finally:
        for server in servers.values():
            server.stop()
