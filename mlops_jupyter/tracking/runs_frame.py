"""The runs table: one row per run with params.*, metrics.* and tags.* columns."""

from __future__ import annotations

from typing import Any

try:  # pandas is imported lazily elsewhere, but a DataFrame subclass needs it here
    import pandas as _pd
except ImportError:  # pragma: no cover
    _pd = None


class RunsFrame(_pd.DataFrame):
    """A runs DataFrame that displays as the interactive runs table (what ``%runs`` returns).

    Everything derived from it (filtering, selecting columns) is a plain DataFrame again.
    """

    @property
    def _constructor(self):
        return _pd.DataFrame


BASE_COLUMNS = ["run_id", "name", "experiment", "status", "start_time", "end_time", "duration",
                "parent_run_id", "notebook_path"]


def build_runs_frame(tables: dict[str, list[tuple]]):
    import pandas as pd

    runs = pd.DataFrame(
        tables["runs"],
        columns=["run_id", "name", "experiment", "status", "start_time", "end_time",
                 "parent_run_id", "notebook_path"],
    )
    runs["duration"] = runs["end_time"] - runs["start_time"]
    for col in ("start_time", "end_time"):
        runs[col] = pd.to_datetime(runs[col], unit="s", utc=True)
    runs = runs[BASE_COLUMNS].set_index("run_id", drop=False)
    parts = [runs]
    for table, prefix in (("params", "params."), ("metrics", "metrics."), ("tags", "tags.")):
        rows = tables[table]
        if not rows:
            continue
        long = pd.DataFrame(rows, columns=["run_id", "key", "value"])
        if table == "params":
            # Typed JSON values of mixed types: keep them as Python objects.
            long["value"] = long["value"].astype(object)
        wide = long.pivot(index="run_id", columns="key", values="value")
        wide.columns = [prefix + str(c) for c in wide.columns]
        if table == "metrics":
            wide = wide.astype(float)
        else:
            wide = wide.astype(object)
        parts.append(wide.reindex(runs.index))
    frame = pd.concat(parts, axis=1) if len(parts) > 1 else runs
    frame.index.name = None
    return frame.reset_index(drop=True)


def parse_order_by(order_by: str | list[str] | None) -> list[tuple[str, bool]]:
    """``"metrics.accuracy desc, name"`` -> [("metrics.accuracy", False), ("name", True)]."""
    if order_by is None:
        return [("start_time", False)]
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    out: list[tuple[str, bool]] = []
    for item in items:
        for part in str(item).split(","):
            words = part.strip().rsplit(None, 1)
            if not words:
                continue
            if len(words) == 2 and words[1].lower() in ("asc", "desc"):
                out.append((words[0].strip("`"), words[1].lower() == "asc"))
            else:
                out.append((part.strip().strip("`"), True))
    return out


def sort_runs(frame: Any, order_by: str | list[str] | None):
    import difflib

    keys = parse_order_by(order_by)
    for column, _ in keys:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"cannot order runs by {column!r}: no such column{hint}")
    return frame.sort_values(
        [c for c, _ in keys], ascending=[a for _, a in keys], na_position="last", kind="stable"
    ).reset_index(drop=True)
