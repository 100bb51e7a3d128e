"""Run ids as users type them: a unique prefix of the id (the short id the views show).

One implementation of the prefix lookup, used by the store (on the ids its SQL query
found), by ``mj.compare`` (on the ids of the runs frame) and by ``Comparison.diff`` (on the
ids of one comparison), so the three say the same thing about an empty, unknown or
ambiguous id. A bottom module: it imports only ``errors``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import InvalidValueError, NotFoundError

__all__ = ["run_id_prefix", "match_run_id"]

STORE_WHERE = "in this store"
STORE_LISTED = "mj.runs() lists them"


def run_id_prefix(prefix: object, listed: str = STORE_LISTED) -> str:
    """``prefix`` without surrounding spaces; InvalidValueError if that leaves nothing
    (the empty string is a prefix of every id: it would pick a run at random) or if it is
    not a string. ``listed`` says where the ids can be seen."""
    if not isinstance(prefix, str):
        raise InvalidValueError(f"run id must be a string (a run id or its first characters); "
                                f"got {type(prefix).__name__} {prefix!r:.80}")
    cleaned = prefix.strip()
    if not cleaned:
        raise InvalidValueError(
            f"run id is empty: pass a run id or its first characters ({listed})")
    return cleaned


def match_run_id(prefix: object, run_ids: Iterable[str], *, where: str = STORE_WHERE,
                 listed: str = STORE_LISTED) -> str:
    """The one id of ``run_ids`` that starts with ``prefix``.

    Raises InvalidValueError for an empty prefix, NotFoundError naming the prefix when no id
    or several ids start with it. ``where`` ("in this store") and ``listed`` ("mj.runs()
    lists them") complete the messages.

    Examples
    --------
    >>> match_run_id("3f2a", ["3f2a1b9c", "77e0d4aa"])
    '3f2a1b9c'
    """
    cleaned = run_id_prefix(prefix, listed)
    found = [r for r in dict.fromkeys(run_ids) if r.startswith(cleaned)]
    if not found:
        raise NotFoundError(f"no run with id {cleaned!r} {where} ({listed})")
    if len(found) > 1:
        raise NotFoundError(f"run id prefix {cleaned!r} is ambiguous {where}: "
                            "give more characters")
    return found[0]
