"""The front end's TypeScript unit tests (labextension/test/*.spec.ts: list paging, selection,
filter-error caret, sort, live-refresh polling), run by `jlpm test` so `make test` runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ci_rules import missing

LABEXT = Path(__file__).resolve().parents[2] / "labextension"


def _jlpm() -> list[str]:
    found = shutil.which("jlpm") or shutil.which("jlpm", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "jupyterlab.jlpmapp"]


@pytest.mark.slow
def test_typescript_unit_tests_pass(tmp_path):
    if shutil.which("node") is None:
        missing("Node.js is not installed: the front end's unit tests need it")
    env = {**os.environ, "CI": "true", "FORCE_COLOR": "0"}
    if not (LABEXT / "node_modules" / "vitest").exists():
        # a checkout installed without the front-end build (e.g. from a wheel): install first
        subprocess.run([*_jlpm(), "install"], cwd=LABEXT, env=env, check=True,
                       capture_output=True, text=True, timeout=600)
    result = subprocess.run([*_jlpm(), "test"], cwd=LABEXT, env=env, capture_output=True,
                            text=True, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    # the runner really ran the specs (an empty run must not pass silently)
    assert "Test Files" in out and "failed" not in out.split("Test Files")[-1], out
    for spec in ("paging", "selection", "filtererror", "sorting", "poller"):
        assert f"test/{spec}.spec.ts" in out, out
