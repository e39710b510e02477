"""Every route refuses the unauthenticated, and cookie-authenticated writes need the XSRF token."""

from __future__ import annotations

import warnings

import httpx
import pytest
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import JupyterServerAuthWarning

from conftest import TOKEN, Server

KERNEL_ID = "00000000-0000-0000-0000-000000000000"
BODY = {"variables": {"AUTH_TEST_TOKEN": "auth-test-value-7c1e"}, "secretName": "AUTH_TEST_TOKEN"}

ROUTES = [
    ("GET", "/portal-token/status", None),
    ("GET", "/portal-token/tokens", None),
    ("PUT", "/portal-token/tokens/demo", BODY),
    ("DELETE", "/portal-token/tokens/demo", None),
    ("GET", "/portal-token/tokens/demo/value", None),
    ("GET", "/portal-token/kernels", None),
    ("POST", f"/portal-token/kernels/{KERNEL_ID}", {"portal": "demo", "version": "x"}),
    ("GET", "/portal-token/no-such-route", None),
    ("POST", "/portal-token/no/such/route", {}),
]
WRITES = [(m, p, b) for m, p, b in ROUTES if m != "GET"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "token wrong-token"}])
async def test_every_route_refuses_unauthenticated_calls(
    server: Server, headers: dict[str, str]
) -> None:
    await server.put_token("demo", BODY["variables"])
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as anonymous:
        for method, path, body in ROUTES:
            r = await anonymous.request(method, path, json=body)
            assert r.status_code in (401, 403), (method, path, r.status_code)
            assert "auth-test-value-7c1e" not in r.text
    # Nothing was changed by the refused writes: the token is still there, unchanged.
    r = await server.api("GET", "/portal-token/tokens/demo/value")
    assert r.json()["variables"] == BODY["variables"]


async def cookie_client(server: Server) -> httpx.AsyncClient:
    """A client logged in as a browser is: a login cookie and the _xsrf cookie, no token."""
    client = httpx.AsyncClient(base_url=server.url)
    r = await client.get("/login")  # the login page sets the _xsrf cookie
    assert r.status_code == 200 and "_xsrf" in client.cookies
    r = await client.get("/api/status", params={"token": TOKEN})  # sets the login cookie
    assert r.status_code == 200
    assert any(name.startswith("username-") for name in client.cookies)
    return client


async def test_cookie_authenticated_writes_need_the_xsrf_header(server: Server) -> None:
    client = await cookie_client(server)
    try:
        # Reads work with the cookie alone.
        r = await client.get("/portal-token/tokens")
        assert r.status_code == 200 and r.json() == {"tokens": []}
        # Writes without the header are refused and change nothing.
        for method, path, body in WRITES:
            r = await client.request(method, path, json=body)
            assert r.status_code == 403, (method, path, r.status_code)
            assert "_xsrf" in r.json()["message"]
        assert (await server.api("GET", "/portal-token/tokens")).json() == {"tokens": []}
        # A wrong header is refused too.
        r = await client.put(
            "/portal-token/tokens/demo", json=BODY, headers={"X-XSRFToken": "2|00|00|00"}
        )
        assert r.status_code == 403
        # The same write with the header matching the cookie succeeds.
        xsrf = {"X-XSRFToken": client.cookies["_xsrf"]}
        r = await client.put("/portal-token/tokens/demo", json=BODY, headers=xsrf)
        assert r.status_code == 200, r.text
        assert r.json()["names"] == ["AUTH_TEST_TOKEN"]
        r = await client.delete("/portal-token/tokens/demo", headers=xsrf)
        assert r.status_code == 204
        assert (await server.api("GET", "/portal-token/tokens")).json() == {"tokens": []}
    finally:
        await client.aclose()


async def test_no_handler_is_unauthenticated(make_server) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", JupyterServerAuthWarning)
        server = await make_server(allow_unauthenticated_access=False)
        r = await server.api("GET", "/portal-token/status")
        assert r.status_code == 200

        # The check above can fail: a handler without @authenticated makes the same server warn.
        class Undecorated(APIHandler):
            def get(self) -> None:
                self.finish("{}")

        with pytest.raises(JupyterServerAuthWarning):
            server.app.web_app.add_handlers(".*$", [("/undecorated", Undecorated)])


async def test_routes_answer_json(server: Server) -> None:
    r = await server.api("GET", "/portal-token/status")
    assert r.status_code == 200
    assert r.json() == {
        "version": __import__("jupyterlab_portal_token").__version__,
        "launch": {"kernels": True, "reason": None},
        "terminals": True,
    }
    r = await server.api("GET", "/portal-token/no-such-route")
    assert r.status_code == 404 and r.json()["message"] == "no such portal-token route"
    r = await server.api("POST", "/portal-token/status", json={})
    assert r.status_code == 405 and "message" in r.json()
