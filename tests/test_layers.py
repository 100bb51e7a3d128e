"""Imports point down only: every import in the package, checked against the layer table.

The table is docs/architecture.md's diagram. A module may import modules of its own layer
and of lower ones; the bottom modules (errors, formatting, rendering, _version, run_ids) are
importable by all and import only each other. ``analysis/`` and ``data/`` are pure: they
also never import the store, IPython, widgets, plotly or SQLAlchemy. And no module imports
a private name (``_x``) of another area of the package: what one area needs from another
is public.

Every import counts: module level, inside functions and classes, under ``TYPE_CHECKING``,
relative and absolute. Run ``pytest tests/test_layers.py`` after moving code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "mlops_jupyter"
PACKAGE_DIR = ROOT / PACKAGE

# layer -> rank; an import may go to the same rank or lower
RANKS = {
    "bottom": 0,
    "store": 1,
    "analysis": 2, "data": 2,
    "tracking": 3, "deploy": 3, "alerts": 3,
    "api": 4,
    "views": 5,
    "magics": 6, "cli": 6, "server": 6,
    "package root": 7,
}

# first name under mlops_jupyter -> its layer (a new top-level module must be placed here)
AREAS = {
    "errors": "bottom", "formatting": "bottom", "rendering": "bottom", "_version": "bottom",
    "run_ids": "bottom",
    "store": "store",
    "analysis": "analysis", "data": "data",
    "tracking": "tracking", "deploy": "deploy", "alerts": "alerts",
    "api": "api",
    "views": "views",
    "magics": "magics", "cli": "cli", "server": "server",
}

PURE = {"analysis", "data"}
PURE_MAY_NOT_IMPORT_LAYERS = {"store"}  # lower, but not theirs: they are handed frames
PURE_MAY_NOT_IMPORT_LIBRARIES = {"IPython", "ipywidgets", "ipykernel", "plotly", "sqlalchemy",
                                  "alembic", "fsspec"}

@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    target: str  # the module imported
    name: str | None  # the name imported from it, when that is what is wrong
    message: str

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.file, self.target, self.name)

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.message}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path = ROOT) -> bool:
    """Whether ``name`` (dotted, under mlops_jupyter) is a module or package of the source tree."""
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(name: str) -> str:
    parts = name.split(".")
    if parts == [PACKAGE]:
        return "package root"
    area = parts[1]
    if area not in AREAS:
        raise AssertionError(f"{name}: {area!r} is in no layer: add it to AREAS in "
                             "tests/test_layers.py and to docs/architecture.md")
    return AREAS[area]


def imports_of(path: Path, root: Path = ROOT):
    """(line, module imported, name imported from it or None) for every import in ``path``;
    names under mlops_jupyter are resolved to the module they come from."""
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if module.split(".")[0] == PACKAGE and is_module(submodule, root):
                    yield node.lineno, submodule, None  # ``from . import api``
                else:
                    yield node.lineno, module, alias.name


def is_private(target: str, name: str | None) -> bool:
    """A ``_name`` (not ``__dunder__``) imported, or any module on the way to it below its area
    (``api._runs``); ``_version`` is a bottom module, public to all."""
    parts = target.split(".")[2:] + ([name] if name is not None else [])
    return any(p.startswith("_") and not p.startswith("__") for p in parts)


def violations_of(path: Path, root: Path = ROOT) -> list[Violation]:
    rel = path.relative_to(root).as_posix()
    this = module_name(path, root)
    source_layer = layer_of(this)
    found = []
    for line, target, name in imports_of(path, root):
        top = target.split(".")[0]
        if top != PACKAGE:
            if source_layer in PURE and top in PURE_MAY_NOT_IMPORT_LIBRARIES:
                found.append(Violation(rel, line, target, None,
                                       f"imports {target} ({source_layer} is pure: no {top})"))
            continue
        target_layer = layer_of(target)
        shown = target if name is None else f"{target}.{name}"
        if RANKS[target_layer] > RANKS[source_layer] or (
                source_layer in PURE and target_layer in PURE_MAY_NOT_IMPORT_LAYERS):
            found.append(Violation(rel, line, target, None,
                                   f"imports {shown} (layer {source_layer} -> layer "
                                   f"{target_layer})"))
        elif is_private(target, name) and target.split(".")[:2] != this.split(".")[:2]:
            found.append(Violation(rel, line, target, name,
                                   f"imports {shown} (a private name of "
                                   f"{'.'.join(target.split('.')[:2])}, from layer "
                                   f"{source_layer})"))
    return sorted(found, key=lambda v: v.line)


def all_violations() -> list[Violation]:
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        found.extend(violations_of(path))
    return found


def test_no_import_points_up():
    found = all_violations()
    report = "\n".join(map(str, found))
    assert not found, "imports that point up or reach into another area:\n" + report


def test_the_checker_finds_what_it_must(tmp_path):
    """The walker sees function-level, relative and absolute imports, names the layers, and
    resolves ``from . import x`` to the module x."""
    pkg = tmp_path / PACKAGE
    for sub in ("analysis", "store", "tracking", "api", "views"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "api" / "_runs.py").write_text("")
    (pkg / "store" / "db.py").write_text(
        "from ..errors import X\n"             # down: fine
        "def f():\n"
        "    from .. import api\n"             # function level, relative, upward
        "    import mlops_jupyter.tracking\n"  # absolute, upward
    )
    (pkg / "analysis" / "pure.py").write_text(
        "import numpy\n"
        "def show():\n"
        "    import plotly.graph_objects\n"    # a pure layer importing plotly
        "from ..store.db import f\n"           # lower, but the store: not for a pure layer
    )
    (pkg / "views" / "v.py").write_text(
        "from mlops_jupyter.api._runs import _helper\n"  # down, but private
        "from ..api import _runs\n"                       # a private module of api
        "from .. import errors\n"                         # a bottom module: fine
    )
    messages = sorted(str(v) for path in sorted(pkg.rglob("*.py"))
                      for v in violations_of(path, tmp_path))
    assert messages == [
        "mlops_jupyter/analysis/pure.py:3 imports plotly.graph_objects (analysis is pure: "
        "no plotly)",
        "mlops_jupyter/analysis/pure.py:4 imports mlops_jupyter.store.db.f "
        "(layer analysis -> layer store)",
        "mlops_jupyter/store/db.py:3 imports mlops_jupyter.api (layer store -> layer api)",
        "mlops_jupyter/store/db.py:4 imports mlops_jupyter.tracking "
        "(layer store -> layer tracking)",
        "mlops_jupyter/views/v.py:1 imports mlops_jupyter.api._runs._helper "
        "(a private name of mlops_jupyter.api, from layer views)",
        "mlops_jupyter/views/v.py:2 imports mlops_jupyter.api._runs "
        "(a private name of mlops_jupyter.api, from layer views)",
    ]
