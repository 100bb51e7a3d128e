"""What a cell's code tells: params from literals, metric-like names, the code slice."""

from __future__ import annotations

import sys
import warnings

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidNameError, NoActiveRunError
from mlops_jupyter.tracking.cell_analysis import literal_assignments, looks_like_metric
from mlops_jupyter.tracking.code_slice import CellExecution, compute_code_slice
from mlops_jupyter.tracking.environment import imported_packages
from mlops_jupyter.tracking.notebook import notebook_path


def test_literal_assignments_are_params():
    source = "lr = 0.01\nlayers = [64, 32]\nname: str = 'x'\nmodel = build(lr)\nlr = 0.02\na = b = 3"
    assert literal_assignments(source) == {"lr": 0.02, "layers": [64, 32], "name": "x", "a": 3, "b": 3}


@pytest.mark.parametrize("name", ["accuracy", "val_accuracy", "test_f1", "rmse", "trainLoss",
                                  "roc_auc", "r2", "cv_score", "log_loss"])
def test_metric_like_names(name):
    assert looks_like_metric(name)


@pytest.mark.parametrize("name", ["n_estimators", "learning_rate", "accurate_count", "f1_weights",
                                  "lossy_mode", "X_train"])
def test_names_that_are_not_metrics(name):
    assert not looks_like_metric(name)


def test_code_slice_follows_names_transitively_in_order():
    history = [
        CellExecution(1, "import pandas as pd", "a"),
        CellExecution(2, "raw = pd.read_csv('x.csv')", "b"),
        CellExecution(3, "plot(raw)", "c"),
        CellExecution(4, "clean = raw.dropna()", "d"),
        CellExecution(5, "clean['ratio'] = clean.a / clean.b", "e"),
        CellExecution(6, "unrelated = 1", "f"),
    ]
    sliced = compute_code_slice("model.fit(clean)\n", history)
    assert [c.execution_count for c in sliced.cells] == [1, 2, 4, 5]
    assert any("`model` was never defined" in w for w in sliced.warnings)


def test_function_bodies_pull_in_what_they_use():
    history = [CellExecution(1, "SCALE = 3", None),
               CellExecution(2, "def f(x):\n    return x * SCALE", None)]
    assert [c.execution_count for c in compute_code_slice("y = f(2)", history).cells] == [1, 2]


def test_invalid_names_show_the_bad_name():
    with pytest.raises(InvalidNameError, match=r"'acc\|uracy' contains '\|'"):
        with mj.start_run() as run:
            run.log_metric("acc|uracy", 1.0)
    with pytest.raises(InvalidNameError, match="must not be empty"):
        mj.start_run(experiment="")


def test_bad_metric_values_are_type_errors():
    with mj.start_run() as run:
        with pytest.raises(TypeError, match="metric 'acc' must be a real number, got str"):
            run.log_metric("acc", "high")


def test_unserializable_params_warn_once_and_store_repr():
    class Thing:
        def __repr__(self):
            return "<Thing>"

    with mj.start_run() as run:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run.log_params({"a": Thing(), "b": Thing(), "c": 1})
    assert len(caught) == 1 and "a, b" in str(caught[0].message)
    assert mj.get_run(run.id).params == {"a": "<Thing>", "b": "<Thing>", "c": 1}


def test_module_level_logging_without_a_run_says_what_to_do():
    with pytest.raises(NoActiveRunError, match="mj.start_run"):
        mj.log_metric("x", 1.0)


def test_failed_block_records_traceback_and_propagates():
    with pytest.raises(ZeroDivisionError):
        with mj.start_run("div") as run:
            _ = 1 / 0
    record = mj.get_run(run.id)
    assert record.status == "FAILED" and "ZeroDivisionError" in record.error


def test_environment_lists_only_imported_packages():
    import json
    import subprocess

    # A fresh process: other tests in this one may have imported anything.
    code = ("import json, numpy\nfrom mlops_jupyter.tracking.environment import imported_packages\n"
            "print(json.dumps(imported_packages()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    packages = json.loads(out.stdout)
    assert "numpy" in packages
    assert "shap" not in packages and "scikit-learn" not in packages  # installed, not imported
    import numpy  # noqa: F401 - imported here, so it must be listed here too

    assert imported_packages()["numpy"] == packages["numpy"]


def test_notebook_path_from_jupyter_and_vscode(monkeypatch):
    class Shell:
        user_ns: dict = {}

    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ana/churn.ipynb")
    assert notebook_path(Shell()) == "/home/ana/churn.ipynb"
    Shell.user_ns = {"__vsc_ipynb_file__": "/home/ana/vs.ipynb"}
    assert notebook_path(Shell()) == "/home/ana/vs.ipynb"
    monkeypatch.delenv("JPY_SESSION_NAME")
    Shell.user_ns = {}
    assert notebook_path(Shell()) is None


def test_git_commit_and_dirty_state_recorded(tmp_path, monkeypatch):
    import subprocess

    from mlops_jupyter.tracking import environment

    # Runs share one reading of git for GIT_CACHE_SECONDS; this test edits the tree in between.
    monkeypatch.setattr(environment, "GIT_CACHE_SECONDS", 0.0)
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "f.txt").write_text("1")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(repo)
    with mj.start_run() as clean:
        pass
    (repo / "f.txt").write_text("2")
    with mj.start_run() as dirty:
        pass
    assert (mj.get_run(clean.id).git_commit, mj.get_run(clean.id).git_dirty) == (head, False)
    assert mj.get_run(dirty.id).git_dirty is True
