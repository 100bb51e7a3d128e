"""Drift alerts: callable, logging, webhook; once per report, only on drift, never raising."""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.alerts import AlertWarning, send_drift_alert
from mlops_jupyter.analysis.drift import compute_drift


@pytest.fixture
def drifted():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    cur = pd.DataFrame({"a": rng.normal(1.0, 1, 500), "b": rng.normal(size=500)})
    report = compute_drift(ref, cur)
    assert report.drifted_columns == ["a"]
    return report


@pytest.fixture
def quiet():
    ref = pd.DataFrame({"a": np.arange(200.0)})
    return compute_drift(ref, ref.copy())


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    _Hook.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/secret-token", _Hook
    server.shutdown()
    server.server_close()


def test_callable_gets_the_report_once(drifted):
    calls = []
    send_drift_alert(drifted, calls.append)
    assert calls == [drifted]
    assert calls[0].drifted_columns == ["a"]


def test_nothing_sent_when_nothing_drifted(quiet, webhook):
    calls = []
    send_drift_alert(quiet, calls.append)
    url, hook = webhook
    send_drift_alert(quiet, url)
    assert calls == [] and hook.received == []


def test_log_alert(drifted, caplog):
    with caplog.at_level(logging.WARNING, logger="mlops_jupyter.drift"):
        send_drift_alert(drifted, "log")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "1 of 2 columns drifted" in record.getMessage() and "- a:" in record.getMessage()


def test_webhook_posts_json(drifted, webhook):
    url, hook = webhook
    send_drift_alert(drifted, url)
    (content_type, payload), = hook.received
    assert content_type == "application/json"
    assert payload["drifted_columns"] == ["a"]
    assert payload["columns"][0]["column"] == "a" and payload["columns"][0]["test"] == "ks"
    assert payload["text"].startswith("Data drift: 1 of 2 columns drifted")


def test_webhook_errors_become_warnings(drifted, webhook):
    url, hook = webhook
    hook.status = 500
    with pytest.warns(AlertWarning, match="HTTP 500") as record:
        send_drift_alert(drifted, url)
    assert "secret-token" not in str(record[0].message)  # tokens in webhook paths stay private
    with pytest.warns(AlertWarning, match="failed"):
        send_drift_alert(drifted, "http://127.0.0.1:9/nothing-listens-here")


def test_failing_callback_becomes_a_warning(drifted):
    def broken(report):
        raise KeyError("oops")

    with pytest.warns(AlertWarning, match="KeyError"):
        send_drift_alert(drifted, broken)


def test_invalid_alert_is_a_clear_error(quiet):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="callable, 'log' or an http"):
            send_drift_alert(quiet, "email-me")


def test_a_column_that_cannot_be_compared_fires_the_alert(webhook):
    ref = pd.DataFrame({f"a{i}": np.arange(100.0) for i in range(5)} | {"zip": np.arange(100)})
    cur = ref.copy()
    cur["zip"] = [str(i) for i in range(100)]
    cur["a0"] = np.inf
    report = compute_drift(ref, cur)
    calls = []
    send_drift_alert(report, calls.append)
    assert calls == [report]
    url, hook = webhook
    send_drift_alert(report, url)
    _, body = hook.received[-1]
    assert body["broken_columns"] == {
        "a0": "no finite values in the current frame (100% infinite)",
        "zip": "numeric in reference but string in current "
               "(pass categorical=['zip'] to compare the values as labels)",
    }
    assert "zip: cannot be compared any more" in body["text"]
    assert "2 can no longer be compared" in body["text"]


# ---------------------------------------------------------------- webhook delivery limits


def _serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_webhook_does_not_follow_redirects(drifted):
    posts = []

    class Target(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        do_GET = do_POST  # noqa: N815 - a followed 302 may become a GET

        def log_message(self, *args):
            pass

    target = _serve(Target)

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirect = _serve(Redirect)
    try:
        with pytest.warns(AlertWarning) as record:
            send_drift_alert(drifted, f"http://127.0.0.1:{redirect.server_port}/hook/token")
        message = str(record[0].message)
        assert "HTTP 302" in message and f"127.0.0.1:{redirect.server_port}" in message
        assert "redirect" in message and "token" not in message
        time.sleep(0.2)
        assert posts == []  # the second server never got the report
    finally:
        for server in (redirect, target):
            server.shutdown()
            server.server_close()


def test_a_trickling_webhook_cannot_hold_the_cell_past_the_deadline(drifted, monkeypatch):
    import mlops_jupyter.alerts as alerts

    monkeypatch.setattr(alerts, "WEBHOOK_TIMEOUT", 1.5)
    stop = threading.Event()

    class Trickle(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            # One byte every 0.3 s: no single read waits long enough for a socket timeout.
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
                if stop.is_set():
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)

        def log_message(self, *args):
            pass

    server = _serve(Trickle)
    try:
        started = time.monotonic()
        with pytest.warns(AlertWarning, match=r"127\.0\.0\.1.*1\.5 s"):
            send_drift_alert(drifted, f"http://127.0.0.1:{server.server_port}/hook")
        elapsed = time.monotonic() - started
        assert elapsed < 1.5 + 1.0, elapsed
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
