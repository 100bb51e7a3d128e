"""The static view of a run (``mj.get_run``): what it shows, and that nothing a user wrote runs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj
from mlops_jupyter.tracking.records import RunRecord
from mlops_jupyter.views.run_view import format_duration, metric_sparkline, run_html

SCRIPT = "<script>alert(1)</script>"


def record_named(name: str, **overrides) -> RunRecord:
    """A run as the store hands it back; the API refuses such names, an older store may not."""
    values = {
        "id": "0123456789abcdef0123456789abcdef", "name": name, "experiment": "exp",
        "status": "FINISHED", "start_time": 1_700_000_000.0, "end_time": 1_700_000_125.0,
        "params": {}, "metrics": {}, "metric_history": {}, "tags": {}, "artifacts": [],
        "inputs": [], "parent_run_id": None, "children": [], "notebook_path": None,
        "cell_id": None, "execution_count": None, "cell_source": None, "code_slice": None,
        "environment": None, "git_commit": None, "git_dirty": None, "error": None,
    }
    values.update(overrides)
    return RunRecord.from_record(values, store=None)  # type: ignore[arg-type]


@pytest.fixture
def trained():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60)})
    y = (X["x1"] > 0).astype(int)
    with mj.start_run(name="trained", experiment="churn") as run:
        mj.log_param("C", 0.5)
        for step, loss in enumerate([0.9, 0.5, 0.3, 0.2]):
            mj.log_metric("loss", loss, step=step)
        mj.log_metric("accuracy", 0.875)
        mj.set_tags({"owner": "ana", "note": "<b>bold</b> & co"})
        snap = run.log_input(X, "features", role="train")
        mj.log_model(LogisticRegression(C=0.5).fit(X, y), "clf")
    return mj.get_run(run.id), snap


def test_a_run_shows_who_it_is_what_it_recorded_and_where_it_came_from(trained):
    record, snap = trained
    html = run_html(record)
    assert f"run <b>trained</b> <code>{record.id[:8]}</code>" in html
    assert record.id in html and "<i>churn</i>" in html
    assert "background:#2e7d32" in html and ">FINISHED</span>" in html  # green
    for label in ("started", "ended", "duration"):
        assert f">{label}</th>" in html
    assert re.search(r"<b>C</b></td><td[^>]*><code>0.5</code>", html)
    assert re.search(r"<b>accuracy</b></td><td[^>]*>0.875</td>", html)
    assert re.search(r"<b>loss</b></td><td[^>]*>0.2</td><td[^>]*>4</td>", html)
    assert "<b>owner</b>" in html and "<code>ana</code>" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html, "tag values are text, not markup"
    assert "<li><b>clf</b>" in html, "the model is listed"
    row = re.search(r"<tr><td[^>]*>train</td><td[^>]*><b>features</b></td>.*?</tr>", html)
    assert row, "the input snapshot with its role"
    assert f"v{snap.version}" in row.group(0) and snap.fingerprint[:12] in row.group(0)
    assert "60" in row.group(0), "its row count"
    assert "<script" not in html


def test_only_a_metric_with_several_steps_gets_a_sparkline(trained):
    record, _ = trained
    html = run_html(record)
    loss_row = re.search(r"<b>loss</b>.*?</tr>", html).group(0)
    accuracy_row = re.search(r"<b>accuracy</b>.*?</tr>", html).group(0)
    assert loss_row.count("<svg") == 1 and "<polyline" in loss_row
    assert "<svg" not in accuracy_row
    assert "4 values, steps 0..3, min 0.2, max 0.9" in loss_row


def test_sparkline_follows_the_values():
    svg = metric_sparkline([(0, 1.0, 0.0), (1, 3.0, 0.0), (2, 2.0, 0.0)], width=104, height=24)
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    xs = [float(p.split(",")[0]) for p in points]
    ys = [float(p.split(",")[1]) for p in points]
    assert xs == [2.0, 52.0, 102.0]
    assert ys[1] < ys[2] < ys[0], "higher values are drawn higher (smaller y)"
    assert metric_sparkline([(0, 1.0, 0.0)]) == "", "one point draws nothing"
    nan_only_once = [(0, float("nan"), 0.0), (1, 2.0, 0.0)]
    assert metric_sparkline(nan_only_once) == "", "NaN points are not drawn"
    long = [(i, float(i % 7), 0.0) for i in range(10_000)]
    drawn = re.search(r'points="([^"]+)"', metric_sparkline(long)).group(1).split()
    assert len(drawn) == 240, "a long history is thinned"
    assert drawn[-1] == "118.0,12.0", "down to its last value (step 9999: 9999 % 7 == 3)"


def test_durations_read_naturally():
    assert format_duration(None) == "-"
    assert format_duration(2.349) == "2.35 s"
    assert format_duration(192) == "3 min 12 s"
    assert format_duration(3720) == "1 h 02 min"


def test_a_run_named_like_a_script_is_shown_as_text():
    record = record_named(SCRIPT, experiment=SCRIPT, tags={SCRIPT: SCRIPT},
                          params={SCRIPT: SCRIPT}, metrics={SCRIPT: 1.0},
                          notebook_path=f"/nb/{SCRIPT}.ipynb")
    for html in (record._repr_html_(), record.to_html()):
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "run <b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" in record._repr_html_()
    assert "<title>run &lt;script&gt;alert(1)&lt;/script&gt;" in record.to_html()


def test_an_unknown_status_is_shown_grey_not_dropped():
    html = run_html(record_named("old", status="ARCHIVED"))
    assert "background:#666666" in html and ">ARCHIVED</span>" in html


def test_a_failed_tracked_cell_shows_its_error_and_its_code_as_text():
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    source = "%%track broken\nlimit = 3 < 4\nraise ValueError('<img src=x onerror=alert(1)>')"
    shell.run_cell(source)
    frame = mj.runs(filter="name == 'broken'")
    record = mj.get_run(frame.run_id[0])
    html = run_html(record)
    assert "background:#c0392b" in html  # red
    error = re.search(r">Error</h4><pre[^>]*>(.*?)</pre>", html, re.S)
    assert error, "a failed run shows its error"
    assert "ValueError: &lt;img src=x onerror=alert(1)&gt;" in error.group(1)
    code = re.search(r">Code</h4><pre[^>]*>(.*?)</pre>", html, re.S)
    assert code and "limit = 3 &lt; 4" in code.group(1)
    assert "<img" not in html


def test_a_finished_run_has_no_error_section(trained):
    record, _ = trained
    assert ">Error</h4>" not in run_html(record)


# -- the line a %%track cell shows -----------------------------------------------------------------
def tracked_summary(**overrides):
    from mlops_jupyter.tracking.tracked_cell import TrackSummary

    values = dict(run_id="0123456789abcdef0123456789abcdef", name="<b>fit</b>", status="FAILED",
                  duration=1.3149, params={"C": 0.5, "penalty": "l2"},
                  metrics={"accuracy": 0.912345, "n_rows": 52000.0},
                  models=["clf"], snapshots=["X@v1"], children=3, warnings=["a <b>warning</b>"])
    values.update(overrides)
    return TrackSummary(**values)


def test_track_summary_html_is_one_escaped_line_with_the_status_colour():
    from mlops_jupyter.views.run_view import track_summary_html

    summary = tracked_summary()
    html = track_summary_html(summary)
    assert html == (
        '<div style="font-size:12px;color:#57606a;font-family:monospace">'
        '<span style="color:#c0392b">&#9679;</span> run <b>&lt;b&gt;fit&lt;/b&gt;</b> '
        "<code>01234567</code> FAILED in 1.31s &middot; 2 params | metrics accuracy=0.9123, "
        "n_rows=52000 | models clf | snapshots X@v1 | 3 child runs"
        "<br>  warning: a &lt;b&gt;warning&lt;/b&gt;</div>"
    )
    assert summary._repr_html_() == html, "the summary renders through the view"
    assert '<span style="color:#2e7d32">' in tracked_summary(status="FINISHED")._repr_html_()
    assert '<span style="color:#b9770e">' in tracked_summary(status="CRASHED")._repr_html_()


def test_track_summary_keeps_its_text_form_everywhere_and_saves_as_a_page(tmp_path):
    summary = tracked_summary(warnings=[], children=0)
    text = ("mlops: run 01234567 '<b>fit</b>' FAILED in 1.31s | 2 params | "
            "metrics accuracy=0.9123, n_rows=52000 | models clf | snapshots X@v1")
    assert summary.text() == text
    bundle = summary._repr_mimebundle_()
    assert bundle == {"text/plain": text, "text/html": summary._repr_html_()}
    shell = InteractiveShell.instance()
    formatted, _ = shell.display_formatter.format(summary)
    assert formatted["text/plain"] == text, "IPython shows the line, not the dataclass repr"
    page = summary.save_html(tmp_path / "summary")
    assert page.name == "summary.html"
    content = page.read_text()
    assert content.startswith("<!DOCTYPE html>") and summary._repr_html_() in content


def test_track_shows_its_summary_line_under_the_cell(capsys):
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    capsys.readouterr()
    shell.run_cell("%%track summarised\naccuracy = 0.75\nbatch = 32").raise_error()
    lines = capsys.readouterr().out.splitlines()
    record = mj.get_run(mj.runs(filter="name == 'summarised'").run_id[0])
    assert any(line.startswith(f"mlops: run {record.id[:8]} 'summarised' FINISHED in ")
               and line.endswith("s | 1 params | metrics accuracy=0.75") for line in lines), lines
