"""The command line reports any failure as one ``error: ...`` line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=120,
    )


def assert_one_error_line(proc: subprocess.CompletedProcess, *expected: str,
                          caret: bool = False) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.rstrip().splitlines()
    # A filter error adds the expression and a caret under the bad position.
    assert len(lines) == (3 if caret else 1) and lines[0].startswith("error: "), proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_damaged_database(tmp_path):
    db = tmp_path / "proj" / ".mlops" / "mlops.db"
    db.parent.mkdir(parents=True)
    db.write_text("not a database\n" * 100)
    assert_one_error_line(cli("--store", str(tmp_path / "proj"), "runs"), str(db))


def test_database_url_without_artifacts_and_unreachable_server(tmp_path):
    url = "postgresql+psycopg://someone@127.0.0.1:1/nowhere"
    proc = cli("--store", url, "snapshots", env={"MLOPS_ARTIFACTS": ""})
    assert_one_error_line(proc, url, "MLOPS_ARTIFACTS")
    proc = cli("--store", url, "runs", env={"MLOPS_ARTIFACTS": f"file://{tmp_path}/blobs"})
    assert_one_error_line(proc, "127.0.0.1:1")


def test_unreachable_store_from_the_environment(tmp_path):
    env = {"MLOPS_STORE": "postgresql+psycopg://someone@127.0.0.1:1/nowhere",
           "MLOPS_ARTIFACTS": ""}
    assert_one_error_line(cli("runs", env=env), "MLOPS_STORE")


@pytest.mark.parametrize("args, expected", [
    (["runs", "-f", "metrics.accuracy >"], "position 18"),
    (["runs", "-o", "metrics.nothing"], "metrics.nothing"),
    (["runs", "-n", "-3"], "limit"),
    (["show", "ffffffff"], "ffffffff"),
])
def test_user_mistakes(tmp_path, args, expected):
    store = ["--store", str(tmp_path / "s")]
    assert cli(*store, "runs").returncode == 0
    # Filter and order_by mistakes add the expression and a caret under the bad position.
    assert_one_error_line(cli(*store, *args), expected, caret="-f" in args or "-o" in args)
