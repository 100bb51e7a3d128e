"""The runs query language: MLflow's search syntax and a few supersets, parsed (never
``eval``-ed) and applied to a runs frame. docs/query.md has the full table.

    metrics.accuracy > 0.9 and params.model = 'rf'
    attributes.status IN ('FINISHED', 'FAILED') or not (tags.team = "vision")
    params.lr = '0.01'                     # a quoted number matches 0.01 by value
    params.max_depth IS NULL
    attributes.run_name ILIKE '%base%'
    attributes.start_time > 1700000000000  # epoch milliseconds, or '2024-01-31' (UTC)

Columns: ``params.<k>``, ``metrics.<k>``, ``tags.<k>`` (also ``param.``, ``metric.``,
``tag.``; a key with unusual characters in backticks or double quotes: ``metrics.`val loss```)
and attributes, bare or with ``attributes.``/``attr.``/``run.``: ``run_id``, ``run_name``
(= ``name`` = ``tags.mlflow.runName``), ``experiment``, ``status``, ``start_time``
(= ``created``), ``end_time``, ``duration``, ``parent_run_id``, ``notebook_path``.

Operators: ``= == != <> < <= > >=``, ``[NOT] IN (...)``, ``[NOT] LIKE``/``ILIKE`` (``%`` any
text, ``_`` one character; LIKE is case-sensitive), ``[NOT] CONTAINS``, ``IS [NOT] NULL``,
combined with ``and``, ``or``, ``not`` and parentheses (keywords in any case).

Values (the same rule everywhere, so the SQL prefilter and the frame agree):

- Values that read as numbers compare as numbers: ``params.lr = '0.01'`` matches a param
  logged as ``0.01`` or as ``"0.01"``. Other values compare as text. Booleans are not
  numbers: ``true``/``false`` (and the words 'true'/'false' in any case) match booleans only.
- A metric (or ``duration``) is a number: comparing it with text is an error naming it.
- ``start_time``/``end_time``: a number is epoch milliseconds (as in MLflow); a quoted ISO
  date or time (``'2024-01-31'``, ``'2024-01-31T12:00:00+01:00'``) is UTC unless it says.
- Missing values (a key the run does not have, a NaN metric, a run still running for
  ``end_time``) follow SQL's three-valued logic: any comparison with them is *unknown*, and
  ``not`` of unknown is unknown, so a run with no ``metrics.a`` matches neither
  ``metrics.a > 1`` nor ``not (metrics.a > 1)`` nor ``metrics.a != 1``; only ``IS NULL``
  matches it. A number and a word are not ordered (``params.depth > 5`` is unknown for
  ``'auto'``), so ``not (x > 5)`` always means ``x <= 5``.
- A key no run has: ``IS NULL`` matches every run. Any other comparison with a key that
  no run in the store has is an error suggesting close names (MLflow silently returns no
  runs; this is nearly always a typo). A key other runs have (another experiment) is
  missing here: nothing matches it, and no error.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import FilterSyntaxError

# Parentheses and ``not`` nest at most this deep: the parser and the evaluator recurse once per
# level, and Python's recursion limit must never be what stops a filter.
MAX_NESTING = 64

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<>|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_][\w]*(?:\.(?:`[^`]*`|"[^"]*"|[\w\-/:]+(?:\.[\w\-/:]+)*))?)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "contains", "is", "null", "true", "false", "like",
             "ilike"}


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, punct, ident, keyword, end
    text: str
    pos: int


def tokenize(expr: str, what: str = "run filter") -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            start = len(expr) - len(expr[pos:].lstrip())
            char = expr[start]
            if char in "'\"":
                message = f"unterminated string: close it with {char}"
            elif char == "." and expr[start + 1:start + 2] in ("`", '"'):
                quote = expr[start + 1]
                message = f"unterminated quoted key: close it with {quote}"
            else:
                message = f"unexpected character {char!r}"
            raise _point(expr, start, message, what)
        kind = match.lastgroup or ""
        text = match.group(kind)
        start = match.start(kind)
        if kind == "ident" and text.lower() in _KEYWORDS:
            kind, text = "keyword", text.lower()
        tokens.append(Token(kind, text, start))
        pos = match.end()
    tokens.append(Token("end", "", len(expr)))
    return tokens


def _point(expr: str, pos: int, message: str, what: str = "run filter") -> FilterSyntaxError:
    """The error at ``pos`` of ``expr``: the message shows a caret under it, and the error
    carries the position for front ends that show their own."""
    return FilterSyntaxError(f"bad {what} at position {pos}: {message}\n  {expr}\n  {' ' * pos}^",
                             position=pos, expression=expr, what=what)


# -- columns -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A column of the runs frame as the user named it."""

    name: str  # the frame's column: "params.lr", "name", "start_time"
    kind: str  # params, tags, metrics, number, time, text
    pos: int


_PREFIXES = {
    "params": "params", "param": "params", "parameter": "params", "parameters": "params",
    "metrics": "metrics", "metric": "metrics", "tags": "tags", "tag": "tags",
    "attributes": "attributes", "attribute": "attributes", "attr": "attributes",
    "run": "attributes",
}
_ATTRIBUTES = {  # MLflow's names and ours -> (frame column, kind)
    "run_id": ("run_id", "text"), "id": ("run_id", "text"),
    "run_name": ("name", "text"), "name": ("name", "text"),
    "experiment": ("experiment", "text"), "experiment_name": ("experiment", "text"),
    "status": ("status", "text"),
    "start_time": ("start_time", "time"), "created": ("start_time", "time"),
    "end_time": ("end_time", "time"), "duration": ("duration", "number"),
    "parent_run_id": ("parent_run_id", "text"), "notebook_path": ("notebook_path", "text"),
}
_NOT_RECORDED = {"user_id", "user", "artifact_uri", "lifecycle_stage", "experiment_id"}
_TAG_ALIASES = {"mlflow.runName": "run_name", "mlflow.parentRunId": "parent_run_id"}
_KINDS_OF_VALUES = "params.<key>, metrics.<key>, tags.<key>"


def resolve_column(tok: Token, expr: str, what: str = "run filter") -> Column:
    """The frame column an identifier names (MLflow's prefixes and attribute aliases)."""
    def fail(message: str) -> FilterSyntaxError:
        return _point(expr, tok.pos, message, what)

    prefix, dot, rest = tok.text.partition(".")
    key = rest[1:-1] if rest[:1] in ("`", '"') else rest
    if dot and key == "":
        raise fail(f"{tok.text!r} names no key")
    if not dot:
        return _attribute(prefix, tok, fail)
    kind = _PREFIXES.get(prefix.lower())
    if kind == "attributes":
        return _attribute(key, tok, fail)
    if kind == "tags" and key in _TAG_ALIASES:
        return _attribute(_TAG_ALIASES[key], tok, fail)
    if kind is not None:
        return Column(f"{kind}.{key}", kind, tok.pos)
    if prefix.lower() in ("datasets", "dataset"):
        raise fail("datasets.* is not supported: mlops-jupyter links snapshots to runs "
                   "(mj.get_run(run_id).inputs)")
    raise fail(f"unknown kind of column {prefix!r}: write {_KINDS_OF_VALUES} or an attribute "
               f"such as status or start_time")


def _attribute(key: str, tok: Token, fail) -> Column:
    normal = key.strip().lower().replace(" ", "_")
    found = _ATTRIBUTES.get(normal)
    if found is not None:
        return Column(found[0], found[1], tok.pos)
    if normal in _NOT_RECORDED:
        raise fail(f"mlops-jupyter does not record the attribute {key!r}: tag runs with it "
                   "(mj.set_tag) and filter on tags.<key>")
    close = difflib.get_close_matches(normal, list(_ATTRIBUTES), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise fail(f"no attribute {key!r}: attributes are {', '.join(sorted(set(_ATTRIBUTES)))}; "
               f"logged values are {_KINDS_OF_VALUES}.{hint}")


# -- the tree ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """``column op values``; ``op`` is one of = != < <= > >= in like ilike contains isnull
    notnull (``not in``/``not like`` are a :class:`Not` around the positive form)."""

    column: Column
    op: str
    values: tuple


@dataclass(frozen=True)
class Junction:
    op: str  # "and" / "or"
    children: tuple


@dataclass(frozen=True)
class Not:
    child: Any


_ORDERING = ("<", "<=", ">", ">=")


class _Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = tokenize(expr)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind == kind and (not texts or tok.text in texts)

    def fail(self, message: str, tok: Token | None = None) -> FilterSyntaxError:
        return _point(self.expr, (tok or self.peek()).pos, message)

    def error(self, message: str, tok: Token | None = None) -> FilterSyntaxError:
        tok = tok or self.peek()
        found = "the end" if tok.kind == "end" else repr(tok.text)
        return self.fail(f"{message}, found {found}", tok)

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            raise self.error(f"expected {text or kind}")
        return self.take()

    def parse(self):
        if self.peek().kind == "end":
            raise self.error("empty filter")
        node = self.or_expr()
        if self.peek().kind != "end":
            raise self.error("expected 'and', 'or' or the end")
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while self.at("keyword", "or"):
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Junction("or", tuple(children))

    def and_expr(self):
        children = [self.not_expr()]
        while self.at("keyword", "and"):
            self.take()
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else Junction("and", tuple(children))

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"the filter nests more than {MAX_NESTING} levels deep "
                            "(parentheses and 'not'): write it flatter")

    def not_expr(self):
        if self.at("keyword", "not"):
            self.take()
            self.nest()
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        if self.at("punct", "("):
            self.take()
            self.nest()
            node = self.or_expr()
            self.expect("punct", ")")
            self.depth -= 1
            return node
        return self.comparison()

    def literal(self) -> tuple[Any, Token]:
        tok = self.take()
        if tok.kind == "number":
            return (float(tok.text) if re.search(r"[.eE]", tok.text) else int(tok.text)), tok
        if tok.kind == "string":
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1]), tok
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return tok.text == "true", tok
        self.i -= 1
        if tok.kind == "keyword" and tok.text == "null":
            raise self.fail("compare with null using 'is null' or 'is not null'", tok)
        raise self.error("expected a number, a quoted string, true or false")

    def comparison(self):
        tok = self.peek()
        if tok.kind != "ident":
            raise self.error("expected a column such as metrics.accuracy or params.model")
        self.take()
        column = resolve_column(tok, self.expr)
        nxt = self.peek()
        if nxt.kind == "op":
            self.take()
            op = {"==": "=", "<>": "!="}.get(nxt.text, nxt.text)
            value, vtok = self.literal()
            return self.condition(column, op, [(value, vtok)])
        if self.at("keyword", "is"):
            self.take()
            negate = False
            if self.at("keyword", "not"):
                self.take()
                negate = True
            self.expect("keyword", "null")
            return Condition(column, "notnull" if negate else "isnull", ())
        negate = False
        if self.at("keyword", "not"):
            self.take()
            negate = True
        if self.at("keyword", "in"):
            self.take()
            self.expect("punct", "(")
            values = [self.literal()]
            while self.at("punct", ","):
                self.take()
                values.append(self.literal())
            self.expect("punct", ")")
            node = self.condition(column, "in", values)
        elif self.at("keyword", "like", "ilike", "contains"):
            op = self.take().text
            node = self.condition(column, op, [self.literal()])
        else:
            raise self.error(f"expected an operator after {tok.text!r} (=, !=, <, >, in, like, "
                             "ilike, contains, is null)")
        return Not(node) if negate else node

    def condition(self, column: Column, op: str, values: list[tuple[Any, Token]]) -> Condition:
        """Check the literals against the column's kind; errors never depend on the rows."""
        out = []
        for value, tok in values:
            out.append(self.checked(column, op, value, tok))
        return Condition(column, op, tuple(out))

    def checked(self, column: Column, op: str, value: Any, tok: Token) -> Any:
        name = column.name
        if op in ("like", "ilike", "contains"):
            if column.kind in ("metrics", "number", "time"):
                raise self.fail(f"{name} is a {_KIND_WORD[column.kind]}: {op.upper()} works on "
                                "params, tags and text attributes", tok)
            if not isinstance(value, str):
                example = "'rf'" if op == "contains" else "a quoted pattern such as '%rf%'"
                raise self.fail(f"{op.upper()} needs {example}", tok)
            return value
        if column.kind in ("metrics", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                plain = f" (write {value} without quotes)" if _number(value) is not None else ""
                raise self.fail(f"{name} is a number: compare it with a number, not "
                                f"{tok.text}{plain}", tok)
            return value
        if column.kind == "time":
            return self.timestamp(name, value, tok)
        if column.kind == "text" and not isinstance(value, str):
            raise self.fail(f"{name} is text: quote the value ('{tok.text}')", tok)
        if isinstance(value, bool) and op in _ORDERING:
            raise self.fail("true and false are not ordered: compare them with = or !=", tok)
        return value

    def timestamp(self, name: str, value: Any, tok: Token):
        import pandas as pd

        forms = "epoch milliseconds (1700000000000) or an ISO date ('2024-01-31', " \
                "'2024-01-31T12:00:00Z')"
        try:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, (int, float)):
                return pd.Timestamp(value, unit="ms", tz="UTC")
            if not _ISO_TIME.fullmatch(value):
                raise ValueError
            stamp = pd.Timestamp(value.replace(" ", "T"))
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
            raise self.fail(f"{name} is a time: compare it with {forms}", tok) from None
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


_KIND_WORD = {"metrics": "number", "number": "number", "time": "time"}
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?")


def is_empty(expr: Any) -> bool:
    """No filter at all: None or only spaces (MLflow's ``filter_string=""``)."""
    return expr is None or (isinstance(expr, str) and not expr.strip())


def parse_filter(expr: str):
    """Parse ``expr`` into a small tree; raises FilterSyntaxError naming the position."""
    if not isinstance(expr, str):
        raise FilterSyntaxError(f"a run filter is a string, got {type(expr).__name__}")
    return _Parser(expr).parse()


def conditions_of(tree) -> list[Condition]:
    """Every comparison of a parsed filter, in the order written."""
    return list(_conditions(tree))


def _conditions(node) -> Iterator[Condition]:
    """Every leaf of the tree, without recursion."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Condition):
            yield item
        elif isinstance(item, Junction):
            stack.extend(reversed(item.children))
        else:
            stack.append(item.child)


# -- values: one rule for the frame and the SQL prefilter --------------------------------------
_NUMERIC = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[-+]?\d+\s*")


def _number(x: Any) -> int | float | None:
    """``x`` as a number when it is one or reads as one (never a boolean), else None."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, str):
        if _INTEGER.fullmatch(x):
            return int(x)
        if _NUMERIC.fullmatch(x):
            value = float(x)
            return value if math.isfinite(value) else None
        return None
    try:  # NumPy scalars
        import numpy as np

        if isinstance(x, np.bool_):
            return None
        if isinstance(x, (np.integer, np.floating)):
            return _number(x.item())
    except ImportError:  # pragma: no cover
        pass
    return None


def _boolean(x: Any) -> bool | None:
    if isinstance(x, bool):
        return x
    if type(x).__name__ == "bool_":  # NumPy
        return bool(x)
    if isinstance(x, str) and x.strip().lower() in ("true", "false"):
        return x.strip().lower() == "true"
    return None


def _text(x: Any) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, (list, dict)):
        return json.dumps(x)
    return str(x)


def _missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float):
        return math.isnan(x)
    try:
        import pandas as pd

        return x is pd.NA or x is pd.NaT or (not isinstance(x, (list, dict, str))
                                             and bool(pd.isna(x)))
    except (TypeError, ValueError):
        return False


def values_equal(v: Any, lit: Any) -> bool:
    """``v = lit`` for a present param or tag value ``v`` (see the module docstring)."""
    a, b = _boolean(v), _boolean(lit)
    if a is not None and b is not None:
        return a == b
    if isinstance(v, bool) or isinstance(lit, bool):
        return False
    x, y = _number(v), _number(lit)
    if x is not None and y is not None:
        return x == y
    if x is not None or y is not None:
        return False
    return _text(v) == _text(lit)


_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b}


def _ordered(v: Any, op: str, lit: Any) -> bool | None:
    """``v op lit`` for ordering operators; None (unknown) when the two are not ordered."""
    if isinstance(v, bool) or isinstance(lit, bool):
        return None
    x, y = _number(v), _number(lit)
    if x is not None and y is not None:
        return _OPS[op](x, y)
    if x is None and y is None and isinstance(v, str) and isinstance(lit, str):
        return _OPS[op](v, lit)
    return None


def like_pattern(pattern: str, ignore_case: bool) -> re.Pattern:
    """SQL LIKE as a regular expression: ``%`` any text, ``_`` one character."""
    parts = ["(?s)"]
    for char in pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


# -- evaluation --------------------------------------------------------------------------------
def apply_filter(frame, expr, *, known_columns: Collection[str] = (), text: str | None = None):
    """Rows of the runs ``frame`` for which ``expr`` (a string or a parsed tree) is true.

    ``known_columns``: columns some run in the store has although none in ``frame`` does
    (``mj.runs(experiment)`` lists only that experiment's keys); they are all missing here.
    ``text``: the filter as written, when ``expr`` is a parsed tree (errors show it).
    """
    tree = parse_filter(expr) if isinstance(expr, str) else expr
    if text is None:
        text = expr if isinstance(expr, str) else ""
    _check_columns(frame, tree, text, known_columns)
    true, _ = _truth(frame, tree)
    return frame[true]


def _check_columns(frame, tree, expr: str, known_columns: Collection[str]) -> None:
    present = set(map(str, frame.columns))
    for cond in _conditions(tree):
        name = cond.column.name
        if name in present or name in known_columns or cond.op in ("isnull", "notnull"):
            continue
        raise _point(expr, cond.column.pos, unknown_column(
            name, present | set(known_columns)))


def unknown_column(name: str, columns: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(columns), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    if name.startswith("tags.mlflow."):
        hint += " (mlops-jupyter does not set MLflow's system tags)"
    return f"no run has a column {name!r}.{hint}"


def _truth(frame, node):
    """(true, false) masks of ``node``; a row in neither is unknown (SQL's NULL)."""
    import numpy as np

    if isinstance(node, Condition):
        return _leaf(frame, node)
    if isinstance(node, Not):
        true, false = _truth(frame, node.child)
        return false, true
    parts = [_truth(frame, child) for child in node.children]
    trues, falses = np.array([p[0] for p in parts]), np.array([p[1] for p in parts])
    if node.op == "and":
        return trues.all(axis=0), falses.any(axis=0)
    return trues.any(axis=0), falses.all(axis=0)


def _leaf(frame, cond: Condition):
    import numpy as np
    import pandas as pd

    n = len(frame)
    name, op = cond.column.name, cond.op
    if name not in frame.columns:  # known elsewhere, or IS NULL on any key: all missing here
        missing = np.ones(n, dtype=bool)
        if op == "isnull":
            return missing, ~missing
        if op == "notnull":
            return ~missing, missing
        return ~missing, ~missing
    series = frame[name]
    kind = cond.column.kind
    if kind in ("metrics", "number"):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        present = ~np.isnan(values)
    elif kind == "time":
        values = pd.to_datetime(series, utc=True)
        present = values.notna().to_numpy()
    else:
        values = series.to_numpy(dtype=object)
        present = np.array([not _missing(v) for v in values], dtype=bool)
    if op == "isnull":
        return ~present, present
    if op == "notnull":
        return present, ~present
    if kind in ("metrics", "number", "time"):
        result = _vector_compare(values, op, cond.values)
    else:
        compare = _element_compare(kind, op, cond.values)
        result = np.array([compare(v) if ok else None for v, ok in zip(values, present,
                                                                       strict=True)], dtype=object)
        return (np.equal(result, True) & present), (np.equal(result, False) & present)
    return result & present, ~result & present


def _vector_compare(values, op: str, literals: tuple):
    import numpy as np

    def one(lit):
        with np.errstate(invalid="ignore"):
            if op in ("=", "in"):
                return np.asarray(values == lit)
            if op == "!=":
                return np.asarray(values != lit)
            return np.asarray(_OPS[op](values, lit))

    results = [one(lit) for lit in literals]
    return np.logical_or.reduce(results) if len(results) > 1 else results[0]


def _element_compare(kind: str, op: str, literals: tuple):
    """A function of one present value: True, False or None (unknown)."""
    if op in ("like", "ilike"):
        pattern = like_pattern(literals[0], op == "ilike")
        return lambda v: pattern.fullmatch(_text(v)) is not None
    if op == "contains":
        return lambda v: literals[0] in _text(v)
    if kind == "text":  # attributes are plain strings: no number reading (run ids are hex)
        if op in ("=", "in"):
            wanted = set(literals)
            return lambda v: str(v) in wanted
        if op == "!=":
            return lambda v: str(v) != literals[0]
        return lambda v: _OPS[op](str(v), literals[0])
    if op in ("=", "in"):
        return lambda v: any(values_equal(v, lit) for lit in literals)
    if op == "!=":
        return lambda v: not values_equal(v, literals[0])
    return lambda v: _ordered(v, op, literals[0])


# -- what the database may do first -----------------------------------------------------------
MAX_PUSHED_CONDITIONS = 20  # SQL stays small: SQLite limits expression depth and bound values
MAX_PUSHED_VALUES = 100


def prefilter_conditions(expr) -> list[tuple[str, str, str, Any]]:
    """Conditions the database applies before the runs table is built.

    Each is a necessary condition of the filter (a top-level ``and`` term) whose SQL can only
    keep every run the frame filter keeps; the full filter still runs afterwards, so the
    result is exactly the frame filter's. Returned as ``(kind, key, op, value)`` for
    ``Store._condition``: ``("metrics", key, op, number)``, ``("metrics", key, "in",
    numbers)``, ``("params"|"tags", key, "in", strings)`` (exact text, for strings that do not
    read as numbers or booleans), ``("attributes", column, "in", strings)`` and
    ``("attributes", "start_time"|"end_time", ">="|"<=", epoch seconds)`` (one second of
    slack: SQL's float seconds and the frame's nanoseconds may round apart).
    """
    tree = parse_filter(expr) if isinstance(expr, str) else expr
    terms = [tree]
    conjuncts: list[Condition] = []
    while terms:
        node = terms.pop(0)
        if isinstance(node, Junction) and node.op == "and":
            terms[:0] = list(node.children)
        elif isinstance(node, Condition):
            conjuncts.append(node)
    out: list[tuple[str, str, str, Any]] = []
    for cond in conjuncts:
        pushed = _pushdown(cond)
        if pushed is not None and len(out) < MAX_PUSHED_CONDITIONS:
            out.append(pushed)
    return out


def _plain_text(value: Any) -> bool:
    """A string that equals only itself under :func:`values_equal` (a param logged as an
    infinite float reads as the text 'inf' or '-inf', stored as JSON's Infinity)."""
    return (isinstance(value, str) and _number(value) is None and _boolean(value) is None
            and not value.startswith(("[", "{")) and value not in ("inf", "-inf"))


def _pushdown(cond: Condition) -> tuple[str, str, str, Any] | None:
    kind, op, values = cond.column.kind, cond.op, cond.values
    if len(values) > MAX_PUSHED_VALUES:
        return None
    if kind == "metrics" and (op in ("=", "!=") + _ORDERING or op == "in"):
        key = cond.column.name.partition(".")[2]
        if op == "in":
            return ("metrics", key, "in", tuple(float(v) for v in values))
        return ("metrics", key, op, float(values[0]))
    if op not in ("=", "in") and not (kind == "time" and op in _ORDERING):
        return None
    if kind in ("params", "tags") and all(_plain_text(v) for v in values):
        return (kind, cond.column.name.partition(".")[2], "in", tuple(values))
    if kind == "text":
        return ("attributes", cond.column.name, "in", tuple(values))
    if kind == "time" and op in _ORDERING:
        seconds = values[0].value / 1e9
        if op in (">", ">="):
            return ("attributes", cond.column.name, ">=", seconds - 1.0)
        return ("attributes", cond.column.name, "<=", seconds + 1.0)
    return None


# -- order_by ----------------------------------------------------------------------------------
def parse_order_by(order_by: str | list[str] | None) -> list[tuple[Column, bool, str]]:
    """``"metrics.`f1 score` DESC, params.lr"`` -> [(column, ascending, text), ...]."""
    if order_by is None:
        return []
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    out: list[tuple[Column, bool, str]] = []
    for item in items:
        if not isinstance(item, str):
            raise FilterSyntaxError(f"order_by items are strings, got {type(item).__name__}")
        tokens = tokenize(item, "order_by")
        i = 0

        def fail(message: str, tok: Token, text: str = item) -> FilterSyntaxError:
            found = "the end" if tok.kind == "end" else repr(tok.text)
            return _point(text, tok.pos, f"{message}, found {found}",
                                            "order_by")

        if tokens[0].kind == "end":
            continue  # "" is MLflow's default order, as None and []
        while True:
            tok = tokens[i]
            if tok.kind != "ident":
                raise fail("expected a column such as metrics.accuracy", tok)
            column = resolve_column(tok, item, "order_by")
            i += 1
            ascending = True
            if tokens[i].kind == "ident" and tokens[i].text.lower() in ("asc", "desc"):
                ascending = tokens[i].text.lower() == "asc"
                i += 1
            out.append((column, ascending, item))
            if tokens[i].kind == "end":
                break
            if not (tokens[i].kind == "punct" and tokens[i].text == ","):
                raise fail("expected ASC or DESC, a comma or the end", tokens[i])
            i += 1
    return out


# -- order_by: one total order for every column ---------------------------------------------
def sort_runs(frame: Any, order_by: str | list[str] | None, *,
              known_columns: Collection[str] = ()):
    """``frame`` in ``order_by`` order (MLflow's syntax: ``"metrics.`f1 score` DESC, params.lr"``).

    One total order for every column: numbers (and params/tags that read as numbers) by
    value, then booleans (and the words true/false; false first), then text (lists and dicts as their JSON);
    DESC reverses it. Missing values come last in both directions. Ties, and the default
    order, are newest first (``start_time`` descending), then by ``run_id``.
    ``known_columns``: keys some run in the store has although none in ``frame`` does.
    """
    import numpy as np

    keys = parse_order_by(order_by)
    present = set(map(str, frame.columns))
    for column, _, text in keys:
        if column.name not in present and column.name not in known_columns:
            raise _point(text, column.pos, unknown_column(
                column.name, present | set(known_columns)), "order_by")
    n = len(frame)
    # np.lexsort sorts by the last key first: run_id, then newest first, then order_by reversed
    sort_keys: list[Any] = []
    if "run_id" in present:
        sort_keys.append(_ranks(frame["run_id"], "text", True))
    if "start_time" in present:
        sort_keys.append(_ranks(frame["start_time"], "time", False))
    for column, ascending, _ in reversed(keys):
        if column.name in present:
            sort_keys.append(_ranks(frame[column.name], column.kind, ascending))
    if not sort_keys or n == 0:
        return frame.reset_index(drop=True)
    return frame.iloc[np.lexsort(sort_keys)].reset_index(drop=True)


def _plain_floats(values: Any):
    """``values`` as floats (NaN for missing) when each is a float, NaN, None or an int
    that a float holds exactly (so NumPy orders them as the total order does), else None."""
    import numpy as np

    out = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        kind = type(v)
        if kind is float and not math.isinf(v):  # inf is the text 'inf' in the order
            out[i] = v
        elif v is None:
            out[i] = np.nan
        elif kind is int and -(2 ** 53) <= v <= 2 ** 53:
            out[i] = v
        else:
            return None
    return out


def _ranks(series: Any, kind: str, ascending: bool):
    """Dense ranks of ``series`` in the total order (negated for DESC); missing = +inf."""
    import numpy as np
    import pandas as pd

    if kind in ("metrics", "number", "time", "text"):
        # Plain columns rank in NumPy: this runs for run_id and start_time on every listing.
        if kind == "time":
            stamps = pd.to_datetime(series, utc=True)
            present = stamps.notna().to_numpy()
            values = stamps.to_numpy(dtype="datetime64[ns]").astype("int64")
        elif kind == "text":
            present = series.notna().to_numpy()
            values = series.astype(str).to_numpy()
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            present = ~np.isnan(values)
        ranks = np.full(len(values), np.inf)
        if present.any():
            dense = np.unique(values[present], return_inverse=True)[1].astype(float)
            ranks[present] = dense if ascending else -dense
        return ranks
    objects = series.to_numpy(dtype=object)
    numbers = _plain_floats(objects)
    if numbers is not None:  # params that are all numbers (or missing): rank in NumPy
        return _ranks(pd.Series(numbers), "number", ascending)
    keys = []
    for v in objects:
        if _missing(v):
            keys.append(None)
        elif _number(v) is not None:
            keys.append((0, _number(v)))
        elif _boolean(v) is not None:  # as in filters: 'true' = True
            keys.append((1, _boolean(v)))
        else:
            keys.append((2, _text(v)))
    ranks = np.full(len(keys), np.inf)
    order = sorted((i for i, k in enumerate(keys) if k is not None), key=lambda i: keys[i])
    rank, previous = -1, object()
    for i in order:
        if keys[i] != previous:
            rank, previous = rank + 1, keys[i]
        ranks[i] = rank if ascending else -rank
    return ranks


# -- the whole filter in SQL -------------------------------------------------------------------
# ASCII letters that Python's IGNORECASE also matches to a non-ASCII character (i: U+0130,
# U+0131; k: the Kelvin sign; s: the long s). SQL's ASCII-only ILIKE cannot mirror them.
_FOLDS_BEYOND_ASCII = frozenset("iksIKS")


def _storable(value: str) -> bool:
    """A literal the database can bind and compare as written (no NUL, no lone surrogate)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# SQLite nests a chain of n ANDs n deep and stops at 1000; with the nesting limit and at most
# MAX_PUSHED_VALUES per IN this keeps the SQL well inside it and its bound values.
MAX_SQL_LEAVES = 64


def sql_tree(expr) -> Any:
    """The filter as database terms whose truth is exactly the frame filter's, or None.

    A tree of ``("and"|"or", (children...))``, ``("not", child)`` and leaves ``(kind, name,
    op, values)``: ``kind`` is ``metrics`` (latest value; NaN is missing), ``params`` (JSON
    text), ``tags``, ``text`` (a text attribute), ``number`` (duration) or ``time`` (values
    in epoch seconds: the caller must check no run's time lies within a millisecond of one,
    as the frame's nanoseconds and SQL's float seconds may round apart there; see
    :func:`time_literals`). Three-valued logic is kept by the compiler (a leaf is true,
    false, or unknown when the value is missing, as in :func:`apply_filter`).

    None when a comparison has no exact SQL: params/tags compared with numbers, booleans,
    text that reads as one, or by order; LIKE/CONTAINS on params (JSON text); ILIKE with a
    pattern that is not ASCII or has i, k or s (Python folds them to non-ASCII letters too);
    text that the database cannot hold (NUL, lone surrogates); more than
    ``MAX_PUSHED_VALUES`` values in one IN, or more than ``MAX_SQL_LEAVES`` comparisons.
    """
    tree = parse_filter(expr) if isinstance(expr, str) else expr
    if sum(1 for _ in _conditions(tree)) > MAX_SQL_LEAVES:
        return None
    return _sql_node(tree)


def _sql_node(node) -> Any:
    # The tree nests at most MAX_NESTING deep (the parser checks): recursion is bounded.
    if isinstance(node, Not):
        child = _sql_node(node.child)
        return None if child is None else ("not", child)
    if isinstance(node, Junction):
        children = [_sql_node(c) for c in node.children]
        if any(c is None for c in children):
            return None
        return (node.op, tuple(children))
    return _sql_leaf(node)


def _sql_leaf(cond: Condition) -> Any:
    kind, op, values = cond.column.kind, cond.op, cond.values
    name = cond.column.name
    key = name.partition(".")[2] if kind in ("params", "metrics", "tags") else name
    if len(values) > MAX_PUSHED_VALUES:
        return None
    if op in ("isnull", "notnull"):
        return (kind, key, op, ())
    if kind in ("metrics", "number"):
        return (kind, key, op, tuple(float(v) for v in values))
    if kind == "time":
        if op in ("like", "ilike", "contains"):
            return None
        return (kind, key, op, tuple(v.value / 1e9 for v in values))
    if not all(isinstance(v, str) and _storable(v) for v in values):
        return None
    if op == "ilike" and not (values[0].isascii() and not _FOLDS_BEYOND_ASCII & set(values[0])):
        return None
    if kind == "text":
        return (kind, key, op, tuple(values))
    if kind == "tags" and op in ("like", "ilike", "contains"):
        return (kind, key, op, tuple(values))  # a tag is text: _text() is the value itself
    if op in ("=", "!=", "in") and all(_plain_text(v) for v in values):
        return (kind, key, op, tuple(values))
    return None


def time_literals(tree) -> dict[str, list[float]]:
    """``{"start_time"|"end_time": [epoch seconds, ...]}`` compared in ``tree``."""
    out: dict[str, list[float]] = {}
    for cond in _conditions(tree):
        if cond.column.kind == "time":
            out.setdefault(cond.column.name, []).extend(v.value / 1e9 for v in cond.values)
    return out


def keys_needed(tree) -> dict[str, set[str]]:
    """The params/metrics/tags keys ``tree`` compares other than with IS [NOT] NULL: each
    must exist in the store, or the frame filter's error (with close names) is due."""
    out: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for cond in _conditions(tree):
        if cond.column.kind in out and cond.op not in ("isnull", "notnull"):
            out[cond.column.kind].add(cond.column.name.partition(".")[2])
    return out
