"""``train.py``: a tracked run's code as a plain Python script that trains the model again.

The script is the run's code slice (the earlier cells the tracked cell depends on, in
execution order) followed by the tracked cell, cleaned so that it runs with ``python``:

- IPython magics (``%matplotlib``, ``!pip``, ``files = !ls``, cell magics) are removed, each
  with a comment saying what was there; the Python body of ``%%time``/``%%capture``-like
  cell magics is kept;
- display-only lines are removed: ``display(...)`` and a cell's bare trailing expression
  when it only shows a value (``df``, ``df.head()``, ``acc, f1``); a trailing call that may
  do something (``model.fit(X, y)``) stays;
- ``mlops_jupyter`` imports are replaced by a stand-in whose calls do nothing, so the script
  records nothing and needs no store (nor this project installed);
- the training data is the run's own input snapshots, loaded from Parquet files next to the
  script into the variable each had in the notebook, right before the tracked cell. A cell
  of the slice that was only needed to build those frames (reading a CSV, a database...) is
  kept commented out; one that also builds something else the cell reads (the test split)
  still runs;
- the last line prints the tracked cell's metric variables as JSON, to compare with the
  run's recorded metrics (listed in the script's docstring).

The stored code slice's reproducibility warnings are carried as comments at the top.
"""

from __future__ import annotations

import ast
import keyword
import re
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidValueError, NotFoundError
from ..tracking.cell_analysis import cell_names
from ..tracking.code_slice import CellExecution, compute_code_slice

if TYPE_CHECKING:
    from ..store import Store
    from ..tracking.records import RunRecord

__all__ = ["training_script", "write_training_script", "snapshot_file_name", "clean_cell",
           "preferred_inputs", "script_metrics", "data_only_script", "SCRIPT_NAME"]

SCRIPT_NAME = "train.py"

# Cell magics whose body is Python that runs as the cell (kept, the magic line removed).
_PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "track"})
# Methods whose call as a cell's last line only shows something.
_DISPLAY_METHODS = frozenset({"head", "tail", "describe", "info", "sample", "value_counts",
                              "nunique", "isna", "isnull", "memory_usage"})
_DISPLAY_FUNCTIONS = frozenset({"display", "len", "type", "repr"})
_PURE_NODES = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple,
               ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
               ast.JoinedStr, ast.FormattedValue, ast.Starred, ast.expr_context, ast.operator,
               ast.unaryop, ast.boolop, ast.cmpop, ast.keyword)
_UNTRACKED = "_Untracked()"
_UNTRACKED_CLASS = '''\
class _Untracked:
    """Stands in for mlops_jupyter: every call does nothing (train.py records no run)."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

'''
_SNAPSHOT_LOADER = '''\
def _load_snapshot(relative_path):
    """A snapshot file written by mlops-jupyter: a DataFrame, or a Series when it was one."""
    import json

    import pandas as pd
    import pyarrow.parquet as pq

    path = _HERE / relative_path
    frame = pd.read_parquet(path)
    meta = json.loads((pq.read_schema(path).metadata or {}).get(b"mlops_jupyter", b"{}"))
    if meta.get("kind") == "series":
        name = meta.get("series_name")
        return frame.iloc[:, 0].rename(name if not isinstance(name, dict) else frame.columns[0])
    return frame

'''


def snapshot_file_name(name: str, version: int) -> str:
    """``data/<name>-v<version>.parquet``, the name made safe for a file (``/`` and the like
    become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "snapshot"
    return f"data/{safe}-v{version}.parquet"


# -- cleaning one cell ---------------------------------------------------------------------
def _magic_text(call: ast.Call) -> str | None:
    """``%name args`` / ``!cmd`` for a ``get_ipython().<method>(...)`` call, else None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    args = [str(a.value) if isinstance(a, ast.Constant) else "..." for a in call.args]
    if func.attr == "run_line_magic" and len(args) >= 2:
        return f"%{args[0]} {args[1]}".rstrip()
    if func.attr == "run_cell_magic" and len(args) >= 2:
        return f"%%{args[0]} {args[1]}".rstrip()
    if func.attr in ("system", "getoutput") and args:
        return f"!{args[0]}"
    return f"get_ipython().{func.attr}(...)"


def _is_display_only(node: ast.expr) -> bool:
    """Whether evaluating ``node`` can only show a value (no call that may change state)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in _DISPLAY_METHODS:
                continue
            if isinstance(func, ast.Name) and func.id in _DISPLAY_FUNCTIONS:
                continue
            return False
        if not isinstance(sub, _PURE_NODES):
            return False
    return True


def _comment(lines: list[str], indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in lines]


def _strip_cell_magic(source: str) -> tuple[str, list[str]]:
    """A cell starting with ``%%magic``: its Python body (and a note), or all of it commented
    out when the body is not Python (``%%bash``, ``%%html``...)."""
    lines = source.lstrip("\n").splitlines()
    if not lines or not lines[0].startswith("%%"):
        return source, []
    first = lines[0]
    magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
    body = "\n".join(lines[1:])
    if magic in _PYTHON_BODY_CELL_MAGICS:
        return body, [f"# IPython cell magic removed: {first}"]
    return "", [f"# IPython cell magic removed with its cell ({first}):",
                *_comment(lines[1:])]


def _transform(source: str) -> str:
    """IPython's own input transforms (magics become ``get_ipython()`` calls); history
    sources are already transformed, and this is a no-op on them."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is a dependency
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - leave it to the parser below to report
        return source


def clean_cell(source: str) -> tuple[str, bool]:
    """The cell as plain Python: magics and display-only lines replaced by comments,
    ``mlops_jupyter`` imports by the do-nothing stand-in. Returns (source, uses the stand-in).
    A cell that does not parse comes back commented out."""
    source, notes = _strip_cell_magic(source)
    source = _transform(source)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return "\n".join([*notes, f"# this cell could not be parsed ({exc.msg}, line "
                                  f"{exc.lineno}); kept commented out:",
                          *_comment(source.splitlines())]), False
    lines = source.splitlines()
    replace: dict[int, tuple[int, list[str]]] = {}  # first line -> (last line, new lines)
    uses_stand_in = False

    alone = _alone_on_their_lines(tree)

    def sole_statement_on_its_lines(node: ast.stmt) -> bool:
        return id(node) in alone

    top = tree.body
    top_ids = {id(n) for n in top}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or not sole_statement_on_its_lines(node):
            continue
        indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)  # type: ignore[union-attr]
        original = lines[node.lineno - 1: node.end_lineno]
        filler = [f"{indent}pass"] if id(node) not in top_ids else []
        value = getattr(node, "value", None)
        magic = _magic_text(value) if isinstance(value, ast.Call) else None
        if magic is not None and isinstance(node, ast.Expr):
            body = _cell_magic_body(value)  # type: ignore[arg-type]
            if body is not None and id(node) in top_ids:
                cleaned, stand_in = clean_cell(body)
                uses_stand_in |= stand_in
                new = [f"# IPython cell magic removed: {magic}", *cleaned.splitlines()]
            else:
                new = [f"{indent}# IPython magic removed: {magic}", *filler]
            replace[node.lineno] = (node.end_lineno, new)  # type: ignore[assignment]
        elif magic is not None and isinstance(node, ast.Assign):
            targets = " = ".join(ast.unparse(t) for t in node.targets)
            replace[node.lineno] = (node.end_lineno, [  # type: ignore[assignment]
                f"{indent}# IPython magic removed: {targets} = {magic}",
                f"{indent}{targets} = None"])
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_us(node):
            bound = [a.asname or a.name.split(".")[0] for a in node.names]
            uses_stand_in = True
            replace[node.lineno] = (node.end_lineno, [  # type: ignore[assignment]
                f"{indent}# {ln.strip()}  (tracking calls do nothing in train.py)"
                for ln in original] + [f"{indent}{name} = {_UNTRACKED}" for name in bound])
        elif (isinstance(node, ast.Expr) and id(node) in top_ids and isinstance(value, ast.Call)
              and isinstance(value.func, ast.Name) and value.func.id == "display"):
            replace[node.lineno] = (node.end_lineno, [  # type: ignore[assignment]
                "# display only, removed:", *_comment(original)])
    last = top[-1] if top else None
    if (isinstance(last, ast.Expr) and last.lineno not in replace
            and sole_statement_on_its_lines(last) and _is_display_only(last.value)):
        replace[last.lineno] = (last.end_lineno, [  # type: ignore[assignment]
            "# display only, removed:", *_comment(lines[last.lineno - 1: last.end_lineno])])
    out: list[str] = list(notes)
    number = 1
    while number <= len(lines):
        if number in replace:
            end, new = replace[number]
            out.extend(new)
            number = end + 1
        else:
            out.append(lines[number - 1])
            number += 1
    return "\n".join(out).strip("\n"), uses_stand_in


def _alone_on_their_lines(tree: ast.Module) -> set[int]:
    """Ids of the statements that share no line with a sibling (``a = 1; b``) or with the
    header of their parent (``if x: y``): only those are replaced line by line."""
    alone: set[int] = set()
    parents: list[tuple[ast.AST | None, list[ast.stmt]]] = [(None, tree.body)]
    while parents:
        parent, body = parents.pop()
        for i, node in enumerate(body):
            before = body[i - 1].end_lineno if i else None
            after = body[i + 1].lineno if i + 1 < len(body) else None
            if ((before is None or before < node.lineno)
                    and (after is None or node.end_lineno is None or after > node.end_lineno)
                    and (parent is None or getattr(parent, "lineno", None) != node.lineno)):
                alone.add(id(node))
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(node, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    parents.append((node, inner))
            for handler in getattr(node, "handlers", ()) or ():
                parents.append((handler, handler.body))
            for case in getattr(node, "cases", ()) or ():
                parents.append((case, case.body))
    return alone


def _cell_magic_body(call: ast.Call) -> str | None:
    """The body of ``get_ipython().run_cell_magic(name, line, body)`` when it is Python."""
    if (isinstance(call.func, ast.Attribute) and call.func.attr == "run_cell_magic"
            and len(call.args) == 3
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
            and call.args[0].value in _PYTHON_BODY_CELL_MAGICS):  # type: ignore[attr-defined]
        return call.args[2].value  # type: ignore[attr-defined]
    return None


def _imports_us(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "mlops_jupyter"
    return any(a.name.split(".")[0] == "mlops_jupyter" for a in node.names)


# -- the script ----------------------------------------------------------------------------
def _docstring_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown date"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def preferred_inputs(inputs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One input per snapshot name: a training role over another role, then the latest
    version (the variable of that name held it when the model was fitted)."""
    ordered = sorted(inputs, key=lambda i: (i["role"].startswith("train"), i["version"]))
    return {item["name"]: item for item in ordered}


def _loadable(inputs: list[dict[str, Any]], snapshot_files: dict[str, str],
              tracked_changes: frozenset[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Inputs loaded into a variable (name -> input) and notes on the others."""
    chosen: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name, item in preferred_inputs(inputs).items():
        where = snapshot_files.get(name)
        label = f"snapshot {name!r} v{item['version']} (role {item['role']})"
        if where is None:
            notes.append(f"{label}: no file given, not loaded")
        elif not name.isidentifier() or keyword.iskeyword(name):
            notes.append(f"{label} is in {where}; it was no variable of the notebook, "
                         "so the code below builds it again")
        elif name in tracked_changes:
            notes.append(f"{label} is in {where}; the tracked cell itself changes `{name}`, "
                         "so the code below builds it again")
        else:
            chosen[name] = item
    return chosen, notes


def _printed_metrics(record: RunRecord, tracked_names: Any) -> list[str]:
    return [k for k in record.metrics
            if tracked_names is not None and k in tracked_names.assigned]


def script_metrics(record: RunRecord) -> list[str]:
    """The run's metrics that its ``train.py`` recomputes and prints: those the tracked cell
    assigns to a variable (none for a run without recorded code)."""
    if not record.cell_source:
        return []
    return _printed_metrics(record, cell_names(clean_cell(record.cell_source)[0]))


def data_only_script(record: RunRecord, *, snapshot_files: dict[str, str]) -> str:
    """``train.py`` for a run whose code was not recorded (started with ``mj.start_run``
    outside a notebook cell): it says so at the top and loads the run's input snapshots,
    into the variable of each name, for the reader to add the training code."""
    loads = {name: item for name, item in preferred_inputs(list(record.inputs)).items()
             if name in snapshot_files}
    recorded = ", ".join(f"{k}={v!r}" for k, v in sorted(record.metrics.items()))
    doc = [
        f"Training data of run {record.name!r} ({record.id}), experiment "
        f"{record.experiment!r}, run {_when(record.start_time)}; written by mlops-jupyter on "
        f"{_when(time.time())}.",
        "",
        "THE RUN'S CODE WAS NOT CAPTURED: the run was not started in a notebook cell "
        "(mj.start_run from a script, a test or a thread), so this script cannot train the "
        "model again. It loads the training data the run recorded, as the model saw it, "
        "into the variables below: add the training code after them. Track the training "
        "cell with %%track in a notebook to get a train.py that reproduces the run.",
        "",
        "    python train.py",
        "",
        f"The run recorded: {recorded or 'no metrics'}.",
    ]
    wrapped = [textwrap.fill(p, 88, break_on_hyphens=False) if not p.startswith("    ") else p
               for p in doc]
    out = ['"""' + _docstring_text("\n".join(wrapped)) + '\n"""', ""]
    if loads:
        out += ["from pathlib import Path as _Path", "",
                "_HERE = _Path(__file__).resolve().parent", "", "", _SNAPSHOT_LOADER]
        out.append("# Training data: the snapshots the run recorded")
        snapshots = []
        for name, item in loads.items():
            comment = (f"  # snapshot {item['name']} v{item['version']}, role {item['role']}, "
                       f"{item.get('n_rows', '?')} rows, fingerprint {item['fingerprint']}")
            if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
                out.append(f"{name} = _load_snapshot({snapshot_files[name]!r}){comment}")
                snapshots.append((name, name))
            else:
                out.append(f"snapshot_{len(snapshots)} = _load_snapshot("
                           f"{snapshot_files[name]!r}){comment} (name {name!r})")
                snapshots.append((name, f"snapshot_{len(snapshots)}"))
        out += ["", "# The training code of the run goes here: it was not recorded.", "",
                *(f"print({f'{name}:'!r}, {var}.shape)" for name, var in snapshots)]
    else:
        out.append("# The run recorded no input snapshots: there is no data to load.")
    return "\n".join(out).rstrip("\n") + "\n"


def training_script(record: RunRecord, *, snapshot_files: dict[str, str]) -> str:
    """The text of ``train.py`` for ``record`` (what ``mj.get_run`` returns).

    Parameters
    ----------
    record : RunRecord
        A run recorded from a notebook cell (``%%track``): it has a cell source and a code
        slice.
    snapshot_files : dict of str to str
        Snapshot name (as in ``record.inputs``) -> path of its Parquet file relative to the
        script (``"data/X_train-v1.parquet"``, see :func:`snapshot_file_name`). The inputs
        listed are loaded into the variables of the same name before the tracked cell.

    Raises
    ------
    NotFoundError
        The run has no recorded code (started with ``mj.start_run`` outside a notebook cell).
    """
    if not record.cell_source:
        raise NotFoundError(
            f"run {record.name!r} ({record.id[:8]}) has no recorded code: it was not a tracked "
            "notebook cell (mj.start_run in a script?), so there is no train.py to write; "
            "track the training cell with %%track to get one")
    code_slice = record.code_slice or {}
    slice_cells = [c for c in code_slice.get("cells", ()) if c.get("source")]
    cleaned = [clean_cell(str(c["source"])) for c in slice_cells]
    tracked_source, tracked_stand_in = clean_cell(record.cell_source)
    uses_stand_in = tracked_stand_in or any(s for _, s in cleaned)
    tracked_names = cell_names(tracked_source)
    changes = frozenset() if tracked_names is None else (
        tracked_names.defines | tracked_names.mutates)
    loads, load_notes = _loadable(list(record.inputs), snapshot_files, changes)

    # Which slice cells are still needed once the snapshots are loaded: the same slicing as
    # tracking's, over the cleaned cells, with the loaded names defined by a last cell.
    history = [CellExecution(int(c.get("execution_count") or 0), src, None)
               for c, (src, _) in zip(slice_cells, cleaned, strict=True)]
    loader = CellExecution(-1, "\n".join(f"{n} = None" for n in loads), None)
    needed_slice = compute_code_slice(tracked_source, [*history, loader] if loads else history)
    needed = {id(c) for c in needed_slice.cells}

    metric_names = _printed_metrics(record, tracked_names)
    packages = (record.environment or {}).get("packages") or {}
    recorded = ", ".join(f"{k}={v!r}" for k, v in sorted(record.metrics.items()))
    cell = f", cell [{record.execution_count}]" if record.execution_count is not None else ""
    doc = [
        f"Training code of run {record.name!r} ({record.id}), experiment {record.experiment!r}.",
        "",
        f"From notebook {record.notebook_path or '(unknown)'}{cell}, run "
        f"{_when(record.start_time)}; written by mlops-jupyter on {_when(time.time())}.",
        f"The tracked cell and the {len(slice_cells)} earlier cell(s) it depends on, in "
        "execution order; IPython magics and display-only lines removed"
        + (", the training data loaded from the snapshot files next to this script."
           if loads else "."),
        "",
        "Run it from any folder with the packages the run used installed:",
        "",
        "    python train.py",
        "",
    ]
    if packages:
        doc += ["Packages the run imported: "
                + ", ".join(f"{k}=={v}" for k, v in sorted(packages.items())) + ".", ""]
    doc += ["It records nothing (no mlops-jupyter store is needed) and prints the tracked "
            "cell's metrics as JSON on its last line.",
            f"The run recorded: {recorded or 'no metrics'}."]
    wrapped = [textwrap.fill(p, 88, break_on_hyphens=False) if not p.startswith("    ") else p
               for p in doc]
    out = ['"""' + _docstring_text("\n".join(wrapped)) + '\n"""', ""]
    warnings = list(code_slice.get("warnings", ()))
    if warnings:
        out.append("# Reproducibility warnings recorded with the run's code slice:")
        for warning in warnings:
            name = warning[1:].partition("`")[0] if warning.startswith("`") else None
            loaded = f" (train.py loads `{name}` from its snapshot)" if name in loads else ""
            out.append(f"#   - {warning}{loaded}")
        out.append("")
    if uses_stand_in:
        out.append(_UNTRACKED_CLASS)
    if loads:
        out += ["from pathlib import Path as _Path", "",
                "_HERE = _Path(__file__).resolve().parent", "", "", _SNAPSHOT_LOADER]
    for entry in history:
        count, src = entry.execution_count, entry.source
        if id(entry) in needed:
            out += [f"# In[{count}]", src, ""]
        else:
            out += [f"# In[{count}]: not needed once the snapshots below are loaded "
                    "(kept for reference)", *_comment(src.splitlines()), ""]
    if loads or load_notes:
        out.append("# Training data: the snapshots the run recorded, as the model saw them")
        out += [f"# {n}" for n in load_notes]
        for name, item in loads.items():
            out.append(f"{name} = _load_snapshot({snapshot_files[name]!r})  # snapshot "
                       f"{item['name']} v{item['version']}, role {item['role']}, "
                       f"{item.get('n_rows', '?')} rows, fingerprint {item['fingerprint']}")
        out.append("")
    out += [f"# In[{record.execution_count}]: the tracked cell (run {record.name})",
            tracked_source, ""]
    if metric_names:
        values = ", ".join(f"{k!r}: float({k})" for k in metric_names)
        out += ["# The run's metrics, recomputed (compare with the docstring's values)",
                "import json", "", f"print(json.dumps({{{values}}}))"]
    else:
        out.append("# The run's metrics were no variables of the tracked cell: none printed")
    return "\n".join(out).rstrip("\n") + "\n"


def write_training_script(store: Store, run_id: str, out_dir: str | Path, *,
                          without_code: str = "raise") -> list[Path]:
    """Write ``train.py`` for the run ``run_id`` into ``out_dir``, with the run's input
    snapshots as ``data/<name>-v<version>.parquet`` next to it (the stored Parquet bytes,
    checked against their hash). Returns the paths written, ``train.py`` first.

    ``without_code``: what a run with no recorded code gets: ``"raise"`` (NotFoundError
    naming the run, nothing written) or ``"load data"`` (:func:`data_only_script`).
    """
    if without_code not in ("raise", "load data"):
        raise InvalidValueError(f'without_code must be "raise" or "load data"; got '
                                f"{without_code!r:.80}")
    from ..tracking.records import RunRecord

    record = RunRecord.from_record(store.run_record(store.resolve_run_id(run_id)), store)
    out = Path(out_dir)
    files: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    for name, item in preferred_inputs(list(record.inputs)).items():
        relative = snapshot_file_name(name, item["version"])
        if relative not in contents:
            contents[relative] = store.snapshot_bytes(store.snapshot_row(item["id"]))
        files[name] = relative
    if not record.cell_source and without_code == "load data":
        text = data_only_script(record, snapshot_files=files)
    else:
        text = training_script(record, snapshot_files=files)  # raises before anything is written
    out.mkdir(parents=True, exist_ok=True)
    script = out / SCRIPT_NAME
    script.write_text(text, encoding="utf-8")
    written = [script]
    for relative, data in sorted(contents.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
