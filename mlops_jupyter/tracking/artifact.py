"""What ``log_artifact`` and ``log_model`` return: the stored artifact, readable back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Store


@dataclass(frozen=True)
class Artifact:
    """A file, report or model stored with a run (what ``Run.log_artifact``/``log_model``
    and ``RunRecord.artifact`` return).

    The bytes are content-addressed: ``blob_hash`` is their SHA-256, and :meth:`read_bytes`
    reads exactly those bytes, even if the run later logs another artifact under ``name``.

    Attributes
    ----------
    run_id : str
        The run the artifact belongs to.
    name : str
        Its name within the run (``"model"``, ``"report.txt"``...).
    kind : str
        ``"model"``, ``"file"``, ``"report"``, ``"log"``, ...
    blob_hash : str
        SHA-256 of the bytes (hex), the name of the blob in the artifact store.
    size : int
        Size in bytes.
    meta : Mapping[str, Any]
        What was stored with it (for a model: its class, input schema, feature names...).
    """

    run_id: str
    name: str
    kind: str
    blob_hash: str
    size: int
    meta: Mapping[str, Any] = field(default_factory=dict)
    _store: Store | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], store: Store | None = None) -> Artifact:
        """The artifact of a store row (``run_id, name, kind, blob_hash, size, meta``)."""
        return cls(run_id=row["run_id"], name=row["name"], kind=row["kind"],
                   blob_hash=row["blob_hash"], size=int(row["size"]),
                   meta=dict(row.get("meta") or {}), _store=store)

    def _require_store(self) -> Store:
        if self._store is None:
            from ..errors import InvalidValueError

            raise InvalidValueError(
                f"artifact {self.name!r} was built without a store: read it through "
                f"mj.get_run({self.run_id[:8]!r}).artifact({self.name!r})")
        return self._store

    def read_bytes(self) -> bytes:
        """The stored bytes, checked against ``blob_hash``.

        Raises
        ------
        NotFoundError
            The blob is missing from the artifact store.
        IntegrityError
            The blob on disk no longer matches ``blob_hash``.
        """
        return self._require_store().artifacts.get_bytes(
            self.blob_hash, what=f"artifact {self.name!r} of run {self.run_id[:8]}",
            size=self.size)

    def load(self, trusted: list[str] | None = None) -> Any:
        """The model this artifact holds, loaded with skops under the trust policy.

        Parameters
        ----------
        trusted : list of str, optional
            Type names to trust beyond the automatic policy (see
            :mod:`mlops_jupyter.tracking.models`); the error for a refused type lists them.

        Raises
        ------
        InvalidValueError
            The artifact is not a model (use :meth:`read_bytes`).
        UntrustedTypesError
            The model needs types outside the trust list; nothing was loaded.
        """
        if self.kind != "model":
            from ..errors import InvalidValueError

            raise InvalidValueError(
                f"artifact {self.name!r} of run {self.run_id[:8]} is a {self.kind!r}, not a "
                "model: read it with .read_bytes()")
        from .models import model_from_bytes

        return model_from_bytes(self.read_bytes(), self.name, self.run_id, trusted)

    def __repr__(self) -> str:
        return (f"Artifact(run_id={self.run_id[:8]!r}, name={self.name!r}, kind={self.kind!r}, "
                f"size={self.size}, blob_hash={self.blob_hash[:12]!r})")
