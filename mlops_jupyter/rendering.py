"""How a result object shows itself where no live widget runs.

Every result that renders (a drift report, an explanation, a comparison, a snapshot diff, a
run record) inherits :class:`HtmlReport` and so has

- ``_repr_html_`` / ``_repr_mimebundle_``: a static HTML fragment, for any front end that
  reads them (JupyterLab without the extension, VS Code, marimo, Quarto, nbconvert);
- ``to_html()``: one self-contained page (styles inline, figures as SVG or with plotly's
  JavaScript embedded once; nothing fetched from the network when it is viewed);
- ``save_html(path)``: that page written to a file, to send to someone without a notebook.

The result types live in ``analysis/``, ``data/`` and ``tracking/``, below ``views/``: they
name their renderer as a ``"module:function"`` string that is imported only when the
object is shown (as pandas names its plotting backend), so no result module imports
``views/`` and nothing heavy is imported before a result is displayed.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["HtmlReport"]

_PAGE = "mlops_jupyter.views.page:standalone_page"


def _resolve(target: str):
    module_name, _, func_name = target.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


class HtmlReport:
    """Mixin: static HTML forms of a result, rendered by a function of ``views/``.

    Subclasses set ``_html_renderer = "mlops_jupyter.views.<module>:<function>"``: a function
    taking the object and returning an HTML fragment (no ``<html>``/``<body>``), and may
    override :meth:`_html_title`.
    """

    _html_renderer: ClassVar[str] = ""

    def _html_title(self) -> str:
        return f"mlops-jupyter: {type(self).__name__}"

    def _html_fragment(self) -> str:
        if not self._html_renderer:
            raise NotImplementedError(f"{type(self).__name__} names no HTML renderer")
        return _resolve(self._html_renderer)(self)

    def _repr_html_(self) -> str:
        return self._html_fragment()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._html_fragment(), "text/plain": repr(self)}

    def to_html(self) -> str:
        """The result as one self-contained HTML page (no network access needed to view it)."""
        return _resolve(_PAGE)(self._html_title(), self._html_fragment())

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_html` to ``path`` (UTF-8) and return the path written.

        Examples
        --------
        >>> report.save_html("drift-2026-11.html")   # doctest: +SKIP
        PosixPath('drift-2026-11.html')
        """
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target.with_suffix(target.suffix + ".html") if target.suffix else \
                target.with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.to_html(), encoding="utf-8")
        return target
