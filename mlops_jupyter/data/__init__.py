"""Pure data layer: fingerprint, schema, profile, Parquet round trip and diff of pandas frames.

No SQL, no file I/O, no IPython: the store calls these to implement ``mj.snapshot``,
``mj.load_snapshot`` and ``mj.diff_snapshots``.
"""

from .diff import SnapshotDiff, diff_profiles
from .fingerprint import fingerprint
from .profile import profile_column, profile_frame
from .schema import KINDS, ColumnSchema, column_kind, infer_schema, schema_from_json, schema_to_json
from .serialization import frame_from_parquet_bytes, frame_to_parquet_bytes

__all__ = [
    "KINDS",
    "ColumnSchema",
    "SnapshotDiff",
    "column_kind",
    "diff_profiles",
    "fingerprint",
    "frame_from_parquet_bytes",
    "frame_to_parquet_bytes",
    "infer_schema",
    "profile_column",
    "profile_frame",
    "schema_from_json",
    "schema_to_json",
]
