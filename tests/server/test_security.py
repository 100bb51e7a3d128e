"""Every handler is authenticated, writes are XSRF-checked, and no parameter reaches
outside the server root or the discovered stores."""

from __future__ import annotations

import json
import os

import pytest
from server_helpers import get, make_runs, post
from tornado.httpclient import HTTPClientError

pytestmark = pytest.mark.timeout(120)

ENDPOINTS = ["stores", "experiments", "status", "runs", "runs/abcd1234", "compare?ids=a,b",
             "models"]


async def fetch_status(jp_fetch, *parts, **kwargs) -> int:
    try:
        return (await jp_fetch(*parts, **kwargs)).code
    except HTTPClientError as exc:
        return exc.code


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_unauthenticated_reads_are_refused(jp_fetch, root_store, path):
    make_runs()
    path, _, query = path.partition("?")
    params = dict([query.split("=")]) if query else {}
    assert await fetch_status(jp_fetch, "mlops", "api", *path.split("/"), params=params,
                              headers={"Authorization": ""}) == 403
    assert await fetch_status(jp_fetch, "mlops", "api", *path.split("/"), params=params,
                              headers={"Authorization": "token wrong"}) == 403


@pytest.mark.parametrize("path", ["exports", "models/churn/versions/1/stage"])
async def test_unauthenticated_writes_are_refused(jp_fetch, root_store, path, jp_root_dir):
    make_runs()
    assert await fetch_status(jp_fetch, "mlops", "api", *path.split("/"), method="POST",
                              body=json.dumps({"ref": "x", "stage": None}),
                              headers={"Authorization": ""}) == 403


async def test_cookie_authenticated_post_needs_the_xsrf_token(jp_fetch, root_store):
    make_runs()
    # A token-authenticated request gets the login cookie, as a browser does.
    response = await jp_fetch("mlops", "api", "status")
    login = [c.split(";")[0] for c in response.headers.get_list("Set-Cookie")
             if c.startswith("username-")]
    assert login, response.headers
    # The cookie alone authenticates a GET (the browser's way)...
    assert await fetch_status(jp_fetch, "mlops", "api", "status",
                              headers={"Authorization": "", "Cookie": login[0]}) == 200
    body = json.dumps({"ref": "churn/1"})
    # ...but a POST with it and without the XSRF token is refused before the handler runs
    code = await fetch_status(jp_fetch, "mlops", "api", "exports", method="POST", body=body,
                              headers={"Authorization": "", "Cookie": login[0]})
    assert code == 403
    # with the _xsrf cookie and the matching header it reaches the handler (404: no model)
    page = await jp_fetch("login", headers={"Authorization": ""})
    xsrf = [c.split(";")[0] for c in page.headers.get_list("Set-Cookie") if c.startswith("_xsrf=")]
    assert xsrf
    code = await fetch_status(jp_fetch, "mlops", "api", "exports", method="POST", body=body,
                              headers={"Authorization": "", "Cookie": f"{login[0]}; {xsrf[0]}",
                                       "X-XSRFToken": xsrf[0].partition("=")[2]})
    assert code == 404


@pytest.fixture
def outside(tmp_path):
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


async def test_out_dir_outside_the_root_is_403_and_nothing_is_written(
        jp_fetch, trained_run, jp_root_dir, outside):
    (jp_root_dir / "escape").symlink_to(outside, target_is_directory=True)
    for out_dir in ("../outside/pkg", str(outside / "pkg"), "escape/pkg", "exports/../../x",
                    ".", "~/pkg"):
        code, body = await post(jp_fetch, "exports", {"ref": trained_run, "out_dir": out_dir})
        assert code == 403, (out_dir, body)
        assert "root" in body["error"]
    assert list(outside.iterdir()) == []
    assert not (jp_root_dir.parent / "x").exists()
    assert sorted(p.name for p in jp_root_dir.iterdir()) == [".mlops", "escape"]


async def test_notebook_and_store_outside_the_root_are_403(jp_fetch, root_store, jp_root_dir,
                                                            outside):
    make_runs()
    import mlops_jupyter as mj

    mj.set_store(str(outside))  # a real store outside the root, with a run
    with mj.start_run("secret"):
        pass
    (jp_root_dir / "linked").symlink_to(outside, target_is_directory=True)
    for notebook in ("../outside/a.ipynb", str(outside / "a.ipynb"), "linked/a.ipynb"):
        code, body = await get(jp_fetch, "runs", notebook=notebook)
        assert code == 403, notebook
    for store in ("../outside/.mlops", str(outside / ".mlops"), "linked/.mlops"):
        code, body = await get(jp_fetch, "runs", store=store)
        assert code in (403, 404), store
        assert code == 403 or "no store" in body["error"]
        assert "secret" not in json.dumps(body)
    code, body = await get(jp_fetch, "stores")
    assert [s["id"] for s in body["stores"]] == [".mlops"]  # the symlinked store is not listed
    code, body = await post(jp_fetch, "models/x/versions/1/stage",
                            {"stage": None, "store": "../outside/.mlops"})
    assert code == 403
    assert not os.path.exists(jp_root_dir / "linked" / ".mlops" / "x")
