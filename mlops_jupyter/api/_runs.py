"""Runs: start one, log to the active one, list them, read one back, load its model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..tracking import active
from ..tracking.run import Run
from ._checks import check_count, check_str, invalid
from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..tracking.artifact import Artifact
    from ..tracking.records import RunRecord


def start_run(name: str | None = None, experiment: str = "default",
              tags: Mapping[str, str] | None = None, *, parent: Run | str | None = None,
              autolog: bool = False) -> Run:
    """Start a run and make it the active one; use it as a context manager.

    Leaving the ``with`` block ends the run FINISHED; an exception ends it FAILED with the
    traceback (the exception propagates unchanged); Ctrl-C ends it KILLED. Without ``with``,
    end it with :func:`end_run` (a run a script leaves open ends with the script's outcome).

    Parameters
    ----------
    name : str, optional
        The run's name (default ``run-<first 8 characters of its id>``).
    experiment : str, default "default"
        The experiment the run belongs to (created on first use).
    tags : mapping of str to str, optional
        Tags set when the run is created.
    parent : Run or str, optional
        The parent run (a Run or a run id); default: the active run, if any.
    autolog : bool, default False
        Capture scikit-learn fits until the run ends, as ``%%track`` does: each fitted
        estimator is saved as a model (skops, with its input schema), its ``get_params()``
        are logged as params, and its training data is snapshotted and linked to the run
        as the ``train`` input (``train_target`` for ``y``); a search's candidates become
        child runs. Models and data are named after the variables holding them when the
        run ends (else the class name, ``<model>.X``).

    Returns
    -------
    Run
        The live run: ``run.id``, ``run.log_metric(...)``, ``run.log_model(...)``...

    Raises
    ------
    InvalidValueError
        ``tags`` is not a mapping or ``parent`` is neither a Run nor a run id.
    InvalidNameError
        The name, experiment or a tag name is not allowed.

    Examples
    --------
    >>> with mj.start_run("baseline", experiment="churn") as run:  # doctest: +SKIP
    ...     run.log_param("C", 1.0)
    ...     run.log_metric("accuracy", 0.91)

    In a script, let the run record what scikit-learn fits:

    >>> with mj.start_run("rf", autolog=True):  # doctest: +SKIP
    ...     model = RandomForestClassifier().fit(X_train, y_train)
    """
    import sys

    from ..tracking.run import start_run as _start

    if tags is not None and not isinstance(tags, Mapping):
        raise invalid("tags", tags, "a mapping of tag names to values, or None")
    if parent is not None and not isinstance(parent, (Run, str)):
        raise invalid("parent", parent, "a Run, a run id (str) or None")
    if not isinstance(autolog, bool):
        raise invalid("autolog", autolog, "True or False")
    return _start(get_store(), name=name, experiment=experiment, tags=tags, parent=parent,
                  source=_current_cell_source(), autolog=autolog,
                  caller=sys._getframe(1) if autolog else None)


def end_run(status: str = "FINISHED") -> Run:
    """End the active run, for code that cannot use ``with mj.start_run(...)``.

    Parameters
    ----------
    status : {"FINISHED", "FAILED", "KILLED"}, default "FINISHED"
        How the run ended.

    Returns
    -------
    Run
        The run that was ended (no longer active).

    Raises
    ------
    NoActiveRunError
        No run is active in this thread or task.
    InvalidValueError
        ``status`` is not one of the three above.
    StoreError
        The store could not record the end (the run stays RUNNING; call again).

    Examples
    --------
    >>> mj.start_run("nightly", autolog=True)  # doctest: +SKIP
    >>> model.fit(X, y)                        # doctest: +SKIP
    >>> mj.end_run()                           # doctest: +SKIP
    """
    from ..tracking.run import FAILED, FINISHED, KILLED

    if status not in (FINISHED, FAILED, KILLED):
        raise invalid("status", status, '"FINISHED", "FAILED" or "KILLED"')
    run = active.require()
    run.end(status)
    return run


def _current_cell_source() -> dict[str, Any] | None:
    """Where ``start_run`` was called from, when that is a notebook cell being executed.

    None from a script, a test or a thread even when an IPython shell exists: its history
    then holds some earlier cell, not the code that started the run.
    """
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    from ..tracking.notebook import executing_cell, notebook_path

    cell = executing_cell(shell)
    if cell is None:
        return None
    return {"cell_source": cell.source, "notebook_path": notebook_path(shell),
            "cell_id": cell.cell_id, "execution_count": cell.execution_count}


def active_run() -> Run | None:
    """The run that module-level logging goes to here, or None.

    It is per thread, and per asyncio task for tasks you create: a worker thread sees none
    (hand it the run object). In a notebook, a run started in one cell stays active in the
    next until it ends.

    Returns
    -------
    Run or None
    """
    return active.current()


def log_param(key: str, value: Any) -> None:
    """Log one param of the active run (see :func:`log_params`).

    Parameters
    ----------
    key : str
        The param's name.
    value : JSON-like
        A number, string, bool, None, or a list or dict of them.

    Raises
    ------
    NoActiveRunError
        No run is active here.
    """
    active.require().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    """Log several params of the active run: all are checked first; if one is rejected,
    none is stored.

    Parameters
    ----------
    params : mapping of str to value
        JSON-like values (numbers, strings, bools, None, lists and dicts of them).

    Raises
    ------
    NoActiveRunError
        No run is active here.
    InvalidNameError, InvalidValueError
        A name or a value cannot be stored (nothing was stored).

    Examples
    --------
    >>> mj.log_params({"C": 1.0, "penalty": "l2"})  # doctest: +SKIP
    """
    active.require().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Log a number of the active run (see :func:`log_metrics`).

    Parameters
    ----------
    key : str
        The metric's name.
    value : float
        The number (NumPy scalars too; NaN and infinities are stored as such).
    step : int, optional
        The step; without it each call for ``key`` takes the next one (0, 1, 2...).

    Raises
    ------
    NoActiveRunError
        No run is active here.
    """
    active.require().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log several numbers of the active run at once.

    Parameters
    ----------
    metrics : mapping of str to float
        Metric names and values; all are checked first, and if one is rejected none is
        stored and no step is used up.
    step : int, optional
        The step (epoch, iteration); without it each call for a key takes the next step
        (0, 1, 2...), which draws a curve in ``mj.compare``.

    Raises
    ------
    NoActiveRunError
        No run is active here.
    InvalidNameError, InvalidValueError
        A name or value cannot be stored.

    Examples
    --------
    >>> for epoch in range(3):                      # doctest: +SKIP
    ...     mj.log_metrics({"loss": 1 / (epoch + 1)})
    """
    active.require().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Set one tag of the active run.

    Parameters
    ----------
    key : str
        The tag's name.
    value : object
        Stored as text (``str(value)``).

    Raises
    ------
    NoActiveRunError
        No run is active here.
    """
    active.require().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags of the active run (values are stored as text).

    Raises
    ------
    NoActiveRunError
        No run is active here.
    InvalidNameError
        A tag name is not allowed.
    """
    active.require().set_tags(tags)


def log_artifact(path_or_bytes: str | os.PathLike[str] | bytes, name: str | None = None,
                 kind: str = "file", meta: Mapping[str, Any] | None = None) -> Artifact:
    """Store a file or bytes with the active run.

    Parameters
    ----------
    path_or_bytes : path or bytes
        A file to copy into the store, or the bytes themselves.
    name : str, optional
        The artifact's name in the run (default: the file's name; required for bytes).
    kind : str, default "file"
        What it is (``"file"``, ``"figure"``, ``"table"``, ``"report"``...).
    meta : mapping, optional
        JSON-like metadata stored with it.

    Returns
    -------
    Artifact
        The stored artifact: ``.blob_hash``, ``.size``, ``.read_bytes()``.

    Raises
    ------
    NoActiveRunError
        No run is active here.

    Examples
    --------
    >>> art = mj.log_artifact("confusion.png", kind="figure")  # doctest: +SKIP
    >>> art.size, art.blob_hash[:8]                            # doctest: +SKIP
    (18231, '3b1f0c9a')
    """
    return active.require().log_artifact(path_or_bytes, name, kind, meta)


def log_model(estimator: Any, name: str = "model", X_example: Any = None) -> Artifact:
    """Save a fitted estimator with the active run (skops: loading runs no pickle).

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        The model to save.
    name : str, default "model"
        Its name in the run.
    X_example : DataFrame or array, optional
        Input data whose schema is stored with the model (column names and types).

    Returns
    -------
    Artifact
        The model artifact: ``.load()`` loads the model back, ``.meta`` holds its class,
        feature names and input schema.

    Raises
    ------
    NoActiveRunError
        No run is active here.
    MlopsError
        skops cannot save the estimator.

    Examples
    --------
    >>> with mj.start_run() as run:                        # doctest: +SKIP
    ...     art = mj.log_model(model, "clf", X_example=X)
    >>> art.load().predict(X)                              # doctest: +SKIP
    """
    return active.require().log_model(estimator, name, X_example)


def runs(experiment: str | None = None, filter: str | None = None,
         order_by: str | list[str] | None = None, limit: int | None = None) -> pd.DataFrame:
    """The runs of the store as a DataFrame, one row per run.

    Columns: ``run_id, name, experiment, status, start_time, end_time, duration,
    parent_run_id, notebook_path``, then ``params.*``, ``metrics.*`` (latest value) and
    ``tags.*``; with ``experiment``, only the keys its runs have.

    Parameters
    ----------
    experiment : str, optional
        Only the runs of this experiment.
    filter : str, optional
        MLflow's search syntax plus ``or``, ``not``, parentheses and numeric params
        (``"metrics.accuracy > 0.9 and params.model = 'rf'"``; docs/query.md).
    order_by : str or list of str, optional
        Columns with an optional direction (``"metrics.`f1 score` DESC"``); newest first by
        default and for ties.
    limit : int, optional
        At most this many runs (after filtering and ordering).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FilterSyntaxError
        ``filter`` or ``order_by`` does not parse (the message shows the position).
    InvalidValueError
        An argument has the wrong type.

    Examples
    --------
    >>> mj.runs(filter="metrics.accuracy > 0.9", order_by="metrics.accuracy desc",
    ...         limit=5)  # doctest: +SKIP
    """
    return runs_frame(experiment, filter, order_by, limit)[0]


def runs_frame(experiment: str | None = None, filter: str | None = None,
               order_by: str | list[str] | None = None, limit: int | None = None
               ) -> tuple[pd.DataFrame, frozenset[str]]:
    """``runs(...)`` and the columns some run in the store has (for filters on the frame)."""
    from ..tracking.run_listing import runs_frame as _runs_frame

    check_str("experiment", experiment)
    check_str("filter", filter)
    if not (order_by is None or isinstance(order_by, str) or (
            isinstance(order_by, (list, tuple)) and all(isinstance(o, str) for o in order_by))):
        raise invalid("order_by", order_by,
                      'a column name with optional "asc"/"desc" ("metrics.f1 desc"), a list '
                      "of them, or None")
    check_count("limit", limit, 0)
    return _runs_frame(get_store(), experiment, filter, order_by, limit)


def get_run(run_id: str) -> RunRecord:
    """Everything stored about a run: params, metrics and their history, tags, artifacts,
    inputs, code, environment.

    Parameters
    ----------
    run_id : str
        The run's id or a unique prefix of it (the 8 characters the views show).

    Returns
    -------
    RunRecord
        Displays as the run's page; ``.load_model()``, ``.load_input("train")``,
        ``.artifact(name)`` read what the run stored.

    Raises
    ------
    NotFoundError
        No run has that id, or the prefix is ambiguous.

    Examples
    --------
    >>> record = mj.get_run("3f2a1b9c")  # doctest: +SKIP
    >>> record.metrics["accuracy"]       # doctest: +SKIP
    0.91
    """
    from ..tracking.records import RunRecord

    check_str("run_id", run_id, optional=False)
    from ..tracking.run_listing import reap_crashed_runs

    store = get_store()
    reap_crashed_runs(store)
    return RunRecord.from_record(store.run_record(store.resolve_run_id(run_id)), store)


def load_model(run_id: str, name: str | None = None, trusted: list[str] | None = None) -> Any:
    """Load a model saved by a run, or a registered model version, with skops (no pickle).

    Parameters
    ----------
    run_id : str
        The run's id or a unique prefix, or a registered model: ``"churn/3"`` (version 3),
        ``"churn@Production"`` (a stage), ``"churn@champion"`` (an alias).
    name : str, optional
        The model's name in the run; needed only when the run saved several.
    trusted : list of str, optional
        Type names to trust beyond the automatic policy (scikit-learn, NumPy and SciPy
        classes built from their state; :mod:`mlops_jupyter.tracking.models`).

    Returns
    -------
    object
        The fitted estimator.

    Raises
    ------
    NotFoundError
        No such run or model.
    UntrustedTypesError
        The model needs types outside the trust list; ``.types`` lists them.

    Examples
    --------
    >>> model = mj.load_model("3f2a1b9c")  # doctest: +SKIP
    >>> model = mj.load_model("churn@Production")  # doctest: +SKIP
    """
    from ..deploy.registry import resolve_model_ref
    from ..tracking.models import load_model as _load

    check_str("run_id", run_id, optional=False)
    check_str("name", name)
    store = get_store()
    resolved, registered = resolve_model_ref(store, run_id)
    if registered is not None and name not in (None, registered):
        raise invalid("name", name, f"None or {registered!r} (the model {run_id!r} names)")
    return _load(store, resolved, registered or name, trusted)
