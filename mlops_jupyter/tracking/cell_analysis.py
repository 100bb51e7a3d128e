"""What a cell's code says, read from its AST: literal params, metric-like names, names used."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Any

# what %%track captures as a metric: one vocabulary with the comparison's directions
from ..analysis.metric_names import looks_like_metric  # noqa: F401 - used by tracked_cell


@dataclass(frozen=True)
class CellNames:
    """Names a cell defines and reads (reads = used before any definition in the cell)."""

    defines: frozenset[str]
    reads: frozenset[str]
    assigned: tuple[str, ...] = field(default=())  # simple `name = ...` targets, in order
    mutates: frozenset[str] = field(default=frozenset())  # `df["a"] = ...`, `m.attr = ...`


class _NameVisitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.reads: set[str] = set()
        self.assigned: list[str] = []
        self.mutated: set[str] = set()

    def _note_mutation(self, target: ast.AST) -> None:
        while isinstance(target, (ast.Subscript, ast.Attribute)):
            target = target.value
        if isinstance(target, ast.Name):
            self.mutated.add(target.id)

    def _define(self, name: str) -> None:
        self.defined.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.defined:
                self.reads.add(node.id)
        else:
            self._define(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)  # the value is read before the targets are bound
        for target in node.targets:
            self.visit(target)
            if isinstance(target, ast.Name):
                self.assigned.append(target.id)
            else:
                self._note_mutation(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            if node.target.id not in self.defined:
                self.reads.add(node.target.id)
            self._define(node.target.id)
        else:
            self.visit(node.target)
            self._note_mutation(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._define(alias.asname or alias.name.partition(".")[0])

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def _scope(self, node: Any, name: str | None) -> None:
        # Free names inside a function/class body are reads of the enclosing cell, except
        # its own parameters and locals; a coarse rule that errs towards including a cell.
        for dec in getattr(node, "decorator_list", []):
            self.visit(dec)
        inner = _NameVisitor()
        args = getattr(node, "args", None)
        if args is not None:
            for default in [*args.defaults, *args.kw_defaults]:
                if default is not None:
                    self.visit(default)
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    inner.defined.add(arg.arg)
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            inner.visit(stmt)
        self.reads |= {n for n in inner.reads if n not in self.defined}
        if name is not None:
            self._define(name)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.visit(base)
        self._scope(node, node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(node, None)

    def _comprehension(self, node: Any) -> None:
        inner = _NameVisitor()
        for gen in node.generators:
            inner.visit(gen.iter)
            inner.visit(gen.target)
            for cond in gen.ifs:
                inner.visit(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                inner.visit(getattr(node, part))
        self.reads |= {n for n in inner.reads if n not in self.defined}

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension  # type: ignore[assignment]


_BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "_", "__", "___"}


def cell_names(source: str) -> CellNames | None:
    """Names defined and read by ``source`` (Python, after IPython's transforms); None if unparsable."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    visitor = _NameVisitor()
    for stmt in tree.body:
        visitor.visit(stmt)
    return CellNames(
        defines=frozenset(visitor.defined),
        reads=frozenset(visitor.reads - _BUILTINS),
        assigned=tuple(visitor.assigned),
        mutates=frozenset(visitor.mutated),
    )


def literal_assignments(source: str) -> dict[str, Any]:
    """Top-level ``name = <literal>`` assignments (the cell's hyper-parameters), last one wins."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            value_node = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            value_node = stmt.value
        else:
            continue
        try:
            value = ast.literal_eval(value_node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            found[target.id] = value  # type: ignore[union-attr]
    return found
