"""An administrator's kernel manager class, or a gateway, is left alone."""

from __future__ import annotations

import pytest
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from conftest import Server


class AdminKernelManager(ServerKernelManager):
    """The administrator's own kernel manager."""


ADMIN_CLASS = f"{__name__}.AdminKernelManager"


@pytest.mark.parametrize(
    "section", ["AsyncMappingKernelManager", "MappingKernelManager", "MultiKernelManager"]
)
async def test_admin_kernel_manager_class_wins(make_server, section: str) -> None:
    server: Server = await make_server(f"--{section}.kernel_manager_class={ADMIN_CLASS}")
    assert server.app.kernel_manager.kernel_manager_class == ADMIN_CLASS
    r = await server.api("GET", "/portal-token/status")
    assert r.json()["launch"] == {"kernels": False, "reason": "kernel-manager"}
    assert "kernels do not get portal tokens at launch" in server.log.text

    if section == "AsyncMappingKernelManager":
        # Their manager starts the kernel, and (the page will do it) no variable at launch.
        await server.put_token("sodar", {"SODAR_API_TOKEN": "admin-test-value"})
        kernel_id = await server.start_kernel()
        assert type(server.kernel_manager(kernel_id)) is AdminKernelManager
        assert "SODAR_API_TOKEN" not in server.kernel_env(kernel_id)
        assert (await server.api("GET", "/portal-token/kernels")).json() == {"kernels": {}}
        r = await server.api("GET", "/portal-token/tokens/sodar/value")
        assert r.json()["variables"] == {"SODAR_API_TOKEN": "admin-test-value"}


async def test_admin_server_kernel_manager_class_wins(make_server) -> None:
    mapping = "jupyter_server.services.kernels.kernelmanager.AsyncMappingKernelManager"
    server: Server = await make_server(f"--ServerApp.kernel_manager_class={mapping}")
    r = await server.api("GET", "/portal-token/status")
    assert r.json()["launch"] == {"kernels": False, "reason": "kernel-manager"}
    assert "PortalToken" not in str(server.app.kernel_manager.kernel_manager_class)


async def test_gateway_is_left_alone(make_server) -> None:
    from jupyter_server.gateway.managers import GatewayMappingKernelManager

    # An unused loopback port: nothing needs to answer there.
    server: Server = await make_server("--GatewayClient.url=http://127.0.0.1:9")
    assert isinstance(server.app.kernel_manager, GatewayMappingKernelManager)
    assert (
        server.app.kernel_manager.kernel_manager_class
        == "jupyter_server.gateway.managers.GatewayKernelManager"
    )
    r = await server.api("GET", "/portal-token/status")
    assert r.json()["launch"] == {"kernels": False, "reason": "gateway"}
    assert "kernels do not get portal tokens at launch (a gateway" in server.log.text
    # Tokens are still kept for the page.
    await server.put_token("sodar", {"SODAR_API_TOKEN": "gateway-test-value"})
    assert len((await server.api("GET", "/portal-token/tokens")).json()["tokens"]) == 1


async def test_default_server_uses_ours(server: Server) -> None:
    from jupyterlab_portal_token.launch import KERNEL_MANAGER_CLASS

    assert server.app.kernel_manager.kernel_manager_class == KERNEL_MANAGER_CLASS
    assert "kernels do not get portal tokens" not in server.log.text
