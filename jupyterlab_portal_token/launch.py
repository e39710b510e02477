"""The variables of live tokens into every kernel at start and restart, and into new terminals.

Kernels: a :class:`PortalTokenKernelManager` adds them to the environment the provisioner has
just prepared, each time a process is started (a restart replays the launch arguments through
the same path). The server is told to use it in the link step, unless a gateway runs the kernels
or the administrator chose a kernel manager class of their own.

Terminals: terminado reads its manager's ``extra_env`` for every new terminal, so the names of
live tokens are kept there and taken out again when the token goes. A terminal keeps the
environment it started with: the ones running when a token's value began to reach terminals
do not hold it, those opened afterwards do (:class:`TerminalHolders`).
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from typing import Any

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import Dict
from traitlets.config import Config

from .store import DELETED, TokenStore

#: Where the extension keeps its objects in the web app's settings.
STORE_SETTING = "portal_token_store"
LAUNCH_SETTING = "portal_token_launch"
TERMINALS_SETTING = "portal_token_terminals"

KERNEL_MANAGER_CLASS = "jupyterlab_portal_token.launch.PortalTokenKernelManager"

#: Config entries through which an administrator picks the kernel manager (class) themselves.
_ADMIN_KERNEL_MANAGER_TRAITS = (
    ("ServerApp", "kernel_manager_class"),
    ("AsyncMappingKernelManager", "kernel_manager_class"),
    ("MappingKernelManager", "kernel_manager_class"),
    ("MultiKernelManager", "kernel_manager_class"),
)


class PortalTokenKernelManager(ServerKernelManager):
    """A kernel manager whose every kernel process starts with the live tokens' variables."""

    portal_token_versions = Dict(
        help="{portal: version} of the tokens the current kernel process holds."
    )

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        # The async start path calls this private method directly, on start and on restart,
        # after `_launch_args` has been copied from `kw`: a new env dict keeps values out of it.
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        store = self._portal_token_store()
        if store is None:
            self.portal_token_versions = {}
            return kernel_cmd, kw
        variables, versions = store.launch("kernels")
        kw["env"] = {**(kw.get("env") or os.environ), **variables}
        self.portal_token_versions = versions
        return kernel_cmd, kw

    def _portal_token_store(self) -> TokenStore | None:
        """The server's token store: this manager's parent is the mapping kernel manager,
        whose parent is the ServerApp."""
        serverapp = getattr(self.parent, "parent", None)
        web_app = getattr(serverapp, "web_app", None)
        settings = getattr(web_app, "settings", None) or {}
        store = settings.get(STORE_SETTING)
        return store if isinstance(store, TokenStore) else None


@dataclass(frozen=True)
class LaunchStatus:
    """Whether kernels get the variables at launch, and why not."""

    kernels: bool
    reason: str | None = None  # None, "gateway" or "kernel-manager"

    def to_json(self) -> dict[str, Any]:
        """The ``launch`` member of the status route."""
        return {"kernels": self.kernels, "reason": self.reason}


def _gateway_enabled(serverapp: Any) -> bool:
    from jupyter_server.gateway.gateway_client import GatewayClient

    return bool(GatewayClient.instance(parent=serverapp).gateway_enabled)


def _admin_chose_kernel_manager(serverapp: Any) -> bool:
    config = serverapp.config
    for section, trait in _ADMIN_KERNEL_MANAGER_TRAITS:
        # `config[section]` would create the section: test membership first.
        if section in config and trait in config[section]:
            return True
    return False


def link(serverapp: Any) -> None:
    """Select our kernel manager class, before the server creates its kernel manager.

    Left alone when a gateway runs the kernels (its kernel manager would be replaced) or when
    the administrator configured a kernel manager class (their choice wins).
    """
    if _gateway_enabled(serverapp) or _admin_chose_kernel_manager(serverapp):
        return
    serverapp.update_config(
        Config({"AsyncMappingKernelManager": {"kernel_manager_class": KERNEL_MANAGER_CLASS}})
    )


def launch_status(serverapp: Any) -> LaunchStatus:
    """Whether the server's kernel manager is ours, which the link step asked for."""
    km_class = getattr(getattr(serverapp, "kernel_manager", None), "kernel_manager_class", None)
    if _is_ours(km_class):
        return LaunchStatus(kernels=True)
    if _gateway_enabled(serverapp):
        return LaunchStatus(kernels=False, reason="gateway")
    return LaunchStatus(kernels=False, reason="kernel-manager")


def _is_ours(km_class: object) -> bool:
    if isinstance(km_class, str):
        if km_class == KERNEL_MANAGER_CLASS:
            return True
        try:
            from traitlets.utils.importstring import import_item

            km_class = import_item(km_class)
        except Exception:
            return False
    return isinstance(km_class, type) and issubclass(km_class, PortalTokenKernelManager)


def load(serverapp: Any, store: TokenStore) -> LaunchStatus:
    """Put the store where kernel managers and handlers find it; follow it for terminals."""
    settings = serverapp.web_app.settings
    status = launch_status(serverapp)
    settings[STORE_SETTING] = store
    settings[LAUNCH_SETTING] = status
    if not status.kernels:
        serverapp.log.info(
            "jupyterlab_portal_token: kernels do not get portal tokens at launch (%s)",
            "a gateway runs the kernels"
            if status.reason == "gateway"
            else "a kernel manager class is configured",
        )
    terminals = TerminalEnvironment(settings, store)
    settings[TERMINALS_SETTING] = terminals
    store.add_listener(terminals.on_change)
    store.add_listener(lambda portal, change: _forget_deleted(serverapp, portal, change))
    return status


class TerminalEnvironment:
    """Keeps the variables of live tokens in the terminal manager's ``extra_env``, and knows
    which running terminals hold each token's current value.

    Only the names this class put there are taken out again; a name that was there before
    (from the server itself) gets its earlier value back.
    """

    def __init__(self, settings: dict[str, Any], store: TokenStore) -> None:
        self._settings = settings
        self._store = store
        self._ours: set[str] = set()
        self._before: dict[str, Any] = {}
        self._holders: dict[str, TerminalHolders] = {}

    def on_change(self, portal: str, change: str) -> None:
        """Bring ``extra_env`` up to date with the store (a store listener)."""
        self.sync()

    def sync(self) -> None:
        """Bring ``extra_env`` and the holders up to date with the store."""
        manager = terminal_manager(self._settings)
        if manager is None:
            self._holders.clear()
            return
        if manager.extra_env is None:
            manager.extra_env = {}
        extra_env = manager.extra_env
        live = self._store.environment("terminals")
        for name in sorted(self._ours - set(live)):
            if name in self._before:
                extra_env[name] = self._before.pop(name)
            else:
                extra_env.pop(name, None)
        for name, value in live.items():
            if name not in self._ours and name in extra_env:
                self._before[name] = extra_env[name]
            extra_env[name] = value
        self._ours = set(live)
        self._follow(manager, live)

    def _follow(self, manager: Any, live: dict[str, str]) -> None:
        """Note, per portal, whether new terminals now get its current value, in the same
        tick as ``extra_env`` changed: no terminal can start in between."""
        running = list(manager.terminals.values())
        holders: dict[str, TerminalHolders] = {}
        for record in self._store.records():
            portal, version = record["portal"], record["version"]
            giving = record["terminals"] and self._reaches(portal, live)
            known = self._holders.get(portal)
            if known is None or known.version != version:
                known = TerminalHolders(version)
                known.stale.update(running)
                known.giving = giving
            else:
                known.give(giving, running)
            holders[portal] = known
        # Deleted or expired tokens are gone from the records: no terminal holds them any more.
        self._holders = holders

    def _reaches(self, portal: str, live: dict[str, str]) -> bool:
        """Whether every variable of the portal's token reaches new terminals with its own
        value (another portal's token may set the same name, and win)."""
        value = self._store.value(portal)
        variables = value["variables"] if value else {}
        return bool(variables) and all(live.get(n) == v for n, v in variables.items())

    def terminals(self, portal: str) -> tuple[list[str], list[str]]:
        """The names of the running terminals that hold the portal's current token, and of
        those that do not."""
        manager = terminal_manager(self._settings)
        if manager is None:
            return [], []
        known = self._holders.get(portal)
        holding: list[str] = []
        other: list[str] = []
        for name, term in list(manager.terminals.items()):
            (holding if known is not None and known.holds(term) else other).append(name)
        return sorted(holding, key=_name_order), sorted(other, key=_name_order)

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A token's record (from the store) with its terminals: ``liveTerminals`` hold the
        current value, ``staleTerminals`` are the other running ones."""
        holding, other = self.terminals(record["portal"])
        return {**record, "liveTerminals": holding, "staleTerminals": other}


@dataclass(eq=False)
class TerminalHolders:
    """Which terminal objects hold one version of a portal's token.

    By object, not by name: terminado reuses names ("1" again after terminal 1 closed). While
    new terminals get the value (``giving``), every running terminal but those in ``stale``
    (running when it began) holds it; when they stop getting it, the holders are frozen into
    ``held``. Weak sets, so a closed terminal is not kept alive by them.
    """

    version: str
    giving: bool = False
    stale: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    held: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)

    def holds(self, term: Any) -> bool:
        """Whether the terminal holds this version."""
        return term in self.held or (self.giving and term not in self.stale)

    def give(self, giving: bool, running: list[Any]) -> None:
        """New terminals get this version from now on, or no longer."""
        if giving == self.giving:
            return
        if giving:
            self.stale = weakref.WeakSet(t for t in running if t not in self.held)
        else:
            self.held.update(t for t in running if t not in self.stale)
        self.giving = giving


def _name_order(name: str) -> tuple[int, int, str]:
    """Terminal names in the order a person counts them: "2" before "10"."""
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def with_terminals(settings: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A token's record with the names of the running terminals that hold its current value
    (``liveTerminals``) and of the others (``staleTerminals``)."""
    terminals = settings.get(TERMINALS_SETTING)
    if isinstance(terminals, TerminalEnvironment):
        return terminals.record(record)
    return {**record, "liveTerminals": [], "staleTerminals": []}


def terminal_manager(settings: dict[str, Any]) -> Any | None:
    """The server's terminal manager, if terminals are available."""
    manager = settings.get("terminal_manager")
    return manager if manager is not None and hasattr(manager, "extra_env") else None


def _forget_deleted(serverapp: Any, portal: str, change: str) -> None:
    if change != DELETED:
        return
    for km in _our_kernel_managers(serverapp.kernel_manager).values():
        if portal in km.portal_token_versions:
            km.portal_token_versions = {
                p: v for p, v in km.portal_token_versions.items() if p != portal
            }


def _our_kernel_managers(mapping_km: Any) -> dict[str, PortalTokenKernelManager]:
    managers: dict[str, PortalTokenKernelManager] = {}
    for kernel_id in list(mapping_km.list_kernel_ids()):
        try:
            km = mapping_km.get_kernel(kernel_id)
        except KeyError:
            continue
        if isinstance(km, PortalTokenKernelManager):
            managers[kernel_id] = km
    return managers


def kernel_versions(mapping_km: Any) -> dict[str, dict[str, str]]:
    """``{kernel_id: {portal: version}}`` of every running kernel our manager started."""
    return {
        kernel_id: dict(km.portal_token_versions)
        for kernel_id, km in _our_kernel_managers(mapping_km).items()
    }


class UnknownKernel(LookupError):
    """No such kernel, or not one whose launch this extension handles."""


class StaleVersion(ValueError):
    """The version is not the store's current one for that portal."""


def record_kernel_version(
    mapping_km: Any, store: TokenStore, kernel_id: str, portal: str, version: str
) -> None:
    """Note that the page put ``version`` of ``portal``'s token into a kernel itself."""
    km = _our_kernel_managers(mapping_km).get(kernel_id)
    if km is None:
        raise UnknownKernel(kernel_id)
    if store.current_version(portal) != version:
        raise StaleVersion(portal)
    km.portal_token_versions = {**km.portal_token_versions, portal: version}
