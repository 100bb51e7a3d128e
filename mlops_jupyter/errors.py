"""Errors raised by mlops_jupyter: each says what was wrong and what to do."""

from __future__ import annotations


class MlopsError(Exception):
    """Base class of every error this package raises on purpose."""


class StoreError(MlopsError):
    """The store could not be opened or written."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of mlops-jupyter than this one."""


class InvalidNameError(MlopsError, ValueError):
    """A run, experiment, param, metric, tag or snapshot name is not allowed."""


class FilterSyntaxError(MlopsError, ValueError):
    """A run filter expression could not be parsed; the message names the position."""


class NotFoundError(MlopsError, LookupError):
    """A run, snapshot, artifact or model that was asked for does not exist."""


class NoActiveRunError(MlopsError, RuntimeError):
    """A module-level logging call was made outside ``mj.start_run``/``%%track``."""
