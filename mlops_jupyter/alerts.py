"""Drift alerts: tell someone when a drift report flags columns.

``alert`` is one of

- a callable: called as ``alert(report)`` (the ``DriftReport``; ``report.drifted_columns``
  lists the flagged columns);
- ``"log"``: one ``logging.warning`` on the ``mlops_jupyter.drift`` logger;
- a webhook URL (``http://`` or ``https://``): a JSON POST with the verdict and the drifted
  columns' numbers. It carries a ``text`` field too, so Slack / Teams / Mattermost incoming
  webhooks show it as is.

An alert fires once per report and only when at least one column drifted. A failing alert
(unreachable webhook, an exception in the callback) becomes a warning, never an exception:
the drift analysis the user asked for must not be lost because a notification failed.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from typing import Any

from mlops_jupyter.analysis.drift import DriftReport, alert_payload, describe_column

__all__ = ["send_drift_alert", "AlertWarning", "WEBHOOK_TIMEOUT"]

logger = logging.getLogger("mlops_jupyter.drift")
WEBHOOK_TIMEOUT = 5.0  # seconds: a notebook cell must not hang on a slow endpoint


class AlertWarning(UserWarning):
    """A drift alert could not be delivered."""


def _check(alert: Any) -> None:
    if callable(alert):
        return
    if isinstance(alert, str) and (alert == "log" or alert.startswith(("http://", "https://"))):
        return
    raise ValueError(
        f"alert must be a callable, 'log' or an http(s) webhook URL, not {alert!r}"
    )


def alert_text(report: DriftReport) -> str:
    """Short human text of the alert (first line = verdict, then one line per drifted column)."""
    head = (f"Data drift: {report.n_drifted} of {report.n_columns} columns drifted "
            f"({report.share_drifted:.0%})"
            + (" - dataset drift" if report.dataset_drift else ""))
    if report.broken:
        head += f"; {len(report.broken)} can no longer be compared: {', '.join(report.broken)}"
    lines = [head] + [f"- {c.column}: {describe_column(c)}" for c in report.columns if c.drifted]
    return "\n".join(lines)


def send_drift_alert(report: DriftReport, alert: Callable[[DriftReport], Any] | str) -> None:
    """Dispatch ``report`` to ``alert`` if any column drifted (see the module docstring)."""
    _check(alert)
    if not report.drifted_columns:
        return
    if callable(alert):
        try:
            alert(report)
        except Exception as exc:  # the user's callback failing must not lose the report
            warnings.warn(f"drift alert callback failed: {type(exc).__name__}: {exc}",
                          AlertWarning, stacklevel=2)
        return
    if alert == "log":
        logger.warning("%s", alert_text(report))
        return
    _post(alert, report)


def _post(url: str, report: DriftReport) -> None:
    payload = alert_payload(report)
    payload["text"] = alert_text(report)
    body = json.dumps(payload, allow_nan=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "mlops-jupyter"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        warnings.warn(f"drift webhook {_safe(url)} answered HTTP {exc.code}", AlertWarning,
                      stacklevel=3)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        warnings.warn(f"drift webhook {_safe(url)} failed: {reason}", AlertWarning, stacklevel=3)


def _safe(url: str) -> str:
    # Webhook URLs often embed a secret token in the path: show the host only.
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..."
