"""Lineage of a model: version -> run -> code -> training data -> environment -> git.

Read back from what tracking stored with the run (cell source, code slice, inputs,
environment, git state); the model card of an export prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..tracking.models import run_models
from .registry import (
    ModelVersion,
    get_model_version,
    parse_model_ref,
    resolve_model_ref,
)

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Lineage", "LineageRun", "LineageCode", "LineageSnapshot", "LineageEnvironment",
           "lineage"]


@dataclass(frozen=True)
class LineageRun:
    """The run a model version came from."""

    id: str
    name: str
    experiment: str
    status: str
    params: dict[str, Any]
    metrics: dict[str, float]
    start_time: float
    end_time: float | None
    notebook_path: str | None
    execution_count: int | None


@dataclass(frozen=True)
class LineageCode:
    """The code that trained it: the tracked cell and the earlier cells it depends on
    (``slice``: ``{"execution_count", "cell_id", "source"}`` each, in execution order)."""

    cell_source: str | None
    slice: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]

    def script(self) -> str:
        """The slice then the tracked cell, as one script (``# In[n]`` headers)."""
        parts = [f"# In[{c.get('execution_count')}]\n{str(c.get('source', '')).rstrip()}\n"
                 for c in self.slice]
        if self.cell_source:
            parts.append(f"# tracked cell\n{self.cell_source.rstrip()}\n")
        return "\n".join(parts)


@dataclass(frozen=True)
class LineageSnapshot:
    """A snapshot the run read, with its role (``train``, ``train_target``, ``test``...)."""

    role: str
    name: str
    version: int
    fingerprint: str
    n_rows: int
    n_columns: int
    id: str


@dataclass(frozen=True)
class LineageEnvironment:
    """Where the run ran: Python and the versions of the packages it imported."""

    python: str | None
    implementation: str | None
    platform: str | None
    packages: dict[str, str]


@dataclass(frozen=True)
class Lineage:
    """Where a model version comes from: version -> run -> code -> data -> environment -> git.

    ``model_version`` is None when the reference was a run id (nothing registered named);
    ``registered_as`` lists every version registered from the run (``"churn/3"``...).
    """

    model_version: ModelVersion | None
    model: str | None
    run: LineageRun
    code: LineageCode
    snapshots: tuple[LineageSnapshot, ...]
    environment: LineageEnvironment | None
    git_commit: str | None
    git_dirty: bool | None
    registered_as: tuple[str, ...] = field(default=())

    @property
    def training_snapshots(self) -> tuple[LineageSnapshot, ...]:
        """The snapshots with a training role (``train``, ``train_target``)."""
        return tuple(s for s in self.snapshots if s.role.startswith("train"))

    def to_markdown(self) -> str:
        """The chain as Markdown (what a model card prints)."""
        lines = []
        mv = self.model_version
        if mv is not None:
            lines.append(f"- **Model version**: {mv.ref} ({mv.stage}"
                         + (f"; aliases {', '.join(mv.aliases)}" if mv.aliases else "") + ")")
        run = self.run
        lines.append(f"- **Run**: {run.name} (`{run.id}`), experiment {run.experiment}, "
                     f"{run.status}" + (f", model artifact `{self.model}`" if self.model else ""))
        if run.notebook_path:
            cell = f" cell [{run.execution_count}]" if run.execution_count is not None else ""
            lines.append(f"- **Notebook**: {run.notebook_path}{cell}")
        if self.code.cell_source is not None:
            lines.append(f"- **Code**: the tracked cell and {len(self.code.slice)} earlier "
                         "cell(s) it depends on")
        for snap in self.snapshots:
            lines.append(f"- **Data ({snap.role})**: snapshot {snap.name} v{snap.version}, "
                         f"{snap.n_rows} rows x {snap.n_columns} columns, fingerprint "
                         f"`{snap.fingerprint}`")
        env = self.environment
        if env is not None:
            packages = ", ".join(f"{k}=={v}" for k, v in sorted(env.packages.items()))
            lines.append(f"- **Environment**: {env.implementation or 'Python'} {env.python}"
                         + (f" on {env.platform}" if env.platform else "")
                         + (f"; {packages}" if packages else ""))
        if self.git_commit:
            lines.append(f"- **Git**: commit `{self.git_commit}`"
                         + (" (uncommitted changes)" if self.git_dirty else ""))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_markdown()


def lineage(store: Store, ref: str) -> Lineage:
    """Where the model ``ref`` names comes from: the version, its run (params, metrics),
    the tracked cell and its code slice, the snapshots it read (training data
    fingerprints), the environment (Python, packages) and the git commit."""
    version: ModelVersion | None = None
    model: str | None
    if parse_model_ref(ref) is not None:
        version = get_model_version(store, ref)
        run_id, model = version.run_id, version.model
    else:
        run_id, model = resolve_model_ref(store, ref)
    record = store.run_record(run_id)
    if model is None:
        models_of_run = run_models(record)
        model = models_of_run[0] if len(models_of_run) == 1 else None
    code_slice = record.get("code_slice") or {}
    env = record.get("environment")
    return Lineage(
        model_version=version,
        model=model,
        run=LineageRun(
            id=record["id"], name=record["name"], experiment=record["experiment"],
            status=record["status"], params=dict(record["params"]),
            metrics=dict(record["metrics"]), start_time=record["start_time"],
            end_time=record["end_time"], notebook_path=record["notebook_path"],
            execution_count=record["execution_count"]),
        code=LineageCode(
            cell_source=record["cell_source"],
            slice=tuple(dict(c) for c in code_slice.get("cells", ())),
            warnings=tuple(code_slice.get("warnings", ()))),
        snapshots=tuple(
            LineageSnapshot(role=i["role"], name=i["name"], version=i["version"],
                            fingerprint=i["fingerprint"], n_rows=i["n_rows"],
                            n_columns=i["n_columns"], id=i["id"])
            for i in sorted(record["inputs"], key=lambda i: (i["role"], i["name"]))),
        environment=None if not env else LineageEnvironment(
            python=env.get("python"), implementation=env.get("implementation"),
            platform=env.get("platform"), packages=dict(env.get("packages") or {})),
        git_commit=record["git_commit"],
        git_dirty=record["git_dirty"],
        registered_as=tuple(f"{r['name']}/{r['version']}"
                            for r in store.registrations_of_run(run_id)),
    )
