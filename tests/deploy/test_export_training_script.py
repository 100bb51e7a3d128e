"""The package's ``train.py``: exported from a run a real notebook made (nbclient, a real
kernel), run as ``python train.py`` in its own process from the package folder, with
mlops_jupyter blocked and the notebook's CSV gone, it prints the run's metrics again. It and
its data files are listed in the manifest with their SHA-256 and are in the tarball. A run
started from a script exports too, with a train.py that says its code was not captured."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import textwrap

import nbformat
from notebook_helpers import execute
from serving_helpers import server_env

import mlops_jupyter as mj

LOAD = "import pandas as pd\ndata = pd.read_csv({csv!r})\ndata.head()"
SPLIT = ("from sklearn.model_selection import train_test_split\n"
         "X = data.drop(columns='target')\ny = data['target']\n"
         "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, "
         "random_state=0)")
TRACK = ("%%track nb-fit --snapshot X_test,y_test\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "from sklearn.metrics import accuracy_score, f1_score\n"
         "from sklearn.pipeline import make_pipeline\n"
         "from sklearn.preprocessing import StandardScaler\n"
         "C = 0.5\n"
         "model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))\n"
         "model.fit(X_train, y_train)\n"
         "pred = model.predict(X_test)\n"
         "accuracy = accuracy_score(y_test, pred)\n"
         "f1 = f1_score(y_test, pred)\n"
         "accuracy, f1")


def cancer_csv(path):
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.to_csv(path, index=False)
    return path


def run_train_py(folder, tmp_path):
    """``python train.py`` with cwd = the package, no store, mlops_jupyter not importable."""
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=server_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (folder / ".mlops").exists(), "train.py records nothing"
    return done.stdout


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_listed_hashed_and_archived(folder, manifest):
    """train.py and its data: in the manifest's entry, hashed, and in the tarball as is."""
    entry = manifest["training_script"]
    on_disk = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").iterdir())
    assert entry["file"] == "train.py" and entry["data"] == on_disk and on_disk
    with tarfile.open(folder.with_name(folder.name + ".tar.gz")) as tar:
        names = set(tar.getnames())
        for relative in ["train.py", *on_disk]:
            data = (folder / relative).read_bytes()
            assert manifest["files"][relative] == sha256(data), relative
            assert relative in names, relative
            assert tar.extractfile(relative).read() == data, relative
    assert (folder / ".dockerignore").read_text().splitlines()[1:] == ["train.py", "data/"]


def test_train_py_of_a_notebook_run_reproduces_its_metrics(tmp_path):
    csv = cancer_csv(tmp_path / "cancer.csv")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "%load_ext mlops_jupyter", LOAD.format(csv=str(csv)), SPLIT, TRACK)]
    nb = execute(nb, tmp_path / "store")
    track_cell = nb.cells[-1]
    assert "nb-fit" in str(track_cell.outputs), track_cell.outputs

    (run_id,) = mj.runs(filter="name == 'nb-fit'").run_id
    record = mj.get_run(run_id)
    assert {"accuracy", "f1"} <= set(record.metrics)
    # The In[n] a reader sees in the notebook (IPython 9 advances its counter before a cell).
    assert record.execution_count == track_cell.execution_count
    assert [c["execution_count"] for c in record.code_slice["cells"]] == [
        nb.cells[1].execution_count, nb.cells[2].execution_count]

    folder = mj.export(run_id, tmp_path / "pkg")
    csv.unlink()  # the package alone must be enough
    manifest = json.loads((folder / "mlops-model.json").read_text())
    entry = manifest["training_script"]
    assert entry["code"] == {"notebook": record.notebook_path,
                             "execution_count": track_cell.execution_count,
                             "cell_id": record.cell_id, "earlier_cells": 2}
    assert sorted(entry["reproduces"]) == ["accuracy", "f1"] and entry["note"] is None
    check_listed_hashed_and_archived(folder, manifest)
    assert {p.rsplit("-v", 1)[0] for p in entry["data"]} == {
        "data/X_train", "data/y_train", "data/X_test", "data/y_test"}

    text = (folder / "train.py").read_text()
    assert "read_csv(" in text and all(line.startswith("#") for line in text.splitlines()
                                       if "read_csv(" in line), "the CSV is not read"
    assert "%%track" not in text and "%load_ext" not in text

    printed = json.loads(run_train_py(folder, tmp_path).strip().splitlines()[-1])
    assert printed == {k: record.metrics[k] for k in entry["reproduces"]}

    card = (folder / "MODEL_CARD.md").read_text()
    section = card.split("## Training code\n", 1)[1].split("\n## ", 1)[0]
    assert f"In[{track_cell.execution_count}]" in section and "2 earlier cell(s)" in section
    assert "python train.py" in section and "`accuracy`, `f1`" in section


def test_a_run_started_from_a_script_exports_a_train_py_that_loads_the_data_only(tmp_path,
                                                                                capsys):
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent("""\
        import mlops_jupyter as mj
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        X, y = load_iris(return_X_y=True, as_frame=True)
        with mj.start_run("scripted", autolog=True) as run:
            model = LogisticRegression(max_iter=300).fit(X, y)
            mj.log_metric("accuracy", model.score(X, y))
        print(run.id)
        """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    record = mj.get_run(run_id)
    assert record.cell_source is None

    capsys.readouterr()
    folder = mj.export(run_id, tmp_path / "pkg")
    bar = capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert " 7/7 " in bar, bar  # the progress bar counts the training script's step
    manifest = json.loads((folder / "mlops-model.json").read_text())
    entry = manifest["training_script"]
    assert entry["code"] is None and entry["reproduces"] == []
    assert "not started in a notebook cell" in entry["note"]
    check_listed_hashed_and_archived(folder, manifest)

    text = (folder / "train.py").read_text()
    assert text.startswith('"""Training data of run \'scripted\'')
    assert "THE RUN'S CODE WAS NOT CAPTURED" in text.split('"""')[1]
    out = run_train_py(folder, tmp_path)
    assert f"X: {X_shape(record)}" in out, out

    card = (folder / "MODEL_CARD.md").read_text()
    assert "**The run's code was not captured**" in card and "python train.py" in card


def X_shape(record):
    """(rows, columns) of the run's training snapshot, as pandas prints a shape."""
    (item,) = [i for i in record.inputs if i["name"] == "X"]
    return f"({item['n_rows']}, 4)"
