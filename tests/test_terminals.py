"""New terminals get the live tokens' variables; after DELETE neither terminals nor kernels do."""

from __future__ import annotations

import secrets

from conftest import Server


async def test_terminal_gets_variables_until_delete(server: Server) -> None:
    value = secrets.token_hex(16)
    await server.put_token("sodar", {"SODAR_API_TOKEN": value, "SODAR_URL": "https://sodar"})
    manager = server.app.web_app.settings["terminal_manager"]
    own_keys = {"JUPYTER_SERVER_ROOT", "JUPYTER_SERVER_URL"}
    assert own_keys <= set(manager.extra_env)

    before = await server.open_terminal()
    env = server.terminal_env(before)
    assert env["SODAR_API_TOKEN"] == value and env["SODAR_URL"] == "https://sodar"

    r = await server.api("DELETE", "/portal-token/tokens/sodar")
    assert r.status_code == 204
    assert (await server.api("DELETE", "/portal-token/tokens/sodar")).status_code == 204

    after = await server.open_terminal()
    env = server.terminal_env(after)
    assert "SODAR_API_TOKEN" not in env and "SODAR_URL" not in env
    kernel_id = await server.start_kernel()
    env = server.kernel_env(kernel_id)
    assert "SODAR_API_TOKEN" not in env and "SODAR_URL" not in env
    # The server's own terminal variables are left alone.
    assert own_keys <= set(manager.extra_env)
    assert server.terminal_env(after)["JUPYTER_SERVER_ROOT"] == server.app.root_dir


async def test_terminals_false_keeps_a_token_out_of_terminals(server: Server) -> None:
    value = secrets.token_hex(16)
    record = await server.put_token("axivion", {"AXIVION_TOKEN": value}, terminals=False)
    assert record["terminals"] is False and record["kernels"] is True
    name = await server.open_terminal()
    assert "AXIVION_TOKEN" not in server.terminal_env(name)
    kernel_id = await server.start_kernel()
    assert server.kernel_env(kernel_id)["AXIVION_TOKEN"] == value

    # Turning the flag on (no variables: values and version stay) reaches the next terminal.
    r = await server.api("PUT", "/portal-token/tokens/axivion", json={"terminals": True})
    assert r.status_code == 200 and r.json()["version"] == record["version"]
    name = await server.open_terminal()
    assert server.terminal_env(name)["AXIVION_TOKEN"] == value


async def test_a_name_the_server_had_gets_its_value_back(server: Server) -> None:
    manager = server.app.web_app.settings["terminal_manager"]
    root = manager.extra_env["JUPYTER_SERVER_ROOT"]
    await server.put_token("odd", {"JUPYTER_SERVER_ROOT": "/portal/said/so"})
    assert manager.extra_env["JUPYTER_SERVER_ROOT"] == "/portal/said/so"
    await server.api("DELETE", "/portal-token/tokens/odd")
    assert manager.extra_env["JUPYTER_SERVER_ROOT"] == root
