"""The drift result types: one column's result, the report, and their text forms.

Frozen dataclasses with ``to_dict``/``from_dict`` that round-trip through JSON. A
``DriftReport`` shows itself as static HTML (``_repr_html_``, ``to_html()``, ``save_html()``)
through ``mlops_jupyter.views.drift_static``, named by string and imported only when shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ...formatting import format_number
from ...rendering import HtmlReport

__all__ = ["ColumnDrift", "DriftReport", "Histogram", "alert_payload", "describe_column",
           "DATASET_DRIFT_SHARE"]

DATASET_DRIFT_SHARE = 0.5  # dataset drift when at least this share of tested columns drift
_DIST_SHORT = {"wasserstein_norm": "W/std", "jensenshannon": "JS"}


@dataclass(frozen=True)
class Histogram:
    """Aggregated distribution of one column in both frames (what the view draws).

    ``kind`` is "numeric", "datetime" or "categorical". Numeric: ``edges`` has one more entry
    than the counts; values below the first / above the last edge (the outer 0.5 % tails) are
    counted in the end bins. Datetime edges are nanoseconds since the epoch. Categorical:
    ``labels`` name the bars, the most frequent first, the rest summed as "(other)".
    """

    kind: str
    reference: tuple[int, ...]
    current: tuple[int, ...]
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnDrift:
    """The drift result of one column.

    ``test`` decided ``drifted`` with ``statistic`` against ``threshold`` (for "ks" and
    "chisquare" the p-value, after ``correction`` if any, is compared: drift when below; for
    distances drift when at or above). ``p_value`` (KS or chi-square) and ``distance``
    (normalised Wasserstein or Jensen-Shannon) are reported whatever the test, side by side.
    ``drift_score`` is the effect size relative to its default threshold (>= 1 is a notable
    shift); it orders the columns by severity.
    """

    column: str
    kind: str
    # "tested"; "missing only" (one side has no values); "broken" (the current values can no
    # longer be compared with the reference: counted as drifted); "not tested" (left out).
    status: str
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    distance: float | None = None
    distance_name: str | None = None
    psi: float | None = None
    threshold: float | None = None
    drifted: bool = False
    drift_score: float = 0.0
    importance: float | None = None
    weighted_score: float | None = None
    reference_count: int = 0
    current_count: int = 0
    reference_missing: float = 0.0
    current_missing: float = 0.0
    missing_drifted: bool = False
    reference_infinite: float = 0.0
    current_infinite: float = 0.0
    infinite_drifted: bool = False
    unseen_categories: tuple[str, ...] = ()
    n_unseen: int = 0
    reason: str | None = None
    notes: tuple[str, ...] = ()
    histogram: Histogram | None = None

    @property
    def tested(self) -> bool:
        return self.status != "not tested"

    @property
    def label(self) -> str:
        """The column's verdict in one word or two: "DRIFT", "ok", "BROKEN", "not tested",
        or "DRIFT (missing)" / "ok (missing)" when one frame has no values at all."""
        if self.status == "broken":
            return "BROKEN"
        if not self.tested:
            return "not tested"
        flag = "DRIFT" if self.drifted else "ok"
        return f"{flag} (missing)" if self.status == "missing only" else flag

    @property
    def p_value_shown(self) -> float | None:
        """The p-value the verdict used: the adjusted one when a correction was applied."""
        return self.p_value_adjusted if self.p_value_adjusted is not None else self.p_value

    @property
    def distance_label(self) -> str | None:
        """Short name of ``distance``: "W/std" (normalised Wasserstein) or "JS"."""
        if self.distance_name is None:
            return None
        return _DIST_SHORT.get(self.distance_name, self.distance_name)


_FRAME_COLUMNS = (
    "column", "kind", "test", "statistic", "p_value", "p_value_adjusted", "distance", "psi",
    "threshold", "drifted", "drift_score", "reference_missing", "current_missing",
    "missing_drifted", "unseen_categories", "status", "reason", "reference_infinite",
    "current_infinite", "infinite_drifted",
)


@dataclass(frozen=True)
class DriftReport(HtmlReport):
    """Drift of every compared column, most severe first, and the dataset verdict.

    Shows itself as static HTML (verdict, a table with every column's status and statistics,
    per-column histograms drawn as SVG): ``to_html()`` / ``save_html(path)`` make one
    self-contained page to share.
    """

    columns: tuple[ColumnDrift, ...]
    n_reference: int
    n_current: int
    method: str | dict[str, str] = "auto"
    correction: str | None = None
    drift_share_threshold: float = DATASET_DRIFT_SHARE
    missing_in_reference: tuple[str, ...] = ()
    missing_in_current: tuple[str, ...] = ()
    sample: int | None = None
    sample_seed: int | None = None
    importance_given: bool = False
    elapsed_seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    _html_renderer = "mlops_jupyter.views.drift_static:drift_report_html"

    # -- verdict
    @property
    def tested_columns(self) -> tuple[ColumnDrift, ...]:
        return tuple(c for c in self.columns if c.tested)

    @property
    def n_columns(self) -> int:
        """Number of columns that were compared (not-tested rows excluded)."""
        return len(self.tested_columns)

    @property
    def n_drifted(self) -> int:
        return sum(1 for c in self.columns if c.drifted)

    @property
    def share_drifted(self) -> float:
        return self.n_drifted / self.n_columns if self.n_columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return self.n_columns > 0 and self.share_drifted >= self.drift_share_threshold

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def broken(self) -> dict[str, str]:
        """Columns that can no longer be compared (counted as drifted) -> why."""
        return {c.column: c.reason or "" for c in self.columns if c.status == "broken"}

    @property
    def not_tested(self) -> dict[str, str]:
        """Columns that could not be compared -> why."""
        return {c.column: c.reason or "" for c in self.columns if not c.tested}

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(f"no column {name!r} in this drift report")

    # -- conversions
    def to_frame(self) -> pd.DataFrame:
        rows = []
        for c in self.columns:
            row = {k: getattr(c, k) for k in _FRAME_COLUMNS}
            row["unseen_categories"] = list(c.unseen_categories)
            if self.importance_given:
                row["importance"] = c.importance
                row["weighted_drift"] = c.weighted_score
            rows.append(row)
        extra = ["importance", "weighted_drift"] if self.importance_given else []
        frame = pd.DataFrame(rows, columns=list(_FRAME_COLUMNS) + extra)
        for name in ("statistic", "p_value", "p_value_adjusted", "distance", "psi", "threshold"):
            frame[name] = frame[name].astype("float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (no NaN/inf: they become None); ``from_dict`` reverses it."""
        d = asdict(self)
        d["format"] = "mlops_jupyter.drift/1"
        d["summary"] = {
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "share_drifted": self.share_drifted,
            "dataset_drift": self.dataset_drift,
            "drifted_columns": self.drifted_columns,
            "broken_columns": list(self.broken),
        }
        return _json_clean(d)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriftReport:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        col_names = {f.name for f in fields(ColumnDrift)}
        hist_names = {f.name for f in fields(Histogram)}
        columns = []
        for c in d.get("columns", ()):
            c = {k: v for k, v in c.items() if k in col_names}
            h = c.get("histogram")
            if h is not None:
                h = {k: tuple(v) if isinstance(v, list) else v
                     for k, v in h.items() if k in hist_names}
                c["histogram"] = Histogram(**h)
            for k in ("unseen_categories", "notes"):
                c[k] = tuple(c.get(k) or ())
            columns.append(ColumnDrift(**c))
        kw["columns"] = tuple(columns)
        for k in ("missing_in_reference", "missing_in_current", "notes"):
            kw[k] = tuple(kw.get(k) or ())
        return cls(**kw)

    def summary(self) -> str:
        verdict = "DRIFT DETECTED" if self.dataset_drift else "no dataset drift"
        lines = [
            f"Dataset: {verdict} - {self.n_drifted} of {self.n_columns} columns drifted "
            f"({self.share_drifted:.0%}; dataset drift at >= {self.drift_share_threshold:.0%}). "
            f"Reference {self.n_reference:,} rows, current {self.n_current:,} rows.",
        ]
        if self.broken:
            lines[0] += (f" {len(self.broken)} of them can no longer be compared: "
                         f"{', '.join(self.broken)}.")
        for c in self.columns:
            if c.drifted:
                what = "BROKEN" if c.status == "broken" else "drifted"
                lines.append(f"  {what}: {c.column} ({describe_column(c)})")
        for name, why in self.not_tested.items():
            lines.append(f"  not tested: {name}: {why}")
        return "\n".join(lines)

    def _html_title(self) -> str:
        verdict = "drift detected" if self.dataset_drift else "no dataset drift"
        return f"Drift report: {verdict} ({self.n_drifted} of {self.n_columns} columns drifted)"

    def __repr__(self) -> str:  # short: a report may have hundreds of columns and histograms
        return (f"DriftReport(n_columns={self.n_columns}, n_drifted={self.n_drifted}, "
                f"share_drifted={self.share_drifted:.3f}, dataset_drift={self.dataset_drift}, "
                f"drifted_columns={self.drifted_columns!r})")


def describe_column(c: ColumnDrift) -> str:
    """One-line human description of a column's result (used by summary, views, alerts)."""
    if not c.tested:
        return f"not tested: {c.reason}"
    if c.status == "broken":
        return f"cannot be compared any more: {c.reason}"
    parts = []
    if c.test:
        parts.append(c.test)
    if c.p_value is not None:
        adjusted = " (adj.)" if c.p_value_adjusted is not None else ""
        parts.append(f"p={format_number(c.p_value_shown, 3)}{adjusted}")
    if c.distance is not None:
        parts.append(f"{c.distance_label}={format_number(c.distance, 3)}")
    if c.psi is not None:
        parts.append(f"PSI={format_number(c.psi, 3)}")
    if c.missing_drifted:
        parts.append(f"missing {c.reference_missing:.1%} -> {c.current_missing:.1%}")
    if c.infinite_drifted:
        parts.append(f"infinite {c.reference_infinite:.1%} -> {c.current_infinite:.1%}")
    if c.n_unseen:
        parts.append(f"{c.n_unseen} unseen categor{'y' if c.n_unseen == 1 else 'ies'}")
    return ", ".join(parts)


def alert_payload(report: DriftReport) -> dict[str, Any]:
    """The JSON an alert sends: verdict plus the drifted columns' numbers."""
    return {
        "event": "drift",
        "dataset_drift": report.dataset_drift,
        "share_drifted": report.share_drifted,
        "n_drifted": report.n_drifted,
        "n_columns": report.n_columns,
        "drifted_columns": report.drifted_columns,
        "broken_columns": report.broken,
        "columns": [
            _json_clean({
                "column": c.column, "kind": c.kind, "status": c.status, "reason": c.reason,
                "test": c.test, "statistic": c.statistic,
                "p_value": c.p_value, "p_value_adjusted": c.p_value_adjusted,
                "distance": c.distance, "psi": c.psi, "threshold": c.threshold,
                "reference_missing": c.reference_missing, "current_missing": c.current_missing,
                "reference_infinite": c.reference_infinite,
                "current_infinite": c.current_infinite,
                "unseen_categories": list(c.unseen_categories),
            })
            for c in report.columns if c.drifted
        ],
    }


def _json_clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj
