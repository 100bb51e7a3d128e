"""Content-addressed blob store over fsspec: ``ab/cdef...`` by SHA-256, written atomically.

Any fsspec URL works: a folder, ``file://``, ``s3://`` (with s3fs; MinIO and other
S3-compatible servers through ``AWS_ENDPOINT_URL``), ``gs://``, ``az://``... A backend's
options come from its own configuration (AWS_* variables, fsspec's ``FSSPEC_S3_*``).
"""

from __future__ import annotations

import errno
import hashlib
import re
import uuid
from dataclasses import dataclass

from ..errors import IntegrityError, NotFoundError, StoreError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    blob_hash: str
    size: int
    written: bool  # False when identical bytes were already stored


def check_blob_hash(blob_hash: object, what: str = "a blob") -> str:
    """``blob_hash`` if it is a SHA-256 in hex (64 lowercase digits), else IntegrityError.

    Hashes come from the database, which a team shares: one that is not a hash could name
    any file (``../../..``), so no path is ever built from it.
    """
    if isinstance(blob_hash, str) and _SHA256_HEX.fullmatch(blob_hash):
        return blob_hash
    shown = repr(blob_hash) if len(repr(blob_hash)) <= 120 else repr(blob_hash)[:117] + "..."
    raise IntegrityError(
        f"{what}: the database gives {shown} as its blob hash, which is not a SHA-256 "
        "(64 lowercase hex digits); no file was read. The database row was edited or "
        "damaged: restore the database from a backup"
    )


# A temporary file older than this belongs to a dead writer (a day covers the slowest upload).
STALE_TEMP_AGE = 24 * 3600.0

# Object stores where an object appears only once its upload completed (S3 PutObject and
# CompleteMultipartUpload, GCS uploads, Azure block-blob commits, fsspec's memory files on
# close): a direct write is atomic there. A "rename" is a server-side copy plus a delete
# (twice the traffic and three requests per blob), so they are written to their real name.
ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})


def _modified(entry: dict) -> float:
    """Last-modified time of an ``fs.ls(detail=True)`` entry, in epoch seconds (local files
    report ``mtime``, object stores ``LastModified``/``updated``); unknown -> now (kept)."""
    import datetime as dt
    import time

    for key in ("mtime", "LastModified", "updated", "last_modified", "created"):
        value = entry.get(key)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, dt.datetime):
            return value.timestamp()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return time.time()


class ArtifactStore:
    """Blobs addressed by their SHA-256; identical bytes are stored once.

    A blob is written under a temporary name and then renamed, so a process killed in the
    middle of a write never leaves a partial blob under a real name (only a stray ``tmp/``
    file, removed by :meth:`remove_stale_temp_files`); object stores, where an upload is
    atomic already, get it under its real name directly (:data:`ATOMIC_PUT_PROTOCOLS`). A write that fails (disk full) removes
    its temporary file itself. Every read is checked against the hash it was asked for.
    """

    def __init__(self, url: str, read_only: bool = False):
        import fsspec

        self.url = url
        self.read_only = read_only  # the store's database is read-only: refuse blob writes too
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except ImportError as exc:  # fsspec names the package: "Install s3fs to access S3"
            scheme = url.split("://", 1)[0]
            extra = " (pip install 'mlops-jupyter[s3]')" if scheme in ("s3", "s3a") else ""
            raise StoreError(f"the artifact store {url} needs the fsspec backend for "
                             f"{scheme}://, which is not installed: {exc}{extra}") from None
        except Exception as exc:  # noqa: BLE001 - a malformed URL or options
            raise StoreError(f"the artifact store {url} cannot be opened: "
                             f"{type(exc).__name__}: {exc}") from None
        self.root = self.root.rstrip("/")
        protocols = (self.fs.protocol,) if isinstance(self.fs.protocol, str) else self.fs.protocol
        self.atomic_put = not ATOMIC_PUT_PROTOCOLS.isdisjoint(protocols)
        self._swept = False
        if not read_only:
            # Creates the folder, or the bucket if it does not exist yet (S3, GCS).
            self._call("open", lambda: self.fs.makedirs(self.root, exist_ok=True), writing=True)

    def _call(self, doing: str, operation, writing: bool = False):
        """``operation()``, with a failure of the backend as a StoreError naming this store.

        FileNotFoundError passes through (callers say what is missing). Object stores fail
        with their client's exceptions (botocore's NoCredentialsError, EndpointConnectionError)
        as well as OSErrors: both become a message saying what to check."""
        try:
            return operation()
        except FileNotFoundError:
            raise
        except OSError as exc:
            if writing:
                raise self._write_error(exc) from exc
            raise self._backend_error(doing, exc) from exc
        except Exception as exc:
            raise self._backend_error(doing, exc) from exc

    def _backend_error(self, doing: str, exc: BaseException) -> StoreError:
        scheme = self.url.split("://", 1)[0] if "://" in self.url else "file"
        hint = {
            "s3": "the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), "
                  "the endpoint of an S3-compatible server such as MinIO (AWS_ENDPOINT_URL) "
                  "and that the server is reachable",
            "gs": "the credentials (GOOGLE_APPLICATION_CREDENTIALS) and the network",
        }.get({"s3a": "s3", "gcs": "gs"}.get(scheme, scheme),
              "that the artifact store is reachable and its credentials are set")
        return StoreError(
            f"cannot {doing} the artifact store {self.url}: {type(exc).__name__}: {exc}. Check "
            f"{hint} (docs/scale.md); nothing was changed")

    def _write_error(self, exc: OSError | None):
        if exc is None or exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return StoreError(
                f"the artifact store {self.url} is read-only (a read-only mount or no write "
                "permission): stored blobs can be read but no new ones written; write to a "
                "store you can write (mj.set_store / MLOPS_STORE)"
            )
        if exc.errno == errno.ENOSPC:
            return StoreError(f"the artifact store {self.url} is out of disk space "
                              f"({exc.strerror or exc}); nothing was stored: free some space "
                              "and try again")
        return StoreError(f"cannot write to the artifact store {self.url}: {exc}. Nothing was "
                          "stored; fix the store's folder or permissions, then try again")

    def _path(self, blob_hash: str, what: str = "a blob") -> str:
        blob_hash = check_blob_hash(blob_hash, what)
        return f"{self.root}/{blob_hash[:2]}/{blob_hash[2:]}"

    def _stored_size(self, path: str) -> int | None:
        try:
            return int(self._call("read", lambda: self.fs.size(path)))
        except FileNotFoundError:
            return None

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` under its SHA-256 unless a file of that name and size is there.

        An existing file is trusted on its size only (reading it back would cost as much as
        writing): a missing or truncated blob is written again; a same-size damaged one is
        caught when read (:meth:`get_bytes`).
        """
        if self.read_only:
            raise self._write_error(None)
        blob_hash = hashlib.sha256(data).hexdigest()
        path = self._path(blob_hash)
        if self._stored_size(path) == len(data):
            return StoredBlob(blob_hash, len(data), written=False)
        if self.atomic_put:
            self._call("write to", lambda: self.fs.pipe_file(path, data), writing=True)
            return StoredBlob(blob_hash, len(data), written=True)
        if not self._swept:
            # A writer killed mid-write (SIGKILL, power loss) leaves its temp file behind:
            # sweep old ones once per process, never files young enough to be in progress.
            self._swept = True
            try:
                self.remove_stale_temp_files(older_than=STALE_TEMP_AGE)
            except (OSError, StoreError):
                pass
        tmp_dir = f"{self.root}/tmp"
        tmp = f"{tmp_dir}/{uuid.uuid4().hex}"
        try:
            self.fs.makedirs(tmp_dir, exist_ok=True)
            with self.fs.open(tmp, "wb") as fh:
                fh.write(data)
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self.fs.mv(tmp, path)
        except BaseException as exc:
            self._discard(tmp)  # a full disk leaves a partial temp file: do not keep it
            if not isinstance(exc, Exception):  # Ctrl-C: cleaned up, re-raised unchanged
                raise
            if isinstance(exc, OSError):
                raise self._write_error(exc) from exc
            raise StoreError(
                f"cannot write a blob of {len(data):,} bytes to the artifact store {self.url}: "
                f"{type(exc).__name__}: {exc}. Nothing was stored; free space or fix the "
                "permissions of the store, then try again"
            ) from exc
        return StoredBlob(blob_hash, len(data), written=True)

    def _discard(self, tmp: str) -> None:
        try:
            self.fs.rm(tmp)
        except OSError:  # never created, or the store itself is gone
            pass

    def get_bytes(self, blob_hash: str, *, what: str = "a blob", size: int | None = None,
                  remedy: str = "restore the artifacts folder from a backup") -> bytes:
        """The bytes stored as ``blob_hash``, checked against it.

        ``what`` names the owner in errors (``"snapshot 'x' version 2"``), ``size`` is the
        size the database recorded (to tell a truncated blob), ``remedy`` says what to do.
        Raises IntegrityError for a bad hash or bytes that do not match it, NotFoundError
        for a missing file.
        """
        path = self._path(blob_hash, what)
        try:
            data = self._call(f"read {what} from", lambda: self.fs.cat_file(path))
        except FileNotFoundError:
            raise NotFoundError(
                f"{what} cannot be read: its blob {blob_hash[:12]} is missing from the artifact "
                f"store {self.url} (the database refers to {path}, which is gone). To repair: "
                f"{remedy}"
            ) from None
        if size is not None and len(data) < size:
            raise IntegrityError(
                f"{what} cannot be read: its blob {path} in {self.url} is truncated "
                f"({len(data)} of {size} bytes). To repair: {remedy}"
            )
        actual = hashlib.sha256(data).hexdigest()
        if actual != blob_hash:
            raise IntegrityError(
                f"{what} cannot be read: its blob {path} in {self.url} was changed on disk "
                f"after it was stored (SHA-256 {actual[:12]}, expected {blob_hash[:12]}). "
                f"To repair: delete that file, then {remedy}"
            )
        return data

    def has_blob(self, blob_hash: str, size: int, what: str = "a blob") -> bool:
        """A file of the right size is stored as ``blob_hash`` (cheap: no read)."""
        return self._stored_size(self._path(blob_hash, what)) == size

    def exists(self, blob_hash: str) -> bool:
        path = self._path(blob_hash)
        return bool(self._call("read", lambda: self.fs.exists(path)))

    def remove_stale_temp_files(self, older_than: float = 0.0) -> int:
        """Delete leftovers of interrupted writes last modified more than ``older_than``
        seconds ago; returns how many were removed.

        ``older_than=0`` removes every temporary file: only safe when no other process is
        writing to this store. The store calls it itself with :data:`STALE_TEMP_AGE` on its
        first write, which no live writer reaches.
        """
        import time

        tmp_dir = f"{self.root}/tmp"
        try:
            # Listed afresh: object stores' clients cache listings, and other processes write.
            self.fs.invalidate_cache(tmp_dir)
            entries = self._call("list", lambda: self.fs.ls(tmp_dir, detail=True))
        except FileNotFoundError:
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for entry in entries:
            if older_than > 0 and _modified(entry) > cutoff:
                continue  # possibly another process's write in progress
            try:
                self.fs.rm(entry["name"])
                removed += 1
            except FileNotFoundError:  # another process cleaned it first
                pass
        return removed
