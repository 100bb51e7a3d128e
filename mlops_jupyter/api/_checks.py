"""Argument checks shared by the public functions: a bad argument is an InvalidValueError
naming it and saying what is accepted, raised before anything is read or written."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidValueError


def invalid(argument: str, value: Any, accepted: str) -> InvalidValueError:
    return InvalidValueError(f"{argument} must be {accepted}; got {type(value).__name__} "
                             f"{value!r:.80}")


def check_str(argument: str, value: Any, optional: bool = True) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise invalid(argument, value, "a string" + (" or None" if optional else ""))


def check_count(argument: str, value: Any, minimum: int) -> None:
    """``value`` is None or an int (not a bool) of at least ``minimum``."""
    import numbers

    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise invalid(argument, value, f"an int >= {minimum} or None")
