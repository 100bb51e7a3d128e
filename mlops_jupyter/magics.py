"""IPython magics: parse arguments, call the API, display a view.

``%load_ext mlops_jupyter`` registers ``%%track``, ``%runs``, ``%compare``, ``%drift``,
``%explain``, the registry's ``%register``, ``%promote`` and ``%models``, and ``%export``.

What the user typed wrong is one line, never a traceback into this package: a bad option or
value, a name that is neither a variable nor in the store, and the errors the API raises on
purpose (``MlopsError``, and the ``ValueError`` the analysis layer raises about an argument)
become IPython's ``UsageError``. In ``%%track`` the cell's own exception is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .errors import MlopsError
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


def _raised_here(error: BaseException) -> bool:
    """Whether ``error`` was raised by this package's own code (a check of an argument), not
    by a library or the user's code underneath it (which keeps its traceback)."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "")
    return module == "mlops_jupyter" or module.startswith("mlops_jupyter.")


@contextmanager
def _one_line_errors(magic: str) -> Iterator[None]:
    """Errors about what the user typed become a ``UsageError`` naming the magic."""
    try:
        yield
    except UsageError:
        raise
    except MlopsError as exc:
        raise UsageError(f"{magic}: {exc}") from exc
    except ValueError as exc:
        if not _raised_here(exc):
            raise
        raise UsageError(f"{magic}: {exc}") from exc


def _pairs(option: str, text: str) -> dict[str, str]:
    """``a=1,b=2`` as ``{"a": "1", "b": "2"}``; a malformed pair is a UsageError."""
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{option} {text!r}: write NAME=VALUE pairs separated by commas")
        out[key.strip()] = value.strip()
    return out


def _float(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{option}: expected a number, got {text!r}") from None


def _positive_int(option: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{option}: expected a positive whole number, got {text!r}")
    return value


class CellHistory:
    """Every executed cell with its front-end cell id, for code slices.

    Filled by a ``pre_run_cell`` hook; cells run before the extension was loaded come
    from IPython's own history (without cell ids).
    """

    def __init__(self, shell: Any):
        self.shell = shell
        self.entries: list[CellExecution] = []
        self.inside_tracked_cell = False
        self._pending: dict[int, CellExecution] = {}
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
            # The count is set from the result after the cell: IPython 9 advances the shell's
            # counter before this hook runs, IPython 8 after the cell.
            entry = CellExecution(self.shell.execution_count, source,
                                  getattr(info, "cell_id", None))
            self.entries.append(entry)
            self._pending[id(info)] = entry  # keyed by the run: cells may run nested cells
        except Exception:  # noqa: BLE001 - a history hook must never break a cell
            pass

    def post_run_cell(self, result: Any) -> None:
        entry = self._pending.pop(id(getattr(result, "info", None)), None)
        count = getattr(result, "execution_count", None)
        if entry is None or not isinstance(count, int):
            return
        for i in range(len(self.entries) - 1, -1, -1):
            if self.entries[i] is entry:
                self.entries[i] = replace(entry, execution_count=count)
                break


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
        imported package versions and git state. The cell behaves exactly as untracked:
        its own exception propagates unchanged.
        """
        from . import api
        from .tracking.run import add_note
        from .tracking.tracked_cell import TrackedCell, TrackOptions

        args = parse_argstring(self.track, line)
        tags = {}
        for item in args.tag:
            key, sep, value = (_shell_unquoted(item) or "").partition("=")
            if not sep or not key.strip():
                raise UsageError(f"%%track --tag {item}: write tags as key=value")
            tags[key.strip()] = value.strip()
        options = TrackOptions(
            name=_shell_unquoted(args.name), experiment=_shell_unquoted(args.experiment),
            tags=tags,
            params=_split_list(args.params), metrics=_split_list(args.metrics),
            snapshot=_split_list(args.snapshot), autolog=not args.no_autolog,
        )
        history = list(self.history.entries[:-1])  # everything before this cell
        # run_cell never raises the cell's exception: what this block raises is ours (a name
        # start_run refuses, a store that cannot be opened).
        with _one_line_errors("%%track"):
            tracked = TrackedCell(self.shell, cell, options, store=api.get_store(),
                                  history=history)
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
            # The cell ran, but its run is not recorded: say so, in one line.
            _show_in_one_line(tracked.end_error)
            raise tracked.end_error

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
        with _one_line_errors("%runs"):
            return RunsFrame(api.runs(experiment=_shell_unquoted(args.experiment),
                                      filter=_shell_unquoted(args.filter),
                                      order_by=_shell_unquoted(args.order_by), limit=args.limit))

    @magic_arguments()
    @argument("run_id", help="the run whose model is registered (id or unique prefix)")
    @argument("name", help="the registered model's name")
    @argument("--model", default=None, help="the run's model artifact, if it saved several")
    @argument("-d", "--description", default=None, help="intended use (shown in the model card)")
    @line_magic
    def register(self, line: str):
        """Register a run's model as the next version of NAME; returns the ModelVersion."""
        from . import api

        args = parse_argstring(self.register, line)
        with _one_line_errors("%register"):
            return api.register(_shell_unquoted(args.run_id) or "", _shell_unquoted(args.name) or "",
                                model=_shell_unquoted(args.model),
                                description=_shell_unquoted(args.description))

    @magic_arguments()
    @argument("name", help="the registered model")
    @argument("version", help="the version to move")
    @argument("stage", help="None, Staging, Production or Archived")
    @argument("--keep-existing", action="store_true",
              help="promoting to Production does not archive the current Production version")
    @line_magic
    def promote(self, line: str):
        """Move NAME's VERSION to STAGE; returns the ModelVersion."""
        from . import api

        args = parse_argstring(self.promote, line)
        try:
            version = int(args.version)
        except ValueError:
            raise UsageError(f"%promote: the version must be a whole number, got "
                             f"{args.version!r}") from None
        stage = _shell_unquoted(args.stage)
        with _one_line_errors("%promote"):
            return api.promote(_shell_unquoted(args.name) or "", version,
                               None if stage in (None, "None", "none") else stage,
                               archive_existing=not args.keep_existing)

    @magic_arguments()
    @argument("name", nargs="?", default=None, help="list this model's versions")
    @line_magic
    def models(self, line: str):
        """Registered models (or, with NAME, its versions) as a DataFrame."""
        from . import api

        args = parse_argstring(self.models, line)
        with _one_line_errors("%models"):
            if args.name:
                return api.model_versions(_shell_unquoted(args.name) or "")
            return api.models()

    @magic_arguments()
    @argument("ref", help="a run id, NAME/VERSION, NAME@STAGE or NAME@ALIAS")
    @argument("--out", default=None, help="the package folder (default ./exports/NAME-vVERSION)")
    @line_magic
    def export(self, line: str):
        """Write a deployable package of a model (folder + .tar.gz); returns its Path."""
        from . import api

        args = parse_argstring(self.export, line)
        with _one_line_errors("%export"):
            folder = api.export(_shell_unquoted(args.ref) or "", _shell_unquoted(args.out))
        print(f"exported to {folder}; serve it: python {folder / 'serve.py'} --port 8000")
        return folder

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
        with _one_line_errors("%compare"):
            return api.compare(args.run_ids or None, experiment=_shell_unquoted(args.experiment),
                               last=args.last, metric=_shell_unquoted(args.metric),
                               filter=_shell_unquoted(args.filter))

    @magic_arguments()
    @argument("reference",
              help="reference: a DataFrame variable, a snapshot name/id, or a run id (its "
                   "training data)")
    @argument("current", help="current: a DataFrame variable or a snapshot name/id")
    @argument("--columns", action="append", help="columns to test: a,b (default: all shared)")
    @argument("--categorical", action="append",
              help="columns to compare as categories whatever their dtype: a,b")
    @argument("--method", default="auto",
              help="auto, ks, chisquare, wasserstein, jensenshannon or psi; or per column: "
                   "age=ks,city=chisquare")
    @argument("--threshold", default=None,
              help="a number for every column's deciding test, or per column/method: "
                   "ks=0.01,age=0.2")
    @argument("--correction", default=None, help="bonferroni or bh (Benjamini-Hochberg)")
    @argument("--max-rows", "--sample", dest="sample", default=None, metavar="N[,SEED]",
              help="compare at most N rows per frame (sampled with SEED, default 0); as mj.drift(max_rows=)")
    @argument("--alert", default=None,
              help="when a column drifts: 'log', an http(s) webhook URL, or a variable holding "
                   "a callable")
    @line_magic
    def drift(self, line: str):
        """Drift of CURRENT against REFERENCE, column by column; returns the DriftReport."""
        from . import api

        args = parse_argstring(self.drift, line)
        method: str | dict[str, str] = _shell_unquoted(args.method) or "auto"
        if "=" in method:
            method = _pairs("--method", method)
        threshold: float | dict[str, float] | None = None
        if args.threshold is not None:
            text = _shell_unquoted(args.threshold) or ""
            threshold = ({k: _float("--threshold", v) for k, v in _pairs("--threshold", text).items()}
                         if "=" in text else _float("--threshold", text))
        sample: int | tuple[int, int] | None = None
        if args.sample is not None:
            n, _, seed = (_shell_unquoted(args.sample) or "").partition(",")
            sample = _positive_int("--sample", n)
            if seed:
                try:
                    sample = (sample, int(seed))
                except ValueError:
                    raise UsageError(f"--sample {args.sample}: the seed must be a whole number") \
                        from None
        with _one_line_errors("%drift"):
            return api.drift(
                self._frame("%drift", args.reference), self._frame("%drift", args.current),
                columns=_split_list(args.columns) or None,
                categorical=_split_list(args.categorical) or None, method=method,
                threshold=threshold, correction=_shell_unquoted(args.correction),
                max_rows=sample, alert=self._alert(args.alert),
            )

    @magic_arguments()
    @argument("model", help="a fitted model variable or a run id")
    @argument("X", nargs="?", default=None,
              help="the data to explain: a DataFrame variable or a snapshot name/id (default, "
                   "for a run id: its training data)")
    @argument("--row", default=None,
              help="index label of a row of X: show its waterfall (it is always explained)")
    @argument("--max-rows", type=int, default=1000, help="explain at most N rows (sampled)")
    @argument("--target", default=None,
              help="multi-output regressor: the target to show (position or name)")
    @argument("--class-index", type=int, default=None,
              help="classifier: the class to explain (its position in model.classes_)")
    @line_magic
    def explain(self, line: str):
        """SHAP explanation of MODEL on X; returns the Explanation.

        With ``--row`` the view opens on that row's waterfall (``expl = %explain model X
        --row 17`` shows it and keeps the explanation).
        """
        from . import api

        args = parse_argstring(self.explain, line)
        target: int | str | None = _shell_unquoted(args.target)
        if target is not None and target.lstrip("-").isdigit():
            target = int(target)
        with _one_line_errors("%explain"):
            model = self._value(args.model)
            X = self._frame("%explain", args.X) if args.X is not None else None
            if isinstance(X, str):  # the name or id of a snapshot, as the help says
                X = api.load_snapshot(X)
            row = self._row_label(args.row, X, args.X) if args.row is not None else None
            explanation = api.explain(model, X, max_rows=args.max_rows,
                                      keep_rows=None if args.row is None else [row],
                                      class_index=args.class_index, target=target)
            position = explanation.position_of(row) if args.row is not None else None
        if position is not None:
            from .views.explain_view import display_explanation

            # --row is an index label of X; the view counts positions among explained rows.
            display_explanation(explanation, row=position)
            _shown_already(self.shell, explanation)
        return explanation

    # -- what a name on the line means ---------------------------------------------------------
    def _value(self, name: str) -> Any:
        """A user variable if one has that name, else the name itself (a store reference)."""
        name = _shell_unquoted(name) or ""
        return self.shell.user_ns.get(name, name)

    def _frame(self, magic: str, name: str) -> Any:
        """A DataFrame variable, or the name of a snapshot/run for the API to look up."""
        value = self._value(name)
        if isinstance(value, str):
            return value
        import pandas as pd

        if not isinstance(value, (pd.DataFrame, pd.Series)):
            raise UsageError(f"{magic}: {name} is a {type(value).__name__}, not a DataFrame "
                             "(or the name of a snapshot or run)")
        return value

    def _row_label(self, text: str, X: Any, name: str | None) -> Any:
        """``--row`` as an index label of ``X``: as typed if ``X`` has it, else as a number."""
        text = _shell_unquoted(text) or ""
        index = getattr(X, "index", None)
        if index is not None and text in index:
            return text
        try:
            label: Any = int(text)
        except ValueError:
            label = text
        if index is not None and label not in index:
            raise UsageError(f"%explain --row {text}: {name} has no row with that index label")
        return label

    def _alert(self, text: str | None) -> Any:
        """``--alert``: 'log', a webhook URL, or the name of a variable holding a callable."""
        if text is None:
            return None
        text = _shell_unquoted(text) or ""
        if text == "log" or text.startswith(("http://", "https://")):
            return text
        value = self.shell.user_ns.get(text)
        if not callable(value):
            raise UsageError(f"%drift --alert {text}: expected 'log', an http(s) webhook URL or "
                             "the name of a variable holding a callable")
        return value


def _shown_already(shell: Any, obj: Any) -> None:
    """The display hook skips ``obj`` once: the magic has just shown it its own way, and
    ``%explain --row`` must both show the row and return the explanation without a second
    view below it. Keyed by ``id`` (IPython's singleton printers), so forgotten when the cell
    ends, before another object can reuse the id."""
    printers = shell.display_formatter.ipython_display_formatter.singleton_printers
    key = id(obj)

    def skip(_obj: Any) -> bool:
        printers.pop(key, None)
        return True

    def forget(*_: Any) -> None:
        printers.pop(key, None)
        shell.events.unregister("post_run_cell", forget)

    printers[key] = skip
    shell.events.register("post_run_cell", forget)


def _show_in_one_line(error: BaseException) -> None:
    """Shown as ``StoreError: message`` instead of a traceback into this package."""
    try:
        error._render_traceback_ = lambda: [  # type: ignore[attr-defined]
            f"{type(error).__name__}: {error}"]
    except (AttributeError, TypeError):
        pass


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
    shell.events.register("post_run_cell", history.post_run_cell)
    shell.register_magics(TrackingMagics(shell, history))
    register_formatters(shell)


def unload_ipython_extension(shell: Any) -> None:
    history = _state.pop(id(shell), None)
    if history is not None:
        shell.events.unregister("pre_run_cell", history.pre_run_cell)
        shell.events.unregister("post_run_cell", history.post_run_cell)
