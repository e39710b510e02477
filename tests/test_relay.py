"""The relay to portals on other origins: what it refuses, what it forwards, and what never leaves.

A real jupyter_server in this process (conftest) relays to a real HTTP portal stub on 127.0.0.1
that records every request it receives. Settings are written into the test's JupyterLab
directories the way JupyterLab reads them.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tornado.httpclient import HTTPResponse
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from tornado.testing import bind_unused_port
from traitlets.config import Config

from conftest import PLUGIN_ID, TOKEN, LabSettings, PortalStub, Server
from test_auth import cookie_client

MARK = "X-Portal-Token-Relay"
#: Request headers the relay may send to a portal (the allow-list, and what HTTP itself adds).
SENT_HEADERS = {
    "accept",
    "content-type",
    "x-requested-with",
    "x-axivion-user-agent",
    "ax-csrf-token",
    "authorization",
    "cookie",
    "user-agent",
    "host",
    "content-length",
    "connection",
    "accept-encoding",
}
TOKEN_PATH = "rest/users/current/api/token"


def portal(portal_id: str, kind: str, url: str, **more: Any) -> dict[str, Any]:
    """One entry of the ``portals`` setting."""
    return {"id": portal_id, "kind": kind, "url": url, **more}


def relay_path(portal_id: str, path: str = "") -> str:
    return f"/portal-token/relay/{portal_id}/{path}"


async def relay(
    server: Server, method: str, portal_id: str, path: str, **kw: Any
) -> httpx.Response:
    """A token-authenticated relay call (httpx: the path is normalised as a browser would)."""
    return await server.api(method, relay_path(portal_id, path), **kw)


async def raw(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """A token-authenticated call whose path goes out exactly as written (no normalisation)."""
    client = SimpleAsyncHTTPClient(force_instance=True)
    try:
        return await client.fetch(
            server.url + path,
            method=method,
            body=body if body is not None else (b"" if method in ("POST", "PUT") else None),
            headers={"Authorization": f"token {TOKEN}", **(headers or {})},
            raise_error=False,
            allow_nonstandard_methods=True,
        )
    finally:
        client.close()


def assert_relay_error(r: httpx.Response | HTTPResponse, status: int, message: str = "") -> None:
    """The relay's own refusal: its status, the mark, a JSON message (containing ``message``)."""
    code = r.status_code if isinstance(r, httpx.Response) else r.code
    body = r.text if isinstance(r, httpx.Response) else (r.body or b"").decode()
    assert code == status, (code, body)
    assert r.headers.get(MARK) == "error", dict(r.headers)
    assert message in json.loads(body)["message"], body


def server_log(server: Server) -> str:
    """What the server logged (the test's own HTTP client logs its URLs, left out)."""
    return "\n".join(
        line for line in server.log.lines if not line.startswith(("httpx ", "httpcore"))
    )


def relay_of(server: Server) -> Any:
    return server.app.web_app.settings["portal_token_relay"]


async def start(make_server: Any, lab_settings: LabSettings, portals: list, **relay: Any) -> Server:
    """A server whose administrator's overrides.json names ``portals``."""
    lab_settings.overrides(portals)
    if relay:
        return await make_server(config=Config({"PortalTokenRelay": relay}))
    return await make_server()


# --- which portals -----------------------------------------------------------------------------


async def test_unknown_portal_is_404(make_server, lab_settings, portal_stub: PortalStub) -> None:
    server = await start(make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)])
    r = await relay(server, "GET", "nope", TOKEN_PATH)
    assert_relay_error(r, 404)
    assert r.json()["message"] == 'no portal "nope" is configured'
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert r.status_code == 200 and r.headers[MARK] == "portal"
    assert [x.path for x in portal_stub.received] == [f"/{TOKEN_PATH}"]


async def test_relative_portal_url_is_400(make_server, lab_settings) -> None:
    portals = [
        portal("same", "sodar", "/sodar/"),
        {"id": "default", "kind": "xdmod"},  # url defaults to "/"
        portal("ftp", "sodar", "ftp://sodar.example.org/"),
        portal("userinfo", "sodar", "https://user:pw@sodar.example.org/"),
        portal("odd", "gitlab", "https://gitlab.example.org/"),
    ]
    server = await start(make_server, lab_settings, portals)
    for portal_id in ("same", "default"):
        r = await relay(server, "POST", portal_id, "tokens/api/login")
        assert_relay_error(r, 400, "JupyterLab's own origin")
    assert_relay_error(await relay(server, "POST", "ftp", "tokens/api/login"), 400, "not an http")
    r = await relay(server, "POST", "userinfo", "tokens/api/login")
    assert_relay_error(r, 400, "must not hold credentials")
    assert "pw" not in r.text
    assert_relay_error(await relay(server, "GET", "odd", ""), 400, "kind")


async def test_settings_precedence_decides_which_portals_exist(
    make_server, lab_settings: LabSettings, portal_stub: PortalStub
) -> None:
    """Schema defaults < the administrator's overrides.json < the user's settings, read anew on
    every call (no restart)."""
    lab_settings.schema_defaults([portal("from-default", "xdmod", portal_stub.url)])
    server = await make_server()

    async def status(portal_id: str) -> int:
        return (await relay(server, "GET", portal_id, TOKEN_PATH)).status_code

    assert await status("from-default") == 200

    lab_settings.overrides([portal("from-admin", "xdmod", portal_stub.url)])
    assert (await status("from-admin"), await status("from-default")) == (200, 404)

    lab_settings.user([portal("from-user", "xdmod", portal_stub.url)])
    assert (await status("from-user"), await status("from-admin")) == (200, 404)

    # The user's list replaces the administrator's whole list, as in JupyterLab's composite.
    # (Plain http to a host that is not loopback: the relay would refuse it, 403, sending nothing.)
    lab_settings.overrides([portal("same", "xdmod", "http://admin.example.invalid/")])
    assert await status("same") == 404
    lab_settings.user([portal("same", "xdmod", portal_stub.url)])
    assert await status("same") == 200
    assert portal_stub.received[-1].path == f"/{TOKEN_PATH}"

    # Invalid user settings are ignored, as JupyterLab ignores them: the overrides apply.
    lab_settings.user([{"id": "from-user", "kind": "xdmod", "unknown-field": 1}])
    assert (await status("from-user"), await status("same")) == (404, 403)

    lab_settings.user(None)
    lab_settings.overrides(None)
    assert (await status("same"), await status("from-default")) == (404, 200)


async def test_settings_of_the_running_jupyterlab(
    make_server, lab_settings: LabSettings, jupyter_dirs, portal_stub: PortalStub
) -> None:
    """With JupyterLab loaded, its LabApp's configured directories are the ones read."""
    app_settings = jupyter_dirs / "custom-app-settings"
    user_settings = jupyter_dirs / "custom-user-settings"
    # JupyterLab's default directories name another portal, which must not count.
    lab_settings.overrides([portal("default-dirs", "xdmod", portal_stub.url)])
    app_settings.mkdir()
    admin = {"portals": [portal("admin", "xdmod", portal_stub.url)]}
    (app_settings / "overrides.json").write_text(json.dumps({PLUGIN_ID: admin}))
    lab_settings.user([portal("mine", "sodar", portal_stub.url)], directory=user_settings)
    server = await make_server(
        f"--LabApp.app_settings_dir={app_settings}",
        f"--LabApp.user_settings_dir={user_settings}",
        extensions={"jupyterlab": True, "jupyterlab_portal_token": True},
    )
    dirs = relay_of(server).dirs
    assert dirs.app_settings_dir == str(app_settings)
    assert dirs.user_settings_dir == str(user_settings)
    assert (await relay(server, "POST", "mine", "tokens/api/login")).status_code == 200
    assert (await relay(server, "GET", "admin", TOKEN_PATH)).status_code == 404  # the user's wins
    assert (await relay(server, "GET", "default-dirs", TOKEN_PATH)).status_code == 404
    # JupyterLab's own settings API reads the same file.
    r = await server.api("GET", "/lab/api/settings/jupyterlab-portal-token:plugin")
    assert r.status_code == 200 and r.json()["settings"]["portals"][0]["id"] == "mine"


async def test_relay_under_a_base_url(make_server, lab_settings, portal_stub: PortalStub) -> None:
    """As under JupyterHub: the route and its path split follow the server's base_url."""
    lab_settings.overrides([portal("sodar", "sodar", portal_stub.url + "sodar/")])
    server = await make_server("--ServerApp.base_url=/user/alice/")
    r = await server.api("POST", "/user/alice" + relay_path("sodar", "tokens/api/login"))
    assert r.status_code == 200 and r.headers[MARK] == "portal", r.text
    assert portal_stub.received[-1].path == "/sodar/tokens/api/login"
    r = await server.api("POST", "/user/alice" + relay_path("sodar", "tokens/list"))
    assert_relay_error(r, 403, "sodar token API")


# --- which paths -------------------------------------------------------------------------------

ALLOWED = [
    ("xdmod", "GET", TOKEN_PATH),
    ("xdmod", "POST", TOKEN_PATH),
    ("xdmod", "DELETE", TOKEN_PATH),
    ("xdmod", "GET", "rest/v1/users/current/api/token"),
    ("xdmod", "POST", "rest/auth/login"),
    ("xdmod", "POST", "rest/v1/auth/logout"),
    ("xdmod", "POST", "rest/v12/auth/login"),
    ("sodar", "POST", "tokens/api/login"),
    ("axivion", "GET", ""),
    ("axivion", "GET", "api"),
    ("axivion", "GET", "api/users/j%3Ae.doe:s/tokens"),
    ("axivion", "POST", "api/users/j%3Ae.doe:s/tokens"),
    ("axivion", "GET", "api/tokens/1f2e-3d"),
    ("axivion", "DELETE", "api/tokens/1f2e-3d"),
    ("axivion", "DELETE", "api/tokens"),
]

REFUSED = [
    ("xdmod", "GET", "rest/v1/warehouse/raw-data"),
    ("xdmod", "GET", "rest/v1/warehouse/resources"),
    ("xdmod", "GET", "rest/users/current/api/token/../../../v1/warehouse/raw-data"),
    ("xdmod", "GET", "rest/users/current/api/%2e%2e/%2E%2E/v1/warehouse/raw-data"),
    ("xdmod", "GET", "rest/users/current/api/token%2F..%2F..%2Fv1%2Fwarehouse"),
    ("xdmod", "GET", "rest/users/current/api/token%5C..%5Cwarehouse"),
    ("xdmod", "GET", "rest//users/current/api/token"),
    ("xdmod", "GET", "/rest/users/current/api/token"),
    ("xdmod", "GET", "rest/./users/current/api/token"),
    ("xdmod", "GET", "rest/users/current/api/token/"),
    ("xdmod", "GET", "rest/users/current/api/token%"),
    ("xdmod", "GET", "rest/users/current/api/token?Bearer=query-value-77"),
    ("xdmod", "GET", "rest/v1/users/current/api/token;jsessionid=1/../../warehouse"),
    ("xdmod", "PUT", TOKEN_PATH),
    ("xdmod", "GET", "rest/auth/login"),
    ("xdmod", "GET", "rest/vx/users/current/api/token"),
    ("sodar", "GET", "tokens/api/login"),
    ("sodar", "POST", "tokens/list"),
    ("sodar", "DELETE", "tokens/api/login"),
    ("sodar", "POST", "project/api/list"),
    ("axivion", "GET", "api/users/a%2Fb/tokens"),
    ("axivion", "GET", "api/users/a/b/tokens"),
    ("axivion", "GET", "api/users/../tokens"),
    ("axivion", "GET", "api/projects"),
    ("axivion", "POST", "api/tokens/1"),
    ("axivion", "GET", "api/tokens/%2e%2e"),
    ("axivion", "POST", ""),
    ("axivion", "DELETE", "api/users/me/tokens"),
]


async def test_only_the_token_api_paths_are_relayed(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    portals = [
        portal("xdmod", "xdmod", portal_stub.url),
        portal("sodar", "sodar", portal_stub.url + "sodar/"),
        portal("axivion", "axivion", portal_stub.url + "axivion"),  # no slash: still its base
    ]
    server = await start(make_server, lab_settings, portals)
    base = {"xdmod": "/", "sodar": "/sodar/", "axivion": "/axivion/"}
    for kind, method, path in REFUSED:
        r = await raw(server, method, relay_path(kind, path))
        assert r.code == 403 and r.headers.get(MARK) == "error", (kind, method, path, r.code)
    assert portal_stub.received == []
    assert "query-value-77" not in server_log(server)  # query values stay out of every log line

    for kind, method, path in ALLOWED:
        before = len(portal_stub.received)
        body = b'["a", "b"]' if method != "GET" else None
        headers = {"Content-Type": "application/json"} if body else {}
        r = await raw(server, method, relay_path(kind, path), body=body, headers=headers)
        assert r.code == 200 and r.headers.get(MARK) == "portal", (kind, method, path, r.code)
        (received,) = portal_stub.received[before:]
        assert (received.method, received.path) == (method, base[kind] + path)
        if body:
            assert received.body == body
    # The dashboard's base URL, also without the trailing slash after the portal id.
    r = await raw(server, "GET", "/portal-token/relay/axivion")
    assert r.code == 200 and portal_stub.received[-1].path == "/axivion/"


# --- which hosts -------------------------------------------------------------------------------


async def test_plain_http_only_to_loopback_hosts(make_server, lab_settings) -> None:
    portals = [portal("far", "sodar", "http://portal.example.invalid/")]
    server = await start(make_server, lab_settings, portals, timeout=2.0)
    r = await relay(server, "POST", "far", "tokens/api/login")
    assert_relay_error(r, 403, "PortalTokenRelay.allow_http")
    assert "portal.example.invalid over https only" in r.json()["message"]
    # Let through, the call fails only where the host is looked up (.invalid never resolves).
    relay_of(server).allow_http = True
    r = await relay(server, "POST", "far", "tokens/api/login")
    assert r.status_code in (502, 504) and r.headers[MARK] == "error"


async def test_allowed_hosts_pin_the_hosts(
    make_server, lab_settings: LabSettings, portal_stub: PortalStub
) -> None:
    server = await start(
        make_server,
        lab_settings,
        [portal("admin", "xdmod", "https://xdmod.example.org/")],
        allowed_hosts=["xdmod.example.org", "*.example.net"],
    )
    # The user's own settings name another host: refused, nothing sent.
    lab_settings.user([portal("mine", "xdmod", portal_stub.url)])
    r = await relay(server, "GET", "mine", TOKEN_PATH)
    assert_relay_error(r, 403)
    assert r.json()["message"] == (
        "the relay may not reach host 127.0.0.1 (PortalTokenRelay.allowed_hosts)"
    )
    relay_of(server).allowed_hosts = [f"127.0.0.1:{portal_stub.port + 1}", "localhost"]
    assert_relay_error(await relay(server, "GET", "mine", TOKEN_PATH), 403, "allowed_hosts")
    assert portal_stub.received == []
    relay_of(server).allowed_hosts = [f"127.0.0.*:{portal_stub.port}"]
    assert (await relay(server, "GET", "mine", TOKEN_PATH)).status_code == 200


async def test_relay_turned_off(make_server, lab_settings, portal_stub: PortalStub) -> None:
    portals = [portal("xdmod", "xdmod", portal_stub.url)]
    server = await start(make_server, lab_settings, portals, enabled=False)
    for method in ("GET", "POST", "DELETE"):
        r = await relay(server, method, "xdmod", TOKEN_PATH)
        assert_relay_error(r, 403)
        assert r.json()["message"] == (
            "the relay is turned off by the administrator (PortalTokenRelay.enabled)"
        )
    assert_relay_error(await relay(server, "GET", "nope", TOKEN_PATH), 403, "turned off")
    assert portal_stub.received == []


# --- who may call it ---------------------------------------------------------------------------


async def test_unauthenticated_calls_are_refused(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    server = await start(make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)])
    for headers in ({}, {"Authorization": "token wrong-token"}):
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as anonymous:
            for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
                r = await anonymous.request(method, relay_path("xdmod", TOKEN_PATH))
                assert r.status_code == 403, (method, r.status_code)
    assert portal_stub.received == []


async def test_cookie_authenticated_writes_need_xsrf_and_jupyter_stays_home(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    """A browser-like page: Jupyter's login and _xsrf cookies; none of it reaches the portal."""
    server = await start(make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)])
    client = await cookie_client(server)
    try:
        form = {"username": "alice", "password": "portal-pw-51", "_xsrf": client.cookies["_xsrf"]}
        for method in ("POST", "DELETE", "PUT"):
            r = await client.request(method, relay_path("xdmod", "rest/auth/login"))
            assert_relay_error(r, 403, "_xsrf")
        assert portal_stub.received == []

        xsrf = client.cookies["_xsrf"]
        r = await client.post(
            relay_path("xdmod", "rest/auth/login"),
            data={**form, "token": TOKEN},
            headers={"X-XSRFToken": xsrf, "X-Requested-With": "XMLHttpRequest"},
        )
        assert r.status_code == 200 and r.headers[MARK] == "portal", r.text
        (received,) = portal_stub.received
        assert received.body == b"username=alice&password=portal-pw-51"
        assert received.header("X-Requested-With") == "XMLHttpRequest"
        assert received.header("Cookie") is None
        jupyter_cookies = [f"{name}={value}" for name, value in client.cookies.items()]
        secrets = [TOKEN, xsrf, *client.cookies.values(), *jupyter_cookies, "_xsrf", "username-"]
        for secret in secrets:
            assert secret not in received.raw, secret
        assert received.header_names <= SENT_HEADERS
    finally:
        await client.aclose()


async def test_head_and_patch_are_405(make_server, lab_settings, portal_stub: PortalStub) -> None:
    server = await start(make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)])
    r = await relay(server, "PATCH", "xdmod", TOKEN_PATH, json={})
    assert_relay_error(r, 405, "GET, POST, PUT and DELETE")
    r = await relay(server, "HEAD", "xdmod", TOKEN_PATH)
    assert r.status_code == 405 and r.headers[MARK] == "error"
    assert portal_stub.received == []


# --- what goes out and what comes back ---------------------------------------------------------


async def test_relayed_post_carries_only_allow_listed_headers(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    server = await start(make_server, lab_settings, [portal("sodar", "sodar", portal_stub.url)])
    portal_stub.on(
        "POST", "/tokens/api/login", status=201, body={"token": "f" * 64, "expiry": None}
    )
    basic = "Basic YWxpY2U6c29kYXItcHctOTk="  # alice:sodar-pw-99
    accept = "application/vnd.bihealth.sodar-core.tokens+json; version=1.0"
    r = await server.api(
        "POST",
        relay_path("sodar", "tokens/api/login") + f"?token={TOKEN}",
        content=json.dumps({"expiry": 0, "sodar_label": "lab"}),
        headers={
            "X-Portal-Authorization": basic,
            "Accept": accept,
            "Content-Type": "application/json",
            "Cookie": "_xsrf=2|abc|def|1; username-127-0-0-1-8888=jupyter-login",
            "X-XSRFToken": "2|abc|def|1",
            "X-Forwarded-For": "203.0.113.9",
            "Referer": f"http://127.0.0.1/lab?token={TOKEN}",
            "X-Extra-Secret": "extra-secret-3",
            "Proxy-Authorization": "Basic cHJveHk6cHJveHk=",
        },
    )
    assert r.status_code == 201 and r.headers[MARK] == "portal", r.text
    assert r.json() == {"token": "f" * 64, "expiry": None}
    (received,) = portal_stub.received
    assert received.header_names <= SENT_HEADERS, received.header_names
    assert received.header("Authorization") == basic  # X-Portal-Authorization, renamed
    assert received.header("Accept") == accept
    assert received.header("User-Agent").startswith("jupyterlab-portal-token/")
    assert received.header("Cookie") is None
    assert received.query == ""
    assert json.loads(received.body) == {"expiry": 0, "sodar_label": "lab"}
    jupyter = (TOKEN, "2|abc|def|1", "jupyter-login")
    for secret in (*jupyter, "203.0.113.9", "extra-secret-3", "cHJveHk6"):
        assert secret not in received.raw, secret
    # The log names the call, never a value.
    assert "relay POST sodar /tokens/api/login: 201" in server_log(server)
    for secret in ("YWxpY2U6c29kYXItcHctOTk", "sodar-pw", "f" * 64, "extra-secret-3", *jupyter):
        assert secret not in server_log(server), secret


async def test_the_portal_answer_passes_through_bare(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    portals = [portal("xdmod", "xdmod", portal_stub.url), portal("sodar", "sodar", portal_stub.url)]
    server = await start(make_server, lab_settings, portals)
    refusal = b'{"success":false,"message":"Invalid token."}'
    portal_stub.on(
        "GET",
        f"/{TOKEN_PATH}",
        status=401,
        body=refusal,
        headers=[
            ("Content-Type", "application/json; charset=UTF-8"),
            ("WWW-Authenticate", "Bearer"),
            ("X-Stub-Internal", "internal-value"),
            ("Set-Cookie", "PHPSESSID=stub-session-1; Path=/"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    )
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert (r.status_code, r.content) == (401, refusal)
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.headers["X-Portal-WWW-Authenticate"] == "Bearer"
    assert r.headers[MARK] == "portal"
    assert "x-stub-internal" not in r.headers
    assert r.headers.get("Access-Control-Allow-Origin") != "*"
    assert "stub-session-1" not in str(r.headers.raw)

    # SODAR's Basic challenge would open the browser's own password dialog: renamed only.
    portal_stub.on(
        "POST",
        "/tokens/api/login",
        status=401,
        body={"detail": "Invalid username/password."},
        headers=[("WWW-Authenticate", 'Basic realm="api"')],
    )
    r = await relay(server, "POST", "sodar", "tokens/api/login")
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers
    assert r.headers["X-Portal-WWW-Authenticate"] == 'Basic realm="api"'

    portal_stub.on("DELETE", f"/{TOKEN_PATH}", status=204)
    r = await relay(server, "DELETE", "xdmod", TOKEN_PATH)
    assert (r.status_code, r.content, r.headers[MARK]) == (204, b"", "portal")
    text = [("Content-Type", "text/plain")]
    portal_stub.on("POST", f"/{TOKEN_PATH}", status=500, body="Unable", headers=text)
    r = await relay(server, "POST", "xdmod", TOKEN_PATH)
    assert (r.status_code, r.text, r.headers[MARK]) == (500, "Unable", "portal")
    assert r.headers["Content-Type"] == "text/plain"


async def test_portal_cookies_stay_on_the_server(
    make_server, lab_settings, portal_stub: PortalStub, portal_stub2: PortalStub
) -> None:
    portals = [
        portal("a", "xdmod", portal_stub.url),
        portal("b", "xdmod", portal_stub.url),  # the same portal under another id
        portal("c", "xdmod", portal_stub2.url),
    ]
    server = await start(make_server, lab_settings, portals)
    portal_stub.on(
        "POST",
        "/rest/auth/login",
        body={"success": True},
        headers=[
            ("Set-Cookie", "PHPSESSID=php-session-7; Path=/; HttpOnly"),
            ("Set-Cookie", "xdmod_token=xdmod-session-8; Path=/rest; HttpOnly"),
            ("Set-Cookie", "elsewhere=other-path-9; Path=/other"),
        ],
    )
    basic = {"X-Portal-Authorization": "Basic eDp5"}
    r = await relay(server, "POST", "a", "rest/auth/login", headers=basic)
    assert r.status_code == 200
    set_cookies = r.headers.get_list("set-cookie")
    assert not [c for c in set_cookies if not c.startswith("username-")], set_cookies
    assert "php-session-7" not in str(r.headers.raw)
    assert "php-session-7" not in server.client.cookies.values()

    await relay(server, "GET", "a", TOKEN_PATH)
    cookie = portal_stub.received[-1].header("Cookie") or ""
    assert sorted(cookie.split("; ")) == ["PHPSESSID=php-session-7", "xdmod_token=xdmod-session-8"]
    await relay(server, "GET", "b", TOKEN_PATH)
    assert portal_stub.received[-1].header("Cookie") is None
    await relay(server, "GET", "c", TOKEN_PATH)
    assert portal_stub2.received[-1].header("Cookie") is None

    # The portal's expiry is honoured: Max-Age=0 takes the cookie out of the jar.
    portal_stub.on(
        "DELETE",
        f"/{TOKEN_PATH}",
        headers=[("Set-Cookie", "xdmod_token=; Path=/rest; Max-Age=0")],
    )
    await relay(server, "DELETE", "a", TOKEN_PATH)
    await relay(server, "GET", "a", TOKEN_PATH)
    assert portal_stub.received[-1].header("Cookie") == "PHPSESSID=php-session-7"
    for secret in ("php-session-7", "xdmod-session-8", "eDp5"):
        assert secret not in server_log(server)


# --- failures of the relay ---------------------------------------------------------------------


async def test_redirects_are_not_followed(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    server = await start(make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)])
    portal_stub.on(
        "POST",
        "/rest/auth/login",
        status=302,
        headers=[("Location", f"{portal_stub.url}elsewhere/secret-path?ticket=t-1")],
    )
    r = await relay(server, "POST", "xdmod", "rest/auth/login")
    assert_relay_error(r, 502)
    assert r.json()["message"] == (
        "the portal answered with a redirect to 127.0.0.1, which the relay does not follow"
    )
    portal_stub.on(
        "GET",
        f"/{TOKEN_PATH}",
        status=307,
        headers=[("Location", "https://cas.example.org/login?service=x")],
    )
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert_relay_error(r, 502, "a redirect to cas.example.org, which")
    assert "service" not in r.text and "secret-path" not in r.text
    assert [x.path for x in portal_stub.received] == ["/rest/auth/login", f"/{TOKEN_PATH}"]


@pytest.mark.parametrize("chunked", [False, True])
async def test_oversize_answer_is_502(
    make_server, lab_settings, portal_stub: PortalStub, chunked: bool
) -> None:
    server = await start(
        make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)], max_body_bytes=4096
    )
    portal_stub.on("GET", f"/{TOKEN_PATH}", body="x" * 4000, chunked=chunked)
    assert (await relay(server, "GET", "xdmod", TOKEN_PATH)).text == "x" * 4000
    portal_stub.on("GET", f"/{TOKEN_PATH}", body="x" * 5000, chunked=chunked)
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert_relay_error(r, 502, "answer too large")
    assert "PortalTokenRelay.max_body_bytes" in r.json()["message"]


async def test_timeout_is_504(make_server, lab_settings, portal_stub: PortalStub) -> None:
    server = await start(
        make_server, lab_settings, [portal("xdmod", "xdmod", portal_stub.url)], timeout=0.3
    )
    portal_stub.on("GET", f"/{TOKEN_PATH}", delay=10)
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert_relay_error(r, 504, "did not answer within 0.3 s")
    assert r.elapsed.total_seconds() < 3


async def test_unreachable_portal_is_502(make_server, lab_settings) -> None:
    sock, port = bind_unused_port()
    sock.close()  # nothing listens there now
    portals = [portal("xdmod", "xdmod", f"http://127.0.0.1:{port}/")]
    server = await start(make_server, lab_settings, portals)
    r = await relay(server, "GET", "xdmod", TOKEN_PATH)
    assert_relay_error(r, 502, f"127.0.0.1:{port} refused the connection")


async def test_request_bodies_are_limited(
    make_server, lab_settings, portal_stub: PortalStub
) -> None:
    server = await start(make_server, lab_settings, [portal("sodar", "sodar", portal_stub.url)])
    r = await relay(server, "POST", "sodar", "tokens/api/login", content=b"x" * (64 * 1024 + 1))
    assert_relay_error(r, 413, "larger than 65536 bytes")
    r = await relay(server, "POST", "sodar", "tokens/api/login", files={"f": b"data"})
    assert_relay_error(r, 415, "multipart")
    assert portal_stub.received == []


# --- pure parts --------------------------------------------------------------------------------


def test_host_patterns() -> None:
    from jupyterlab_portal_token.relay import host_matches, is_loopback

    assert host_matches("xdmod.example.org", "xdmod.example.org", 443)
    assert host_matches("XDMOD.example.org", "xdmod.example.org", 8443)
    assert host_matches("*.example.org", "sodar.example.org", 443)
    assert not host_matches("*.example.org", "example.org", 443)
    assert not host_matches("*.example.org", "example.org.evil.net", 443)
    assert host_matches("sodar.example.org:8443", "sodar.example.org", 8443)
    assert not host_matches("sodar.example.org:8443", "sodar.example.org", 443)
    assert host_matches("[::1]:8080", "::1", 8080) and host_matches("::1", "::1", 1)
    assert not host_matches("[::1]:8080", "::1", 8081)
    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.10", "::1", "localhost"]))
    assert not any(map(is_loopback, ["10.0.0.1", "localhost.example.org", "128.0.0.1", "::2"]))
