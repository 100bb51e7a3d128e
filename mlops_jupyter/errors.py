"""Errors raised by mlops_jupyter: each says what was wrong and what to do.

    MlopsError
    ├── StoreError                  the store could not be opened, read or written
    │   ├── StoreVersionError       written by a newer mlops-jupyter
    │   └── IntegrityError          a blob's bytes do not match the hash the database holds
    ├── InvalidNameError            a name (run, param, metric, tag, snapshot...) is not allowed
    ├── InvalidValueError           a value or argument is not allowed (names it, says why)
    ├── FilterSyntaxError           a run filter could not be parsed (position + caret)
    ├── NotFoundError               a run, snapshot, artifact or model does not exist
    ├── NoActiveRunError            module-level logging outside a run
    ├── SnapshotError               a frame cannot be stored so that it loads back exactly
    ├── UntrustedTypesError         a model file needs types outside the trust list
    └── ExportError                 an export could not be completed (the parity check...)
"""

from __future__ import annotations


class MlopsError(Exception):
    """Base class of every error this package raises on purpose."""


class StoreError(MlopsError):
    """The store could not be opened, read or written."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of mlops-jupyter than this one."""


class IntegrityError(StoreError):
    """Stored bytes do not match the SHA-256 the database records for them (corrupted,
    truncated or replaced), or the database holds a hash that is not one."""


class InvalidNameError(MlopsError, ValueError):
    """A run, experiment, param, metric, tag or snapshot name is not allowed."""


class InvalidValueError(MlopsError, ValueError):
    """A value or argument is not allowed; the message names it and says what is accepted."""


class FilterSyntaxError(MlopsError, ValueError):
    """A run filter (or order_by) could not be parsed; the message names the position.

    ``position``: the 0-based offset of the error in ``expression`` (None when unknown), so a
    front end can put its caret there; ``what``: ``"run filter"`` or ``"order_by"``.
    """

    def __init__(self, message: str, position: int | None = None,
                 expression: str | None = None, what: str = "run filter"):
        super().__init__(message)
        self.position = position
        self.expression = expression
        self.what = what


class NotFoundError(MlopsError, LookupError):
    """A run, snapshot, artifact or model that was asked for does not exist."""


class NoActiveRunError(MlopsError, RuntimeError):
    """A module-level logging call was made outside ``mj.start_run``/``%%track``."""


class SnapshotError(MlopsError, ValueError):
    """A frame cannot be stored so that it loads back exactly; nothing was stored."""


class UntrustedTypesError(MlopsError):
    """A model file needs types outside the trust list; ``types`` lists them."""

    def __init__(self, message: str, types: list[str]):
        super().__init__(message)
        self.types = list(types)


class ExportError(MlopsError):
    """An export could not be completed: the exported server did not start or answered
    differently from the model (``rows``: the rows that differ); ``path`` is the package
    folder, kept to debug."""

    def __init__(self, message: str, path: object = None, rows: list[int] | None = None):
        super().__init__(message)
        self.path = path
        self.rows = list(rows or ())
