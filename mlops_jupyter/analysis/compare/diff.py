"""The diff of two runs: params, metrics, cell code, packages and training data, side by side.

:func:`diff_runs` takes two run records (``RunRecord`` objects or dicts with the same fields)
and returns a :class:`RunDiff`, changed values first so the reason two runs differ is at the
top. Pure: the snapshot diff of the training data is computed by a callable handed in.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...formatting import format_value
from ...rendering import HtmlReport

__all__ = ["InputChange", "PackageChange", "RunDiff", "ValueChange", "diff_runs"]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


@dataclass(frozen=True)
class ValueChange:
    key: str
    a: Any
    b: Any
    status: str  # "same", "changed", "only in A", "only in B"

    @property
    def changed(self) -> bool:
        return self.status != "same"


@dataclass(frozen=True)
class PackageChange:
    package: str
    a: str | None
    b: str | None


@dataclass(frozen=True)
class InputChange:
    role: str
    a: Mapping[str, Any] | None  # {name, version, fingerprint, rows, n_columns}
    b: Mapping[str, Any] | None
    same_content: bool
    details: str  # what changed, from the snapshot diff when it could be computed


@dataclass(frozen=True)
class RunDiff(HtmlReport):
    """How two runs differ: params, metrics, cell code, package versions, training data.

    Shows itself as static HTML (changed values marked, the code diff coloured):
    ``to_html()``/``save_html(path)`` give one self-contained page.
    """

    _html_renderer: ClassVar[str] = "mlops_jupyter.views.compare_static:run_diff_fragment"

    a_run_id: str
    b_run_id: str
    a_name: str
    b_name: str
    params: tuple[ValueChange, ...]
    metrics: tuple[ValueChange, ...]
    code_diff: tuple[str, ...]  # unified diff lines of the cell source ("" when same)
    code_a: str | None
    code_b: str | None
    packages: tuple[PackageChange, ...]  # changed, added or removed package versions
    python: tuple[str | None, str | None] | None  # (a, b) when the Python version differs
    inputs: tuple[InputChange, ...]

    @property
    def a_id(self) -> str:
        """Deprecated: use ``a_run_id``."""
        import warnings

        warnings.warn("RunDiff.a_id is deprecated: use RunDiff.a_run_id", DeprecationWarning,
                      stacklevel=2)
        return self.a_run_id

    @property
    def b_id(self) -> str:
        """Deprecated: use ``b_run_id``."""
        import warnings

        warnings.warn("RunDiff.b_id is deprecated: use RunDiff.b_run_id", DeprecationWarning,
                      stacklevel=2)
        return self.b_run_id

    @property
    def changed_params(self) -> tuple[ValueChange, ...]:
        return tuple(p for p in self.params if p.changed)

    @property
    def same_code(self) -> bool:
        return not self.code_diff

    def summary(self) -> str:
        lines = [f"A = {self.a_name} ({self.a_run_id[:8]}), B = {self.b_name} ({self.b_run_id[:8]})"]
        changed = self.changed_params
        lines.append("params: " + (", ".join(f"{p.key}: {format_value(p.a)} -> {format_value(p.b)}" for p in changed)
                                   if changed else "same"))
        lines.append("metrics: " + (", ".join(f"{m.key}: {format_value(m.a)} -> {format_value(m.b)}"
                                              for m in self.metrics if m.changed) or "same"))
        if self.code_a is None and self.code_b is None:
            lines.append("code: not recorded")
        else:
            added = sum(1 for line in self.code_diff if line.startswith("+") and not line.startswith("+++"))
            removed = sum(1 for line in self.code_diff if line.startswith("-") and not line.startswith("---"))
            lines.append("code: same" if self.same_code else f"code: +{added} -{removed} lines")
        if self.python:
            lines.append(f"python: {self.python[0]} -> {self.python[1]}")
        lines.append("packages: " + (", ".join(f"{p.package} {p.a or '-'} -> {p.b or '-'}"
                                               for p in self.packages) or "same"))
        for item in self.inputs:
            lines.append(f"data ({item.role}): {item.details}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<RunDiff {self.a_name} ({self.a_run_id[:8]}) vs {self.b_name} ({self.b_run_id[:8]}): "
                f"{len(self.changed_params)} params changed, code {'same' if self.same_code else 'changed'}, "
                f"{len(self.packages)} package versions changed>")

    def _html_title(self) -> str:
        return f"Diff of runs {self.a_name} ({self.a_run_id[:8]}) and {self.b_name} ({self.b_run_id[:8]})"


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b) and type(a) is type(b) or (_is_number(a) and _is_number(b) and a == b)
    except Exception:  # noqa: BLE001 - exotic values: compare as text
        return repr(a) == repr(b)


def _side_by_side(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[ValueChange, ...]:
    out = []
    for key in sorted(set(a) | set(b), key=str):
        if key not in b:
            out.append(ValueChange(key, a[key], None, "only in A"))
        elif key not in a:
            out.append(ValueChange(key, None, b[key], "only in B"))
        else:
            out.append(ValueChange(key, a[key], b[key], "same" if _same(a[key], b[key]) else "changed"))
    # changed first, so the reason two runs differ is at the top
    return tuple(sorted(out, key=lambda c: (c.status == "same",)))


def diff_runs(a: Any, b: Any, *, snapshot_diff: Any = None) -> RunDiff:
    """Compare two runs (RunRecord objects or dicts with the same fields).

    ``snapshot_diff(a_snapshot_id, b_snapshot_id)`` (optional) describes how two training
    snapshots differ; without it only fingerprint, rows and column counts are compared.
    """
    a_id, b_id = str(_get(a, "id") or _get(a, "run_id") or "A"), str(_get(b, "id") or _get(b, "run_id") or "B")
    code_a, code_b = _get(a, "cell_source"), _get(b, "cell_source")
    code_diff: tuple[str, ...] = ()
    if (code_a or "") != (code_b or ""):
        code_diff = tuple(line.rstrip("\n") for line in difflib.unified_diff(
            (code_a or "").splitlines(), (code_b or "").splitlines(),
            fromfile=f"A {a_id[:8]}", tofile=f"B {b_id[:8]}", lineterm="", n=2))
    env_a, env_b = _get(a, "environment") or {}, _get(b, "environment") or {}
    pk_a, pk_b = env_a.get("packages") or {}, env_b.get("packages") or {}
    packages = tuple(PackageChange(p, pk_a.get(p), pk_b.get(p)) for p in sorted(set(pk_a) | set(pk_b))
                     if pk_a.get(p) != pk_b.get(p))
    py_a, py_b = env_a.get("python"), env_b.get("python")
    python = (py_a, py_b) if py_a != py_b and (py_a or py_b) else None
    return RunDiff(
        a_id, b_id, str(_get(a, "name") or a_id[:8]), str(_get(b, "name") or b_id[:8]),
        _side_by_side(_get(a, "params") or {}, _get(b, "params") or {}),
        _side_by_side(_get(a, "metrics") or {}, _get(b, "metrics") or {}),
        code_diff, code_a, code_b, packages, python,
        _input_changes(_get(a, "inputs") or [], _get(b, "inputs") or [], snapshot_diff),
    )


def _input_changes(a: Sequence[Mapping], b: Sequence[Mapping], snapshot_diff: Any) -> tuple[InputChange, ...]:
    by_a = {i["role"]: i for i in a}
    by_b = {i["role"]: i for i in b}
    out = []
    for role in sorted(set(by_a) | set(by_b)):
        ia, ib = by_a.get(role), by_b.get(role)
        if ia is None or ib is None:
            present = ia or ib
            side = "A" if ia else "B"
            out.append(InputChange(role, ia, ib, False,
                                   f"only {side} has one: {present.get('name')} v{present.get('version')}"))
            continue
        same = ia.get("fingerprint") == ib.get("fingerprint") and ia.get("fingerprint") is not None
        if same:
            details = f"same data ({ia.get('name')} v{ia.get('version')}, {_rows(ia)})"
        else:
            details = (f"{ia.get('name')} v{ia.get('version')} -> {ib.get('name')} v{ib.get('version')}; "
                       f"rows {_rows(ia)} -> {_rows(ib)}, columns {ia.get('n_columns')} -> {ib.get('n_columns')}")
            if snapshot_diff is not None and ia.get("id") and ib.get("id"):
                try:
                    found = snapshot_diff(ia["id"], ib["id"])
                    details += "; " + "; ".join(found.summary().splitlines())
                except Exception as exc:  # noqa: BLE001 - a missing profile must not hide the rest
                    details += f"; (snapshot diff unavailable: {exc})"
        out.append(InputChange(role, ia, ib, same, details))
    return tuple(out)


def _rows(item: Mapping[str, Any]) -> str:
    rows = item.get("n_rows")
    return f"{rows:,}" if isinstance(rows, int) else "?"
