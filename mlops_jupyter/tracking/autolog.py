"""Capture of scikit-learn fits: ``fit`` is wrapped for the duration of one tracked cell.

Only the outermost ``fit`` on the cell's own thread is recorded (a Pipeline's steps, a
search's candidates and an ensemble's trees are fitted *inside* it). Classes defined or
imported while the cell runs are wrapped as they are created, through a temporary
``__init_subclass__`` on ``BaseEstimator``. Everything is restored when the cell ends.
"""

from __future__ import annotations

import functools
import sys
import threading
from dataclasses import dataclass
from typing import Any


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
