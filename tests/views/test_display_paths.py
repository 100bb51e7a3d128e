"""Every way a run, a snapshot and a snapshot diff show themselves outside a live widget.

``_repr_html_`` and ``_repr_mimebundle_`` (what VS Code, marimo, Quarto and nbconvert read),
``to_html()``/``save_html()`` (a page for someone without a notebook, also from a plain Python
process without IPython), and IPython's own display after ``%load_ext mlops_jupyter``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj
from mlops_jupyter.views.run_view import run_html
from mlops_jupyter.views.snapshot_view import snapshot_diff_html, snapshot_html

PACKAGE_ROOT = Path(mj.__file__).resolve().parent.parent


@pytest.fixture
def results():
    """(result, its views fragment function, a text the fragment must show) for each type."""
    frame = pd.DataFrame({"x": np.arange(50.0), "kind": ["a", "b"] * 25})
    with mj.start_run(name="display-run") as run:
        for step in range(3):
            mj.log_metric("loss", 1.0 / (step + 1), step=step)
        first = run.log_input(frame, "display-data")
    second = mj.snapshot(frame.assign(x=frame["x"] * 2).iloc[:40], "display-data")
    return [
        (mj.get_run(run.id), run_html, "run <b>display-run</b>"),
        (first, snapshot_html, "<b>snapshot display-data</b> v1"),
        (mj.diff_snapshots(first, second), snapshot_diff_html, "rows: 50 &rarr; 40"),
    ]


def _assert_offline_page(page: str, fragment: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert fragment in page
    assert "<script" not in page, "tables and SVG only: nothing to execute"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "nothing from the network"


def test_repr_html_and_mimebundle_are_the_static_fragment(results):
    for result, fragment_of, shown in results:
        fragment = fragment_of(result)
        assert shown in fragment
        assert result._repr_html_() == fragment
        bundle = result._repr_mimebundle_()
        assert bundle["text/html"] == fragment
        assert bundle["text/plain"] == repr(result)


def test_to_html_and_save_html_make_one_offline_page(results, tmp_path):
    for i, (result, fragment_of, _) in enumerate(results):
        page = result.to_html()
        _assert_offline_page(page, fragment_of(result))
        written = result.save_html(tmp_path / f"shared-{i}.html")
        assert written == tmp_path / f"shared-{i}.html"
        assert written.read_text(encoding="utf-8") == page
    run_page = results[0][0].to_html()
    assert "<title>run display-run (" in run_page
    assert "<title>snapshot display-data v1</title>" in results[1][0].to_html()


def test_in_ipython_after_load_ext_the_display_shows_the_static_html(results):
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    shown: list[dict] = []
    hook = shell.displayhook
    original = hook.write_format_data
    hook.write_format_data = lambda format_dict, md_dict=None: shown.append(format_dict)
    try:
        for i, (result, fragment_of, _) in enumerate(results):
            shell.user_ns["result"] = result
            outcome = shell.run_cell("result")  # a cell ending in the result, as a user writes
            assert outcome.error_in_exec is None
            assert shown[i]["text/html"] == fragment_of(result), type(result).__name__
    finally:
        hook.write_format_data = original


def test_a_plain_python_process_renders_and_saves_without_ipython(tmp_path):
    script = """
import json, sys
import numpy as np, pandas as pd
import mlops_jupyter as mj

frame = pd.DataFrame({"x": np.arange(20.0)})
with mj.start_run(name="script-run") as run:
    mj.log_metric("score", 0.5)
    first = run.log_input(frame, "script-data")
second = mj.snapshot(frame.iloc[:10], "script-data")
record = mj.get_run(run.id)
out = {}
for name, result in [("run", record), ("snapshot", first),
                     ("diff", mj.diff_snapshots(first, second))]:
    bundle = result._repr_mimebundle_()
    path = result.save_html(name)
    out[name] = {"html": result._repr_html_(), "bundle_html": bundle["text/html"],
                 "page": result.to_html(), "file": path.read_text(encoding="utf-8"),
                 "path": str(path)}
out["ipython_loaded"] = any(m == "IPython" or m.startswith("IPython.") for m in sys.modules)
print(json.dumps(out))
"""
    env = {**os.environ, "MLOPS_STORE": str(tmp_path / "store"),
           "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out.pop("ipython_loaded") is False, "rendering needs no IPython"
    shown = {"run": "run <b>script-run</b>", "snapshot": "<b>snapshot script-data</b> v1",
             "diff": "rows: 20 &rarr; 10"}
    for name, got in out.items():
        assert shown[name] in got["html"]
        assert got["bundle_html"] == got["html"]
        _assert_offline_page(got["page"], got["html"])
        assert got["file"] == got["page"]
        assert got["path"] == f"{name}.html", "save_html adds the .html suffix"
        assert (tmp_path / f"{name}.html").is_file()
