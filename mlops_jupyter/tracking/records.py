"""What ``mj.get_run`` returns: a finished or running run, read back from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..rendering import HtmlReport

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store


@dataclass(frozen=True)
class RunRecord(HtmlReport):
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
        from .models import load_model

        return load_model(self._store, self.id, name, trusted)

    def load_input(self, role: str = "train"):
        from .snapshots import load_snapshot_frame

        for item in self.inputs:
            if item["role"] == role:
                return load_snapshot_frame(self._store, item["id"])
        roles = sorted({i["role"] for i in self.inputs})
        from ..errors import NotFoundError

        raise NotFoundError(
            f"run {self.id[:8]} has no {role!r} input; it has: {', '.join(roles) or 'none'}"
        )

    def artifact_bytes(self, name: str) -> bytes:
        return self._store.artifact(self.id, name)[1]

    def _html_title(self) -> str:
        return f"run {self.name} ({self.id[:8]})"
