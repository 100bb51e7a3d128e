"""Pure data layer: fingerprint, schema, profile, Parquet round trip and diff of pandas frames.

No SQL, no file I/O, no IPython: the store calls these to implement ``mj.snapshot``,
``mj.load_snapshot`` and ``mj.diff_snapshots``.

The names below are imported on first use (PEP 562), so importing one submodule
(``data.schema``) does not load what the others need (pyarrow, xxhash).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# name -> the submodule that defines it
_EXPORTS = {
    "KINDS": "schema",
    "ColumnSchema": "schema",
    "SnapshotDiff": "diff",
    "column_kind": "schema",
    "diff_profiles": "diff",
    "fingerprint": "fingerprint",
    "frame_from_parquet_bytes": "serialization",
    "frame_to_parquet_bytes": "serialization",
    "infer_schema": "schema",
    "profile_column": "profile",
    "profile_frame": "profile",
    "schema_from_json": "schema",
    "schema_to_json": "schema",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """Keeps ``data.fingerprint`` the function when the submodule of the same name loads.

    Importing a submodule makes it an attribute of its package: once anything imported
    ``data.fingerprint`` (the module), ``from mlops_jupyter.data import fingerprint`` would
    hand out the module instead of the function. The eager imports this package had
    always ended with the function; this keeps it so.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
