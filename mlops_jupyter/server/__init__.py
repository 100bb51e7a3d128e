"""The Jupyter server extension: the REST API of the lab extension under
``{base_url}mlops/api/`` (handlers.py). Enabled on install by
``etc/jupyter/jupyter_server_config.d/mlops_jupyter.json``; jupyter_server and tornado are
imported only here, never by ``import mlops_jupyter``.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlops_jupyter.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .handlers import setup_handlers

    setup_handlers(serverapp.web_app, serverapp.root_dir)
    serverapp.log.info("mlops_jupyter: REST API at %smlops/api/ (stores under %s)",
                       serverapp.base_url, serverapp.root_dir)
