"""Results show themselves outside a live widget: a fragment for front ends, a page to share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_jupyter.rendering import HtmlReport


@dataclass(frozen=True)
class _Scores(HtmlReport):
    value: float
    _html_renderer = "tests_rendering_helpers:scores_fragment"  # resolved only when shown


def test_fragment_page_and_file(tmp_path, monkeypatch):
    helper = tmp_path / "tests_rendering_helpers.py"
    helper.write_text("def scores_fragment(obj):\n    return f'<b>score {obj.value}</b>'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = _Scores(0.5)
    assert result._repr_html_() == "<b>score 0.5</b>"
    bundle = result._repr_mimebundle_()
    assert bundle["text/html"] == "<b>score 0.5</b>" and "0.5" in bundle["text/plain"]
    page = result.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<b>score 0.5</b>" in page
    assert "<script" not in page, "an SVG/HTML-only fragment needs no script"
    assert not re.search(r"(src|href)=\"https?://", page), "nothing fetched from the network"
    written = result.save_html(tmp_path / "out" / "scores")
    assert written.name == "scores.html" and written.read_text(encoding="utf-8") == page


def test_a_page_with_plotly_figures_embeds_plotly_once(tmp_path, monkeypatch):
    import plotly.graph_objects as go

    from mlops_jupyter.views.page import plotly_figure_div, standalone_page

    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    page = standalone_page("two figures", plotly_figure_div(fig) + plotly_figure_div(fig))
    assert page.count("<script type=\"text/javascript\">") == 1
    assert "<script src=" not in page, "plotly.js is embedded, not fetched"


def test_every_widget_display_names_a_type_that_exists_where_it_says():
    # IPython finds result types by (module, name): a type moved without its entry here
    # silently loses its widget and falls back to the static HTML.
    import importlib

    from mlops_jupyter.views import DISPLAY_FUNCTIONS

    for (module_name, type_name), target in DISPLAY_FUNCTIONS.items():
        cls = getattr(importlib.import_module(module_name), type_name)
        assert cls.__module__ == module_name, (type_name, cls.__module__, module_name)
        view_module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(view_module), function)), target
