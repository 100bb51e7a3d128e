"""train.py from a tracked notebook cell: a real IPython shell runs the flow, a separate
Python process runs the script, and it reproduces the run's metrics."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from shell_helpers import loaded_shell, only_run, run_cell

import mlops_jupyter as mj
from mlops_jupyter.deploy.training_script import (
    clean_cell,
    training_script,
    write_training_script,
)
from mlops_jupyter.errors import NotFoundError


@pytest.fixture(scope="module")
def shell():
    return loaded_shell()


def run_script(folder):
    """``python train.py`` in ``folder``, in a fresh process without the test's store."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MLOPS_STORE", "MLOPS_ARTIFACTS")}
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_train_py_reproduces_the_runs_metrics(shell, tmp_path, capsys):
    run_cell(shell, "import pandas as pd\n"
               "from sklearn.datasets import load_breast_cancer\n"
               "from sklearn.model_selection import train_test_split\n"
               "X, y = load_breast_cancer(return_X_y=True, as_frame=True)\n"
               "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
               "X_train.head()")
    run_cell(shell, "%precision 4\n"
               "def make_model(C):\n"
               "    from sklearn.linear_model import LogisticRegression\n"
               "    from sklearn.pipeline import make_pipeline\n"
               "    from sklearn.preprocessing import StandardScaler\n"
               "    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))")
    run_cell(shell, "display(X_train.describe())\nX_test.shape")
    run_cell(shell, "%%track breast\n"
               "import mlops_jupyter as mj\n"
               "from sklearn.metrics import accuracy_score, f1_score\n"
               "C = 0.3\n"
               "model = make_model(C).fit(X_train, y_train)\n"
               "pred = model.predict(X_test)\n"
               "accuracy = accuracy_score(y_test, pred)\n"
               "f1 = f1_score(y_test, pred)\n"
               "mj.log_metric('n_test', len(y_test))\n"
               "accuracy, f1")
    capsys.readouterr()
    record = only_run("breast")
    assert {"accuracy", "f1"} <= set(record.metrics)

    out = tmp_path / "package"
    paths = write_training_script(mj.get_store(), record.id[:8], out)
    assert [p.relative_to(out).as_posix() for p in paths] == [
        "train.py", "data/X_train-v1.parquet", "data/y_train-v1.parquet"]
    text = (out / "train.py").read_text()

    # What a reader sees: the run named, magics and display lines gone with a note each.
    assert f"run 'breast' ({record.id})" in text and "python train.py" in text
    assert "# IPython magic removed: %precision 4" in text
    assert "# display only, removed:\n# X_train.head()" in text
    assert "# accuracy, f1" in text
    assert "describe()" not in text, "a cell the tracked cell does not need is not in it"
    assert "X_train = _load_snapshot('data/X_train-v1.parquet')" in text
    assert "y_train = _load_snapshot('data/y_train-v1.parquet')" in text
    # The split cell still runs: the tracked cell reads X_test and y_test from it.
    assert "\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n" in text
    # Nothing of ours is imported: tracking calls hit a do-nothing stand-in.
    tree = ast.parse(text)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.split(".")[0] == "mlops_jupyter" for m in imported if m)
    assert "get_ipython" not in text

    printed = json.loads(run_script(out).strip().splitlines()[-1])
    assert printed == pytest.approx({"accuracy": record.metrics["accuracy"],
                                     "f1": record.metrics["f1"]}, abs=1e-12)
    assert not (out / ".mlops").exists(), "train.py records nothing"


def test_a_cell_only_needed_for_the_training_frame_is_kept_commented_out(shell, tmp_path):
    run_cell(shell, "import pandas as pd\n"
               "frame = pd.DataFrame({'a': range(40), 'b': [i % 3 for i in range(40)]})\n"
               "frame.to_csv('train.csv', index=False)")
    run_cell(shell, "features = pd.read_csv('train.csv')\n"
               "labels = (features['a'] > 20).astype(int)")
    run_cell(shell, "%%track from-csv\n"
               "from sklearn.tree import DecisionTreeClassifier\n"
               "tree = DecisionTreeClassifier(random_state=0).fit(features, labels)\n"
               "train_accuracy = tree.score(features, labels)")
    record = only_run("from-csv")
    out = tmp_path / "pkg"
    write_training_script(mj.get_store(), record.id, out)
    text = (out / "train.py").read_text()
    assert "not needed once the snapshots below are loaded" in text
    assert "# features = pd.read_csv('train.csv')" in text
    (tmp_path / "train.csv").unlink()  # the script must not need the original data
    printed = json.loads(run_script(out).strip().splitlines()[-1])
    assert printed == {"train_accuracy": record.metrics["train_accuracy"]}


def test_the_slices_reproducibility_warnings_are_carried(shell):
    shell.user_ns["injected"] = 5  # made outside any cell: the slice cannot rebuild it
    run_cell(shell, "%%track warned\nscore_accuracy = injected / 10")
    record = only_run("warned")
    assert record.code_slice["warnings"]
    text = training_script(record, snapshot_files={})
    assert "# Reproducibility warnings recorded with the run's code slice:" in text
    assert "#   - `injected` was never defined by a cell" in text
    assert "injected = " not in text

    # Shipped as a snapshot, the name is loaded from its file: the warning says so.
    shipped = replace(record, inputs=[{"name": "injected", "version": 1, "role": "train",
                                       "fingerprint": "0" * 32, "n_rows": 1, "id": "x"}])
    text = training_script(shipped, snapshot_files={"injected": "data/injected-v1.parquet"})
    assert "(train.py loads `injected` from its snapshot)" in text
    assert "injected = _load_snapshot('data/injected-v1.parquet')" in text


def test_a_run_without_code_is_a_clear_error_naming_it(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text("import mlops_jupyter as mj\n"
                      "with mj.start_run(name='scripted') as r:\n"
                      "    mj.log_metric('accuracy', 0.5)\n"
                      "print(r.id)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env={**os.environ})
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    with pytest.raises(NotFoundError, match=r"run 'scripted' \(" + run_id[:8]
                       + r"\) has no recorded code.*%%track"):
        write_training_script(mj.get_store(), run_id, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written"


@pytest.mark.parametrize(("source", "expected"), [
    ("files = !ls\nx = 1", "# IPython magic removed: files = !ls\nfiles = None\nx = 1"),
    ("!pip install foo\nx = 1", "# IPython magic removed: !pip install foo\nx = 1"),
    ("if True:\n    %env A=1\nx = 1",
     "if True:\n    # IPython magic removed: %env A=1\n    pass\nx = 1"),
    ("%%time\nx = 1\nx", "# IPython cell magic removed: %%time\nx = 1\n"
                          "# display only, removed:\n# x"),
    ("%%track fit -e x\nm = 1", "# IPython cell magic removed: %%track fit -e x\nm = 1"),
    ("%%bash\necho hi", "# IPython cell magic removed with its cell (%%bash):\n# echo hi"),
    ("get_ipython().run_cell_magic('time', '', 'y = 2\\n')",
     "# IPython cell magic removed: %%time\ny = 2"),
    ("if x: get_ipython().system('ls')\nx = 1", "if x: get_ipython().system('ls')\nx = 1"),
    ("try:\n    !rm f\nexcept OSError:\n    pass",
     "try:\n    # IPython magic removed: !rm f\n    pass\nexcept OSError:\n    pass"),
    ("model.fit(X, y)", "model.fit(X, y)"),  # a trailing call that may do something stays
    ("df.head(3)", "# display only, removed:\n# df.head(3)"),
    ("x = 1; x", "x = 1; x"),  # shared line: left alone rather than cut
    ("x = 1; get_ipython().system('ls')\ny = 2", "x = 1; get_ipython().system('ls')\ny = 2"),
])
def test_clean_cell(source, expected):
    assert clean_cell(source)[0] == expected


def test_clean_cell_replaces_our_imports_by_the_stand_in():
    text, stand_in = clean_cell("from mlops_jupyter import log_metric, start_run as sr\nz = 1")
    assert stand_in
    assert text.splitlines()[1:] == ["log_metric = _Untracked()", "sr = _Untracked()", "z = 1"]
    assert clean_cell("z = 1")[1] is False


def test_a_cell_that_does_not_parse_is_kept_commented_out():
    text, _ = clean_cell("def broken(:\n    pass")
    assert text.startswith("# this cell could not be parsed")
    assert "# def broken(:" in text
