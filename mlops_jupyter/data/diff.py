"""What changed between two snapshots, computed from their stored metadata only.

``diff_profiles(a_meta, b_meta)`` reads two metadata dicts of the form
``{"fingerprint": str, "rows": int, "schema": schema_to_json(...), "profile": profile_frame(...)}``
and never the data itself, so comparing two 10 GB snapshots costs microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..formatting import format_value
from ..rendering import HtmlReport

__all__ = ["SnapshotDiff", "diff_profiles"]

# Statistics compared one to one; quantiles are compared as "q0.01", ..., "q0.99".
_SCALAR_STATS = (
    "nulls",
    "null_share",
    "infinite",
    "mean",
    "std",
    "min",
    "max",
    "distinct",
    "categories",
    "ordered",
)
_REL_TOL = 1e-9  # the same data summed in another row order moves the mean in the 16th digit


@dataclass(frozen=True)
class SnapshotDiff(HtmlReport):
    """Differences between snapshot *before* and snapshot *after*.

    ``same_content`` is True when both hold exactly the same data (equal full-content
    fingerprints); the other fields then show no change.

    ``column_changes[col][stat] == (before, after)`` for every profile statistic that differs
    (numbers beyond a relative 1e-9). The one exception is ``"top_values"``, whose pair is
    ``(frequent values only before, frequent values only after)``.
    """

    _html_renderer = "mlops_jupyter.views.snapshot_view:snapshot_diff_html"

    fingerprint_before: str
    fingerprint_after: str
    rows_before: int
    rows_after: int
    same_content: bool
    added_columns: tuple[str, ...] = ()
    removed_columns: tuple[str, ...] = ()
    dtype_changes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    column_changes: Mapping[str, Mapping[str, tuple[Any, Any]]] = field(default_factory=dict)
    columns_reordered: bool = False
    columns_after: tuple[str, ...] = ()
    dtypes_before: Mapping[str, str] = field(default_factory=dict, repr=False)
    dtypes_after: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def changed_columns(self) -> tuple[str, ...]:
        """Columns present in both whose dtype or statistics changed, in the after order."""
        changed = set(self.dtype_changes) | set(self.column_changes)
        return tuple(c for c in self.columns_after if c in changed)

    def to_frame(self) -> pd.DataFrame:
        """One row per column (after order, then removed ones): status, dtypes and what changed."""
        rows = []
        for column in (*self.columns_after, *self.removed_columns):
            changes = self.column_changes.get(column, {})
            if column in self.added_columns:
                status = "added"
            elif column in self.removed_columns:
                status = "removed"
            elif column in self.dtype_changes:
                status = "dtype changed"
            elif changes:
                status = "changed"
            else:
                status = "unchanged"
            rows.append(
                {
                    "column": column,
                    "status": status,
                    "dtype_before": self.dtypes_before.get(column),
                    "dtype_after": self.dtypes_after.get(column),
                    "changes": "; ".join(
                        f"{stat}: {format_value(a, 6)} -> {format_value(b, 6)}"
                        for stat, (a, b) in changes.items()
                    ),
                }
            )
        return pd.DataFrame(
            rows, columns=["column", "status", "dtype_before", "dtype_after", "changes"]
        )

    def summary(self) -> str:
        """A few human lines: identical or not, rows, columns added/removed, dtype and stat changes."""
        if self.same_content:
            return f"identical content ({self.rows_after:,} rows, fingerprint {self.fingerprint_after[:12]})"
        delta = self.rows_after - self.rows_before
        lines = [f"rows: {self.rows_before:,} -> {self.rows_after:,} ({delta:+,})"]
        if self.added_columns:
            lines.append(
                f"added columns ({len(self.added_columns)}): {', '.join(self.added_columns)}"
            )
        if self.removed_columns:
            lines.append(
                f"removed columns ({len(self.removed_columns)}): {', '.join(self.removed_columns)}"
            )
        for column, (before, after) in self.dtype_changes.items():
            lines.append(f"dtype of {column}: {before} -> {after}")
        stats_only = [c for c in self.column_changes if c not in self.dtype_changes]
        if stats_only:
            lines.append(
                f"statistics changed in {len(stats_only)} column(s): {', '.join(stats_only)}"
            )
        if self.columns_reordered:
            lines.append("column order changed")
        if len(lines) == 1 and delta == 0:
            lines.append(
                "same schema and statistics; values differ (e.g. rows reordered or edited)"
            )
        return "\n".join(lines)

    def _html_title(self) -> str:
        return f"snapshot diff {self.fingerprint_before[:12]} -> {self.fingerprint_after[:12]}"


def diff_profiles(a_meta: Mapping[str, Any], b_meta: Mapping[str, Any]) -> SnapshotDiff:
    """Compare snapshot metadata *a* (before) with *b* (after); never touches the data."""
    before, after = _columns(a_meta), _columns(b_meta)
    added = tuple(c for c in after if c not in before)
    removed = tuple(c for c in before if c not in after)
    common = [c for c in after if c in before]
    dtype_changes = {
        c: (before[c]["dtype"], after[c]["dtype"])
        for c in common
        if before[c]["dtype"] != after[c]["dtype"]
    }
    column_changes = {}
    for c in common:
        changes = _stat_changes(before[c], after[c])
        if changes:
            column_changes[c] = changes
    order_before = [c for c in before if c in after]
    fingerprint_a, fingerprint_b = (
        str(a_meta.get("fingerprint") or ""),
        str(b_meta.get("fingerprint") or ""),
    )
    return SnapshotDiff(
        fingerprint_before=fingerprint_a,
        fingerprint_after=fingerprint_b,
        same_content=bool(fingerprint_a) and fingerprint_a == fingerprint_b,
        rows_before=int(a_meta.get("rows", a_meta.get("profile", {}).get("rows", 0))),
        rows_after=int(b_meta.get("rows", b_meta.get("profile", {}).get("rows", 0))),
        added_columns=added,
        removed_columns=removed,
        dtype_changes=dtype_changes,
        column_changes=column_changes,
        columns_reordered=order_before != common,
        columns_after=tuple(after),
        dtypes_before={c: v["dtype"] for c, v in before.items()},
        dtypes_after={c: v["dtype"] for c, v in after.items()},
    )


def _columns(meta: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Column name -> its profile (or schema entry when the profile is missing), in order."""
    profile = meta.get("profile") or {}
    if profile.get("columns"):
        return dict(profile["columns"])
    return {entry["name"]: entry for entry in meta.get("schema") or []}


def _stat_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for stat in _SCALAR_STATS:
        if (stat in a or stat in b) and not _same(a.get(stat), b.get(stat)):
            out[stat] = (a.get(stat), b.get(stat))
    qa, qb = a.get("quantiles") or {}, b.get("quantiles") or {}
    for q in sorted(set(qa) | set(qb), key=float):
        if not _same(qa.get(q), qb.get(q)):
            out[f"q{q}"] = (qa.get(q), qb.get(q))
    if "top" in a or "top" in b:
        top_a = [_hashable(v) for v, _ in a.get("top") or []]
        top_b = [_hashable(v) for v, _ in b.get("top") or []]
        only_a = [v for v in top_a if v not in set(top_b)]
        only_b = [v for v in top_b if v not in set(top_a)]
        if only_a or only_b:
            out["top_values"] = (only_a, only_b)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=0.0)
    return a == b


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
