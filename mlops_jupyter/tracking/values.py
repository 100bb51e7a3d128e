"""Validation and normalisation of names and logged values."""

from __future__ import annotations

import json
import math
import numbers
import re
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidNameError

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


def _jsonable(value: Any) -> Any:
    """Typed JSON for a param value, or raise TypeError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        as_float = float(value)
        # PostgreSQL's JSON has no NaN/inf: keep them readable as strings.
        return as_float if math.isfinite(as_float) else repr(as_float)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def normalize_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as typed JSON; values JSON cannot hold are stored as their repr, with one warning."""
    out: dict[str, Any] = {}
    stored_as_repr: list[str] = []
    for key, value in params.items():
        validate_name(key, "param")
        try:
            normalized = _jsonable(value)
            json.dumps(normalized)
        except (TypeError, ValueError):
            normalized = repr(value)
            if len(normalized) > 1000:
                normalized = normalized[:997] + "..."
            stored_as_repr.append(key)
        out[key] = normalized
    if stored_as_repr:
        warnings.warn(
            f"params {', '.join(stored_as_repr)} are not JSON values; stored as their repr()",
            stacklevel=3,
        )
    return out


def metric_value(key: str, value: Any) -> float:
    validate_name(key, "metric")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            import numpy as np

            if isinstance(value, np.ndarray) and value.size == 1:
                return float(value.item())
        except ImportError:  # pragma: no cover
            pass
        raise TypeError(
            f"metric {key!r} must be a real number, got {type(value).__name__}: {value!r:.80}"
        )
    return float(value)
