"""Loads what ``mj.compare`` shows: the runs frame, metric histories, records on demand.

Only the runs frame (one query per table, as ``mj.runs``) is read up front. Metric
histories are read for the runs the view shows curves for (the selected ones), and full
records only when two runs are diffed: a comparison of 1,000 runs never reads 1,000 metric
histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["StoreRunSource", "load_comparison", "select_runs"]

MAX_DEFAULT_RUNS = 1000  # without ids/experiment/last: the most recent top-level runs


class StoreRunSource:
    """:class:`~mlops_jupyter.analysis.compare.RunSource` over the current store."""

    def __init__(self) -> None:
        self._histories: dict[str, dict[str, list[tuple]]] = {}

    def histories(self, run_ids: Sequence[str]) -> dict[str, dict[str, list[tuple]]]:
        """``{run_id: {key: [(step, value, time), ...]}}`` of keys logged at several steps.

        Cached per run; uses one store query for all missing runs when the store offers
        ``metric_histories``, else reads each run's record.
        """
        from .. import api

        missing = [r for r in dict.fromkeys(run_ids) if r not in self._histories]
        if missing:
            store = api.get_store()
            bulk = getattr(store, "metric_histories", None)
            if bulk is not None:
                found = bulk(missing, min_points=2)
                for run_id in missing:
                    self._histories[run_id] = dict(found.get(run_id) or {})
            else:
                for run_id in missing:
                    try:
                        history = store.run_record(run_id)["metric_history"]
                    except LookupError:
                        history = {}
                    self._histories[run_id] = {k: v for k, v in history.items() if len(v) > 1}
        return {r: self._histories.get(r, {}) for r in run_ids}

    def record(self, run_id: str) -> Any:
        from .. import api

        return api.get_run(run_id)

    def snapshot_diff(self, a_id: str, b_id: str) -> Any:
        from .. import api

        return api.diff_snapshots(a_id, b_id)


def select_runs(frame, runs: Sequence[str] | None, last: int | None) -> tuple[Any, list[str]]:
    """Rows of ``frame`` for the given id prefixes (with their child runs) or the ``last``
    N top-level runs (with theirs); messages for unknown or ambiguous ids."""
    messages: list[str] = []
    ids = frame["run_id"].tolist()
    keep: list[str] = []
    if runs:
        for prefix in runs:
            prefix = str(prefix).strip()
            found = [r for r in ids if r.startswith(prefix)] if prefix else []
            if not found:
                messages.append(f"no run with id {prefix!r} in this store (mj.runs() lists them)")
            elif len(found) > 1:
                messages.append(f"run id prefix {prefix!r} is ambiguous ({len(found)} runs): "
                                "give more characters")
            else:
                keep.append(found[0])
    else:
        top = frame[frame["parent_run_id"].isna()] if "parent_run_id" in frame else frame
        newest = top.sort_values("start_time", ascending=False, kind="stable")["run_id"].tolist()
        keep = newest[:last] if last is not None else newest
    wanted = set(keep)
    # a search run is compared with its candidates (folded under it in the table)
    children = frame["parent_run_id"].isin(wanted) if "parent_run_id" in frame else False
    mask = frame["run_id"].isin(wanted) | children
    return frame[mask].reset_index(drop=True), messages


def load_comparison(runs: Sequence[str] | None = None, *, experiment: str | None = None,
                    last: int | None = None, metric: str | None = None,
                    filter: str | None = None):
    """Build a :class:`~mlops_jupyter.analysis.compare.Comparison` from the store.

    Never raises for what a user typed (unknown ids, a filter that does not parse, an
    unknown metric): each becomes a message shown above the view.
    """
    from .. import api
    from ..analysis.compare import build_comparison
    from ..analysis.runs_query import apply_filter
    from ..errors import FilterSyntaxError

    if isinstance(runs, str):
        runs = runs.split()
    if last is not None and last < 1:
        raise ValueError(f"last must be a positive number of runs, not {last}")
    frame, known = api._runs_frame(experiment=experiment)
    total = len(frame)
    messages: list[str] = []
    bad_filter = None
    if filter:
        try:
            frame = apply_filter(frame, filter, known_columns=known)
        except FilterSyntaxError as exc:
            messages.append(str(exc))
            bad_filter = filter  # shown in the filter box, where the user can fix it
    if filter and bad_filter is None and frame.empty and total:
        messages.append(f"the filter {filter!r} matches none of the {total} runs")
    if last is None and not runs and "parent_run_id" in frame:
        n_top = int(frame["parent_run_id"].isna().sum())
        if n_top > MAX_DEFAULT_RUNS:
            last = MAX_DEFAULT_RUNS
            messages.append(f"showing the {MAX_DEFAULT_RUNS} most recent of {n_top} runs: "
                            "narrow with experiment=, filter= or last=")
    frame, id_messages = select_runs(frame, runs, last)
    messages = id_messages + messages
    if total == 0:
        messages.append(f"no runs in experiment {experiment!r} yet" if experiment
                        else "no runs in this store yet: track a cell with %%track or "
                             "mj.start_run(...)")
    source = StoreRunSource()
    where = f" in {experiment}" if experiment else ""
    comparison = build_comparison(
        frame, metric=metric, filter=bad_filter, messages=messages, source=source,
        title=f"Comparison of {len(frame)} runs{where}",
    )
    if comparison.selected:  # the curves shown first need these; others load on selection
        comparison = comparison.with_histories(source.histories(comparison.selected))
    return comparison
