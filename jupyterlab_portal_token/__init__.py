"""JupyterLab extension that requests portal API tokens and injects them into kernels.

The server half keeps the live tokens in memory and gives their variables to every kernel
the server starts or restarts, and to new terminals. Entry points only; the work is done in
:mod:`.store`, :mod:`.launch`, :mod:`.relay` and :mod:`.routes`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "jupyterlab-portal-token"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server extension: this module."""
    return [{"module": "jupyterlab_portal_token"}]


def _link_jupyter_server_extension(serverapp: Any) -> None:
    """Before the server makes its kernel manager: ask for ours."""
    from .launch import link

    link(serverapp)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Make the token store, follow it for kernels and terminals, make the relay (configured as
    ``c.PortalTokenRelay``), and add the routes."""
    from .launch import load
    from .relay import RELAY_SETTING, PortalTokenRelay
    from .routes import setup_handlers
    from .store import TokenStore

    load(serverapp, TokenStore())
    serverapp.web_app.settings[RELAY_SETTING] = PortalTokenRelay(serverapp)
    setup_handlers(serverapp.web_app, serverapp.base_url)
