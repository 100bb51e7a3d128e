"""The model of a package: loaded under its trust list, its inputs checked, its predictions made.

Part of the serving runtime (imports only the standard library, NumPy, scikit-learn, skops and,
where a model needs a DataFrame, pandas).

Loading. The manifest lists the types the model file may build (``model.trusted_types``).
That list ships inside the package, so it is checked, not believed: skops reads the file's own
list of types it does not trust by default, and a type the manifest does not list stops the
start-up with an error naming it. Nothing is loaded with pickle.

Input. Requests arrive as records, columns or rows (see payloads.py); each becomes a
:class:`Batch`: one Python list per schema column, every value checked against the column's
kind. A request that does not match the schema raises :class:`InputError` naming every
column at fault (missing, unexpected, wrong type, unseen category when the column rejects
them), so one answer tells the caller everything to fix.

Fast path. A package whose export found the model to be a supported linear pipeline has
``fast_path.json`` (see fast_path.py): complete numeric batches are then scored by NumPy alone,
with the model's exact arithmetic, and ``Predictor(..., lazy=True)`` (what the server uses)
does not load the skops model, nor import scikit-learn, SciPy or pandas, until a batch the
fast path does not cover arrives (a missing or non-finite value: the model judges it). Only
the model file's SHA-256 is checked at start-up then; the trust-list check runs when it loads.

Predicting. When every input is numeric, the model is fed a float64 matrix instead of a
DataFrame, but only if a probe at start-up shows the matrix gives the same predictions and
probabilities equal within ``PROBABILITY_TOLERANCE`` (pandas conversion is the biggest cost of
a one-row predict; a matrix laid out differently in memory can change the BLAS summation order
in the last bits, as a DataFrame built another way does too).
``sklearn.config_context(assume_finite=True)`` skips scikit-learn's finiteness scan when the
batch has no missing or non-finite value, the only case where the scan cannot fail. A
Pipeline's transformers run once per request even when both predictions and probabilities
are wanted.
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import fast_path
import numpy as np
from manifest import (
    Column,
    Manifest,
    ManifestError,
    load_manifest,
    load_reference,
    package_file,
)

NUMERIC_PATH_KINDS = frozenset({"numeric", "boolean"})
MAX_EXAMPLES_IN_MESSAGE = 5
# Probabilities of the matrix and NumPy paths may differ from the DataFrame path's in the
# last bits only (one definition, in fast_path.py).
PROBABILITY_TOLERANCE = fast_path.PROBABILITY_TOLERANCE
# scikit-learn warns on every call when a model fitted on a DataFrame gets a matrix. The
# matrix path is only taken after the probe proved it predicts the same, so this one warning
# says nothing; it is ignored by its exact text, nothing else.
_FEATURE_NAMES_WARNING = "X does not have valid feature names"


class InputError(Exception):
    """A request the model cannot score: ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


class UntrustedModelError(ManifestError):
    """The model file needs types its manifest does not list: the package is not loaded."""


@dataclass
class Batch:
    """Validated input: one list per schema column (in schema order), ``n_rows`` long."""

    columns: dict[str, list[Any]]
    n_rows: int
    complete: bool  # no missing and no non-finite value: safe for assume_finite


@dataclass
class Prediction:
    predictions: np.ndarray
    probabilities: np.ndarray | None  # (n_rows, n_classes), columns in ``classes`` order


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _names(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:20])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 20 else "")


# --------------------------------------------------------------------------- value checks
# Each returns (index of the first bad value, number of bad values, what was expected) or None.

def _bad(values: list[Any], ok) -> tuple[int, int] | None:
    bad = [i for i, v in enumerate(values) if v is not None and not ok(v)]
    return (bad[0], len(bad)) if bad else None


def _is_number(v: Any) -> bool:
    # an int beyond float range would overflow the float64 matrix: refuse it here
    return type(v) is float or (type(v) is int and -1e308 < v < 1e308)


def _is_bool(v: Any) -> bool:
    return type(v) is bool


def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_scalar(v: Any) -> bool:
    return type(v) in (str, int, float, bool)


def _is_datetime(v: Any) -> bool:
    if type(v) is not str:
        return False
    try:
        np.datetime64(v)
    except ValueError:
        return False
    return True


_CHECKS = {
    "numeric": (_is_number, "a number"),
    "boolean": (_is_bool, "true or false"),
    "categorical": (_is_scalar, "a string or number"),
    "string": (_is_str, "a string"),
    "datetime": (_is_datetime, "an ISO 8601 date/time string"),
    "other": (_is_scalar, "a string, number or boolean"),
}


class Predictor:
    """A package's model, ready to validate and score requests.

    ``Predictor(directory)`` reads ``directory/mlops-model.json``, checks the model file's types
    against the manifest, loads the model and decides the fastest exact prediction path.
    ``lazy=True``: when the package has a fast path (``fast_path.json``), the skops model is
    loaded only when a batch needs it (:meth:`needs_model`, :meth:`load_model`).
    """

    def __init__(self, directory: Any, manifest: Manifest | None = None, *, lazy: bool = False):
        self.manifest = manifest or load_manifest(directory)
        self.columns: tuple[Column, ...] = self.manifest.columns
        self.names: list[str] = [c.name for c in self.columns]
        self.name_set = frozenset(self.names)
        self._checks = [(c, *_CHECKS[c.kind]) for c in self.columns]
        self._numeric = [c.kind == "numeric" for c in self.columns]
        self._model: Any = None
        self._loaded = False  # set last: another thread may be asking needs_model()
        self._model_error: Exception | None = None
        self._lock = threading.Lock()
        self.uses_matrix: bool | None = None  # the skops model's input: known once loaded
        self.fast = self._load_fast_path()
        if self.fast is not None:
            self.is_classifier = self.fast.is_classifier
            self.has_probabilities = self.fast.has_probabilities
            self.classes: list[Any] | None = (None if self.fast.classes is None
                                              else self.fast.classes.tolist())
        if self.fast is None or not lazy:
            self.load_model()
        else:  # a changed model file is refused at start-up, as when it is loaded
            package_file(self.manifest, self.manifest.model_file)

    @property
    def path(self) -> str:
        """How complete batches are scored: "numpy" (fast path), "matrix" or "dataframe"
        (the skops model fed a float64 matrix or a DataFrame; None: not loaded yet)."""
        if self.fast is not None:
            return "numpy"
        return "matrix" if self.uses_matrix else "dataframe"

    @property
    def model(self) -> Any:
        """The skops model (loaded now if it was not)."""
        self.load_model()
        return self._model

    @property
    def model_loaded(self) -> bool:
        return self._loaded

    def needs_model(self, batch: Batch) -> bool:
        """True when scoring ``batch`` needs the skops model and it is not loaded yet."""
        return not self._loaded and not (self.fast is not None and batch.complete)

    # ---------------------------------------------------------------- loading

    def _load_fast_path(self) -> fast_path.FastPath | None:
        name = self.manifest.fast_path_file
        if name is None or not all(c.kind in NUMERIC_PATH_KINDS for c in self.columns):
            return None
        try:
            fast = fast_path.load(package_file(self.manifest, name))
        except fast_path.FastPathError as exc:
            raise ManifestError(str(exc)) from None
        if fast.n_features != len(self.columns):
            raise ManifestError(f"{name}: takes {fast.n_features} features; the input schema "
                                f"has {len(self.columns)} columns")
        return fast

    def load_model(self) -> None:
        """Load the skops model (once; thread-safe) and decide its input path. A failure is
        raised again on every later call (the package is broken until it is replaced)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            if self._model_error is not None:
                raise self._model_error
            try:
                model = self._read_model()
                self._set_model(model)
            except Exception as exc:
                self._model_error = exc
                raise

    def _set_model(self, model: Any) -> None:
        self._model = model
        self._split_pipeline()
        is_classifier = self._classifier()
        has_probabilities = is_classifier and hasattr(self._final, "predict_proba")
        classes = getattr(model, "classes_", None) if is_classifier else None
        classes = None if classes is None else np.asarray(classes).tolist()
        if self.fast is not None and (is_classifier, has_probabilities, classes) != (
                self.is_classifier, self.has_probabilities, self.classes):
            self._model = None
            raise ManifestError(
                f"{self.manifest.fast_path_file} does not describe "
                f"{self.manifest.model_file} (classes or outputs differ); re-export the model")
        self.is_classifier, self.has_probabilities = is_classifier, has_probabilities
        self.classes = classes
        self.uses_matrix = self._matrix_path_is_exact()
        self._loaded = True

    def _read_model(self) -> Any:
        import skops.io as sio

        path = package_file(self.manifest, self.manifest.model_file)
        try:
            needed = sio.get_untrusted_types(file=path)
        except Exception as exc:  # not a zip, no schema: not a skops file
            raise ManifestError(f"{path}: not a model file skops can read "
                                f"({type(exc).__name__}: {exc})") from None
        listed = set(self.manifest.trusted_types)
        unlisted = sorted(t for t in needed if t not in listed)
        if unlisted:
            raise UntrustedModelError(
                f"{path} needs types that mlops-model.json does not list in "
                f"model.trusted_types: {', '.join(unlisted)}. The model was not loaded. "
                "Re-export the model, or add these names to the manifest only if you trust "
                "where the file came from.")
        # exactly what the file needs and the manifest allows: skops checks the tree again
        return sio.load(path, trusted=sorted(needed))

    def _split_pipeline(self) -> None:
        """Pipeline -> (transformers, final estimator), so both outputs share one transform.

        The transformers are called one after the other as ``Pipeline.transform`` does
        without parameters (``None`` and "passthrough" steps skipped), minus its metadata
        routing, which builds a class on every call.
        """
        from sklearn.pipeline import Pipeline

        model = self._model
        self._head: list[Any] | None = None
        self._final = model
        if isinstance(model, Pipeline) and len(model.steps) > 1:
            final = model.steps[-1][1]
            if final is not None and final != "passthrough" and hasattr(final, "predict"):
                self._head = [step for _, step in model.steps[:-1]
                              if step is not None and step != "passthrough"]
                self._final = final

    def _classifier(self) -> bool:
        from sklearn.base import is_classifier

        try:
            return bool(is_classifier(self._model))
        except Exception:
            return hasattr(self._model, "classes_")

    def _probe_batch(self) -> Batch | None:
        """Rows to compare the two prediction paths on: the manifest's input example, or
        typical values of the reference profile, or zeros."""
        if self.manifest.input_example:
            try:
                return self.from_records(list(self.manifest.input_example))
            except InputError:
                pass
        ref = self._reference_columns()
        rows = []
        for q in (0.1, 0.5, 0.9):
            row = {}
            for c in self.columns:
                values = (ref.get(c.name) or {}).get("values") or [0.0]
                v = values[min(int(q * len(values)), len(values) - 1)]
                row[c.name] = bool(v) if c.kind == "boolean" else float(v)
            rows.append(row)
        try:
            return self.from_records(rows)
        except InputError:
            return None

    def _reference_columns(self) -> dict[str, Any]:
        try:
            ref = load_reference(self.manifest)
        except ManifestError:
            return {}
        return ref["columns"] if ref else {}

    def _matrix_path_is_exact(self) -> bool:
        if not all(c.kind in NUMERIC_PATH_KINDS for c in self.columns):
            return False
        batch = self._probe_batch()
        if batch is None:
            return False
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING)
                by_frame = self._run(self._frame(batch), True, False)
                by_matrix = self._run(self._matrix(batch), True, False)
        except Exception:
            return False
        same = np.array_equal(by_frame.predictions, by_matrix.predictions)
        if by_frame.probabilities is not None or by_matrix.probabilities is not None:
            same = same and (by_frame.probabilities is not None
                             and by_matrix.probabilities is not None
                             and np.allclose(by_frame.probabilities, by_matrix.probabilities,
                                             rtol=0.0, atol=PROBABILITY_TOLERANCE))
        if same:
            warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING,
                                    category=UserWarning)
        return bool(same)

    # ---------------------------------------------------------------- input

    def from_records(self, records: Any) -> Batch:
        """``[{"column": value, ...}, ...]`` -> Batch."""
        if not isinstance(records, list):
            raise InputError("expected a list of records (JSON objects)", 400)
        if not records:
            raise InputError("no rows to score", 400)
        names, name_set = self.names, self.name_set
        if not all(type(r) is dict for r in records):
            i = next(i for i, r in enumerate(records) if type(r) is not dict)
            raise InputError(f"record {i} is {_type_name(records[i])}, not an object", 400)
        missing: dict[str, int] = {}
        extra: dict[str, int] = {}
        for r in records:
            if r.keys() != name_set:
                for n in name_set - r.keys():
                    missing[n] = missing.get(n, 0) + 1
                for n in r.keys() - name_set:
                    extra[n] = extra.get(n, 0) + 1
        if missing or extra:
            self._raise_columns(sorted(missing, key=names.index), sorted(extra), {},
                                len(records), missing, extra)
        columns = {n: [r[n] for r in records] for n in names}
        return self._checked(columns, len(records))

    def from_columns(self, mapping: Any, first_row: int = 0) -> Batch:
        """``{"column": [values...], ...}`` -> Batch (every list the same length).

        first_row: the number of the first row in messages (batch.py checks a file in slices).
        """
        if type(mapping) is not dict:
            raise InputError("expected an object of columns", 400)
        missing = [n for n in self.names if n not in mapping]
        extra = sorted(str(k) for k in mapping if k not in self.name_set)
        problems = {}
        for n in self.names:
            if n in mapping and type(mapping[n]) is not list:
                problems[n] = f"expected a list of values, got {_type_name(mapping[n])}"
        if missing or extra or problems:
            self._raise_columns(missing, extra, problems)
        lengths = {len(mapping[n]) for n in self.names}
        if len(lengths) != 1:
            raise InputError("columns have different lengths: " + ", ".join(
                f"{n!r}: {len(mapping[n])}" for n in self.names), 422)
        n_rows = lengths.pop()
        if not n_rows:
            raise InputError("no rows to score", 400)
        return self._checked({n: mapping[n] for n in self.names}, n_rows, first_row)

    def from_rows(self, rows: Any, what: str = "row") -> Batch:
        """``[[v1, v2, ...], ...]`` in schema column order -> Batch."""
        if not isinstance(rows, list) or not rows:
            raise InputError(f"expected a non-empty list of {what}s", 400)
        k = len(self.names)
        for i, row in enumerate(rows):
            if type(row) is not list:
                raise InputError(f"{what} {i} is {_type_name(row)}, not a list of {k} values "
                                 f"({_names(self.names)})", 400 if i == 0 else 422)
            if len(row) != k:
                raise InputError(f"{what} {i} has {len(row)} values; the model takes {k}: "
                                 f"{_names(self.names)}", 422,
                                 {"expected_columns": self.names})
        columns = {n: [row[j] for row in rows] for j, n in enumerate(self.names)}
        return self._checked(columns, len(rows))

    def _checked(self, columns: dict[str, list[Any]], n_rows: int, first_row: int = 0) -> Batch:
        problems: dict[str, str] = {}
        complete = True
        for (col, ok, expected), values in zip(self._checks, columns.values(), strict=True):
            bad = _bad(values, ok)
            if bad is not None:
                i, count = bad
                more = f" (and {count - 1} more rows)" if count > 1 else ""
                problems[col.name] = (f"expected {expected}, got {_type_name(values[i])} "
                                      f"{_short(values[i])} in row {first_row + i}{more}")
                continue
            if complete and None in values:
                complete = False
            if complete and col.kind == "numeric" and not all(map(math.isfinite, values)):
                complete = False  # NaN or Infinity tokens: let scikit-learn judge them
            if col.categories is not None and col.unseen == "reject":
                seen = set(col.categories)
                unseen = sorted({v for v in values if v is not None and v not in seen}, key=str)
                if unseen:
                    problems[col.name] = (
                        "value(s) not seen in training: "
                        + ", ".join(_short(v) for v in unseen[:MAX_EXAMPLES_IN_MESSAGE])
                        + (f" ... ({len(unseen)} in all)"
                           if len(unseen) > MAX_EXAMPLES_IN_MESSAGE else ""))
        if problems:
            self._raise_columns([], [], problems)
        return Batch(columns, n_rows, complete)

    def _raise_columns(self, missing: list[str], extra: list[str], problems: dict[str, str],
                       n_rows: int = 0, missing_rows: dict[str, int] | None = None,
                       extra_rows: dict[str, int] | None = None) -> None:
        def rows_note(name: str, counts: dict[str, int] | None) -> str:
            if counts is None or counts.get(name, n_rows) == n_rows or n_rows <= 1:
                return ""
            return f" (in {counts[name]} of {n_rows} rows)"

        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(
                f"{n!r}{rows_note(n, missing_rows)}" for n in missing))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(
                f"{n!r}{rows_note(n, extra_rows)}" for n in extra[:20])
                + (f" ... ({len(extra)} in all)" if len(extra) > 20 else ""))
        parts.extend(f"column {n!r}: {msg}" for n, msg in problems.items())
        details: dict[str, Any] = {}
        if missing:
            details["missing"] = missing
        if extra:
            details["unexpected"] = extra[:100]
        if problems:
            details["columns"] = problems
        raise InputError("input does not match the model's schema: " + "; ".join(parts),
                         422, details)

    # ---------------------------------------------------------------- predicting

    def _matrix(self, batch: Batch) -> np.ndarray:
        X = np.empty((batch.n_rows, len(self.names)), dtype=np.float64)
        for j, values in enumerate(batch.columns.values()):
            X[:, j] = np.asarray(values, dtype=np.float64)  # None -> NaN
        return X

    def _frame(self, batch: Batch) -> Any:
        import pandas as pd

        data = {}
        for col, values in zip(self.columns, batch.columns.values(), strict=True):
            if col.kind == "numeric":
                arr: np.ndarray = np.asarray(values, dtype=np.float64)
                if col.dtype.startswith(("int", "uint")) and not np.isnan(arr).any():
                    integral = arr.astype(np.int64)
                    if np.array_equal(integral, arr):
                        arr = integral
                data[col.name] = arr
            elif col.kind == "boolean":
                data[col.name] = (np.asarray(values, dtype=bool) if None not in values
                                  else np.asarray(values, dtype=object))
            elif col.kind == "datetime":
                data[col.name] = pd.to_datetime(values)
            else:
                data[col.name] = np.asarray(values, dtype=object)
        return pd.DataFrame(data, columns=self.names)

    def _run(self, X: Any, probabilities: bool, assume_finite: bool) -> Prediction:
        if assume_finite:
            import sklearn

            with sklearn.config_context(assume_finite=True):
                return self._run(X, probabilities, False)
        Xt = X
        for step in self._head or ():
            Xt = step.transform(Xt)
        predictions = self._final.predict(Xt)
        proba = None
        if probabilities and self.has_probabilities:
            proba = self._final.predict_proba(Xt)
        return Prediction(np.asarray(predictions), proba)

    def predict(self, batch: Batch, probabilities: bool = True) -> Prediction:
        """Predictions (and class probabilities for a classifier when asked) of a Batch.

        A model that rejects the values (e.g. an encoder meeting an unknown category) raises
        InputError 422 with the model's message.
        """
        if self.fast is not None and batch.complete:
            predictions, proba = self.fast.predict(self._matrix(batch),
                                                   probabilities and self.has_probabilities)
            return Prediction(predictions, proba)
        self.load_model()
        X = self._matrix(batch) if self.uses_matrix else self._frame(batch)
        try:
            return self._run(X, probabilities, batch.complete)
        except (ValueError, TypeError) as exc:
            raise InputError(f"the model rejected the input: {exc}", 422) from None
