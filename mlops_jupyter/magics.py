"""IPython magics: parse arguments, call the API, display a view.

``%load_ext mlops_jupyter`` registers ``%%track``, ``%runs``, ``%drift`` and ``%explain``.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .tracking.code_slice import CellExecution


def _shell_unquoted(value: str | None) -> str | None:
    """``value`` without the one pair of quotes a shell would take off.

    ``parse_argstring`` splits the line like a shell but keeps the quotes (IPython's
    ``arg_split`` runs shlex in non-POSIX mode), so ``-f "params.model == 'rf'"`` arrives
    with its double quotes. Only a value quoted as a whole is unquoted, by shlex itself,
    so the quotes inside a filter (``params.model=='rf'``) are never touched.
    """
    if value is None or len(value) < 2 or value[0] != value[-1] or value[0] not in "'\"":
        return value
    import shlex

    try:
        parts = shlex.split(value)
    except ValueError:
        return value
    return parts[0] if len(parts) == 1 else value


def _split_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        value = _shell_unquoted(value) or ""
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


class CellHistory:
    """Every executed cell with its front-end cell id, for code slices.

    Filled by a ``pre_run_cell`` hook; cells run before the extension was loaded come
    from IPython's own history (without cell ids).
    """

    def __init__(self, shell: Any):
        self.shell = shell
        self.entries: list[CellExecution] = []
        self.inside_tracked_cell = False
        parsed = list(getattr(shell.history_manager, "input_hist_parsed", []) or [])
        for count, source in enumerate(parsed):
            if count and source:
                self.entries.append(CellExecution(count, source, None))

    def pre_run_cell(self, info: Any) -> None:
        try:
            if self.inside_tracked_cell:
                return  # the nested run of a %%track body: recorded with its own cell
            raw = info.raw_cell or ""
            body = raw
            lines = raw.lstrip().splitlines()
            if lines and lines[0].startswith("%%track"):
                body = "\n".join(lines[1:])
            source = self.shell.transform_cell(body)
            self.entries.append(
                CellExecution(self.shell.execution_count, source, getattr(info, "cell_id", None))
            )
        except Exception:  # noqa: BLE001 - a history hook must never break a cell
            pass


@magics_class
class TrackingMagics(Magics):
    def __init__(self, shell: Any, history: CellHistory):
        super().__init__(shell)
        self.history = history

    @magic_arguments()
    @argument("name", nargs="?", default=None, help="run name (default: run-<id>)")
    @argument("-e", "--experiment", default="default", help="experiment name")
    @argument("--tag", action="append", default=[], metavar="K=V", help="tag, repeatable")
    @argument("--params", action="append", help="variables to log as params: a,b")
    @argument("--metrics", action="append", help="variables to log as metrics: a,b")
    @argument("--snapshot", action="append", help="DataFrames to snapshot: df1,df2")
    @argument("--no-autolog", action="store_true", help="do not capture scikit-learn fits")
    @argument("-q", "--quiet", action="store_true", help="do not show the summary line")
    @cell_magic
    def track(self, line: str, cell: str) -> None:
        """Run the cell and record it as one run.

        Records the cell source, notebook path, cell id, execution count, code slice,
        duration, status (traceback on failure), literal assignments and estimator params,
        metric-like numbers, fitted models (skops) with their training data snapshot,
        imported package versions and git state. The cell behaves exactly as untracked.
        """
        from . import api
        from .tracking.run import add_note
        from .tracking.tracked_cell import TrackedCell, TrackOptions

        args = parse_argstring(self.track, line)
        tags = {}
        for item in args.tag:
            key, sep, value = (_shell_unquoted(item) or "").partition("=")
            if not sep:
                raise ValueError(f"--tag {item!r}: write tags as key=value")
            tags[key.strip()] = value.strip()
        options = TrackOptions(
            name=_shell_unquoted(args.name), experiment=_shell_unquoted(args.experiment),
            tags=tags,
            params=_split_list(args.params), metrics=_split_list(args.metrics),
            snapshot=_split_list(args.snapshot), autolog=not args.no_autolog,
        )
        history = list(self.history.entries[:-1])  # everything before this cell
        tracked = TrackedCell(self.shell, cell, options, store=api.get_store(), history=history)
        with tracked:
            self.history.inside_tracked_cell = True
            try:
                result = self.shell.run_cell(cell, store_history=False)
            finally:
                self.history.inside_tracked_cell = False
            summary = tracked.finish(result.error_in_exec)
        if not args.quiet:
            from IPython.display import display

            display(summary)
        error = result.error_in_exec
        if error is not None:
            if tracked.end_error is not None:
                add_note(error, str(tracked.end_error))
            # The cell's traceback was already shown by run_cell; re-raise the same exception
            # (so Run All stops and %debug sees it) without printing it a second time.
            _suppress_next_traceback(error)
            raise error
        if tracked.end_error is not None:
            raise tracked.end_error  # the cell ran, but its run is not recorded: say so

    @magic_arguments()
    @argument("-e", "--experiment", default=None, help="only this experiment")
    @argument("-f", "--filter", default=None,
              help="MLflow search syntax, e.g. \"params.model = 'rf' and metrics.acc > 0.9\"")
    @argument("-o", "--order-by", default=None, help="e.g. \"metrics.`f1 score` DESC\"")
    @argument("-n", "--limit", type=int, default=None, help="at most N runs")
    @line_magic
    def runs(self, line: str):
        """Show the runs table; returns the runs DataFrame (``df = %runs``)."""
        from . import api
        from .tracking.runs_frame import RunsFrame

        args = parse_argstring(self.runs, line)
        return RunsFrame(api.runs(experiment=_shell_unquoted(args.experiment),
                                  filter=_shell_unquoted(args.filter),
                                  order_by=_shell_unquoted(args.order_by), limit=args.limit))

    @magic_arguments()
    @argument("run_ids", nargs="*", help="runs to compare (unique id prefixes)")
    @argument("-e", "--experiment", default=None, help="runs of this experiment")
    @argument("--last", type=int, default=None, help="the N most recent runs")
    @argument("--metric", default=None, help="metric to compare on")
    @argument("-f", "--filter", default=None, help="filter, as for %%runs")
    @line_magic
    def compare(self, line: str):
        """Interactive comparison of runs: table, parallel coordinates, curves, diff."""
        from . import api

        args = parse_argstring(self.compare, line)
        return api.compare(args.run_ids or None, experiment=_shell_unquoted(args.experiment),
                           last=args.last, metric=_shell_unquoted(args.metric),
                           filter=_shell_unquoted(args.filter))

    @magic_arguments()
    @argument("reference", help="reference: a variable, snapshot name/id or run id")
    @argument("current", help="current: a variable or snapshot name/id")
    @argument("--columns", action="append", help="columns to test: a,b")
    @argument("--method", default="auto", help="auto, ks, chisquare, wasserstein, jensenshannon, psi")
    @argument("--threshold", type=float, default=None)
    @argument("--correction", default=None, help="bonferroni or bh")
    @line_magic
    def drift(self, line: str):
        """Drift of CURRENT against REFERENCE, column by column."""
        from . import api

        args = parse_argstring(self.drift, line)
        return api.drift(
            self._resolve(args.reference), self._resolve(args.current),
            columns=_split_list(args.columns) or None, method=args.method,
            threshold=args.threshold, correction=args.correction,
        )

    @magic_arguments()
    @argument("model", help="a fitted model variable or a run id")
    @argument("X", nargs="?", default=None, help="the data to explain (variable or snapshot)")
    @argument("--row", type=int, default=None, help="index label of the row to show in the waterfall")
    @argument("--max-rows", type=int, default=1000, help="explain at most N rows (sampled)")
    @line_magic
    def explain(self, line: str):
        """SHAP explanation of MODEL on X."""
        from . import api

        args = parse_argstring(self.explain, line)
        X = self._resolve(args.X) if args.X is not None else None
        keep = [args.row] if args.row is not None else None
        explanation = api.explain(self._resolve(args.model), X, max_rows=args.max_rows,
                                  keep_rows=keep)
        if args.row is not None:
            from .views.explain_view import display_explanation

            # --row is an index label of X; the view counts positions among explained rows.
            display_explanation(explanation, row=explanation.position_of(args.row))
            return None
        return explanation

    def _resolve(self, name: str) -> Any:
        """A user variable if one has that name, else the string (a snapshot or run id)."""
        return self.shell.user_ns.get(name, name)


def _suppress_next_traceback(error: BaseException) -> None:
    def render_once() -> list[str]:
        try:
            del error._render_traceback_  # type: ignore[attr-defined]
        except AttributeError:
            pass
        return []

    try:
        error._render_traceback_ = render_once  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # exceptions with __slots__: shown twice, still correct
        pass


_state: dict[int, CellHistory] = {}


def load_ipython_extension(shell: Any) -> None:
    from .views import register_formatters

    if id(shell) in _state:
        return
    history = CellHistory(shell)
    _state[id(shell)] = history
    shell.events.register("pre_run_cell", history.pre_run_cell)
    shell.register_magics(TrackingMagics(shell, history))
    register_formatters(shell)


def unload_ipython_extension(shell: Any) -> None:
    history = _state.pop(id(shell), None)
    if history is not None:
        shell.events.unregister("pre_run_cell", history.pre_run_cell)
