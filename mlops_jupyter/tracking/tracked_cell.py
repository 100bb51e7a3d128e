"""One notebook cell recorded as one run: the logic behind ``%%track``, usable without it.

    with TrackedCell(shell, source, options, store=store) as cell:
        result = shell.run_cell(source)
        cell.finish(result.error_in_exec)

Capture failures never break the user's cell: they become warnings on the run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import StoreError
from ..formatting import format_number
from ..rendering import HtmlReport
from . import active
from .autolog import FitCapture, add_once, record_fit
from .cell_analysis import cell_names, literal_assignments, looks_like_metric
from .code_slice import CellExecution, compute_code_slice
from .notebook import executing_cell, notebook_path
from .run import FINISHED, Run, add_note, outcome
from .values import as_number, normalize_params

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class TrackOptions:
    name: str | None = None
    experiment: str = "default"
    tags: dict[str, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # variables to log as params
    metrics: list[str] = field(default_factory=list)  # variables to log as metrics
    snapshot: list[str] = field(default_factory=list)  # DataFrames to snapshot
    autolog: bool = True


@dataclass
class TrackSummary(HtmlReport):
    """What a tracked cell recorded (shown after the cell: one line, HTML or text)."""

    _html_renderer: ClassVar[str] = "mlops_jupyter.views.run_view:track_summary_html"

    run_id: str
    name: str
    status: str
    duration: float
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    children: int = 0
    warnings: list[str] = field(default_factory=list)

    SHOWN_METRICS: ClassVar[int] = 6  # the summary line names the first few metrics only

    def details(self) -> list[str]:
        """What the run holds, after its name and status: ``["2 params", "metrics acc=0.9"...]``."""
        metrics = ", ".join(f"{k}={format_number(v)}"
                            for k, v in list(self.metrics.items())[: self.SHOWN_METRICS])
        parts = [f"{len(self.params)} params"]
        if metrics:
            parts.append(f"metrics {metrics}")
        if self.models:
            parts.append(f"models {', '.join(self.models)}")
        if self.snapshots:
            parts.append(f"snapshots {', '.join(self.snapshots)}")
        if self.children:
            parts.append(f"{self.children} child runs")
        return parts

    def text(self) -> str:
        head = f"run {self.run_id[:8]} '{self.name}' {self.status} in {self.duration:.2f}s"
        line = "mlops: " + " | ".join([head, *self.details()])
        for warning in self.warnings:
            line += f"\n  warning: {warning}"
        return line

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": self.text()}

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())


class _Tee:
    """Forwards writes to the real stream and keeps a bounded copy for the run's log."""

    LIMIT = 1_000_000  # characters kept; a cell printing more keeps its first megabyte

    def __init__(self, stream: Any):
        self._stream = stream
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < self.LIMIT and isinstance(text, str):
            self.parts.append(text[: self.LIMIT - self.size])
            self.size += len(self.parts[-1])
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding...
        return getattr(self._stream, name)


class TrackedCell:
    def __init__(self, shell: Any, source: str, options: TrackOptions, *, store: Store,
                 history: list[CellExecution] | None = None):
        self.shell = shell
        self.source = source
        self.options = options
        self.history = history or []
        self.store = store  # handed in (the magic passes the API's store): no upward import
        self.run: Run | None = None
        self.summary: TrackSummary | None = None
        self._capture: FitCapture | None = None
        self._warnings: list[str] = []
        self.end_error: StoreError | None = None  # the run could not be recorded as ended

    def __enter__(self) -> TrackedCell:
        from .run import start_run

        python_source = self.source
        try:
            python_source = self.shell.transform_cell(self.source)
        except Exception:  # noqa: BLE001
            pass
        self._python_source = python_source
        code_slice = compute_code_slice(python_source, self.history)
        self._warnings.extend(code_slice.warnings)
        # The %%track cell is executing: its In[n] and cell id. (The shell's own counter is
        # already the next cell's while a cell runs, in IPython 9.)
        cell = executing_cell(self.shell)
        source = {
            "notebook_path": notebook_path(self.shell),
            "cell_id": cell.cell_id if cell is not None else None,
            "execution_count": cell.execution_count if cell is not None else None,
            "cell_source": self.source,
            "code_slice": code_slice.to_dict(),
        }
        self.run = start_run(self.store, name=self.options.name,
                             experiment=self.options.experiment, tags=self.options.tags,
                             source=source)
        try:
            if self.options.autolog:
                if "sklearn" in python_source:
                    try:
                        import sklearn.base  # noqa: F401 - fits of classes imported in the cell
                    except ImportError:
                        pass
                self._capture = FitCapture().__enter__()
            import sys

            self._streams = (sys.stdout, sys.stderr)
            self._tees = (_Tee(sys.stdout), _Tee(sys.stderr))
            sys.stdout, sys.stderr = self._tees
        except BaseException as exc:
            # __exit__ is not called when __enter__ fails: undo here, or the run stays active.
            self._stop_capture()
            status, text = outcome(exc)
            try:
                self.run.end(status, error=text)
            except Exception as store_error:  # noqa: BLE001
                add_note(exc, str(store_error))
            raise
        self._t0 = time.perf_counter()
        return self

    def _stop_capture(self) -> None:
        if self._capture is not None:
            self._capture.__exit__(None, None, None)  # idempotent; its fits stay readable

    def _restore_streams(self) -> str:
        import sys

        if getattr(self, "_streams", None) is None:
            return ""
        # Only put back what we replaced: the cell may have redirected streams itself.
        if sys.stdout is self._tees[0]:
            sys.stdout = self._streams[0]
        if sys.stderr is self._tees[1]:
            sys.stderr = self._streams[1]
        self._streams = None
        out, err = ("".join(t.parts) for t in self._tees)
        return out + (f"\n--- stderr ---\n{err}" if err else "")

    def finish(self, error: BaseException | None) -> TrackSummary:
        """Record what the cell did; ``error`` is ``result.error_in_exec``."""
        assert self.run is not None
        output = self._restore_streams()
        run = self.run
        try:
            self._stop_capture()
        except Exception as exc:  # noqa: BLE001
            self._warnings.append(f"could not undo the capture of fits: {exc}")
        if output.strip():
            try:
                run.log_artifact(output.encode("utf-8", "replace"), "output.txt", kind="log")
            except Exception as exc:  # noqa: BLE001
                self._warnings.append(f"could not store the cell output: {exc}")
        summary = TrackSummary(run.id, run.name, FINISHED, time.perf_counter() - self._t0)
        try:
            self._record(summary)
        except Exception as exc:  # noqa: BLE001 - never break the user's session
            self._warnings.append(f"capture failed: {type(exc).__name__}: {exc}")
        for message in self._warnings:
            run.warn(message)
        summary.warnings = list(self._warnings)
        status, text = outcome(error)
        try:
            run.end(status, error=text)
        except StoreError as exc:
            # The run is no longer active; the magic shows this next to the user's own error.
            self.end_error = exc
            summary.warnings.append(str(exc))
        summary.status = run.status  # RUNNING if the store could not record the end
        summary.duration = time.perf_counter() - self._t0
        self.summary = summary
        return summary

    def __exit__(self, exc_type, exc, tb) -> None:
        self._restore_streams()
        self._stop_capture()
        # An exception here comes from our own code path (run_cell catches the cell's own).
        if self.run is not None and self.summary is None:
            self.finish(exc)
        if self.run is not None:
            active.pop(self.run)

    # -- what the cell produced ------------------------------------------------------------
    def _record(self, summary: TrackSummary) -> None:
        run = self.run
        assert run is not None
        user_ns = self.shell.user_ns
        options = self.options
        names = cell_names(self._python_source)
        assigned = set(names.assigned) if names else set()

        params: dict[str, Any] = {}
        metrics: dict[str, float] = {}
        for key, value in literal_assignments(self._python_source).items():
            number = as_number(value)
            if looks_like_metric(key) and number is not None:
                continue  # `accuracy = 0.9` is a result, not a setting
            params[key] = value
        for key in options.params:
            if key not in user_ns:
                self._warnings.append(f"--params {key}: no such variable after the cell")
            else:
                params[key] = user_ns[key]
        for key in sorted(assigned | set(options.metrics)):
            if key not in user_ns:
                if key in options.metrics:
                    self._warnings.append(f"--metrics {key}: no such variable after the cell")
                continue
            number = as_number(user_ns[key])
            if key in options.metrics:
                if number is None:
                    self._warnings.append(f"--metrics {key}: {type(user_ns[key]).__name__} is not a number")
                    continue
                metrics[key] = number
            elif number is not None and looks_like_metric(key) and math.isfinite(number):
                metrics[key] = number

        fits = self._capture.fitted() if self._capture is not None else []
        for call in fits:
            self._record_fit(call, params, metrics, summary, multiple=len(fits) > 1)

        for key in options.snapshot:
            frame = user_ns.get(key)
            if frame is None:
                self._warnings.append(f"--snapshot {key}: no such variable after the cell")
                continue
            snap = run.log_input(frame, key, role="input")
            add_once(summary.snapshots, f"{snap.name}@v{snap.version}")

        if params:
            # Capture never fails the cell: a value that cannot be stored is left out, with
            # a warning on the run (an explicit run.log_params raises instead).
            stored = normalize_params(params, skipped=self._warnings)
            run.store.log_params(run.id, stored)
            params = {k: v for k, v in params.items() if k in stored}
        if metrics:
            run.log_metrics(metrics)
        summary.params = params
        summary.metrics = {**metrics, **summary.metrics}

    def _record_fit(self, call, params, metrics, summary: TrackSummary, multiple: bool) -> None:
        assert self.run is not None
        summary.children += record_fit(self.run, call, self.shell.user_ns, params, metrics,
                                       summary.models, summary.snapshots, multiple=multiple)
