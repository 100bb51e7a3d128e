"""Capture of scikit-learn fits: ``fit`` is wrapped for the duration of one tracked cell
(``%%track``) or one run started with ``mj.start_run(autolog=True)``.

- :class:`FitCapture` wraps ``fit`` and collects the calls;
- :func:`record_fit` stores one captured fit in a run: the model (skops) with its input
  schema, the estimator's params, the training data as snapshots linked to the run (roles
  ``train`` and ``train_target``), and a search's candidates as child runs;
- :class:`Autolog` is both for a run outside IPython: it captures from the run's start and
  records when the run ends, naming models and data after the variables of the code that
  started the run.

Only the outermost ``fit`` on the cell's own thread is recorded (a Pipeline's steps, a
search's candidates and an ensemble's trees are fitted *inside* it). Classes defined or
imported while the cell runs are wrapped as they are created, through a temporary
``__init_subclass__`` on ``BaseEstimator``. Everything is restored when the cell ends.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .values import as_number, normalize_params

if TYPE_CHECKING:
    from types import FrameType

    from .run import Run


@dataclass
class FitCall:
    estimator: Any
    X: Any
    y: Any


def _called_from_user_code(frame: Any) -> bool:
    """False for fits that libraries make on their own (sklearn's metrics fit a LabelEncoder)."""
    module = frame.f_globals.get("__name__", "") or ""
    if module.split(".", 1)[0] in ("sklearn", "imblearn", "xgboost", "lightgbm", "joblib"):
        return False
    filename = frame.f_code.co_filename
    return "site-packages" not in filename and "dist-packages" not in filename


class FitCapture:
    def __init__(self) -> None:
        self.calls: list[FitCall] = []
        self._owner = threading.get_ident()
        self._depth = 0
        self._patched: list[tuple[type, Any]] = []
        self._base: type | None = None
        self._had_init_subclass = False

    # -- patching --------------------------------------------------------------------------
    def _wrap(self, fit: Any) -> Any:
        capture = self

        @functools.wraps(fit)
        def fit_and_record(estimator, *args, **kwargs):
            mine = threading.get_ident() == capture._owner
            outer = mine and capture._depth == 0
            if mine:
                capture._depth += 1
            try:
                result = fit(estimator, *args, **kwargs)
            finally:
                if mine:
                    capture._depth -= 1
            if outer and _called_from_user_code(sys._getframe(1)):
                X = args[0] if args else kwargs.get("X")
                y = args[1] if len(args) > 1 else kwargs.get("y")
                capture.calls.append(FitCall(estimator, X, y))
            return result

        fit_and_record.__mlops_wrapped__ = fit  # type: ignore[attr-defined]
        return fit_and_record

    def _patch_class(self, cls: type) -> None:
        fit = cls.__dict__.get("fit")
        if fit is None or not callable(fit) or hasattr(fit, "__mlops_wrapped__"):
            return
        cls.fit = self._wrap(fit)
        self._patched.append((cls, fit))

    def __enter__(self) -> FitCapture:
        base_module = sys.modules.get("sklearn.base")
        if base_module is None:
            return self  # scikit-learn not loaded: nothing to capture
        base = base_module.BaseEstimator
        self._base = base
        stack = [base]
        seen: set[type] = set()
        while stack:
            cls = stack.pop()
            if cls in seen:
                continue
            seen.add(cls)
            self._patch_class(cls)
            stack.extend(cls.__subclasses__())
        capture = self
        self._had_init_subclass = "__init_subclass__" in base.__dict__
        original = base.__dict__.get("__init_subclass__")

        def init_subclass(cls, **kwargs):
            if original is not None:
                original.__func__(cls, **kwargs)
            else:
                super(base, cls).__init_subclass__(**kwargs)
            capture._patch_class(cls)

        self._original_init_subclass = original
        base.__init_subclass__ = classmethod(init_subclass)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        for cls, fit in reversed(self._patched):
            cls.fit = fit
        self._patched.clear()
        if self._base is not None:
            if self._had_init_subclass:
                self._base.__init_subclass__ = self._original_init_subclass  # type: ignore[assignment]
            else:
                del self._base.__init_subclass__
            self._base = None

    def fitted(self) -> list[FitCall]:
        """The last outer fit of each distinct estimator, in order of first fit."""
        last: dict[int, FitCall] = {}
        for call in self.calls:
            last[id(call.estimator)] = call
        return list(last.values())


def estimator_params(estimator: Any) -> dict[str, Any]:
    """``get_params(deep=True)`` with nested estimators shown by class name, not repr."""
    try:
        params = estimator.get_params(deep=True)
    except Exception:  # noqa: BLE001 - third-party estimators may not implement it fully
        return {}
    return {key: _describe(value) for key, value in params.items()}


def _describe(value: Any) -> Any:
    if hasattr(value, "get_params") or hasattr(value, "fit"):
        return type(value).__name__
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return value


def search_candidates(search: Any) -> list[dict[str, Any]] | None:
    """One dict of params + CV scores per candidate of a fitted *SearchCV, or None."""
    results = getattr(search, "cv_results_", None)
    if not isinstance(results, dict) or "params" not in results:
        return None
    candidates = []
    metric_keys = [k for k in results
                   if k.startswith(("mean_", "std_", "rank_")) or k.startswith("split")]
    for i, params in enumerate(results["params"]):
        metrics = {}
        for key in metric_keys:
            value = results[key][i]
            try:
                metrics[key] = float(value)
            except (TypeError, ValueError):
                continue
        candidates.append({"params": dict(params), "metrics": metrics})
    return candidates


# -- recording captured fits in a run ------------------------------------------------------
def record_fit(run: Run, call: FitCall, namespace: Mapping[str, Any], params: dict[str, Any],
               metrics: dict[str, float], models: list[str], snapshots: list[str],
               multiple: bool) -> int:
    """Store one captured fit in ``run``; returns the number of child runs it created.

    The model is named after its variable in ``namespace`` (else its class), its params and
    a search's best params/score go into ``params``/``metrics`` (prefixed with the model name
    when ``multiple`` fits are recorded), and ``models``/``snapshots`` get what was stored.
    """
    import pandas as pd

    est = call.estimator
    model_name = _var_name(namespace, est) or type(est).__name__.lower()
    base, n = model_name, 1
    while model_name in models:  # several unnamed fits of one class
        n += 1
        model_name = f"{base}-{n}"
    prefix = f"{model_name}." if multiple else ""
    for key, value in estimator_params(est).items():
        params.setdefault(prefix + key, value)
    params.setdefault(prefix + "estimator", type(est).__name__)

    X = call.X
    if X is not None and not isinstance(X, (pd.DataFrame, pd.Series)):
        X = _array_to_frame(X, est)
    run.log_model(est, model_name, X_example=X)
    models.append(model_name)
    if isinstance(X, (pd.DataFrame, pd.Series)):
        x_name = _var_name(namespace, call.X) or f"{model_name}.X"
        snap = run.log_input(X, x_name, role="train")
        add_once(snapshots, f"{snap.name}@v{snap.version}")
    y = call.y
    if y is not None and not isinstance(y, (pd.DataFrame, pd.Series)):
        y = _array_to_frame(y, None)
    if isinstance(y, (pd.DataFrame, pd.Series)):
        y_name = _var_name(namespace, call.y) or f"{model_name}.y"
        snap = run.log_input(y, y_name, role="train_target")
        add_once(snapshots, f"{snap.name}@v{snap.version}")

    candidates = search_candidates(est)
    if not candidates:
        return 0
    best = getattr(est, "best_params_", None)
    if isinstance(best, dict):
        for key, value in best.items():
            params[f"{prefix}best.{key}"] = value
    score = as_number(getattr(est, "best_score_", None))
    if score is not None:
        metrics[f"{prefix}best_cv_score"] = score
    record_candidates(run, candidates, model_name, est)
    return len(candidates)


def record_candidates(run: Run, candidates: list[dict[str, Any]], search_name: str,
                      search: Any) -> None:
    """One child run per candidate, named and tagged with its search (several searches
    in one run each keep their own candidates apart)."""
    from .run import FINISHED, new_run_id

    store = run.store
    now = time.time()
    for i, candidate in enumerate(candidates):
        child_id = new_run_id()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            child_params = normalize_params(
                {k: (type(v).__name__ if hasattr(v, "fit") else v)
                 for k, v in candidate["params"].items()}, skipped=[]
            )
        store.create_run(
            {"id": child_id, "name": f"{run.name}/{search_name}/candidate-{i}",
             "status": FINISHED, "start_time": now, "end_time": now, "parent_run_id": run.id},
            run.experiment, params=child_params,
            tags={"search": search_name, "search.class": type(search).__name__,
                  "search.candidate": str(i)},
        )
        store.log_metrics(child_id, [(k, v, 0, now) for k, v in candidate["metrics"].items()])


class Autolog:
    """Fit capture for one run outside IPython: ``mj.start_run(autolog=True)``.

    Started with the run, on the run's thread; :meth:`finish` (called when the run ends)
    stops the capture and records each fitted estimator as ``%%track`` does: model, params,
    training snapshots, search candidates. Models and data are named after the variables
    of ``frame`` (the code that started the run) as they are when the run ends.
    """

    def __init__(self, frame: FrameType | None):
        self._frame = frame
        try:  # autolog was asked for: capture classes imported later in the run too
            import sklearn.base  # noqa: F401
        except ImportError:
            pass
        self._capture: FitCapture | None = FitCapture().__enter__()

    def stop(self) -> None:
        """Undo the capture (idempotent); the fits seen so far stay readable."""
        if self._capture is not None:
            self._capture.__exit__(None, None, None)

    def finish(self, run: Run) -> list[str]:
        """Stop capturing and record the fits in ``run``; returns warnings for the run
        (a value that cannot be stored is left out, as in ``%%track``)."""
        capture, self._capture = self._capture, None
        if capture is None:
            return []
        capture.__exit__(None, None, None)
        frame, self._frame = self._frame, None  # do not keep the caller's frame alive
        namespace: dict[str, Any] = {}
        if frame is not None:
            namespace = {**frame.f_globals, **frame.f_locals}
        del frame
        skipped: list[str] = []
        params: dict[str, Any] = {}
        metrics: dict[str, float] = {}
        models: list[str] = []
        snapshots: list[str] = []
        fits = capture.fitted()
        for call in fits:
            record_fit(run, call, namespace, params, metrics, models, snapshots,
                       multiple=len(fits) > 1)
        if params:
            run.store.log_params(run.id, normalize_params(params, skipped=skipped))
        if metrics:
            run.log_metrics(metrics)
        return skipped


def add_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _var_name(namespace: Mapping[str, Any], obj: Any) -> str | None:
    for key, value in namespace.items():
        if value is obj and not key.startswith("_"):
            return key
    return None


def _array_to_frame(X: Any, estimator: Any):
    """A 2-D array as a DataFrame (feature names from the estimator when it has them)."""
    import numpy as np
    import pandas as pd

    try:
        array = np.asarray(X)
    except Exception:  # noqa: BLE001 - sparse matrices, lists of dicts...
        return None
    if array.ndim == 1:
        return pd.Series(array, name="y")
    if array.ndim != 2:
        return None
    names = getattr(estimator, "feature_names_in_", None)
    columns = ([str(n) for n in names] if names is not None
               else [f"x{i}" for i in range(array.shape[1])])
    return pd.DataFrame(array, columns=columns)
