"""What ``mj.get_run`` returns: a finished or running run, read back from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..rendering import HtmlReport

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store
    from .artifact import Artifact


@dataclass(frozen=True)
class RunRecord(HtmlReport):
    """Everything stored about one run, as ``mj.get_run`` reads it back.

    ``id`` is the run's own id; fields that refer to other runs say ``run_id``
    (``parent_run_id``). ``params``/``metrics`` (latest value per key)/``tags`` are dicts,
    ``metric_history`` maps a key to ``[(step, value, time), ...]``, ``artifacts`` and
    ``inputs`` (snapshots with their ``role``) are lists of dicts; :meth:`artifact`,
    :meth:`load_model` and :meth:`load_input` read them back. Displays as the run's page.
    """

    _html_renderer = "mlops_jupyter.views.run_view:run_html"

    id: str
    name: str
    experiment: str
    status: str
    start_time: float
    end_time: float | None
    params: dict[str, Any]
    metrics: dict[str, float]
    metric_history: dict[str, list[tuple[int, float, float]]]  # key -> [(step, value, time)]
    tags: dict[str, str]
    artifacts: list[dict[str, Any]]
    inputs: list[dict[str, Any]]  # snapshots with role (train/test/...)
    parent_run_id: str | None
    children: list[str]
    notebook_path: str | None
    cell_id: str | None
    execution_count: int | None
    cell_source: str | None
    code_slice: dict[str, Any] | None
    environment: dict[str, Any] | None
    git_commit: str | None
    git_dirty: bool | None
    error: str | None
    warnings: list[str]
    _store: Store = field(repr=False, compare=False)

    @classmethod
    def from_record(cls, record: dict[str, Any], store: Store) -> RunRecord:
        names = {f for f in cls.__dataclass_fields__ if not f.startswith("_")}
        values = {k: v for k, v in record.items() if k in names}
        values["warnings"] = record.get("warnings") or []
        return cls(**values, _store=store)

    @property
    def duration(self) -> float | None:
        return None if self.end_time is None else self.end_time - self.start_time

    @property
    def models(self) -> list[str]:
        return [a["name"] for a in self.artifacts if a["kind"] == "model"]

    def metric_frame(self, key: str | None = None) -> pd.DataFrame:
        """Metric histories as a long frame: key, step, value, timestamp."""
        import pandas as pd

        rows = [
            (k, step, value, ts)
            for k, series in self.metric_history.items() if key in (None, k)
            for step, value, ts in series
        ]
        return pd.DataFrame(rows, columns=["key", "step", "value", "timestamp"])

    def load_model(self, name: str | None = None, trusted: list[str] | None = None) -> Any:
        """The run's model ``name`` (its only one when None), loaded with skops."""
        from .models import load_model

        return load_model(self._store, self.id, name, trusted)

    def load_input(self, role: str = "train") -> pd.DataFrame | pd.Series:
        """The frame of the snapshot linked to this run as ``role`` (NotFoundError listing
        the roles it has)."""
        from .snapshots import load_snapshot_frame

        for item in self.inputs:
            if item["role"] == role:
                return load_snapshot_frame(self._store, item["id"])
        roles = sorted({i["role"] for i in self.inputs})
        from ..errors import NotFoundError

        raise NotFoundError(
            f"run {self.id[:8]} has no {role!r} input; it has: {', '.join(roles) or 'none'}"
        )

    def artifact(self, name: str) -> Artifact:
        """The artifact ``name`` of this run (NotFoundError listing the names it has)."""
        from .artifact import Artifact

        for row in self.artifacts:
            if row["name"] == name:
                return Artifact.from_row(row, self._store)
        from ..errors import NotFoundError

        names = ", ".join(a["name"] for a in self.artifacts) or "none"
        raise NotFoundError(f"run {self.id[:8]} has no artifact {name!r}; it has: {names}")

    def artifact_bytes(self, name: str) -> bytes:
        """The bytes of the artifact ``name`` of this run."""
        return self._store.artifact(self.id, name)[1]

    def _html_title(self) -> str:
        return f"run {self.name} ({self.id[:8]})"
