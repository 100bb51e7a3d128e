"""Prometheus metrics of one server process, rendered in the text exposition format 0.0.4.

Part of the serving runtime (standard library only). Counters live in this process: with
``--workers N`` each worker answers ``/metrics`` with its own counts (a scrape reaches one
worker); sum them in Prometheus, or run one worker per container as most platforms do.

Exposed:

- ``mlops_requests_total{route,method,status}``: requests by route pattern (not raw path, so
  a caller cannot create unbounded series) and HTTP status;
- ``mlops_request_duration_seconds{route}``: latency histogram;
- ``mlops_rows_total``: rows scored;
- ``mlops_predictions_total{class}`` (classifiers) or ``mlops_prediction_value`` (a
  histogram of predicted values, buckets from the manifest or the reference profile);
- ``mlops_model_info{name,version}`` and ``mlops_drift_window_rows``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Histogram:
    def __init__(self, buckets: Sequence[float]):
        self.buckets = tuple(sorted(set(float(b) for b in buckets)))
        self.counts = [0] * (len(self.buckets) + 1)  # the last one: above every bucket
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: str) -> list[str]:
        sep = "," if labels else ""
        out, running = [], 0
        for edge, n in zip(self.buckets, self.counts, strict=False):
            running += n
            out.append(f'{name}_bucket{{{labels}{sep}le="{_num(edge)}"}} {running}')
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.count}')
        braces = f"{{{labels}}}" if labels else ""
        out.append(f"{name}_sum{braces} {_num(self.sum)}")
        out.append(f"{name}_count{braces} {self.count}")
        return out


class Metrics:
    def __init__(self, model_name: str, model_version: str, classifier: bool,
                 prediction_buckets: Sequence[float] | None = None):
        self.model_name = model_name
        self.model_version = model_version
        self.classifier = classifier
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.rows = 0
        self.classes: dict[str, int] = {}
        self.values = Histogram(prediction_buckets or ()) if not classifier else None

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.latency.get(route)
        if hist is None:
            hist = self.latency[route] = Histogram(LATENCY_BUCKETS)
        hist.observe(seconds)

    def observe_predictions(self, predictions: list[Any]) -> None:
        self.rows += len(predictions)
        if self.classifier:
            classes = self.classes
            for p in predictions:
                key = str(p)
                classes[key] = classes.get(key, 0) + 1
        elif self.values is not None:
            for p in predictions:
                if isinstance(p, (int, float)) and math.isfinite(p):
                    self.values.observe(float(p))

    def render(self, drift_window_rows: int | None = None) -> bytes:
        lines = [
            "# HELP mlops_model_info The model this server serves.",
            "# TYPE mlops_model_info gauge",
            f'mlops_model_info{{name="{_label(self.model_name)}",'
            f'version="{_label(self.model_version)}"}} 1',
            "# HELP mlops_requests_total Requests answered, by route, method and status.",
            "# TYPE mlops_requests_total counter",
        ]
        for (route, method, status), n in sorted(self.requests.items()):
            lines.append(f'mlops_requests_total{{route="{_label(route)}",method="{method}",'
                         f'status="{status}"}} {n}')
        lines += ["# HELP mlops_request_duration_seconds Time from request to response.",
                  "# TYPE mlops_request_duration_seconds histogram"]
        for route, hist in sorted(self.latency.items()):
            lines += hist.lines("mlops_request_duration_seconds", f'route="{_label(route)}"')
        lines += ["# HELP mlops_rows_total Rows scored.", "# TYPE mlops_rows_total counter",
                  f"mlops_rows_total {self.rows}"]
        if self.classifier:
            lines += ["# HELP mlops_predictions_total Predictions by predicted class.",
                      "# TYPE mlops_predictions_total counter"]
            for label, n in sorted(self.classes.items()):
                lines.append(f'mlops_predictions_total{{class="{_label(label)}"}} {n}')
        elif self.values is not None:
            lines += ["# HELP mlops_prediction_value Predicted values.",
                      "# TYPE mlops_prediction_value histogram"]
            lines += self.values.lines("mlops_prediction_value", "")
        if drift_window_rows is not None:
            lines += ["# HELP mlops_drift_window_rows Recent input rows kept for /monitor/drift.",
                      "# TYPE mlops_drift_window_rows gauge",
                      f"mlops_drift_window_rows {drift_window_rows}"]
        return ("\n".join(lines) + "\n").encode()
