"""A small, safe filter language for runs, parsed (never ``eval``-ed) and applied to a frame.

    metrics.accuracy > 0.9 and params.model == 'rf'
    status in ('FINISHED', 'FAILED') or not (tags.team = "vision")
    params.max_depth is null
    name contains 'baseline'

Columns: ``run_id``, ``name``, ``experiment``, ``status``, ``start_time``, ``duration``,
``params.<k>``, ``metrics.<k>``, ``tags.<k>``; a key with unusual characters is quoted with
backticks: ``metrics.`val loss```. Operators: ``= == != < <= > >=``, ``in (...)``,
``not in (...)``, ``contains``, ``is null``, ``is not null``, combined with ``and``, ``or``,
``not`` and parentheses. A row whose value is missing never matches a comparison.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import FilterSyntaxError

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_][\w]*(?:\.(?:`[^`]+`|[\w\-/:]+(?:\.[\w\-/:]+)*))?)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "contains", "is", "null", "true", "false"}


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, punct, ident, keyword, end
    text: str
    pos: int


def tokenize(expr: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            start = len(expr) - len(expr[pos:].lstrip())
            raise FilterSyntaxError(_point(expr, start, f"unexpected character {expr[start]!r}"))
        kind = match.lastgroup or ""
        text = match.group(kind)
        start = match.start(kind)
        if kind == "ident" and text.lower() in _KEYWORDS:
            kind, text = "keyword", text.lower()
        tokens.append(Token(kind, text, start))
        pos = match.end()
    tokens.append(Token("end", "", len(expr)))
    return tokens


def _point(expr: str, pos: int, message: str) -> str:
    return f"bad run filter at position {pos}: {message}\n  {expr}\n  {' ' * pos}^"


class _Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = tokenize(expr)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> FilterSyntaxError:
        tok = tok or self.peek()
        found = "the end" if tok.kind == "end" else repr(tok.text)
        return FilterSyntaxError(_point(self.expr, tok.pos, f"{message}, found {found}"))

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            raise self.error(f"expected {text or kind}")
        return self.take()

    def parse(self) -> tuple:
        if self.peek().kind == "end":
            raise self.error("empty filter")
        node = self.or_expr()
        if self.peek().kind != "end":
            raise self.error("expected 'and', 'or' or the end")
        return node

    def or_expr(self) -> tuple:
        node = self.and_expr()
        while self.peek().kind == "keyword" and self.peek().text == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> tuple:
        node = self.not_expr()
        while self.peek().kind == "keyword" and self.peek().text == "and":
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> tuple:
        tok = self.peek()
        if tok.kind == "keyword" and tok.text == "not":
            self.take()
            return ("not", self.not_expr())
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            node = self.or_expr()
            self.expect("punct", ")")
            return node
        return self.comparison()

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind == "number":
            return float(tok.text) if re.search(r"[.eE]", tok.text) else int(tok.text)
        if tok.kind == "string":
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return tok.text == "true"
        self.i -= 1
        raise self.error("expected a number, a quoted string, true or false")

    def comparison(self) -> tuple:
        tok = self.peek()
        if tok.kind != "ident":
            raise self.error("expected a column such as metrics.accuracy or params.model")
        column = self.take()
        nxt = self.peek()
        if nxt.kind == "op":
            op = self.take().text
            return ("cmp", column, "==" if op == "=" else op, self.literal())
        if nxt.kind == "keyword" and nxt.text == "contains":
            self.take()
            return ("contains", column, self.literal())
        if nxt.kind == "keyword" and nxt.text == "is":
            self.take()
            negate = False
            if self.peek().kind == "keyword" and self.peek().text == "not":
                self.take()
                negate = True
            self.expect("keyword", "null")
            return ("notnull" if negate else "isnull", column)
        negate = False
        if nxt.kind == "keyword" and nxt.text == "not":
            self.take()
            negate = True
        if self.peek().kind == "keyword" and self.peek().text == "in":
            self.take()
            self.expect("punct", "(")
            values = [self.literal()]
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.take()
                values.append(self.literal())
            self.expect("punct", ")")
            return ("notin" if negate else "in", column, values)
        raise self.error(f"expected an operator after {column.text!r} (=, !=, <, >, in, contains, is null)")


def parse_filter(expr: str) -> tuple:
    """Parse ``expr`` into a small tree; raises FilterSyntaxError naming the position."""
    if not isinstance(expr, str):
        raise FilterSyntaxError(f"a run filter is a string, got {type(expr).__name__}")
    return _Parser(expr).parse()


def prefilter_conditions(expr: str) -> list[tuple[str, str, str, Any]]:
    """Conditions the database can apply before the runs table is built.

    Only conjuncts at the top level whose SQL meaning equals the frame filter's exactly:
    ``metrics.K <op> <number>`` (a missing value matches nothing in both) and
    ``params.K == '<string>'`` (JSON text equality; numbers are left out since 3 and 3.0
    are equal in the filter but not as JSON text). The full filter still runs afterwards.
    """
    conditions: list[tuple[str, str, str, Any]] = []

    def walk(node: tuple) -> None:
        if node[0] == "and":
            walk(node[1])
            walk(node[2])
        elif node[0] == "cmp":
            name, op, value = _column_name(node[1]), node[2], node[3]
            kind, _, key = name.partition(".")
            if kind == "metrics" and isinstance(value, (int, float)) and not isinstance(value, bool):
                conditions.append(("metrics", key, op, float(value)))
            elif kind == "params" and op == "==" and isinstance(value, str):
                conditions.append(("params", key, op, value))

    walk(parse_filter(expr))
    return conditions


def _column_name(tok: Token) -> str:
    prefix, dot, rest = tok.text.partition(".")
    if dot and rest.startswith("`"):
        rest = rest[1:-1]
    return f"{prefix}.{rest}" if dot else prefix


def apply_filter(frame, expr: str):
    """Rows of the runs ``frame`` for which ``expr`` holds."""
    import numpy as np
    import pandas as pd

    tree = parse_filter(expr)

    def column(tok: Token) -> pd.Series:
        name = _column_name(tok)
        if name in frame.columns:
            return frame[name]
        close = difflib.get_close_matches(name, [str(c) for c in frame.columns], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise FilterSyntaxError(
            _point(expr, tok.pos, f"no run has a column {name!r}.{hint}")
        )

    def compare(series: pd.Series, op: str, value: Any) -> np.ndarray:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = pd.to_numeric(series, errors="coerce")
        else:
            values = series
        notna = values.notna().to_numpy()
        ops = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
               ">": np.greater, ">=": np.greater_equal}
        result = np.zeros(len(series), dtype=bool)
        if notna.any():
            subset = values[notna].to_numpy(dtype=object if values.dtype == object else None)
            try:
                with np.errstate(invalid="ignore"):
                    result[notna] = ops[op](subset, value).astype(bool)
            except TypeError:  # e.g. "<" between strings and numbers: those rows don't match
                result[notna] = [
                    _safe(ops[op], v, value) for v in subset
                ]
        return result

    def evaluate(node: tuple) -> np.ndarray:
        kind = node[0]
        if kind == "and":
            return evaluate(node[1]) & evaluate(node[2])
        if kind == "or":
            return evaluate(node[1]) | evaluate(node[2])
        if kind == "not":
            return ~evaluate(node[1])
        series = column(node[1])
        if kind == "cmp":
            return compare(series, node[2], node[3])
        if kind == "in":
            return np.logical_or.reduce([compare(series, "==", v) for v in node[2]]) \
                if node[2] else np.zeros(len(series), dtype=bool)
        if kind == "notin":  # like "!=": a missing value matches neither "in" nor "not in"
            return np.logical_and.reduce([compare(series, "!=", v) for v in node[2]])
        if kind == "contains":
            return series.astype("string").str.contains(str(node[2]), regex=False).fillna(False).to_numpy(bool)
        if kind == "isnull":
            return series.isna().to_numpy()
        if kind == "notnull":
            return series.notna().to_numpy()
        raise AssertionError(kind)  # pragma: no cover

    return frame[evaluate(tree)]


def _safe(op, a, b) -> bool:
    try:
        return bool(op(a, b))
    except TypeError:
        return False
