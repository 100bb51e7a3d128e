"""``mj.compare``: load the runs from the store, pick the ones asked for, hand them to
:func:`mlops_jupyter.analysis.compare.build_comparison`.

Only the runs frame (one query per table, as ``mj.runs``) is read up front. Metric
histories are read for the runs the view shows curves for (the selected ones), and full
records only when two runs are diffed: a comparison of 1,000 runs never reads 1,000 metric
histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._checks import check_count, check_str
from ._runs import runs_frame
from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.compare import Comparison
    from ..data.diff import SnapshotDiff
    from ..store import Store
    from ..tracking.records import RunRecord

MAX_DEFAULT_RUNS = 1000  # without ids/experiment/last: the most recent top-level runs


class StoreRunSource:
    """:class:`~mlops_jupyter.analysis.compare.RunSource` over ``store``: reads histories,
    records and snapshot diffs of the compared runs when the view asks for them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._histories: dict[str, dict[str, list[tuple]]] = {}

    def histories(self, run_ids: Sequence[str]) -> dict[str, dict[str, list[tuple]]]:
        """``{run_id: {key: [(step, value, time), ...]}}`` of keys logged at several steps.

        Cached per run; uses one store query for all missing runs when the store offers
        ``metric_histories``, else reads each run's record.
        """
        missing = [r for r in dict.fromkeys(run_ids) if r not in self._histories]
        if missing:
            bulk = getattr(self.store, "metric_histories", None)
            if bulk is not None:
                found = bulk(missing, min_points=2)
                for run_id in missing:
                    self._histories[run_id] = dict(found.get(run_id) or {})
            else:
                for run_id in missing:
                    try:
                        history = self.store.run_record(run_id)["metric_history"]
                    except LookupError:
                        history = {}
                    self._histories[run_id] = {k: v for k, v in history.items() if len(v) > 1}
        return {r: self._histories.get(r, {}) for r in run_ids}

    def record(self, run_id: str) -> RunRecord:
        from ..tracking.records import RunRecord

        store = self.store
        return RunRecord.from_record(store.run_record(store.resolve_run_id(run_id)), store)

    def snapshot_diff(self, a_id: str, b_id: str) -> SnapshotDiff:
        from ..data.diff import diff_profiles
        from ._snapshots import snapshot_ref

        return diff_profiles(snapshot_ref(a_id, self.store).meta,
                             snapshot_ref(b_id, self.store).meta)


def select_runs(frame: pd.DataFrame, runs: Sequence[str] | None, last: int | None
                ) -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``frame`` for the given id prefixes (with their child runs) or the ``last``
    N top-level runs (with theirs); messages for empty, unknown or ambiguous ids."""
    from ..errors import MlopsError
    from ..run_ids import match_run_id

    messages: list[str] = []
    keep: list[str] = []
    if runs:
        ids = frame["run_id"].tolist()
        for prefix in runs:
            try:
                keep.append(match_run_id(str(prefix), ids))
            except MlopsError as exc:  # the other runs are still compared
                messages.append(str(exc))
    else:
        top = frame[frame["parent_run_id"].isna()] if "parent_run_id" in frame else frame
        newest = top.sort_values("start_time", ascending=False, kind="stable")["run_id"].tolist()
        keep = newest[:last] if last is not None else newest
    wanted = set(keep)
    # a search run is compared with its candidates (folded under it in the table)
    children = frame["parent_run_id"].isin(wanted) if "parent_run_id" in frame else False
    mask = frame["run_id"].isin(wanted) | children
    return frame[mask].reset_index(drop=True), messages


def compare(runs: list[str] | None = None, *, experiment: str | None = None,
            last: int | None = None, metric: str | None = None,
            filter: str | None = None) -> Comparison:
    """Interactive comparison of runs (table, parallel coordinates, curves, two-run diff).

    ``runs``: run ids (unique prefixes); else the runs of ``experiment`` / ``filter``,
    the ``last`` N most recent. Returns a Comparison that displays itself.

    Never raises for what a user typed (unknown ids, a filter that does not parse, an
    unknown metric): each becomes a message shown above the view.
    """
    from ..analysis.compare import build_comparison
    from ..analysis.runs_query import apply_filter
    from ..errors import FilterSyntaxError

    check_str("experiment", experiment)
    check_str("metric", metric)
    check_str("filter", filter)
    check_count("last", last, 1)
    if isinstance(runs, str):
        runs = runs.split()
    frame, known = runs_frame(experiment=experiment)
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
    source = StoreRunSource(get_store())
    where = f" in {experiment}" if experiment else ""
    comparison = build_comparison(
        frame, metric=metric, filter=bad_filter, messages=messages, source=source,
        title=f"Comparison of {len(frame)} runs{where}",
    )
    if comparison.selected:  # the curves shown first need these; others load on selection
        comparison = comparison.with_histories(source.histories(comparison.selected))
    return comparison
