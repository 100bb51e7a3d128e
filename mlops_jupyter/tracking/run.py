"""A run: one tracked piece of work, its params, metrics, tags, artifacts and inputs."""

from __future__ import annotations

import os
import time
import traceback
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidValueError, StoreError
from . import active, heartbeat
from .environment import GitProbe, python_environment
from .process import host_name, process_start
from .values import check_step, metric_value, normalize_params, validate_name

if TYPE_CHECKING:
    from types import FrameType

    import pandas as pd

    from ..store import Store
    from .artifact import Artifact
    from .autolog import Autolog
    from .snapshots import Snapshot

FINISHED, FAILED, KILLED, RUNNING = "FINISHED", "FAILED", "KILLED", "RUNNING"


def new_run_id() -> str:
    return uuid.uuid4().hex


class Run:
    """A live run. Use as a context manager (``with mj.start_run() as run:``).

    Leaving the block normally ends it FINISHED; an exception ends it FAILED with the
    traceback (the exception propagates unchanged); Ctrl-C ends it KILLED.

    Attributes
    ----------
    id : str
        The run's id (32 hex digits); ``mj.get_run`` takes it or a unique prefix.
    name, experiment : str
        As given to ``mj.start_run`` (``name`` defaults to ``run-<id[:8]>``).
    parent_run_id : str or None
        The id of the run this one is a child of.
    status : str
        ``RUNNING`` until it ends, then ``FINISHED``, ``FAILED`` or ``KILLED``.
    start_time, end_time : float
        Seconds since the epoch (``end_time`` is None while it runs).
    """

    def __init__(
        self,
        store: Store,
        *,
        name: str | None = None,
        experiment: str = "default",
        tags: Mapping[str, str] | None = None,
        parent: Run | str | None = None,
        source: Mapping[str, Any] | None = None,
        capture_git: bool = True,
    ):
        validate_name(experiment, "experiment")
        if name is not None:
            validate_name(name, "run")
        for key in tags or {}:
            validate_name(key, "tag")
        self.store = store
        self.id = new_run_id()
        self.name = name or f"run-{self.id[:8]}"
        self.experiment = experiment
        self.parent_run_id = parent.id if isinstance(parent, Run) else parent
        self.status = RUNNING
        self.start_time = time.time()
        self.end_time: float | None = None
        self._steps: dict[str, int] = {}
        self._warnings: list[str] = []
        self._git = GitProbe(Path.cwd()) if capture_git else None
        self._autolog: Autolog | None = None
        self.heartbeat_interval = heartbeat.interval()  # seconds; the heartbeat thread's pace
        pid = os.getpid()
        row = {
            "id": self.id, "name": self.name, "status": RUNNING, "start_time": self.start_time,
            "parent_run_id": self.parent_run_id, "pid": pid, "host": host_name(),
            "process_start": process_start(pid), "heartbeat_interval": self.heartbeat_interval,
        }
        row.update(source or {})
        store.create_run(row, experiment, tags={k: str(v) for k, v in (tags or {}).items()})

    @property
    def parent_id(self) -> str | None:
        """Deprecated: use ``parent_run_id`` (the name ``RunRecord`` and ``mj.runs()`` use)."""
        warnings.warn("Run.parent_id is deprecated: use Run.parent_run_id", DeprecationWarning,
                      stacklevel=2)
        return self.parent_run_id

    # -- logging ---------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log several params at once: all are checked first; if one is rejected, none is
        stored."""
        self.store.log_params(self.id, normalize_params(params))

    def _next_step(self, key: str, step: int | None) -> int:
        """``step`` checked, or the one after ``key``'s last; changes nothing."""
        if step is None:
            step = self._steps.get(key, -1) + 1
        return check_step(key, step)

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Log a number; without ``step`` each call for a key takes the next step (0, 1, 2...)."""
        self.log_metrics({key: value}, step=step)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log several numbers at once: all are checked first, and if one is rejected none
        is stored and no step is used up."""
        if not isinstance(metrics, Mapping):
            raise InvalidValueError(
                f"metrics must be a mapping of names to numbers; got {type(metrics).__name__}")
        now = time.time()
        rows = [(k, metric_value(k, v), self._next_step(k, step), now) for k, v in metrics.items()]
        self.store.log_metrics(self.id, rows)
        # Only a stored batch moves the automatic steps on.
        for key, _, used, _ in rows:
            self._steps[key] = max(used, self._steps.get(key, -1))

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key in tags:
            validate_name(key, "tag")
        self.store.set_tags(self.id, {k: str(v) for k, v in tags.items()})

    def warn(self, message: str) -> None:
        """Attach a warning (e.g. reproducibility) to the run; stored when it ends."""
        self._warnings.append(message)

    def log_artifact(self, path_or_bytes: str | os.PathLike[str] | bytes, name: str | None = None,
                     kind: str = "file", meta: Mapping[str, Any] | None = None) -> Artifact:
        """Store a file or bytes under ``name`` (default: the file's name); returns the
        stored :class:`~mlops_jupyter.tracking.artifact.Artifact` (``.blob_hash`` is the
        SHA-256 of the bytes, ``.read_bytes()`` reads them back)."""
        from .artifact import Artifact
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            if name is None:
                raise ValueError("log_artifact(bytes) needs a name=")
            data = bytes(path_or_bytes)
        else:
            path = Path(path_or_bytes)
            if not path.is_file():
                raise FileNotFoundError(f"log_artifact: {path} is not a file")
            data = path.read_bytes()
            name = name or path.name
        validate_name(name, "artifact")
        blob = self.store.add_artifact(self.id, name, kind, data, meta)
        return Artifact(run_id=self.id, name=name, kind=kind, blob_hash=blob.blob_hash,
                        size=blob.size, meta=dict(meta or {}), _store=self.store)

    def log_model(self, estimator: Any, name: str = "model", X_example: Any = None) -> Artifact:
        """Save a fitted estimator with skops, with the input schema of ``X_example``;
        returns the model :class:`~mlops_jupyter.tracking.artifact.Artifact` (``.load()``
        loads it back)."""
        from .models import log_model

        return log_model(self, estimator, name, X_example)

    def log_input(self, frame: pd.DataFrame | pd.Series, name: str,
                  role: str = "train") -> Snapshot:
        """Snapshot ``frame`` under ``name`` and link it to this run as ``role``
        (``"train"``, ``"test"``, ``"reference"``, ``"current"``...; the default is the
        role ``mj.drift(run_id, ...)`` and ``mj.explain(run_id)`` read)."""
        from .snapshots import take_snapshot

        snap = take_snapshot(self.store, frame, name)
        self.store.link_input(self.id, snap.id, role)
        return snap

    # -- lifecycle -------------------------------------------------------------------------
    def end(self, status: str = FINISHED, error: str | None = None) -> None:
        """Record the run as ended with ``status`` (and the traceback ``error``).

        The run stops being the active run whatever happens. If the store cannot record the
        end, a :class:`StoreError` says so and the run stays RUNNING, in memory as in the
        store, so ``end()`` may be called again once the store is writable.
        """
        if self.status != RUNNING:
            return
        if self._autolog is not None:
            autolog, self._autolog = self._autolog, None
            try:
                self._warnings.extend(autolog.finish(self))
            except Exception as exc:  # noqa: BLE001 - capture never fails the run's code
                autolog.stop()
                self._warnings.append(f"autolog failed: {type(exc).__name__}: {exc}")
        end_time = time.time()
        try:
            self._store_end(status, end_time, error)
        except Exception as exc:
            raise StoreError(
                f"run {self.name!r} ({self.id[:8]}) could not be marked {status} in the store: "
                f"{type(exc).__name__}: {exc}. The store still shows it RUNNING and it is no "
                "longer the active run; call run.end() again once the store is writable (a "
                "run left RUNNING is marked CRASHED when its heartbeat stops)."
            ) from exc
        finally:
            active.pop(self)
        self.status = status
        self.end_time = end_time

    def _store_end(self, status: str, end_time: float, error: str | None) -> None:
        try:
            fields: dict[str, Any] = {"status": status, "end_time": end_time,
                                      "environment": python_environment()}
            if error is not None:
                fields["error"] = error
            if self._warnings:
                fields["warnings"] = self._warnings
            if self._git is not None:
                fields["git_commit"], fields["git_dirty"] = self._git.result()
            self.store.update_run(self.id, **fields)
        except Exception as exc:  # noqa: BLE001 - retried below with the essentials
            # The status matters most: store it without what may have made the write fail
            # (text the database refuses, an environment or git probe that broke).
            note = ("the run's environment and git state were not stored: "
                    f"{type(exc).__name__}: {exc}")
            minimal: dict[str, Any] = {
                "status": status, "end_time": end_time,
                "warnings": [_storable_text(w) for w in [*self._warnings, note]],
            }
            if error is not None:
                minimal["error"] = _storable_text(error)
            self.store.update_run(self.id, **minimal)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.end(FINISHED)  # nothing else went wrong: a failure to record it is the error
            return
        status, text = outcome(exc)
        try:
            self.end(status, error=text)
        except Exception as store_error:  # noqa: BLE001 - the user's exception goes on unchanged
            add_note(exc, str(store_error))

    def __repr__(self) -> str:
        return f"<Run {self.id[:8]} {self.name!r} {self.status}>"


def outcome(error: BaseException | None) -> tuple[str, str | None]:
    """The status and error text of a run that ended with ``error`` (None: it did not fail)."""
    if error is None:
        return FINISHED, None
    if isinstance(error, KeyboardInterrupt):
        return KILLED, "KeyboardInterrupt"
    return FAILED, "".join(traceback.format_exception(type(error), error, error.__traceback__))


def add_note(error: BaseException, note: str) -> None:
    """Attach ``note`` to the user's exception (shown under its traceback), or warn on 3.10."""
    try:
        error.add_note(note)  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        warnings.warn(note, RuntimeWarning, stacklevel=3)


def _storable_text(text: str) -> str:
    # Lone surrogates (SQLite cannot encode them) and NUL (PostgreSQL refuses it) as escapes.
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def start_run(store: Store, *, name: str | None = None, experiment: str = "default",
              tags: Mapping[str, str] | None = None, parent: Run | str | None = None,
              source: Mapping[str, Any] | None = None, autolog: bool = False,
              caller: FrameType | None = None) -> Run:
    """Create a run and make it the active one; a run started inside another is its child.

    With ``autolog``, scikit-learn fits on this thread are captured until the run ends and
    recorded then (:class:`~mlops_jupyter.tracking.autolog.Autolog`), models and data named
    after the variables of ``caller``, the frame of the code that started the run.
    """
    from . import exit_status

    exit_status.install()  # a run left open ends with the script's outcome, not FINISHED
    if parent is None:
        parent = active.current()
    run = Run(store, name=name, experiment=experiment, tags=tags, parent=parent, source=source)
    if autolog:
        from .autolog import Autolog

        run._autolog = Autolog(caller)
    active.push(run)
    heartbeat.ensure_running()  # beats for every open run of this process
    return run
