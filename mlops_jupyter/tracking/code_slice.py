"""The code slice of a tracked cell: the earlier cells it depends on, from the kernel history.

Stored with a run, the slice makes it reproducible without the notebook file (the deploy
package turns it into train.py). Built from names: the cells that last defined (or later
mutated) each name the cell reads, transitively, in execution order.
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass
from typing import Any

from .cell_analysis import CellNames, cell_names


@dataclass(frozen=True)
class CellExecution:
    execution_count: int
    source: str  # Python source after IPython's transforms (magics become calls)
    cell_id: str | None = None


@dataclass(frozen=True)
class CodeSlice:
    cells: tuple[CellExecution, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cells": [{"execution_count": c.execution_count, "cell_id": c.cell_id,
                       "source": c.source} for c in self.cells],
            "warnings": list(self.warnings),
        }

    def script(self, final_cell: str | None = None) -> str:
        parts = [f"# In[{c.execution_count}]\n{c.source.rstrip()}\n" for c in self.cells]
        if final_cell is not None:
            parts.append(f"# tracked cell\n{final_cell.rstrip()}\n")
        return "\n".join(parts)


def compute_code_slice(cell_source: str, history: list[CellExecution]) -> CodeSlice:
    """Slice of ``history`` (earlier executions, oldest first) that ``cell_source`` needs."""
    names: dict[int, CellNames | None] = {}

    def names_of(index: int) -> CellNames | None:
        if index not in names:
            names[index] = cell_names(history[index].source)
        return names[index]

    target = cell_names(cell_source)
    if target is None:
        return CodeSlice((), ("the tracked cell could not be parsed; no code slice recorded",))
    included: set[int] = set()
    warnings: list[str] = []
    pending = sorted(target.reads)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        definer = None
        for index in range(len(history) - 1, -1, -1):
            found = names_of(index)
            if found is not None and name in found.defines:
                definer = index
                break
        if definer is None:
            if not hasattr(builtins, name) and name not in sys.modules:
                warnings.append(
                    f"`{name}` was never defined by a cell in this kernel's history "
                    "(created by %run, a magic or an extension?): the slice cannot rebuild it"
                )
            continue
        # The defining cell, plus any later cell that changed the object in place.
        sources = [definer] + [
            i for i in range(definer + 1, len(history))
            if (n := names_of(i)) is not None and name in n.mutates
        ]
        for index in sources:
            if index not in included:
                included.add(index)
                pending.extend(sorted(names_of(index).reads))  # type: ignore[union-attr]
        warning = _rerun_warning(name, definer, history, names_of)
        if warning:
            warnings.append(warning)
    cells = tuple(history[i] for i in sorted(included))
    return CodeSlice(cells, tuple(warnings))


def _rerun_warning(name: str, definer: int, history: list[CellExecution], names_of) -> str | None:
    cell_id = history[definer].cell_id
    if cell_id is None:
        return None
    for later in range(definer + 1, len(history)):
        entry = history[later]
        if entry.cell_id == cell_id and entry.source != history[definer].source:
            later_names = names_of(later)
            if later_names is None or name not in later_names.defines:
                return (
                    f"`{name}` comes from cell {cell_id} as run at In[{history[definer].execution_count}]; "
                    f"that cell was re-run at In[{entry.execution_count}] with different code that "
                    f"no longer defines it: re-run the cells in order to make this run reproducible"
                )
    return None
