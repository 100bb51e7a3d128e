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


def renamed_keywords(function: str, given: dict[str, Any], renames: dict[str, str],
                     values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (new keyword -> value) with the deprecated keywords in ``given`` moved to
    their new names (``renames``: old -> new), each with a DeprecationWarning naming the new
    one. An unknown keyword, or an old and a new one together, is a TypeError as Python
    gives for a bad call."""
    import warnings

    for old, value in given.items():
        new = renames.get(old)
        if new is None:
            raise TypeError(f"{function}() got an unexpected keyword argument {old!r}")
        if values.get(new) is not None:
            raise TypeError(f"{function}() got {old!r} (the deprecated name) and {new!r}: "
                            f"pass {new}= only")
        warnings.warn(f"{function}({old}=...) is deprecated and will be removed in the next "
                      f"release: use {new}= instead", DeprecationWarning, stacklevel=3)
        values[new] = value
    return values
