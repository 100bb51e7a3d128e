"""Dataframe snapshots: fingerprint, deduplicate, profile and store a frame as Parquet."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..rendering import HtmlReport
from .values import validate_name

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store


@dataclass(frozen=True)
class Snapshot(HtmlReport):
    """A stored, versioned, content-addressed copy of a DataFrame or Series.

    ``id`` is the snapshot's own id, ``version`` counts from 1 per ``name``, ``fingerprint``
    identifies the content, ``n_rows`` and ``columns`` (names) its shape, ``size`` the bytes
    stored, ``created_at`` seconds since the epoch; ``schema``/``profile`` describe the
    columns. ``bytes_written`` is 0 when the content was already stored.
    """

    _html_renderer = "mlops_jupyter.views.snapshot_view:snapshot_html"

    id: str
    name: str
    version: int
    fingerprint: str
    n_rows: int
    columns: tuple[str, ...]
    schema: list[dict[str, Any]] = field(repr=False)
    profile: dict[str, Any] = field(repr=False)
    size: int
    created_at: float
    bytes_written: int = 0  # 0 when the content was already stored

    @classmethod
    def from_row(cls, row: dict[str, Any], bytes_written: int = 0) -> Snapshot:
        return cls(
            id=row["id"], name=row["name"], version=row["version"],
            fingerprint=row["fingerprint"], n_rows=row["rows"],
            columns=tuple(c["name"] for c in row["schema"]), schema=row["schema"],
            profile=row["profile"], size=row["size"], created_at=row["created_at"],
            bytes_written=bytes_written,
        )

    @property
    def meta(self) -> dict[str, Any]:
        """What ``data.diff_profiles`` compares."""
        return {"fingerprint": self.fingerprint, "rows": self.n_rows,
                "schema": self.schema, "profile": self.profile}

    @property
    def rows(self) -> int:
        """Deprecated: use ``n_rows`` (counts are ``n_*`` across the API)."""
        import warnings

        warnings.warn("Snapshot.rows is deprecated: use Snapshot.n_rows", DeprecationWarning,
                      stacklevel=2)
        return self.n_rows

    def _html_title(self) -> str:
        return f"snapshot {self.name} v{self.version}"


def _check_frame(frame: Any) -> None:
    import pandas as pd

    if not isinstance(frame, (pd.DataFrame, pd.Series)):
        raise TypeError(
            f"snapshots take a pandas DataFrame or Series, got {type(frame).__module__}."
            f"{type(frame).__qualname__}; convert it first (e.g. pd.DataFrame(array, columns=...))"
        )


def take_snapshot(store: Store, frame: pd.DataFrame | pd.Series, name: str) -> Snapshot:
    """Store ``frame`` as the next version of ``name`` unless the same content already is.

    Unchanged content under the same name returns the existing version and writes nothing;
    the same content under another name shares its blob (no Parquet written again). A blob
    found missing or shorter than recorded is written again from ``frame``.
    """
    from ..data.fingerprint import fingerprint as fingerprint_of
    from ..data.profile import profile_frame
    from ..data.schema import infer_schema, schema_to_json
    from ..data.serialization import frame_to_parquet_bytes

    _check_frame(frame)
    validate_name(name, "snapshot")
    digest = fingerprint_of(frame)
    existing = store.snapshot_by_fingerprint(digest, name)
    same_content = existing or store.snapshot_by_fingerprint(digest)
    if same_content is not None:
        # The blob may have been deleted or cut short since: store it again, not blindly reuse it.
        restored = _restore_blob_if_lost(store, frame, same_content)
        same_content = {**same_content, **restored}
        written = restored.get("size", 0)
        if existing is not None:
            return Snapshot.from_row(same_content, bytes_written=written)
    as_frame = frame.to_frame() if frame.ndim == 1 else frame
    if same_content is not None:
        blob_hash, size = same_content["blob_hash"], same_content["size"]
        schema_json, profile = same_content["schema"], same_content["profile"]
    else:
        from concurrent.futures import ThreadPoolExecutor

        # Profiling (numpy sorts) and Parquet encoding (Arrow) both release the GIL for
        # most of their time: overlapping them shortens a big first snapshot.
        with ThreadPoolExecutor(max_workers=1) as pool:
            profiling = pool.submit(profile_frame, as_frame)
            blob = store.artifacts.put_bytes(frame_to_parquet_bytes(frame))
            profile = profiling.result()
        blob_hash, size = blob.blob_hash, blob.size
        written = blob.size if blob.written else 0
        schema_json = schema_to_json(infer_schema(as_frame))
    row = store.insert_snapshot({
        "id": uuid.uuid4().hex, "name": name, "fingerprint": digest,
        "rows": int(len(frame)), "n_columns": len(schema_json), "schema": schema_json,
        "profile": profile, "blob_hash": blob_hash, "size": size, "created_at": time.time(),
    })
    return Snapshot.from_row(row, bytes_written=written)


def _restore_blob_if_lost(store: Store, frame: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Store the blob of ``row`` again when its file is gone or cut short; ``{}`` when it is
    there, else the new ``blob_hash``/``size`` (the same unless the Parquet writer changed)."""
    from ..data.serialization import frame_to_parquet_bytes

    what = f"snapshot {row['name']!r} version {row['version']}"
    if store.artifacts.has_blob(row["blob_hash"], row["size"], what):
        return {}
    blob = store.artifacts.put_bytes(frame_to_parquet_bytes(frame))
    if blob.blob_hash != row["blob_hash"]:
        store.replace_snapshot_blob(row["fingerprint"], row["blob_hash"], blob)
    return {"blob_hash": blob.blob_hash, "size": blob.size}


def load_snapshot_frame(store: Store, name_or_id: str, version: int | None = None):
    from ..data.serialization import frame_from_parquet_bytes

    row = store.snapshot_row(name_or_id, version)
    return frame_from_parquet_bytes(store.snapshot_bytes(row))
