"""The REST routes under ``<base_url>/portal-token/``: parse, authorize, call the store.

Every method is authenticated and authorized on the resource ``portal-token``; writes from a
cookie-authenticated page need the XSRF token, as for every Jupyter API. Errors are JSON
``{"message": ...}`` and never contain a value.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from . import __version__
from .launch import (
    LAUNCH_SETTING,
    STORE_SETTING,
    LaunchStatus,
    StaleVersion,
    UnknownKernel,
    kernel_versions,
    record_kernel_version,
    terminal_manager,
    with_terminals,
)
from .relay import (
    MARK_ERROR,
    MARK_HEADER,
    MARK_PORTAL,
    RELAY_SETTING,
    PortalTokenRelay,
    RelayError,
    RelayRequest,
    challenge_headers,
    decode_portal_id,
)
from .store import MAX_BODY_BYTES, InvalidToken, TokenStore, check_portal, parse_put

_PORTAL = r"(?P<portal>[^/]+)"
_KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"


class BaseHandler(APIHandler):
    """Common parts: the store, JSON bodies without logging them, JSON replies."""

    auth_resource = "portal-token"

    @property
    def store(self) -> TokenStore:
        """The server's token store."""
        return self.settings[STORE_SETTING]

    def fail(self, status: int, message: str) -> tornado.web.HTTPError:
        """An error whose message is shown to the user; it must never hold a value."""
        return tornado.web.HTTPError(status, message)

    def json_body(self) -> Any:
        """The request's JSON body. Unlike ``get_json_body`` it never logs the body."""
        body = self.request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise self.fail(400, f"the body is larger than {MAX_BODY_BYTES} bytes")
        if not body.strip():
            raise self.fail(400, "the body must be JSON")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self.fail(400, "the body is not valid JSON") from None

    def reply(self, model: Any) -> None:
        """Finish with a JSON body."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(model))

    def portal_id(self, portal: str) -> str:
        """The portal id from the path, checked."""
        try:
            return check_portal(portal)
        except InvalidToken as e:
            raise self.fail(400, str(e)) from None


class StatusHandler(BaseHandler):
    """``GET portal-token/status``: what this server does with tokens."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        """The version, whether kernels get tokens at launch (or why not), and terminals."""
        launch: LaunchStatus = self.settings[LAUNCH_SETTING]
        self.reply(
            {
                "version": __version__,
                "launch": launch.to_json(),
                "terminals": terminal_manager(self.settings) is not None,
            }
        )


class TokensHandler(BaseHandler):
    """``GET portal-token/tokens``: the records of live tokens, never a value."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        """List the records of live tokens, with the terminals that hold each."""
        records = self.store.records()
        self.reply({"tokens": [with_terminals(self.settings, r) for r in records]})


class TokenHandler(BaseHandler):
    """``PUT`` and ``DELETE portal-token/tokens/<portal>``."""

    @tornado.web.authenticated
    @authorized
    def put(self, portal: str) -> None:
        """Store a portal's token, or update its info, expiry and flags."""
        portal = self.portal_id(portal)
        body = self.json_body()
        stored = self.store.get(portal)
        if isinstance(body, dict) and "variables" not in body and stored is None:
            raise self.fail(404, f"no token for portal {portal}")
        try:
            fields = parse_put(body, stored)
        except InvalidToken as e:
            raise self.fail(400, str(e)) from None
        if "variables" in fields:
            entry = self.store.put(portal, **fields)
        else:
            entry = self.store.update(portal, **fields)
        self.reply(with_terminals(self.settings, entry.record()))

    @tornado.web.authenticated
    @authorized
    def delete(self, portal: str) -> None:
        """Forget a portal's token (also when there is none).

        With ``?version=``, only if that is still the portal's version: a page retiring its own
        token must not remove a newer one that another tab handed over meanwhile.
        """
        portal = self.portal_id(portal)
        version = self.get_query_argument("version", None)
        if version is None or self.store.current_version(portal) == version:
            self.store.delete(portal)
        self.set_status(204)
        self.finish()


class TokenValueHandler(BaseHandler):
    """``GET portal-token/tokens/<portal>/value``: the variables, for the page only."""

    @tornado.web.authenticated
    @authorized
    def get(self, portal: str) -> None:
        """The token's variables and the name of its secret."""
        portal = self.portal_id(portal)
        value = self.store.value(portal)
        if value is None:
            raise self.fail(404, f"no token for portal {portal}")
        self.set_header("Cache-Control", "no-store")
        self.reply(value)


class KernelsHandler(BaseHandler):
    """``GET portal-token/kernels``: which token versions each kernel process holds."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        """``{kernel_id: {portal: version}}`` of the kernels our kernel manager runs."""
        self.reply({"kernels": kernel_versions(self.kernel_manager)})


class KernelHandler(BaseHandler):
    """``POST portal-token/kernels/<kernel_id>``: the page put a token into a kernel."""

    @tornado.web.authenticated
    @authorized
    def post(self, kernel_id: str) -> None:
        """Record that the kernel now holds that version of the portal's token."""
        body = self.json_body()
        if not isinstance(body, dict):
            raise self.fail(400, "the body must be a JSON object")
        portal, version = body.get("portal"), body.get("version")
        if not isinstance(portal, str):
            raise self.fail(400, "portal: required, a portal id")
        portal = self.portal_id(portal)
        if not isinstance(version, str):
            raise self.fail(400, "version: required, a string")
        try:
            record_kernel_version(self.kernel_manager, self.store, kernel_id, portal, version)
        except UnknownKernel:
            raise self.fail(404, f"no kernel {kernel_id} with portal tokens at launch") from None
        except StaleVersion:
            raise self.fail(
                409, f"version: not the current version of the token of portal {portal}"
            ) from None
        self.set_status(204)
        self.finish()


class RelayHandler(BaseHandler):
    """``portal-token/relay/<portal-id>/<path>``: a call of a configured portal's token API.

    The relay (:mod:`.relay`) decides and forwards; this handler reads the call, and marks every
    answer ``X-Portal-Token-Relay: portal`` (the portal's) or ``error`` (the relay's own).
    """

    @property
    def relay(self) -> PortalTokenRelay:
        """The server's relay."""
        return self.settings[RELAY_SETTING]

    @property
    def content_security_policy(self) -> str:
        """Jupyter's API policy, sandboxed: the portal's answer is served from Jupyter's origin."""
        return super().content_security_policy + "; sandbox"

    async def prepare(self) -> None:  # type: ignore[override]
        # Jupyter's access log and tornado's error log print the URI: keep query values out.
        if self.request.query:
            names = (part.partition("=")[0] for part in self.request.query.split("&"))
            self.request.uri = self.request.path + "?" + "&".join(f"{n}=[secret]" for n in names)
        await super().prepare()

    def _split_path(self) -> tuple[str, str]:
        """The raw portal id and the raw path after it (both still percent-encoded)."""
        prefix = url_path_join(self.base_url, "portal-token", "relay") + "/"
        rest = self.request.path[len(prefix) :]
        portal, _, path = rest.partition("/")
        return portal, path

    def _log_call(self, status: int) -> None:
        portal, path = self._split_path()
        self.log.info("relay %s %s /%s: %s", self.request.method, portal, path, status)

    async def _relay(self) -> None:
        raw_portal, path = self._split_path()
        try:
            request = RelayRequest(
                user=getattr(self.current_user, "username", "") or "",
                portal_id=decode_portal_id(raw_portal),
                method=self.request.method or "GET",
                path=path,
                query=self.request.query_arguments,
                headers=self.request.headers,
                body=self.request.body or b"",
            )
            answer = await self.relay.forward(request)
        except RelayError as e:
            raise self.fail(e.status, e.message) from None
        self._log_call(answer.status)
        self.set_status(answer.status)
        self.set_header(MARK_HEADER, MARK_PORTAL)
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        for name, value in challenge_headers(answer.challenge).items():
            self.set_header(name, value)
        content_type = answer.content_type or "application/octet-stream"
        if answer.status == 204 or not answer.body:
            self.finish(set_content_type=content_type)
        else:
            self.finish(answer.body, set_content_type=content_type)

    # One decorated method per HTTP method: `@authorized` keeps the action of its first call.

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Relay a GET."""
        await self._relay()

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Relay a POST."""
        await self._relay()

    @tornado.web.authenticated
    @authorized
    async def put(self) -> None:
        """Relay a PUT (no portal's token API has one: refused by the path rules)."""
        await self._relay()

    @tornado.web.authenticated
    @authorized
    async def delete(self) -> None:
        """Relay a DELETE."""
        await self._relay()

    @tornado.web.authenticated
    @authorized
    def head(self) -> None:
        """Not relayed."""
        raise self.fail(405, "the relay forwards GET, POST, PUT and DELETE only")

    @tornado.web.authenticated
    @authorized
    def patch(self) -> None:
        """Not relayed."""
        raise self.fail(405, "the relay forwards GET, POST, PUT and DELETE only")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The JSON error, marked as the relay's own (not the portal's answer)."""
        self.set_header(MARK_HEADER, MARK_ERROR)
        self.set_header("Cache-Control", "no-store")
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Method, portal, path and status only: tornado's own line holds the request's headers."""
        status = value.status_code if isinstance(value, tornado.web.HTTPError) else 500
        self._log_call(status)
        if not isinstance(value, tornado.web.HTTPError):
            self.log.error("relay: unexpected %s", type(value).__name__)


class NotFoundHandler(BaseHandler):
    """Any other path under ``portal-token/``: a JSON 404, for authenticated users only."""

    # One decorated method per HTTP method: `@authorized` settles its action (read, write)
    # on its first call, so one function shared by all methods would authorize a write as a read.

    def _not_found(self) -> None:
        raise self.fail(404, "no such portal-token route")

    @tornado.web.authenticated
    @authorized
    def get(self, *args: Any) -> None:
        """404."""
        self._not_found()

    @tornado.web.authenticated
    @authorized
    def put(self, *args: Any) -> None:
        """404."""
        self._not_found()

    @tornado.web.authenticated
    @authorized
    def post(self, *args: Any) -> None:
        """404."""
        self._not_found()

    @tornado.web.authenticated
    @authorized
    def delete(self, *args: Any) -> None:
        """404."""
        self._not_found()

    @tornado.web.authenticated
    @authorized
    def patch(self, *args: Any) -> None:
        """404."""
        self._not_found()


def setup_handlers(web_app: Any, base_url: str) -> None:
    """Add the routes under ``<base_url>/portal-token/``."""

    def route(path: str) -> str:
        return url_path_join(base_url, "portal-token", path)

    web_app.add_handlers(
        ".*$",
        [
            (route("status"), StatusHandler),
            (route("tokens"), TokensHandler),
            (route(f"tokens/{_PORTAL}"), TokenHandler),
            (route(f"tokens/{_PORTAL}/value"), TokenValueHandler),
            (route("kernels"), KernelsHandler),
            (route(f"kernels/{_KERNEL_ID}"), KernelHandler),
            (route(r"relay/[^/]+(?:/.*)?"), RelayHandler),
            (route(".*"), NotFoundHandler),
        ],
    )
