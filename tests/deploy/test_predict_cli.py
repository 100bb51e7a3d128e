"""``mlops-jupyter predict PACKAGE FILE --out OUT``: the real CLI in a subprocess on real
packages (tests/serving_helpers.build_package), Parquet and CSV in and out. The predictions
are the model's; a file the model cannot take fails with the server's message naming the
column and the file, exit status 2, and nothing under the output's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serving_helpers import iris_mixed_frame, server_env

REPO = Path(__file__).resolve().parents[2]


def predict(package: Path, source: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "predict", str(package), str(source),
         "--out", str(out), *args],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)})


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def assert_model_answers(out: pd.DataFrame, model, X: pd.DataFrame) -> None:
    assert out["prediction"].tolist() == model.predict(X).tolist()
    proba = out[[f"probability_{c}" for c in model.classes_]].to_numpy()
    np.testing.assert_array_equal(proba, model.predict_proba(X))


@pytest.mark.parametrize("src,dst", [("parquet", "parquet"), ("csv", "parquet"),
                                     ("parquet", "csv"), ("csv", "csv")])
def test_numeric_model_scores_a_file_as_the_model_does(tmp_path, iris_package, iris_model,
                                                       src, dst):
    model, X = iris_model
    source = write(X.assign(id=np.arange(len(X)) + 1000), tmp_path / f"in.{src}")
    out = tmp_path / f"preds.{dst}"
    proc = predict(iris_package, source, out, "--keep", "id")
    assert proc.returncode == 0, proc.stderr
    got = read(out)
    assert list(got.columns) == ["id", "prediction", "probability_0", "probability_1",
                                 "probability_2"]
    assert got["id"].astype(int).tolist() == list(range(1000, 1000 + len(X)))
    assert_model_answers(got, model, X)
    assert f"scored {len(X)} rows" in proc.stderr


@pytest.mark.parametrize("src", ["parquet", "csv"])
def test_string_column_and_string_labels(tmp_path, iris_mixed_package, iris_mixed_model, src):
    model, X = iris_mixed_model
    source = write(X, tmp_path / f"in.{src}")
    out = tmp_path / "preds.csv"
    proc = predict(iris_mixed_package, source, out, "--batch-size", "64")
    assert proc.returncode == 0, proc.stderr
    assert_model_answers(read(out), model, X)


@pytest.mark.parametrize("src", ["parquet", "csv"])
def test_many_batches_give_what_one_batch_gives(tmp_path, iris_package, iris_model, src):
    _, X = iris_model
    source = write(X, tmp_path / f"in.{src}")
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    assert predict(iris_package, source, one, "--batch-size", "1000").returncode == 0
    proc = predict(iris_package, source, many, "--batch-size", "7")  # 22 slices
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(read(many), read(one))
    assert len(read(one)) == len(X)


def test_progress_bar_on_stderr(tmp_path, iris_package, iris_model):
    _, X = iris_model
    source = write(X, tmp_path / "in.parquet")
    proc = predict(iris_package, source, tmp_path / "out.parquet", "--batch-size", "50")
    assert proc.returncode == 0, proc.stderr
    assert "scoring in.parquet" in proc.stderr and f"{len(X)}/{len(X)}" in proc.stderr
    assert proc.stdout == ""
    quiet = predict(iris_package, source, tmp_path / "out2.parquet", "--quiet")
    assert "scoring in.parquet" not in quiet.stderr


# --------------------------------------------------------------------------- refusals


def assert_refused(proc: subprocess.CompletedProcess, folder: Path, before: set[str],
                   *expected: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), proc.stderr
    for text in expected:
        assert text in line, line
    assert {p.name for p in folder.iterdir()} == before, "output or partial file left behind"


@pytest.mark.parametrize("src", ["parquet", "csv"])
def test_missing_column(tmp_path, iris_package, iris_model, src):
    _, X = iris_model
    source = write(X.drop(columns=["petal width (cm)"]), tmp_path / f"in.{src}")
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.parquet")
    assert_refused(proc, tmp_path, before, str(source),
                   "input does not match the model's schema: missing column(s) "
                   "'petal width (cm)'")


def test_text_column_where_the_model_takes_numbers(tmp_path, iris_package, iris_model):
    _, X = iris_model
    source = write(X.astype({"sepal width (cm)": str}), tmp_path / "in.parquet")
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.parquet", "--batch-size", "100")
    assert_refused(proc, tmp_path, before, f"{source}, rows 0-99: ",
                   "column 'sepal width (cm)': expected a number, got a string '3.5' in row 0 "
                   "(and 99 more rows)")


@pytest.mark.slow
def test_bad_cell_gives_the_servers_message_with_the_files_row(tmp_path, iris_package,
                                                                iris_model, iris_server):
    _, X = iris_model
    bad = X.astype(object)
    bad.loc[100, "sepal width (cm)"] = "abc"
    source = write(bad, tmp_path / "in.csv")
    out = tmp_path / "out.parquet"
    out.write_bytes(b"an older result")  # a failed run must leave it as it was
    before = {p.name for p in tmp_path.iterdir()}
    reply = iris_server.post("/invocations", source.read_bytes(),
                             headers={"Content-Type": "text/csv"})
    assert reply.status == 422
    server_message = reply.json()["error"]
    assert "'sepal width (cm)'" in server_message and "row 100" in server_message
    # slices of 40 rows: the third one holds row 100, reported as the file's row
    proc = predict(iris_package, source, out, "--batch-size", "40")
    assert_refused(proc, tmp_path, before, f"{source}, rows 80-119: {server_message}")
    assert out.read_bytes() == b"an older result"


def test_text_that_is_not_a_number_in_csv(tmp_path, iris_package, iris_model):
    _, X = iris_model
    text = X.astype(object)
    text.loc[7, "petal length (cm)"] = "abc"
    source = write(text, tmp_path / "in.csv")
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.csv")
    assert_refused(proc, tmp_path, before, str(source), "column 'petal length (cm)': expected "
                   "a number, got a string 'abc' in row 7")


@pytest.mark.parametrize("name", ["in.parquet", "in.csv"])
def test_unreadable_file(tmp_path, iris_package, name):
    source = tmp_path / name
    source.write_bytes(b"\xff\xfe\x00garbage" * 100)
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.parquet")
    assert_refused(proc, tmp_path, before, str(source))


def test_csv_row_with_too_many_values_midway(tmp_path, iris_package, iris_model):
    _, X = iris_model
    source = write(X, tmp_path / "in.csv")
    lines = source.read_text().splitlines()
    lines[120] += ",9.9"
    source.write_text("\n".join(lines) + "\n")
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.parquet", "--batch-size", "10")
    assert_refused(proc, tmp_path, before, str(source), "Expected 4 columns, got 5")


def test_unknown_keep_column_and_format(tmp_path, iris_package, iris_model):
    _, X = iris_model
    source = write(X, tmp_path / "in.parquet")
    before = {p.name for p in tmp_path.iterdir()}
    proc = predict(iris_package, source, tmp_path / "out.parquet", "--keep", "customer_id")
    assert_refused(proc, tmp_path, before, str(source), "'customer_id'")
    other = tmp_path / "in.json"
    other.write_text("[]")
    proc = predict(iris_package, other, tmp_path / "out.parquet")
    assert_refused(proc, tmp_path, before | {"in.json"}, "unknown file type")


# --------------------------------------------------------------------------- in the package


def test_the_package_scores_a_file_without_this_project(tmp_path, iris_mixed_package):
    """``python batch.py`` in the package folder, every mlops_jupyter import blocked."""
    X, _ = iris_mixed_frame()
    source = write(X, tmp_path / "in.parquet")
    out = tmp_path / "preds.parquet"
    proc = subprocess.run([sys.executable, "batch.py", str(source), "--out", str(out)],
                          cwd=iris_mixed_package, env=server_env(tmp_path), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    via_cli = tmp_path / "cli.parquet"
    assert predict(iris_mixed_package, source, via_cli).returncode == 0
    pd.testing.assert_frame_equal(read(out), read(via_cli))
    serve_help = subprocess.run([sys.executable, "serve.py", "--help"], cwd=iris_mixed_package,
                                env=server_env(tmp_path), capture_output=True, text=True,
                                timeout=60)
    assert "batch.py" in serve_help.stdout
