"""Validation and normalisation of names and logged values."""

from __future__ import annotations

import json
import math
import numbers
import re
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidNameError, InvalidValueError

_NAME_RE = re.compile(r"^[\w\-. /:]+$")
MAX_NAME_LENGTH = 255


def validate_name(name: Any, what: str) -> str:
    """Return ``name`` if it is a usable key; otherwise an error that shows the bad name."""
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} name must be a string, got {type(name).__name__}: {name!r}")
    if not name or not name.strip():
        raise InvalidNameError(f"{what} name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(f"{what} name {name[:40]!r}... is {len(name)} characters; at most {MAX_NAME_LENGTH}")
    if not _NAME_RE.match(name):
        bad = sorted({c for c in name if not _NAME_RE.match(c)})
        raise InvalidNameError(
            f"{what} name {name!r} contains {''.join(bad)!r}; use letters, digits and _ - . / : or space"
        )
    return name


# One param value, as JSON text, is at most this long (MLflow's limit too): a param is a
# setting to compare across runs; bigger things belong in an artifact.
MAX_PARAM_CHARS = 6000
MAX_PARAM_DEPTH = 50
# Integers of more bits than this have more than ~4200 digits: beyond MAX_PARAM_CHARS once
# nested, and beyond what Python converts to text by default (4300 digits).
_MAX_PARAM_INT_BITS = 14_000
# A metric step is stored as a 64-bit signed integer on every backend.
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1
_ADVICE = "log a summary of it instead, or the whole value as an artifact (log_artifact)"


class _Unstorable(Exception):
    """Why a param value cannot be stored (completes "param 'key' ...")."""


def _jsonable(value: Any, path: set[int] | None = None) -> Any:
    """Typed JSON for a param value; TypeError for what JSON cannot hold, _Unstorable for
    what must not be stored at all (it contains itself, is too deep or too long)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        value = int(value)
        if value.bit_length() > _MAX_PARAM_INT_BITS:
            digits = int(value.bit_length() * math.log10(2))
            raise _Unstorable(f"is an integer of about {digits:,} digits; a param value is at "
                              f"most {MAX_PARAM_CHARS} characters")
        return value
    if isinstance(value, numbers.Real):
        as_float = float(value)
        # PostgreSQL's JSON has no NaN/inf: keep them readable as strings.
        return as_float if math.isfinite(as_float) else repr(as_float)
    if isinstance(value, (list, tuple)) or (
            isinstance(value, Mapping) and all(isinstance(k, str) for k in value)):
        path = set() if path is None else path
        if id(value) in path:
            raise _Unstorable("contains itself (a recursive list or dict)")
        if len(path) >= MAX_PARAM_DEPTH:
            raise _Unstorable(f"is nested more than {MAX_PARAM_DEPTH} levels deep")
        path.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {k: _jsonable(v, path) for k, v in value.items()}
            return [_jsonable(v, path) for v in value]
        finally:
            path.discard(id(value))
    raise TypeError(type(value).__name__)


def _describe(value: Any) -> str:
    """repr(value), at most 1000 characters; never fails (a broken __repr__ is the user's)."""
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - any error of user code
        text = f"<{type(value).__module__}.{type(value).__qualname__} (repr failed: {exc!r:.80})>"
    return text if len(text) <= 1000 else text[:997] + "..."


def _normalize_param(key: str, value: Any, stored_as_repr: list[str]) -> Any:
    validate_name(key, "param")
    try:
        normalized = _jsonable(value)
        text = json.dumps(normalized)
    except _Unstorable as exc:
        raise InvalidValueError(f"param {key!r} {exc}: {_ADVICE}") from None
    except (TypeError, ValueError):
        normalized = _describe(value)
        text = json.dumps(normalized)
        stored_as_repr.append(key)
    if len(text) > MAX_PARAM_CHARS:
        raise InvalidValueError(
            f"param {key!r} is {len(text):,} characters as JSON; a param value is at most "
            f"{MAX_PARAM_CHARS} characters: {_ADVICE}"
        )
    return normalized


def normalize_params(params: Mapping[str, Any], *,
                     skipped: list[str] | None = None) -> dict[str, Any]:
    """Params as typed JSON; values JSON cannot hold are stored as their repr, with one warning.

    A param that cannot be stored at all (a bad name, a value that contains itself or is
    longer than ``MAX_PARAM_CHARS``) raises before anything is stored; with ``skipped``
    (automatic capture, which must never fail the user's cell) it is left out instead and
    the reason appended to ``skipped``.
    """
    if not isinstance(params, Mapping):
        raise InvalidValueError(f"params must be a mapping of names to values; got "
                                f"{type(params).__name__}")
    out: dict[str, Any] = {}
    stored_as_repr: list[str] = []
    for key, value in params.items():
        try:
            out[key] = _normalize_param(key, value, stored_as_repr)
        except (InvalidNameError, InvalidValueError) as exc:
            if skipped is None:
                raise
            skipped.append(f"{exc} (not recorded)")
    if stored_as_repr:
        warnings.warn(
            f"params {', '.join(stored_as_repr)} are not JSON values; stored as their repr()",
            stacklevel=3,
        )
    return out


def metric_value(key: str, value: Any) -> float:
    """``value`` as the float stored for metric ``key``, or an error naming the metric."""
    validate_name(key, "metric")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        from decimal import Decimal

        item = value if isinstance(value, Decimal) else None
        try:
            import numpy as np

            if isinstance(value, np.ndarray) and value.size == 1:
                item = value.item()
        except ImportError:  # pragma: no cover
            pass
        if isinstance(item, bool) or not isinstance(item, (numbers.Real, Decimal)):
            raise TypeError(
                f"metric {key!r} must be a real number, got {type(value).__name__}: {value!r:.80}"
            )
        value = item
    try:
        number = float(value)
    except OverflowError:
        number = None
    # A real infinity (float("inf")) is kept; a finite number too big for a float is not.
    if number is None or (math.isinf(number) and value != number):
        if isinstance(value, numbers.Integral):
            shown = f"an integer of about {int(int(value).bit_length() * math.log10(2)):,} digits"
        else:
            shown = _describe(value)[:60]
        raise InvalidValueError(
            f"metric {key!r} is {shown}, beyond what a 64-bit float holds (about 1.8e308): "
            "log it scaled instead (e.g. its log10)"
        )
    return number


def check_step(key: str, step: Any) -> int:
    """``step`` as an int for metric ``key``, or an error naming the metric and the range."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"step of metric {key!r} must be an int, got {step!r:.80}")
    step = int(step)
    if not STEP_MIN <= step <= STEP_MAX:
        raise InvalidValueError(
            f"step {step} of metric {key!r} is out of range: a step is a 64-bit signed "
            "integer, from -2**63 to 2**63-1"
        )
    return step


def as_number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (a NumPy scalar too, not a bool), else
    None; an int too big for a float is None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        shape = getattr(value, "shape", None)
        if shape == () and hasattr(value, "item"):
            value = value.item()
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                return None
        else:
            return None
    try:
        return float(value)
    except OverflowError:  # an int beyond a float: not a metric we can store
        return None
