"""Drift view: the widget reacts to the column picker; the static fallback is complete and small."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.analysis.drift import DriftReport, compute_drift
from mlops_jupyter.views import drift_view
from mlops_jupyter.views.drift_view import (
    DriftReportWidget,
    display_drift_report,
    drift_report_mimebundle,
)


def make_report(n: int = 3000, n_extra: int = 0, seed: int = 0) -> DriftReport:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({
        "income": rng.lognormal(10, 0.5, n),
        "age": rng.normal(40, 10, n),
        "city": rng.choice(["Paris", "Lyon", "Nice"], n),
        "signup": pd.date_range("2024-01-01", periods=n, freq="min"),
    })
    cur = pd.DataFrame({
        "income": rng.lognormal(10.4, 0.5, n),
        "age": rng.normal(40, 10, n),
        "city": rng.choice(["Paris", "Lyon", "Nice", "Lille"], n),
        "signup": pd.date_range("2024-03-01", periods=n, freq="min"),
    })
    for i in range(n_extra):
        ref[f"f{i}"] = rng.normal(size=n)
        cur[f"f{i}"] = rng.normal(size=n)
    return compute_drift(ref, cur)


def test_picking_a_column_redraws_the_figure_for_that_column():
    report = make_report()
    widget = DriftReportWidget(report)
    # the most severe column is shown first
    assert widget.picker.value == report.columns[0].column
    first_x = list(widget.figure.data[0].x)

    widget.picker.value = "city"  # what a user does with the dropdown
    fig = widget.figure
    assert list(fig.data[0].x) != first_x
    city = report.column("city").histogram
    assert list(fig.data[0].x) == list(city.labels)
    assert [t.name for t in fig.data] == ["reference", "current"]
    np.testing.assert_allclose(fig.data[1].y, np.array(city.current) / sum(city.current))
    assert "city" in fig.layout.title.text
    # what the front end draws: the Output widget holds exactly this figure
    (shown,) = widget.output.outputs
    assert "city" in shown["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"]
    # the details line is the picked column's: its test and the one city the reference never had
    assert "jensenshannon" in widget.details.value
    assert "1 unseen category" in widget.details.value

    widget.picker.value = "age"
    edges = np.array(report.column("age").histogram.edges)
    np.testing.assert_allclose(widget.figure.data[0].x, (edges[:-1] + edges[1:]) / 2)
    assert "no drift" in widget.figure.layout.title.text


def test_banner_tells_the_verdict():
    report = make_report()
    widget = DriftReportWidget(report)
    assert ("Dataset drift detected" in widget.banner.value) == report.dataset_drift
    assert f"{report.n_drifted} of {report.n_columns}" in widget.banner.value


def test_static_html_has_table_sorted_by_severity_sparklines_and_histograms():
    report = make_report()
    html = drift_report_mimebundle(report)["text/html"]
    # rows in the report's severity order
    positions = [html.index(f"<b>{c.column}</b>") for c in report.columns]
    assert positions == sorted(positions)
    assert html.count("<svg") >= 2 * len(report.columns)  # sparkline + histogram per column
    assert "<script" not in html  # renders where no JavaScript runs (GitHub, nbconvert)
    assert "Lille" in html  # unseen category listed
    assert "DRIFT" in html


def test_static_output_size_does_not_grow_with_rows():
    small = make_report(n=2_000, n_extra=16)
    large = make_report(n=200_000, n_extra=16, seed=1)
    size_small = len(json.dumps(drift_report_mimebundle(small)))
    size_large = len(json.dumps(drift_report_mimebundle(large)))
    assert size_large < 400_000
    assert size_large < 1.3 * size_small  # aggregated bins only, never raw values


def test_display_bundle_holds_widget_and_static_fallback(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    report = make_report()
    display_drift_report(report)
    bundle, raw = shown[-1]  # earlier calls: the figure drawn inside the widget's Output
    assert raw
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == drift_report_mimebundle(report)["text/html"]
    assert "Dataset" in bundle["text/plain"]


def test_display_falls_back_to_static_when_widgets_fail(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))

    def boom(*a, **k):
        raise RuntimeError("no widgets here")

    monkeypatch.setattr(drift_view, "DriftReportWidget", boom)
    display_drift_report(make_report())
    assert set(shown[0]) == {"text/html", "text/plain"}
    # the whole static report, not an empty shell: verdict and the drifted columns
    assert "Dataset drift detected: 3 of 4 columns drifted (75%, threshold 50%)" in \
        shown[0]["text/html"]
    assert "drifted: signup" in shown[0]["text/plain"]
    assert "drifted: city" in shown[0]["text/plain"]


def test_optional_plotly_json_and_restored_report():
    report = make_report()
    bundle = drift_report_mimebundle(DriftReport.from_dict(json.loads(json.dumps(report.to_dict()))),
                                     include_plotly=True)
    fig = bundle["application/vnd.plotly.v1+json"]
    assert [t["name"] for t in fig["data"]] == ["reference", "current"]
    assert report.columns[0].column in fig["layout"]["title"]["text"]


def test_untested_columns_are_shown_with_their_reason():
    ref = pd.DataFrame({"a": np.arange(100.0), "zip": np.arange(100)})
    cur = pd.DataFrame({"a": np.arange(100.0), "zip": [str(i) for i in range(100)]})
    report = compute_drift(ref, cur)
    html = drift_report_mimebundle(report)["text/html"]
    assert "BROKEN" in html and "numeric in reference but string in current" in html
    widget = DriftReportWidget(report)
    assert [v for _, v in widget.picker.options] == ["a"]


@pytest.mark.parametrize("importance", [None, {"age": 1.0, "income": 0.1}])
def test_weighted_column_only_with_importance(importance):
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"age": rng.normal(size=500), "income": rng.normal(size=500)})
    cur = pd.DataFrame({"age": rng.normal(0.3, 1, 500), "income": rng.normal(size=500)})
    html = drift_report_mimebundle(compute_drift(ref, cur, importance=importance))["text/html"]
    assert ("weighted drift" in html) == (importance is not None)


def test_broken_columns_are_flagged_in_banner_and_table():
    ref = pd.DataFrame({f"a{i}": np.arange(100.0) for i in range(4)} | {"zip": np.arange(100)})
    cur = ref.copy()
    cur["zip"] = [str(i) for i in range(100)]  # numbers became strings
    report = compute_drift(ref, cur)
    assert not report.dataset_drift  # 1 of 5: below the dataset share...
    html = drift_report_mimebundle(report)["text/html"]
    assert "1 can no longer be compared: zip" in html  # ...but named in the banner
    assert "BROKEN" in html and "numeric in reference but string in current" in html


def test_ipython_shows_the_widget_when_registered_and_the_static_html_otherwise(monkeypatch):
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter

    from mlops_jupyter.views import register_formatters

    report = make_report(n=500)
    plain = DisplayFormatter()  # a front end without %load_ext: the report's own mimebundle
    data, _ = plain.format(report)
    assert data["text/html"] == drift_report_mimebundle(report)["text/html"]

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    loaded = DisplayFormatter()
    register_formatters(SimpleNamespace(display_formatter=loaded))  # what %load_ext does
    loaded.format(report)  # found by the type's module and name: the widget bundle is displayed
    assert "application/vnd.jupyter.widget-view+json" in shown[-1]
