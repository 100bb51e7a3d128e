"""Fixtures for the server extension's tests: pytest-jupyter's in-process Jupyter server
with mlops_jupyter enabled, and stores with real runs under its root."""

from __future__ import annotations

import os

import pytest

try:
    import pytest_jupyter  # noqa: F401
except ImportError:  # pragma: no cover - a venv without the dev extra
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        collect_ignore_glob = ["test_*.py"]
else:
    from pytest_jupyter.jupyter_server import *  # noqa: F401,F403 - the jp_* fixtures


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}}}


@pytest.fixture
def root_store(jp_root_dir, monkeypatch):
    """``<server root>/.mlops`` as the store that mj writes to and the server lists first;
    MLOPS_STORE unset so the server's default is this root store."""
    import mlops_jupyter as mj

    monkeypatch.delenv("MLOPS_STORE", raising=False)
    folder = jp_root_dir / ".mlops"
    mj.set_store(str(folder))
    yield folder
    mj.set_store(None)


@pytest.fixture
def trained_run(root_store):
    """A FINISHED run with a model and its training snapshot (autolog): exportable."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import mlops_jupyter as mj

    X, y = load_iris(return_X_y=True, as_frame=True)
    with mj.start_run("trained", experiment="churn", autolog=True) as run:
        model = LogisticRegression(max_iter=500).fit(X, y)
        mj.log_metric("accuracy", float(model.score(X, y)))
    del model
    return run.id
