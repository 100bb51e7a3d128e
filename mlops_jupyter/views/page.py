"""One self-contained HTML page around a result's static fragment.

Styles are inline. A fragment that holds plotly figures (``<div class="plotly-graph-div">``
made with ``include_plotlyjs=False``) gets plotly's JavaScript embedded once, from the
installed plotly package, so the page opens offline; fragments drawn as SVG carry no script.
"""

from __future__ import annotations

import html

_STYLE = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; font-size: 13px; color: #1f2328; margin: 24px; max-width: 1200px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e7eb; text-align: left; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
footer { color: #888; font-size: 11px; margin-top: 24px; }
"""


def plotly_figure_div(fig) -> str:
    """A plotly figure as a ``<div>`` that needs the page's one copy of plotly.js."""
    return fig.to_html(full_html=False, include_plotlyjs=False)


def standalone_page(title: str, fragment: str) -> str:
    """``fragment`` as a complete HTML document that needs nothing from the network."""
    script = ""
    if "plotly-graph-div" in fragment:
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    from .._version import __version__

    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n{script}\n</head>\n"
        f"<body>\n{fragment}\n<footer>made with mlops-jupyter {html.escape(__version__)}"
        "</footer>\n</body>\n</html>\n"
    )
