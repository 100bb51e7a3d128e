"""Fixtures of the serving tests: fitted models, packages built from them, running servers
(helpers in tests/serving_helpers.py)."""

from __future__ import annotations

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
