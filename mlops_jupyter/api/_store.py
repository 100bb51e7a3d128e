"""Which store the public functions use: ``set_store`` / ``get_store`` / ``close_stores``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._checks import invalid

if TYPE_CHECKING:
    from ..store import Store

_store_spec: str | None = None


def set_store(spec: str | os.PathLike[str] | None) -> Store | None:
    """Use the store at ``spec`` (a folder or SQLAlchemy URL) for this process, opening it
    now so a wrong URL fails here; ``None`` goes back to ``MLOPS_STORE`` / the nearest ``.mlops``.

    A store that fails to open is not kept: the previous setting stays in use.
    """
    global _store_spec
    if spec is None:
        _store_spec = None
        return None
    if not isinstance(spec, (str, os.PathLike)):
        raise invalid("spec", spec, "a folder path or a SQLAlchemy URL (str or os.PathLike), "
                      "or None")
    from ..store import open_store

    text = os.fspath(spec)
    store = open_store(text)
    _store_spec = text
    return store


def get_store() -> Store:
    """The store in use: ``set_store`` -> ``MLOPS_STORE`` -> nearest ``.mlops/`` -> ``./.mlops/``."""
    from ..store import open_store

    return open_store(_store_spec)


def close_stores() -> None:
    """Close every store this process opened and forget them.

    Each store's database connections are closed. The next call that needs a store opens it
    again, looking up ``MLOPS_STORE`` and the nearest ``.mlops/`` afresh (a ``set_store``
    choice is kept). Use it before deleting or moving a store folder, in a long-lived
    process that changes ``MLOPS_STORE`` or its working directory, and between tests.

    Examples
    --------
    >>> mj.close_stores()                       # doctest: +SKIP
    >>> shutil.rmtree("old-project/.mlops")     # doctest: +SKIP
    """
    from ..store import close_stores as close_opened

    close_opened()
