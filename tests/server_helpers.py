"""Helpers of the server tests: JSON requests through jp_fetch and runs made with mj."""

from __future__ import annotations

import json

from tornado.httpclient import HTTPClientError


async def get(jp_fetch, path: str, **params):
    """(status, JSON body) of GET mlops/api/<path>; errors too, not raised."""
    return await call(jp_fetch, "GET", path, params=params)


async def post(jp_fetch, path: str, body: dict, **kwargs):
    return await call(jp_fetch, "POST", path, body=json.dumps(body), **kwargs)


async def call(jp_fetch, method: str, path: str, **kwargs):
    params = {k: v for k, v in (kwargs.pop("params", None) or {}).items() if v is not None}
    try:
        response = await jp_fetch("mlops", "api", *path.split("/"), method=method,
                                  params=params, **kwargs)
    except HTTPClientError as exc:
        response = exc.response
        assert response is not None, exc
    return response.code, json.loads(response.body or b"null")


def make_runs():
    """Three runs: two FINISHED with params and metric histories, one FAILED."""
    import mlops_jupyter as mj

    ids = []
    for name, c, losses in (("small-c", 0.1, [0.9, 0.5, 0.7]), ("big-c", 10.0, [0.8, 0.3, 0.2])):
        with mj.start_run(name, experiment="churn") as run:
            mj.log_params({"C": c, "solver": "lbfgs"})
            for loss in losses:
                mj.log_metric("loss", loss)
            mj.log_metric("accuracy", 1 - losses[-1])
            ids.append(run.id)
    try:
        with mj.start_run("broken", experiment="other") as run:
            ids.append(run.id)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    return ids
