"""New terminals get the live tokens' variables; after DELETE neither terminals nor kernels do."""

from __future__ import annotations

import json
import secrets

from conftest import Server, ServerFactory, wait_for


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


# --- which running terminals hold a token's current value ------------------------------------


async def tokens(server: Server) -> dict[str, dict]:
    """The tokens route's records by portal."""
    r = await server.api("GET", "/portal-token/tokens")
    assert r.status_code == 200, r.text
    return {record["portal"]: record for record in r.json()["tokens"]}


async def test_terminals_opened_after_the_token_hold_it(server: Server) -> None:
    value = secrets.token_hex(16)
    before = await server.open_terminal()
    record = await server.put_token("xdmod", {"XDMOD_API_TOKEN": value})
    # The PUT's answer already says: the terminal that was open has not got it.
    assert record["liveTerminals"] == [] and record["staleTerminals"] == [before]
    after = await server.open_terminal()
    listed = (await tokens(server))["xdmod"]
    assert listed["liveTerminals"] == [after]
    assert listed["staleTerminals"] == [before]
    # What the route says is what the shells have.
    assert server.terminal_env(after)["XDMOD_API_TOKEN"] == value
    assert "XDMOD_API_TOKEN" not in server.terminal_env(before)
    assert value not in json_text(listed)


async def test_after_renew_only_terminals_opened_since_hold_it(server: Server) -> None:
    old, new = secrets.token_hex(16), secrets.token_hex(16)
    await server.put_token("xdmod", {"XDMOD_API_TOKEN": old})
    with_old = await server.open_terminal()
    assert (await tokens(server))["xdmod"]["liveTerminals"] == [with_old]

    await server.put_token("xdmod", {"XDMOD_API_TOKEN": new})
    listed = (await tokens(server))["xdmod"]
    assert listed["liveTerminals"] == [] and listed["staleTerminals"] == [with_old]
    with_new = await server.open_terminal()
    listed = (await tokens(server))["xdmod"]
    assert listed["liveTerminals"] == [with_new]
    assert listed["staleTerminals"] == [with_old]
    assert server.terminal_env(with_old)["XDMOD_API_TOKEN"] == old
    assert server.terminal_env(with_new)["XDMOD_API_TOKEN"] == new


async def test_a_reused_name_is_a_new_terminal(server: Server) -> None:
    first = await server.open_terminal()
    await server.put_token("xdmod", {"XDMOD_API_TOKEN": secrets.token_hex(16)})
    manager = server.app.web_app.settings["terminal_manager"]
    r = await server.api("DELETE", f"/api/terminals/{first}")
    assert r.status_code == 204, r.text
    await wait_for(lambda: first not in manager.terminals)
    # terminado names the next terminal as the closed one: this one did get the token.
    again = await server.open_terminal()
    assert again == first
    assert (await tokens(server))["xdmod"]["liveTerminals"] == [again]


async def test_after_delete_no_terminal_holds_it(server: Server) -> None:
    await server.put_token("xdmod", {"XDMOD_API_TOKEN": secrets.token_hex(16)})
    held = await server.open_terminal()
    assert (await tokens(server))["xdmod"]["liveTerminals"] == [held]
    assert (await server.api("DELETE", "/portal-token/tokens/xdmod")).status_code == 204
    assert await tokens(server) == {}
    # Live again with a new value: the terminal from before does not count.
    record = await server.put_token("xdmod", {"XDMOD_API_TOKEN": secrets.token_hex(16)})
    assert record["liveTerminals"] == [] and record["staleTerminals"] == [held]


async def test_terminals_off_then_on(server: Server) -> None:
    await server.put_token("axivion", {"AXIVION_TOKEN": secrets.token_hex(16)})
    given = await server.open_terminal()
    r = await server.api("PUT", "/portal-token/tokens/axivion", json={"terminals": False})
    assert r.status_code == 200
    # Turned off: the terminal that got it still holds it, a new one does not.
    assert r.json()["liveTerminals"] == [given]
    not_given = await server.open_terminal()
    assert (await tokens(server))["axivion"]["liveTerminals"] == [given]
    r = await server.api("PUT", "/portal-token/tokens/axivion", json={"terminals": True})
    assert r.json()["liveTerminals"] == [given]
    assert r.json()["staleTerminals"] == [not_given]
    again = await server.open_terminal()
    listed = (await tokens(server))["axivion"]
    assert listed["liveTerminals"] == [given, again]
    assert "AXIVION_TOKEN" not in server.terminal_env(not_given)


async def test_a_name_another_portal_overrides_does_not_count(server: Server) -> None:
    await server.put_token("a", {"SHARED_TOKEN": secrets.token_hex(16)})
    await server.put_token("b", {"SHARED_TOKEN": secrets.token_hex(16)})
    # Merged in portal id order: b's value wins in new terminals.
    name = await server.open_terminal()
    listed = await tokens(server)
    assert listed["a"]["liveTerminals"] == [] and listed["a"]["staleTerminals"] == [name]
    assert listed["b"]["liveTerminals"] == [name]


async def test_without_terminals_no_terminal_is_listed(make_server: ServerFactory) -> None:
    server = await make_server(extensions={"jupyterlab_portal_token": True})
    record = await server.put_token("xdmod", {"XDMOD_API_TOKEN": secrets.token_hex(16)})
    assert record["liveTerminals"] == [] and record["staleTerminals"] == []


def json_text(record: dict) -> str:
    return json.dumps(record)
