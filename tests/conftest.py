"""A real jupyter_server in this process, with the extension, real kernels and terminals.

Each test gets its own server in temporary Jupyter directories, served on a free port of
127.0.0.1, and stopped (kernels, terminals, socket) when the test ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application, RequestHandler

VENV_BIN = str(Path(sys.executable).parent)
TOKEN = "test-server-token-8f3a"  # the Jupyter server's own token, not a portal token


def proc_environ(pid: int) -> dict[str, str]:
    """The environment a process was started with, from /proc."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    env = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            name, _, value = item.partition(b"=")
            env[name.decode()] = value.decode(errors="replace")
    return env


class LogCapture(logging.Handler):
    """Every record of every logger, formatted, at DEBUG level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is still captured
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        self.lines.append(f"{record.name} {record.levelname} {text}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Server:
    """One running ServerApp and an HTTP client authenticated with its token."""

    def __init__(self, app: Any, http_server: HTTPServer, port: int, log: LogCapture) -> None:
        self.app = app
        self.http_server = http_server
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.client = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"token {TOKEN}"}, timeout=30
        )

    async def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A token-authenticated request to ``path`` (relative to the base URL)."""
        return await self.client.request(method, path, **kw)

    async def put_token(self, portal: str, variables: dict[str, str], **fields: Any) -> dict:
        """PUT a token whose secret is the first variable; fail the test unless it is 200."""
        body = {"variables": variables, "secretName": next(iter(variables)), **fields}
        r = await self.api("PUT", f"/portal-token/tokens/{portal}", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    # --- kernels -------------------------------------------------------------------------

    async def start_kernel(self, name: str = "python3") -> str:
        """Start a kernel over the REST API (no session, no page); its id."""
        r = await self.api("POST", "/api/kernels", json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    async def restart_kernel(self, kernel_id: str) -> None:
        """Restart a kernel over the REST API."""
        r = await self.api("POST", f"/api/kernels/{kernel_id}/restart")
        assert r.status_code == 200, r.text

    def kernel_manager(self, kernel_id: str) -> Any:
        """The kernel's manager in the server."""
        return self.app.kernel_manager.get_kernel(kernel_id)

    def kernel_env(self, kernel_id: str) -> dict[str, str]:
        """The environment the kernel's current process was started with."""
        return proc_environ(self.kernel_manager(kernel_id).provisioner.process.pid)

    # --- terminals -----------------------------------------------------------------------

    async def open_terminal(self) -> str:
        """Open a terminal over the REST API; its name."""
        r = await self.api("POST", "/api/terminals", json={})
        assert r.status_code == 200, r.text
        return r.json()["name"]

    def terminal_env(self, name: str) -> dict[str, str]:
        """The environment the terminal's shell was started with."""
        manager = self.app.web_app.settings["terminal_manager"]
        return proc_environ(manager.terminals[name].ptyproc.pid)

    def runtime_files(self) -> dict[Path, bytes]:
        """Every file under the server's runtime directory and its bytes."""
        root = Path(self.app.runtime_dir)
        return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    async def stop(self) -> None:
        """Stop kernels, terminals, extensions and the socket."""
        await self.client.aclose()
        km = self.app.kernel_manager
        terminals = self.app.web_app.settings.get("terminal_manager")
        try:
            await km.shutdown_all(now=True)
            if terminals is not None:
                await terminals.terminate_all()
        finally:
            self.http_server.stop()
            await self.http_server.close_all_connections()
            store = self.app.web_app.settings.get("portal_token_store")
            await self.app._cleanup()
            if store is not None:
                store.clear()
            # _cleanup skips a kernel manager without kernels (its len() is 0); a context
            # left to the garbage collector can block the interpreter's exit.
            if km._created_context and not km.context.closed:
                km.context.destroy(linger=0)


def clear_singletons() -> None:
    """Forget the process-wide singletons one server leaves for the next."""
    from jupyter_client.provisioning.factory import KernelProvisionerFactory
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.serverapp import ServerApp

    for cls in (ServerApp, KernelProvisionerFactory, GatewayClient):
        cls.clear_instance()


@pytest.fixture
def jupyter_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary HOME and Jupyter directories; the venv's kernels on PATH."""
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = tmp_path / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    (tmp_path / "root").mkdir()
    # The kernelspecs `python3` and `ir` are in sys.prefix/share/jupyter; their argv needs PATH.
    monkeypatch.setenv("PATH", VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("SHELL", "/bin/sh")
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_GATEWAY_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


ServerFactory = Callable[..., Awaitable[Server]]


@pytest.fixture
async def make_server(jupyter_dirs: Path) -> AsyncIterator[ServerFactory]:
    """Start servers with the extension (and terminals); all are stopped after the test."""
    from jupyter_server.serverapp import ServerApp

    servers: list[Server] = []
    captures: list[LogCapture] = []
    root_logger = logging.getLogger()
    old_level = root_logger.level

    async def start(*argv: str, extensions: dict[str, bool] | None = None, **traits: Any) -> Server:
        clear_singletons()
        sock, port = bind_unused_port()
        log = LogCapture()
        captures.append(log)
        root_logger.addHandler(log)
        root_logger.setLevel(logging.DEBUG)
        # The ServerApp logger does not propagate to the root and is configured with
        # dictConfig during initialize: add the capture there.
        logging_config = {
            "handlers": {"capture": {"()": lambda: log, "level": "DEBUG"}},
            "loggers": {"ServerApp": {"level": "DEBUG", "handlers": ["console", "capture"]}},
        }
        app = ServerApp(
            jpserver_extensions=extensions
            or {"jupyterlab_portal_token": True, "jupyter_server_terminals": True},
            logging_config=logging_config,
            **traits,
        )
        app.initialize(
            argv=[
                f"--IdentityProvider.token={TOKEN}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={jupyter_dirs / 'root'}",
                "--ServerApp.log_level=DEBUG",
                *argv,
            ],
            find_extensions=False,
            new_httpserver=False,
        )
        http_server = HTTPServer(app.web_app)
        http_server.add_sockets([sock])
        server = Server(app, http_server, port, log)
        servers.append(server)
        return server

    yield start

    for server in reversed(servers):
        await server.stop()
    for log in captures:
        root_logger.removeHandler(log)
    root_logger.setLevel(old_level)
    clear_singletons()


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """A server with the extension and terminals, default configuration."""
    return await make_server()


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` is true, polling the event loop."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


# --- the relay: JupyterLab's settings files and a portal stub --------------------------------

SCHEMA = Path(__file__).parent.parent / "schema" / "plugin.json"
PLUGIN_ID = "jupyterlab-portal-token:plugin"


class LabSettings:
    """The extension's settings in a test's JupyterLab directories, written where JupyterLab
    reads them: the schema of the installed labextension, ``overrides.json`` of the app
    settings directory, and the user's ``plugin.jupyterlab-settings`` (JSON5)."""

    def __init__(self, data_dir: Path, app_dir: Path, user_settings_dir: Path) -> None:
        self.schema_path = (
            data_dir / "labextensions" / "jupyterlab-portal-token" / "schemas"
            / "jupyterlab-portal-token" / "plugin.json"
        )
        self.app_settings_dir = app_dir / "settings"
        self.user_settings_dir = user_settings_dir
        self.schema_defaults([])

    def schema_defaults(self, portals: list[dict[str, Any]]) -> None:
        """Install the project's schema with ``portals`` as its default."""
        schema = json.loads(SCHEMA.read_text())
        schema["properties"]["portals"]["default"] = portals
        self.schema_path.parent.mkdir(parents=True, exist_ok=True)
        self.schema_path.write_text(json.dumps(schema))

    def overrides(self, portals: list[dict[str, Any]] | None) -> None:
        """The administrator's ``overrides.json`` (None: no file)."""
        path = self.app_settings_dir / "overrides.json"
        if portals is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({PLUGIN_ID: {"portals": portals}}))

    def user(self, portals: list[dict[str, Any]] | None, directory: Path | None = None) -> None:
        """The user's own settings, with comments as JupyterLab's editor writes them."""
        path = (directory or self.user_settings_dir) / "jupyterlab-portal-token" / (
            "plugin.jupyterlab-settings"
        )
        if portals is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "{\n    // API tokens\n    // Portals to request API tokens from.\n"
            f'    "portals": {json.dumps(portals, indent=4)},\n'
            "    /* trailing comma, as JSON5 allows */\n}\n"
        )


@pytest.fixture
def lab_settings(jupyter_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> LabSettings:
    """JupyterLab's directories inside the test's temp dirs (not the venv's overrides.json)."""
    app_dir = jupyter_dirs / "lab-app"
    app_dir.mkdir()
    monkeypatch.setenv("JUPYTERLAB_DIR", str(app_dir))
    # In a venv jupyter_core puts the venv's data dir first, with its installed schema.
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
    monkeypatch.delenv("JUPYTERLAB_SETTINGS_DIR", raising=False)
    # JupyterLab's default: <JUPYTER_CONFIG_DIR>/lab/user-settings.
    user_dir = jupyter_dirs / "jupyter_config_dir" / "lab" / "user-settings"
    return LabSettings(jupyter_dirs / "jupyter_data_dir", app_dir, user_dir)


@dataclass
class Received:
    """One request the portal stub received, as it came off the wire."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def header_names(self) -> set[str]:
        return {name.lower() for name, _ in self.headers}

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[0] if values else None

    @property
    def raw(self) -> str:
        """Everything received, as text: to look for what must never arrive."""
        lines = [f"{self.method} {self.path}?{self.query}"]
        lines += [f"{n}: {v}" for n, v in self.headers]
        return "\n".join(lines) + "\n" + self.body.decode("utf-8", "replace")


@dataclass
class Answer:
    """What the stub answers to one method and path."""

    status: int = 200
    body: bytes | str | dict | list = field(default_factory=lambda: {"success": True})
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    chunked: bool = False


class PortalStub:
    """A small real HTTP portal on 127.0.0.1 that records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: dict[tuple[str, str], Answer] = {}
        self.release = asyncio.Event()  # ends every delay at teardown
        sock, self.port = bind_unused_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        stub = self

        class Handler(RequestHandler):
            async def _any(self) -> None:
                request = self.request
                stub.received.append(
                    Received(
                        request.method or "",
                        request.path,
                        request.query,
                        list(request.headers.get_all()),
                        request.body or b"",
                    )
                )
                answer = stub.answers.get((request.method or "", request.path), Answer())
                if answer.delay:
                    try:
                        await asyncio.wait_for(stub.release.wait(), answer.delay)
                    except asyncio.TimeoutError:
                        pass
                self.set_status(answer.status)
                for name, value in answer.headers:
                    if name.lower() == "content-type":
                        self.set_header(name, value)  # not after tornado's default
                    else:
                        self.add_header(name, value)
                body = answer.body
                if isinstance(body, (dict, list)):
                    self.set_header("Content-Type", "application/json")
                    body = json.dumps(body)
                if answer.status in (204, 304):
                    self.finish()
                elif answer.chunked:
                    for i in range(0, len(body), 1024):
                        self.write(body[i : i + 1024])
                        await self.flush()
                    self.finish()
                else:
                    self.finish(body)

            get = post = put = delete = patch = head = _any

        self.http_server = HTTPServer(Application([(r".*", Handler)]))
        self.http_server.add_sockets([sock])

    def on(self, method: str, path: str, **answer: Any) -> None:
        """Answer ``method`` on ``path`` (e.g. ``/rest/auth/login``) like this."""
        self.answers[(method, path)] = Answer(**answer)

    async def stop(self) -> None:
        self.release.set()
        self.http_server.stop()
        await self.http_server.close_all_connections()


@pytest.fixture
async def portal_stub() -> AsyncIterator[PortalStub]:
    """A portal stub; stopped after the test."""
    stub = PortalStub()
    yield stub
    await stub.stop()


@pytest.fixture
async def portal_stub2() -> AsyncIterator[PortalStub]:
    """A second portal stub, on another port."""
    stub = PortalStub()
    yield stub
    await stub.stop()
