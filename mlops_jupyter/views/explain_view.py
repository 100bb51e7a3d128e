"""Interactive views of an :class:`~mlops_jupyter.analysis.explain.Explanation`: plotly
figures + widgets.

* :func:`display_explanation` shows an interactive view (feature picker for the dependence
  plot, row picker for the waterfall, class picker for multi-class) and, in the same output,
  the static ``text/html`` form (``views/explain_static.py``) so a saved or nbconvert-ed
  notebook still shows the result.
* :func:`explanation_mimebundle` is the static view alone: ``text/html`` (plain HTML/CSS, no
  JavaScript, renders on GitHub) + the plotly JSON of a summary figure + ``text/plain``.

Figures are built by pure functions (``importance_figure`` ...) that tests can inspect.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mlops_jupyter.analysis.explain import Explanation
from mlops_jupyter.formatting import format_number

from .explain_static import NEG as _NEG
from .explain_static import POS as _POS
from .explain_static import (
    TOP_FEATURES,
    color_scale,
    index_label,
    static_html,
    summary_html,
    value_text,
)
from .explain_static import display_rows as _display_rows
from .widget_output import show_in

__all__ = [
    "ExplanationView",
    "beeswarm_figure",
    "dependence_figure",
    "display_explanation",
    "explanation_mimebundle",
    "importance_figure",
    "static_html",
    "waterfall_figure",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_BEESWARM_POINTS = 1000  # rows shown per feature; keeps the saved output small
# A small explicit template: plotly's default one adds ~8 kB of JSON to every figure.
_TEMPLATE = go.layout.Template(layout=dict(
    font=dict(family="sans-serif", size=12), plot_bgcolor="white", paper_bgcolor="white",
    xaxis=dict(gridcolor="#eee", zerolinecolor="#999", automargin=True),
    yaxis=dict(gridcolor="#eee", zerolinecolor="#999", automargin=True),
    hovermode="closest",
))


def _round(a: Any) -> list:
    """4 significant digits: plenty on screen, and a third of the JSON size."""
    return [None if not np.isfinite(v) else float(f"{v:.4g}")
            for v in np.asarray(a, dtype=float).ravel()]


def _styled(fig: go.Figure) -> go.Figure:
    return fig.update_layout(template=_TEMPLATE)


def _title(expl: Explanation, what: str) -> str:
    title = f"{what} — {expl.model_name or 'model'}"
    if expl.shown_target is not None:  # multi-output: say which target
        title += f" — target {expl.shown_target!r}"
    return title


# --------------------------------------------------------------------------- figures


def importance_figure(expl: Explanation, top: int = TOP_FEATURES) -> go.Figure:
    """Horizontal bar chart of mean |SHAP| (or permutation importance), largest on top."""
    idx = expl.feature_order(top)[::-1]
    imp = expl.global_importance()
    xlabel = "mean |SHAP value|" if expl.has_row_values else "permutation importance (score drop)"
    fig = go.Figure(go.Bar(
        x=_round(imp[idx]), y=[expl.feature_names[i] for i in idx], orientation="h",
        marker_color=_POS, hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    fig.update_layout(
        title=_title(expl, "Global importance"), xaxis_title=xlabel,
        height=max(260, 24 * len(idx) + 120), margin=dict(l=10, r=10, t=50, b=40),
    )
    return _styled(fig)


def beeswarm_figure(expl: Explanation, top: int = TOP_FEATURES,
                    max_points: int = MAX_BEESWARM_POINTS) -> go.Figure:
    """One dot per row and feature: x = SHAP value, colour = feature value (low blue, high red)."""
    fig = go.Figure()
    if not expl.has_row_values:
        fig.update_layout(title="No per-row values (permutation-importance fallback)")
        return fig
    rows = _display_rows(expl, max_points)
    idx = expl.feature_order(top)[::-1]
    rng = np.random.default_rng(1)
    xs, ys, cs, texts = [], [], [], []
    for pos, j in enumerate(idx):
        vals = expl.values[rows, j]
        col = expl.display_values(j).iloc[rows]
        colors = color_scale(col)
        # jitter grows with local density, a cheap stand-in for shap's swarm layout
        jitter = rng.uniform(-0.35, 0.35, len(rows))
        xs.extend(_round(vals))
        ys.extend(pos + jitter)
        cs.extend(_round(colors) if colors is not None else [0.5] * len(rows))
        texts.extend(str(v) for v in col.tolist())
    fig.add_trace(go.Scattergl(
        x=xs, y=_round(ys), mode="markers", text=texts,
        marker=dict(size=4, color=cs, colorscale=[[0, _NEG], [1, _POS]], cmin=0, cmax=1,
                    colorbar=dict(title="feature value", tickvals=[0, 1],
                                  ticktext=["low", "high"])),
        hovertemplate="SHAP %{x}<br>value %{text}<extra></extra>",
    ))
    fig.update_layout(
        title=_title(expl, f"SHAP values per row ({len(rows):,} of "
                           f"{expl.n_rows_explained:,} rows shown)"),
        xaxis_title=f"SHAP value (impact on {expl.output_label})",
        yaxis=dict(tickvals=list(range(len(idx))), ticktext=[expl.feature_names[j] for j in idx]),
        height=max(300, 28 * len(idx) + 120), margin=dict(l=10, r=10, t=50, b=40),
    )
    return _styled(fig)


def dependence_figure(expl: Explanation, feature: str | None = None,
                      max_points: int = MAX_BEESWARM_POINTS) -> go.Figure:
    """x = the feature's value, y = its SHAP value, colour = the most important other feature."""
    fig = go.Figure()
    if not expl.has_row_values:
        fig.update_layout(title="No per-row values (permutation-importance fallback)")
        return fig
    if feature is None:
        feature = expl.feature_names[expl.feature_order(1)[0]]
    if feature not in expl.feature_names:
        raise ValueError(f"unknown feature {feature!r}; choose one of {expl.feature_names[:20]}")
    j = expl.feature_names.index(feature)
    rows = _display_rows(expl, max_points)
    x = expl.display_values(j).iloc[rows]
    others = [k for k in expl.feature_order() if k != j]
    marker: dict[str, Any] = dict(size=5, color=_POS)
    if others:
        k = others[0]
        colors = color_scale(expl.data.iloc[rows, k])
        if colors is not None:
            marker = dict(size=5, color=_round(colors), colorscale=[[0, _NEG], [1, _POS]],
                          cmin=0, cmax=1,
                          colorbar=dict(title=expl.feature_names[k][:20], tickvals=[0, 1],
                                        ticktext=["low", "high"]))
    numeric = pd.api.types.is_numeric_dtype(x.dtype)
    fig.add_trace(go.Scattergl(
        x=_round(x) if numeric else [str(v) for v in x.tolist()],
        y=_round(expl.values[rows, j]), mode="markers", marker=marker, name=feature,
        hovertemplate=f"{html.escape(feature)}=%{{x}}<br>SHAP %{{y}}<extra></extra>",
    ))
    fig.update_layout(
        title=_title(expl, f"Dependence on {feature}"), xaxis_title=feature,
        yaxis_title=f"SHAP value of {feature}", height=380, margin=dict(l=10, r=10, t=50, b=40),
    )
    return _styled(fig)


def waterfall_figure(expl: Explanation, row: int = 0, top: int = 10) -> go.Figure:
    """How one row's output is built: base value + the largest contributions (+ the rest)."""
    if not expl.has_row_values:
        return go.Figure().update_layout(
            title="No per-row values (permutation-importance fallback)")
    n = expl.values.shape[0]
    if not 0 <= row < n:
        raise ValueError(f"row must be a position in 0..{n - 1} of the explained rows, got {row}")
    vals, base, k = expl.row(row)
    order = np.argsort(-np.abs(vals), kind="stable")
    shown, rest = order[:top], order[top:]
    labels = [f"{expl.feature_names[j]} = {value_text(expl.display_values(j).iloc[row])}"
              for j in shown]
    deltas = [float(vals[j]) for j in shown]
    if len(rest):
        labels.append(f"{len(rest)} other features")
        deltas.append(float(vals[rest].sum()))
    # plotly draws bottom-up: smallest contribution first, biggest next to the total
    labels, deltas = labels[::-1], deltas[::-1]
    total = base + float(vals.sum())
    cls = ""
    if expl.class_names and k is not None and expl.output_kind != "regression":
        cls = f", class {expl.class_names[k]!r}"
    fig = go.Figure(go.Waterfall(
        orientation="h", base=base,
        measure=["relative"] * len(deltas) + ["total"],
        y=labels + ["model output"], x=_round(deltas) + [None],
        increasing=dict(marker_color=_POS), decreasing=dict(marker_color=_NEG),
        totals=dict(marker_color="#7f7f7f"),
        hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    fig.update_layout(
        title=_title(expl, f"Row {index_label(expl.data.index[row])}: {format_number(total)} "
                           f"({expl.output_kind}{cls}); base {format_number(base)}"),
        xaxis_title=expl.output_label if not cls else expl.output_kind,
        height=max(300, 30 * (len(labels) + 1) + 120), margin=dict(l=10, r=10, t=60, b=40),
    )
    return _styled(fig)


# --------------------------------------------------------------------------- static bundle


def _summary_figure(expl: Explanation, row: int) -> go.Figure:
    """Importance + waterfall side by side: what the plotly JSON of the static bundle holds."""
    from plotly.subplots import make_subplots

    if not expl.has_row_values:
        return importance_figure(expl)
    imp, wf = importance_figure(expl, top=10), waterfall_figure(expl, row=row, top=8)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Global importance", wf.layout.title.text),
                        horizontal_spacing=0.25)
    fig.add_trace(imp.data[0], row=1, col=1)
    fig.add_trace(wf.data[0], row=1, col=2)
    fig.update_layout(height=420, showlegend=False, title=_title(expl, "Explanation"),
                      margin=dict(l=10, r=10, t=70, b=40))
    return _styled(fig)


def explanation_mimebundle(expl: Explanation, row: int = 0) -> dict[str, Any]:
    """The static view: ``text/html`` + plotly JSON + ``text/plain`` (small, no widgets)."""
    fig = _summary_figure(expl, row)
    return {
        "text/plain": repr(expl),
        "text/html": static_html(expl, row=row),
        PLOTLY_MIME: fig.to_plotly_json(),
    }


# --------------------------------------------------------------------------- interactive


def _figure_bundle(fig: go.Figure) -> dict[str, Any]:
    # plotly's own notebook renderer would inline plotly.js (MBs) into the saved notebook;
    # the mimetype alone is rendered by JupyterLab/VS Code and stays small.
    return {PLOTLY_MIME: fig.to_plotly_json(), "text/plain": f"<{fig.layout.title.text}>"}


class ExplanationView:
    """Tabs (importance, beeswarm, dependence, waterfall) with feature/row/class pickers.

    The current figures are attributes (``dependence_fig`` ...) so they can be inspected.
    """

    def __init__(self, expl: Explanation, row: int = 0, feature: str | None = None) -> None:
        import ipywidgets as w

        self.source = expl
        self.expl = expl
        self.outputs = {name: w.Output()
                        for name in ("importance", "beeswarm", "dependence", "waterfall")}
        self.header = w.HTML()
        n = max(expl.values.shape[0], 1)
        self.feature_picker = w.Dropdown(description="feature", options=self._feature_options())
        if feature is not None:
            if feature not in expl.feature_names:
                raise ValueError(
                    f"unknown feature {feature!r}; choose one of {expl.feature_names[:20]}")
            self.feature_picker.value = feature
        if not 0 <= row < n:
            raise ValueError(
                f"row must be a position in 0..{n - 1} of the explained rows, got {row}")
        self.row_picker = w.BoundedIntText(value=row, min=0, max=n - 1, description="row")
        self.row_label = w.HTML()
        controls = [self.feature_picker, self.row_picker, self.row_label]
        self.class_picker = None
        if expl.values_by_class is not None and expl.class_names:
            options = [(f"class {c}", i) for i, c in enumerate(expl.class_names)]
            if expl.class_choice == "most-predicted":
                options = [("predicted class per row", -1), *options]
            per_row = expl.class_choice == "most-predicted"
            self.class_picker = w.Dropdown(description="class", options=options,
                                           value=-1 if per_row else expl.class_index)
            controls.append(self.class_picker)
            self.class_picker.observe(self._on_class, names="value")
        if expl.values_by_class is not None and expl.target_names:
            # Multi-output regression: the same picker, over targets.
            self.class_picker = w.Dropdown(
                description="target", value=expl.class_index,
                options=[(f"target {t}", i) for i, t in enumerate(expl.target_names)])
            controls.append(self.class_picker)
            self.class_picker.observe(self._on_class, names="value")
        self.group_toggle = None
        if any(len(v) > 1 for v in expl.feature_groups.values()) and not expl.is_grouped:
            self.group_toggle = w.Checkbox(value=False, description="one value per original column",
                                           indent=False)
            controls.append(self.group_toggle)
            self.group_toggle.observe(self._on_group, names="value")
        self._quiet = False
        self.feature_picker.observe(lambda _: self._quiet or self._render_dependence(),
                                    names="value")
        self.row_picker.observe(lambda _: self._render_waterfall(), names="value")
        tabs = w.Tab(children=[self.outputs[k] for k in self.outputs])
        for i, title in enumerate(("Importance", "Beeswarm", "Dependence", "Waterfall")):
            tabs.set_title(i, title)
        self.tabs = tabs
        self.widget = w.VBox([self.header,
                              w.HBox(controls, layout=w.Layout(flex_flow="row wrap")), tabs])
        self.importance_fig = self.beeswarm_fig = self.dependence_fig = self.waterfall_fig = None
        self._render_all()

    # -- state changes
    def _feature_options(self) -> list[str]:
        return [self.expl.feature_names[j] for j in self.expl.feature_order()]

    def _current(self) -> Explanation:
        grouped = self.group_toggle is not None and self.group_toggle.value
        expl = self.source.grouped() if grouped else self.source
        if self.class_picker is not None and self.class_picker.value != -1:
            if expl.target_names:
                return expl.for_target(self.class_picker.value)
            expl = expl.for_class(self.class_picker.value)
        return expl

    def _on_class(self, _: Any) -> None:
        self.expl = self._current()
        self._render_all()

    def _on_group(self, _: Any) -> None:
        self.expl = self._current()
        keep = self.feature_picker.value
        # keep the chosen feature across the toggle: "num__age" <-> its group "age"
        if self.expl.is_grouped:
            keep = next((g for g, m in self.expl.feature_groups.items() if keep in m), keep)
        else:
            keep = next(iter(self.source.feature_groups.get(keep, [keep])), keep)
        options = self._feature_options()
        self._quiet = True  # one render below, not one per trait change
        try:
            self.feature_picker.options = options
            self.feature_picker.value = keep if keep in options else options[0]
        finally:
            self._quiet = False
        self._render_all()

    # -- rendering
    @staticmethod
    def _show(out: Any, fig: go.Figure) -> None:
        show_in(out, _figure_bundle(fig))

    def _render_all(self) -> None:
        self.header.value = f"<div class='mlops-explanation' style='font-family:sans-serif;" \
            f"font-size:13px'>{summary_html(self.expl)}</div>"
        self.importance_fig = importance_figure(self.expl)
        self._show(self.outputs["importance"], self.importance_fig)
        self.beeswarm_fig = beeswarm_figure(self.expl)
        self._show(self.outputs["beeswarm"], self.beeswarm_fig)
        self._render_dependence()
        self._render_waterfall()

    def _render_dependence(self) -> None:
        if not self.expl.has_row_values:
            self.dependence_fig = dependence_figure(self.expl)
        else:
            self.dependence_fig = dependence_figure(self.expl, self.feature_picker.value)
        self._show(self.outputs["dependence"], self.dependence_fig)

    def _render_waterfall(self) -> None:
        row = self.row_picker.value
        if self.expl.has_row_values:
            label = self.expl.data.index[row]
            self.row_label.value = (f"<span style='padding-left:6px'>X index "
                                    f"{html.escape(index_label(label))}</span>")
        self.waterfall_fig = waterfall_figure(self.expl, row=row) if self.expl.has_row_values \
            else waterfall_figure(self.expl)
        self._show(self.outputs["waterfall"], self.waterfall_fig)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = static_html(self.source, row=self.row_picker.value)
        bundle["text/plain"] = repr(self.source)
        return bundle


def display_explanation(explanation: Explanation, row: int | None = None,
                        feature: str | None = None) -> None:
    """Show ``explanation`` interactively, with a static HTML fallback in the same output.

    ``row`` is a position among the explained rows (``explanation.position_of(label)`` maps an
    index label of X); the view opens its waterfall on that row. Without ipywidgets (or
    outside a kernel with a widget manager) only the static bundle is shown.
    """
    from IPython.display import display

    row = 0 if row is None else int(row)
    try:
        view = ExplanationView(explanation, row=row, feature=feature)
    except ImportError:
        display(explanation_mimebundle(explanation, row=row), raw=True)
        return
    # Widget first (live kernel), text/html for saved notebooks, nbconvert and GitHub.
    # The plotly JSON is left out here on purpose: a frontend that ranks it above the widget
    # mimetype would show the static figure instead of the interactive view.
    display(view._repr_mimebundle_(), raw=True)

