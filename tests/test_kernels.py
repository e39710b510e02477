"""Kernels get the live tokens' variables in their process environment at start and restart."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from conftest import Server, wait_for


def secret(label: str) -> str:
    """A value that appears nowhere unless this test put it there."""
    return f"pt-{label}-{secrets.token_hex(12)}"


async def run_code(server: Server, kernel_id: str, code: str) -> str:
    """Run code in a kernel over its ZMQ channels; what it printed to stdout."""
    client = server.kernel_manager(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=45)
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])

        reply = await client.execute_interactive(code, output_hook=hook, timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(out)
    finally:
        client.stop_channels()


async def test_rest_kernel_gets_variables_at_start_and_new_ones_at_restart(
    server: Server,
) -> None:
    first, url = secret("first"), "https://xdmod.example.org"
    record = await server.put_token("xdmod", {"XDMOD_API_TOKEN": first, "XDMOD_URL": url})
    assert record["names"] == ["XDMOD_API_TOKEN", "XDMOD_URL"]

    kernel_id = await server.start_kernel()  # POST /api/kernels: no page, no session
    env = server.kernel_env(kernel_id)
    assert env["XDMOD_API_TOKEN"] == first and env["XDMOD_URL"] == url
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json() == {"kernels": {kernel_id: {"xdmod": record["version"]}}}

    # The process itself sees it, not only its launch environment.
    printed = await run_code(server, kernel_id, "import os; print(os.environ['XDMOD_API_TOKEN'])")
    assert printed.strip() == first

    # A new value before the restart: the restarted process gets the new one.
    second = secret("second")
    renewed = await server.put_token("xdmod", {"XDMOD_API_TOKEN": second, "XDMOD_URL": url})
    assert renewed["version"] != record["version"]
    # Until the restart the kernel still holds the old version, and says so.
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json()["kernels"][kernel_id] == {"xdmod": record["version"]}

    old_pid = server.kernel_manager(kernel_id).provisioner.process.pid
    await server.restart_kernel(kernel_id)
    assert server.kernel_manager(kernel_id).provisioner.process.pid != old_pid
    env = server.kernel_env(kernel_id)
    assert env["XDMOD_API_TOKEN"] == second
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json() == {"kernels": {kernel_id: {"xdmod": renewed["version"]}}}


async def test_session_kernel_and_flags(server: Server) -> None:
    """Kernels JupyterLab starts (sessions) get them too; `kernels: false` keeps a token out."""
    sodar, axivion = secret("sodar"), secret("axivion")
    await server.put_token("sodar", {"SODAR_API_TOKEN": sodar})
    hidden = await server.put_token("axivion", {"AXIVION_TOKEN": axivion}, kernels=False)
    assert hidden["kernels"] is False

    r = await server.api(
        "POST",
        "/api/sessions",
        json={"path": "a.ipynb", "type": "notebook", "name": "a", "kernel": {"name": "python3"}},
    )
    assert r.status_code == 201, r.text
    kernel_id = r.json()["kernel"]["id"]
    env = server.kernel_env(kernel_id)
    assert env["SODAR_API_TOKEN"] == sodar
    assert "AXIVION_TOKEN" not in env
    assert "JPY_SESSION_NAME" in env  # the env the session passed is kept

    versions = (await server.api("GET", "/portal-token/kernels")).json()["kernels"][kernel_id]
    assert set(versions) == {"sodar"}


async def test_page_reported_versions(server: Server) -> None:
    """POST portal-token/kernels/<id> records what the page put in; a restart resets it."""
    visible = await server.put_token("sodar", {"SODAR_API_TOKEN": secret("s")})
    hidden = await server.put_token("axivion", {"AXIVION_TOKEN": secret("a")}, kernels=False)
    kernel_id = await server.start_kernel()
    path = f"/portal-token/kernels/{kernel_id}"

    r = await server.api("POST", path, json={"portal": "axivion", "version": "0" * 16})
    assert r.status_code == 409 and "version" in r.json()["message"]
    r = await server.api("POST", path, json={"portal": "nobody", "version": hidden["version"]})
    assert r.status_code == 409
    r = await server.api(
        "POST",
        "/portal-token/kernels/11111111-2222-3333-4444-555555555555",
        json={"portal": "axivion", "version": hidden["version"]},
    )
    assert r.status_code == 404 and "kernel" in r.json()["message"]
    r = await server.api("POST", path, json={"portal": "axivion"})
    assert r.status_code == 400

    r = await server.api("POST", path, json={"portal": "axivion", "version": hidden["version"]})
    assert r.status_code == 204
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json()["kernels"][kernel_id] == {
        "sodar": visible["version"],
        "axivion": hidden["version"],
    }

    await server.restart_kernel(kernel_id)
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json()["kernels"][kernel_id] == {"sodar": visible["version"]}

    # DELETE takes the portal out of every kernel's record.
    assert (await server.api("DELETE", "/portal-token/tokens/sodar")).status_code == 204
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json()["kernels"][kernel_id] == {}


async def test_expired_token_is_not_given_to_a_new_kernel(server: Server) -> None:
    value = secret("expiring")
    expires = datetime.now(timezone.utc) + timedelta(seconds=1.2)
    record = await server.put_token(
        "xdmod", {"XDMOD_API_TOKEN": value}, expires=expires.isoformat().replace("+00:00", "Z")
    )
    assert record["expires"].endswith("Z")
    terminals = server.app.web_app.settings["terminal_manager"]
    assert terminals.extra_env["XDMOD_API_TOKEN"] == value

    # The IOLoop timer drops it at its expiry, before anyone reads the store.
    await wait_for(lambda: "XDMOD_API_TOKEN" not in terminals.extra_env, timeout=5)
    assert datetime.now(timezone.utc) >= expires

    kernel_id = await server.start_kernel()
    assert "XDMOD_API_TOKEN" not in server.kernel_env(kernel_id)
    assert (await server.api("GET", "/portal-token/tokens")).json() == {"tokens": []}
    r = await server.api("GET", "/portal-token/tokens/xdmod/value")
    assert r.status_code == 404
    r = await server.api("GET", "/portal-token/kernels")
    assert r.json()["kernels"][kernel_id] == {}


async def test_r_kernel_gets_variables_at_launch(server: Server) -> None:
    value = secret("r")
    await server.put_token("sodar", {"SODAR_API_TOKEN": value, "SODAR_URL": "https://sodar"})
    kernel_id = await server.start_kernel("ir")
    assert server.kernel_env(kernel_id)["SODAR_API_TOKEN"] == value
    printed = await run_code(server, kernel_id, 'cat(Sys.getenv("SODAR_API_TOKEN"))')
    assert printed == value

