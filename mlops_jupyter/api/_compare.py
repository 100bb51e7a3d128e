"""``mj.compare``: load the runs from the store, pick the ones asked for, hand them to
:func:`mlops_jupyter.analysis.compare.build_comparison`.

Only the runs frame (one query per table, as ``mj.runs``) is read up front. Metric
histories are read for the runs the view shows curves for (the selected ones), and full
records only when two runs are diffed: a comparison of 1,000 runs never reads 1,000 metric
histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._checks import check_count, check_str, invalid, renamed_keywords
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


def select_runs(frame: pd.DataFrame, run_ids: Sequence[str] | None, last: int | None,
                where: str = "in this store") -> pd.DataFrame:
    """Rows of ``frame`` for the given id prefixes (with their child runs) or the ``last``
    N top-level runs (with theirs). ``where`` says which runs were searched, in errors.

    Raises NotFoundError naming every unknown or ambiguous id (InvalidValueError for an
    empty one): a user who names runs gets those runs or an error, never fewer runs.
    """
    from ..errors import InvalidValueError, MlopsError, NotFoundError
    from ..run_ids import match_run_id

    keep: list[str] = []
    if run_ids:
        ids = frame["run_id"].tolist()
        errors: list[MlopsError] = []
        for prefix in run_ids:
            try:
                keep.append(match_run_id(prefix, ids, where=where))
            except (InvalidValueError, NotFoundError) as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise NotFoundError("; ".join(str(e) for e in errors))
    else:
        top = frame[frame["parent_run_id"].isna()] if "parent_run_id" in frame else frame
        newest = top.sort_values("start_time", ascending=False, kind="stable")["run_id"].tolist()
        keep = newest[:last] if last is not None else newest
    wanted = set(keep)
    # a search run is compared with its candidates (folded under it in the table)
    children = frame["parent_run_id"].isin(wanted) if "parent_run_id" in frame else False
    mask = frame["run_id"].isin(wanted) | children
    return frame[mask].reset_index(drop=True)


def compare(run_ids: Sequence[str] | str | None = None, *, experiment: str | None = None,
            last: int | None = None, metric: str | None = None,
            filter: str | None = None, **deprecated: Any) -> Comparison:
    """Interactive comparison of runs: table, parallel coordinates, metric curves and the
    diff of two runs (params, metrics, code, packages, data).

    Parameters
    ----------
    run_ids : list of str or str, optional
        Run ids or unique prefixes (a string: separated by spaces), each with its child
        runs. Replaces ``runs=`` (deprecated). Default: the runs of ``experiment`` /
        ``filter``, at most the 1000 most recent.
    experiment : str, optional
        Only runs of this experiment.
    last : int, optional
        Only the ``last`` most recent top-level runs (with their child runs).
    metric : str, optional
        The metric to compare on (``"accuracy"`` or ``"metrics.accuracy"``); default: the
        first metric with a known direction.
    filter : str, optional
        A run filter as for :func:`runs`.

    Returns
    -------
    Comparison
        Displays as the comparison view; ``.best()``, ``.diff(a, b)``, ``.save_html(path)``.
        A filter that does not parse or an unknown metric becomes a message shown above
        the view (the filter box keeps it, to fix there).

    Raises
    ------
    NotFoundError
        A run id in ``run_ids`` matches no run, or several (the message names it).
    InvalidValueError
        An argument has the wrong type, or a run id is empty.

    Examples
    --------
    >>> mj.compare(experiment="churn", metric="f1")        # doctest: +SKIP
    >>> mj.compare(["3f2a1b", "77e0d4"]).diff("3f2a", "77e0")  # doctest: +SKIP
    """
    from ..analysis.compare import build_comparison
    from ..analysis.runs_query import apply_filter
    from ..errors import FilterSyntaxError

    run_ids = renamed_keywords("compare", deprecated, {"runs": "run_ids"},
                               {"run_ids": run_ids})["run_ids"]
    check_str("experiment", experiment)
    check_str("metric", metric)
    check_str("filter", filter)
    check_count("last", last, 1)
    if isinstance(run_ids, str):
        run_ids = run_ids.split()
    if run_ids is not None and not (isinstance(run_ids, Sequence)
                                    and all(isinstance(r, str) for r in run_ids)):
        raise invalid("run_ids", run_ids, "a list of run ids (str), a string of them or None")
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
    if last is None and not run_ids and "parent_run_id" in frame:
        n_top = int(frame["parent_run_id"].isna().sum())
        if n_top > MAX_DEFAULT_RUNS:
            last = MAX_DEFAULT_RUNS
            messages.append(f"showing the {MAX_DEFAULT_RUNS} most recent of {n_top} runs: "
                            "narrow with experiment=, filter= or last=")
    where = f"in experiment {experiment!r}" if experiment else "in this store"
    if filter and bad_filter is None:
        where += f" that matches the filter {filter!r}"
    frame = select_runs(frame, run_ids, last, where)
    if total == 0:
        messages.append(f"no runs in experiment {experiment!r} yet" if experiment
                        else "no runs in this store yet: track a cell with %%track or "
                             "mj.start_run(...)")
    source = StoreRunSource(get_store())
    title_where = f" in {experiment}" if experiment else ""
    comparison = build_comparison(
        frame, metric=metric, filter=bad_filter, messages=messages, source=source,
        title=f"Comparison of {len(frame)} runs{title_where}",
    )
    if comparison.selected:  # the curves shown first need these; others load on selection
        comparison = comparison.with_histories(source.histories(comparison.selected))
    return comparison
