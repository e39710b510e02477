"""Values never appear in the list route, the server log, runtime files or `_launch_args`."""

from __future__ import annotations

import json
import secrets
from typing import Any

from conftest import Server


def leaks(values: list[str], *texts: Any) -> list[str]:
    """The values found in any of the texts (str, bytes, or anything repr'd)."""
    found = []
    for value in values:
        for text in texts:
            haystack = text if isinstance(text, (str, bytes)) else repr(text)
            needle = value.encode() if isinstance(haystack, bytes) else value
            if needle in haystack:
                found.append(value)
    return found


async def test_values_appear_nowhere_but_where_they_are_meant_to(server: Server) -> None:
    first = {"SODAR_API_TOKEN": "pt-one-" + secrets.token_hex(12), "SODAR_URL": secrets.token_hex(8)}
    second = {"SODAR_API_TOKEN": "pt-two-" + secrets.token_hex(12), "SODAR_URL": first["SODAR_URL"]}
    values = [*first.values(), second["SODAR_API_TOKEN"]]
    store = server.app.web_app.settings["portal_token_store"]

    # PUT, and the failures a careless client could send with a value in the body.
    record = await server.put_token("sodar", first, info={"label": "SODAR test"})
    bad_json = '{"variables": {"SODAR_API_TOKEN": "' + first["SODAR_API_TOKEN"] + '"'
    r = await server.api("PUT", "/portal-token/tokens/sodar", content=bad_json)
    assert r.status_code == 400 and not leaks(values, r.text)
    r = await server.api(
        "PUT",
        "/portal-token/tokens/sodar",
        json={"variables": {"SODAR_API_TOKEN": first["SODAR_API_TOKEN"] + "\0"}, "secretName": "X"},
    )
    assert r.status_code == 400 and not leaks(values, r.text)

    # The list route shows the record, never a value.
    r = await server.api("GET", "/portal-token/tokens")
    assert r.json()["tokens"] == [record]
    assert not leaks(values, r.text)
    assert not leaks(values, repr(store), repr(store.get("sodar")))

    # Launch: a REST kernel and a session kernel, restarted; a new value; a terminal.
    rest_kernel = await server.start_kernel()
    r = await server.api(
        "POST",
        "/api/sessions",
        json={"path": "s.ipynb", "type": "notebook", "name": "s", "kernel": {"name": "python3"}},
    )
    session_kernel = r.json()["kernel"]["id"]
    for kernel_id in (rest_kernel, session_kernel):
        assert server.kernel_env(kernel_id)["SODAR_API_TOKEN"] == first["SODAR_API_TOKEN"]
        await server.restart_kernel(kernel_id)
    await server.put_token("sodar", second)
    await server.restart_kernel(session_kernel)
    assert server.kernel_env(session_kernel)["SODAR_API_TOKEN"] == second["SODAR_API_TOKEN"]
    terminal = await server.open_terminal()
    assert server.terminal_env(terminal)["SODAR_API_TOKEN"] == second["SODAR_API_TOKEN"]

    # The value route is the one place that gives it, and tells caches not to keep it.
    r = await server.api("GET", "/portal-token/tokens/sodar/value")
    assert r.json() == {"variables": second, "secretName": "SODAR_API_TOKEN"}
    assert r.headers["Cache-Control"] == "no-store"
    version = (await server.api("GET", "/portal-token/tokens")).json()["tokens"][0]["version"]
    r = await server.api(
        "POST", f"/portal-token/kernels/{rest_kernel}", json={"portal": "sodar", "version": version}
    )
    assert r.status_code == 204

    # Not in the launch arguments a restart replays, nor in the session's env dict there.
    for kernel_id in (rest_kernel, session_kernel):
        launch_args = server.kernel_manager(kernel_id)._launch_args
        assert not leaks(values, launch_args, json.dumps(launch_args, default=str))
        assert "SODAR_API_TOKEN" not in (launch_args.get("env") or {})
    assert "env" in server.kernel_manager(session_kernel)._launch_args  # the check saw an env

    # Not in any file of the runtime directory (connection files included).
    files = server.runtime_files()
    assert any(p.name.startswith("kernel-") for p in files)
    assert not [str(p) for p, data in files.items() if leaks(values, data)]

    r = await server.api("DELETE", "/portal-token/tokens/sodar")
    assert r.status_code == 204

    # The whole cycle was logged at DEBUG level (the capture saw it) without a value.
    log = server.log.text
    assert "Starting kernel" in log and "New terminal" in log and "DELETE" in log
    assert f"/api/kernels/{session_kernel}/restart" in log
    assert not leaks(values, log)
