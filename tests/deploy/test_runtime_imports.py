"""The serving runtime imports nothing of mlops_jupyter: only its own modules, the copied
drift statistics, the standard library and the model's libraries (checked statically here;
tests/deploy/test_serve_http.py runs it with every mlops_jupyter import blocked)."""

from __future__ import annotations

import ast
import sys

from mlops_jupyter.deploy.layout import RUNTIME_DIR, RUNTIME_FILES, STATISTICS_MODULE

ALLOWED_LIBRARIES = {"numpy", "pandas", "scipy", "sklearn", "skops", "uvicorn"}
# Offline scoring needs more than serving; requirements.txt leaves these out, so the module
# that uses them imports them only inside functions (the server never loads them).
OPTIONAL_LIBRARIES = {"batch.py": {"pyarrow", "tqdm"}}


def runtime_modules() -> set[str]:
    return {p.stem for p in RUNTIME_DIR.glob("*.py")} | {STATISTICS_MODULE[:-3]}


def top_level_imports(path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "." * node.level + (node.module or "")))
            else:
                found.append((node.lineno, (node.module or "").split(".")[0]))
    return found


def module_level_imports(path) -> set[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {(node.lineno, a.name.split(".")[0]) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add((node.lineno, (node.module or "").split(".")[0]))
    return found


def test_runtime_imports_only_itself_the_stdlib_and_the_model_libraries():
    siblings = runtime_modules()
    bad = []
    for path in sorted(RUNTIME_DIR.glob("*.py")):
        for line, name in top_level_imports(path):
            if name.startswith("."):
                bad.append(f"{path.name}:{line} relative import {name} (the files are copied "
                           "flat into a package: import siblings by name)")
            elif name == "mlops_jupyter":
                bad.append(f"{path.name}:{line} imports mlops_jupyter")
            elif name in OPTIONAL_LIBRARIES.get(path.name, ()):
                if (line, name) in module_level_imports(path):
                    bad.append(f"{path.name}:{line} imports {name} at module level; "
                               "requirements.txt does not list it: import it where it is used")
            elif not (name in siblings or name in sys.stdlib_module_names
                      or name in ALLOWED_LIBRARIES or name == "__future__"):
                bad.append(f"{path.name}:{line} imports {name}, which a package's "
                           "requirements.txt does not list")
    assert not bad, "\n".join(bad)


def test_the_layout_copies_every_runtime_module():
    assert {p.name for p in RUNTIME_DIR.glob("*.py")} == {f for f in RUNTIME_FILES
                                                           if f.endswith(".py")}
    assert (RUNTIME_DIR / "README.md").is_file()


def test_the_drift_statistics_have_one_source():
    """The runtime imports drift_statistics; the repository holds no copy of it."""
    assert not (RUNTIME_DIR / STATISTICS_MODULE).exists()
    for path in RUNTIME_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not defined & {"ks_wasserstein", "numeric_statistics", "categorical_statistics",
                              "psi"}, f"{path.name} re-implements the drift statistics"


def test_copied_package_holds_the_statistics_module(iris_package):
    from mlops_jupyter.analysis.drift import statistics

    copied = (iris_package / STATISTICS_MODULE).read_bytes()
    assert copied == open(statistics.__file__, "rb").read()
