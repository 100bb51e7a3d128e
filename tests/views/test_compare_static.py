"""A comparison and a two-run diff leave the notebook: one self-contained HTML page each, with
the runs, their metrics, the best run marked and the diff of two runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import mlops_jupyter as mj
from mlops_jupyter.analysis.compare import diff_runs
from mlops_jupyter.views.compare_view import comparison_mimebundle

ROOT = Path(__file__).resolve().parents[2]


def three_runs() -> dict[str, str]:
    ids = {}
    for i, C in enumerate((0.1, 1.0, 10.0)):
        with mj.start_run(f"svc-{C}", experiment="share") as run:
            run.log_params({"C": C, "kernel": "rbf"})
            run.log_metric("accuracy", 0.80 + i / 100)
            run.log_metric("wer", 0.30 - i / 100)
            for step in range(3):
                run.log_metric("loss", 1 / (step + 1 + i))
            ids[run.name] = run.id
    return ids


def no_network(page: str) -> bool:
    return not re.search(r"(src|href)=[\"']?https?://", page)


def test_comparison_page_has_the_runs_metrics_best_run_and_diff(tmp_path):
    ids = three_runs()
    best, second = ids["svc-10.0"], ids["svc-1.0"]
    comparison = mj.compare(experiment="share")

    written = comparison.save_html(tmp_path / "reports" / "sweep")
    assert written == tmp_path / "reports" / "sweep.html"
    page = written.read_text(encoding="utf-8")
    assert page == comparison.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<title>Comparison of 3 runs" in page
    assert "<script" not in page and no_network(page)  # charts are inline SVG
    # every run, with its short id
    for name, run_id in ids.items():
        assert f"{name} <code>{run_id[:8]}</code>" in page
    # every metric, with its direction; wer is lower-is-better
    assert "accuracy &#8593;" in page and "loss &#8595;" in page and "wer &#8595;" in page
    # the best run is named and its values starred
    assert (f"best <b>accuracy</b> (higher is better): <b style=\"background:#d4edda;"
            f"padding:0 4px\">0.82</b> in <b>svc-10.0</b> <code>{best[:8]}</code>") in page
    assert "&#9733; 0.82" in page and "&#9733; 0.28" in page
    assert page.count("<svg") == 3  # parallel coordinates, final values, loss by step
    # the diff of the two best selected runs: C differs
    assert "<b>Diff</b>: svc-10.0 vs svc-1.0" in page
    assert f"<b>A</b> = svc-10.0 <code>{best[:8]}</code>" in page
    assert f"<b>B</b> = svc-1.0 <code>{second[:8]}</code>" in page
    assert re.search(r"&#9679; C</td><td [^>]*>10</td><td [^>]*>1</td>", page)
    # a page to share does not tell its reader to run a cell
    assert "run the cell with a kernel" not in page
    assert "run the cell with a kernel" in comparison_mimebundle(comparison)["text/html"]


def test_comparison_shows_itself_in_front_ends_without_widgets():
    three_runs()
    comparison = mj.compare(experiment="share")
    bundle = comparison._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/html"] == comparison._repr_html_()
    assert "<table>" in bundle["text/html"] and "<!DOCTYPE" not in bundle["text/html"]
    assert bundle["text/plain"] == repr(comparison) == "<Comparison: 3 runs, 2 params, 3 metrics>"


def test_empty_comparison_page_says_why():
    page = mj.compare().to_html()
    assert "no runs in this store yet" in page and "<svg" not in page


def test_run_diff_page(tmp_path):
    ids = three_runs()
    comparison = mj.compare(experiment="share")
    diff = comparison.diff(ids["svc-0.1"], ids["svc-10.0"][:8])
    page = diff.save_html(tmp_path / "diff.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and no_network(page)
    assert (f"<title>Diff of runs svc-0.1 ({ids['svc-0.1'][:8]}) and svc-10.0 "
            f"({ids['svc-10.0'][:8]})</title>") in page
    assert "<b>params</b> (1 of 2 differ)" in page and "<b>metrics</b> (3 of 3 differ)" in page
    assert re.search(r"background:#fff3cd;\"><td [^>]*>&#9679; C</td><td [^>]*>0.1</td>"
                     r"<td [^>]*>10</td>", page)
    assert diff._repr_html_() in page


def test_diff_of_records_shows_the_code_diff_and_escapes_it():
    a = {"id": "a" * 32, "name": "<a>", "params": {}, "metrics": {},
         "cell_source": "x = 1\nif x < 2:\n    pass", "environment": {}}
    page = diff_runs(a, {**a, "id": "b" * 32, "cell_source": "x = 2\nif x < 2:\n    pass"}).to_html()
    assert "<title>Diff of runs &lt;a&gt; (aaaaaaaa) and &lt;a&gt; (bbbbbbbb)</title>" in page
    assert ">-x = 1</div>" in page and ">+x = 2</div>" in page and "if x &lt; 2:" in page


def test_pages_are_written_in_a_plain_python_process(tmp_path):
    """No IPython, no ipywidgets, no plotly: a script or a CI job can save the reports."""
    script = textwrap.dedent("""
        import json, sys
        import mlops_jupyter as mj
        for i, C in enumerate((0.1, 1.0)):
            with mj.start_run(f"r{C}", experiment="ci") as run:
                run.log_param("C", C)
                run.log_metric("accuracy", 0.9 + i / 100)
        comparison = mj.compare(experiment="ci")
        page = comparison.save_html("out/compare.html")
        diff = comparison.diff(*comparison.selected)
        diff_page = diff.save_html("out/diff")
        print(json.dumps({
            "loaded": [m for m in ("IPython", "ipywidgets", "plotly", "ipykernel")
                       if m in sys.modules],
            "mimebundle": sorted(comparison._repr_mimebundle_()),
            "files": [str(page), str(diff_page)],
        }))
    """)
    env = {**os.environ, "MLOPS_STORE": str(tmp_path / "store"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("MLOPS_ARTIFACTS", None)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["mimebundle"] == ["text/html", "text/plain"]
    assert result["files"] == ["out/compare.html", "out/diff.html"]
    page = (tmp_path / "out" / "compare.html").read_text(encoding="utf-8")
    assert "&#9733; 0.91" in page
    assert "<b>Diff</b>: r1.0 vs r0.1" in page
    assert "&#9679; C" in (tmp_path / "out" / "diff.html").read_text(encoding="utf-8")
