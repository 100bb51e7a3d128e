"""Content-addressed blob store over fsspec: ``ab/cdef...`` by SHA-256, written atomically."""

from __future__ import annotations

import errno
import hashlib
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredBlob:
    blob_hash: str
    size: int
    written: bool  # False when identical bytes were already stored


class ArtifactStore:
    """Blobs addressed by their SHA-256; identical bytes are stored once.

    A blob is written under a temporary name and then renamed, so a process killed in the
    middle of a write never leaves a partial blob under a real name (only a stray ``tmp/``
    file, removed by :meth:`remove_stale_temp_files`).
    """

    def __init__(self, url: str, read_only: bool = False):
        import fsspec

        self.url = url
        self.read_only = read_only  # the store's database is read-only: refuse blob writes too
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.root = self.root.rstrip("/")
        if not read_only:
            try:
                self.fs.makedirs(self.root, exist_ok=True)
            except OSError as exc:
                raise self._write_error(exc) from None

    def _write_error(self, exc: OSError | None):
        from ..errors import StoreError

        if exc is None or exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return StoreError(
                f"the artifact store {self.url} is read-only (a read-only mount or no write "
                "permission): stored blobs can be read but no new ones written; write to a "
                "store you can write (mj.set_store / MLOPS_STORE)"
            )
        if exc.errno == errno.ENOSPC:
            return StoreError(f"the artifact store {self.url} is out of disk space; nothing was "
                              "stored: free some space and try again")
        return StoreError(f"cannot write to the artifact store {self.url}: {exc}")

    def _path(self, blob_hash: str) -> str:
        return f"{self.root}/{blob_hash[:2]}/{blob_hash[2:]}"

    def put_bytes(self, data: bytes) -> StoredBlob:
        if self.read_only:
            raise self._write_error(None)
        blob_hash = hashlib.sha256(data).hexdigest()
        path = self._path(blob_hash)
        if self.fs.exists(path):
            return StoredBlob(blob_hash, len(data), written=False)
        tmp_dir = f"{self.root}/tmp"
        tmp = f"{tmp_dir}/{uuid.uuid4().hex}"
        try:
            self.fs.makedirs(tmp_dir, exist_ok=True)
            with self.fs.open(tmp, "wb") as fh:
                fh.write(data)
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self.fs.mv(tmp, path)
        except OSError as exc:
            try:  # a full disk leaves a partial temp file: do not keep it
                self.fs.rm(tmp)
            except OSError:
                pass
            raise self._write_error(exc) from None
        return StoredBlob(blob_hash, len(data), written=True)

    def get_bytes(self, blob_hash: str) -> bytes:
        from ..errors import NotFoundError

        path = self._path(blob_hash)
        try:
            with self.fs.open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise NotFoundError(
                f"blob {blob_hash[:12]} is missing from the artifact store {self.url}: the "
                "database refers to it but its file is gone (was the artifacts folder moved?)"
            ) from None
        return data

    def exists(self, blob_hash: str) -> bool:
        return self.fs.exists(self._path(blob_hash))

    def remove_stale_temp_files(self) -> int:
        """Delete leftovers of interrupted writes; returns how many were removed."""
        tmp_dir = f"{self.root}/tmp"
        if not self.fs.exists(tmp_dir):
            return 0
        stale = self.fs.ls(tmp_dir, detail=False)
        for path in stale:
            self.fs.rm(path)
        return len(stale)
