"""Drift alerts: tell someone when a drift report flags columns.

``alert`` is one of

- a callable: called as ``alert(report)`` (the ``DriftReport``; ``report.drifted_columns``
  lists the flagged columns);
- ``"log"``: one ``logging.warning`` on the ``mlops_jupyter.drift`` logger;
- a webhook URL (``http://`` or ``https://``): a JSON POST with the verdict and the drifted
  columns' numbers. It carries a ``text`` field too, so Slack / Teams / Mattermost incoming
  webhooks show it as is.

An alert fires once per report and only when at least one column drifted (a column that can
no longer be compared counts). A failing alert (unreachable webhook, an HTTP error, an exception
in the callback) becomes an ``AlertWarning``, never an exception: the drift analysis the user
asked for must not be lost because a notification failed.

A webhook gets one POST to exactly the URL given: a redirect (3xx) is not followed but reported
as a failed delivery (the report must not go to a host nobody configured), and the whole
delivery (connect, send, answer) has a deadline of ``WEBHOOK_TIMEOUT`` seconds, so a server
that answers slowly or trickles bytes cannot hold the cell longer.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from typing import Any

from mlops_jupyter.analysis.drift import DriftReport, alert_payload, describe_column

__all__ = ["send_drift_alert", "AlertWarning", "WEBHOOK_TIMEOUT"]

logger = logging.getLogger("mlops_jupyter.drift")
WEBHOOK_TIMEOUT = 5.0  # seconds, for the whole delivery: a cell must not hang on a slow endpoint


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
    deadline = WEBHOOK_TIMEOUT
    connections: list[http.client.HTTPConnection] = []
    opener = urllib.request.build_opener(
        _NoRedirect, _TrackedHTTP(connections), _TrackedHTTPS(connections)
    )
    outcome: dict[str, BaseException] = {}

    def deliver() -> None:
        try:
            with opener.open(request, timeout=deadline) as response:
                response.read(_MAX_RESPONSE)
        except BaseException as exc:  # reported by the caller's thread, as a warning
            outcome["error"] = exc

    # urllib's timeout bounds each socket operation, not the whole request: a server that
    # trickles a byte now and then would hold the cell for ever. The request runs in a thread
    # the cell waits for at most ``deadline`` seconds; then its sockets are shut down.
    worker = threading.Thread(target=deliver, name="mlops-drift-webhook", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        for connection in list(connections):
            _shut(connection)
        warnings.warn(f"drift webhook {_safe(url)} did not answer within {deadline:g} s "
                      "(WEBHOOK_TIMEOUT); gave up, the alert was not delivered",
                      AlertWarning, stacklevel=3)
        return
    exc = outcome.get("error")
    if exc is None:
        return
    if isinstance(exc, urllib.error.HTTPError):
        message = f"drift webhook {_safe(url)} answered HTTP {exc.code}"
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location") if exc.headers else None
            target = f" to {_safe(urllib.parse.urljoin(url, location))}" if location else ""
            message += (f" (a redirect{target}); redirects are not followed: "
                        "configure the final URL")
        warnings.warn(message, AlertWarning, stacklevel=3)
    else:
        reason = getattr(exc, "reason", exc)
        warnings.warn(f"drift webhook {_safe(url)} failed: {reason}", AlertWarning, stacklevel=3)


_MAX_RESPONSE = 64 * 1024  # a webhook's answer is read (and ignored) up to this size


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: the report must not go to a host nobody configured."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, PLR0913
        return None  # urllib then raises HTTPError with the 3xx code


def _tracking(connection_class: type, connections: list) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> Any:
        connection = connection_class(*args, **kwargs)
        connections.append(connection)
        return connection

    return make


class _TrackedHTTP(urllib.request.HTTPHandler):
    """Records its connections so that the deadline can shut their sockets."""

    def __init__(self, connections: list) -> None:
        super().__init__()
        self._connections = connections

    def http_open(self, req):  # noqa: ANN001
        return self.do_open(_tracking(http.client.HTTPConnection, self._connections), req)


class _TrackedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, connections: list) -> None:
        super().__init__()
        self._connections = connections

    def https_open(self, req):  # noqa: ANN001
        return self.do_open(_tracking(http.client.HTTPSConnection, self._connections), req,
                            context=self._context)


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read in the worker thread
    except OSError:
        pass


def _safe(url: str) -> str:
    # Webhook URLs often embed a secret token in the path (or user:password@): show the host only.
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}/..."
