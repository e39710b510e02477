"""The relay: the page's calls to a configured portal's token API, made by the Jupyter server.

A portal on another origin that sends no CORS headers (SODAR, Axivion; XDMoD's DELETE) cannot be
called from the page. The page calls ``<base_url>portal-token/relay/<portal-id>/<path>``
instead, and the server forwards that one call. It is not an open proxy:

- only the portals of the extension's settings (``jupyterlab-portal-token:plugin`` →
  ``portals``), read on the server the way JupyterLab composes them: schema defaults, the
  administrator's ``overrides.json``, then the user's own settings;
- only the paths and methods of each kind's token API (:data:`RULES`), checked on the raw path;
- only hosts the administrator allows (:class:`PortalTokenRelay`), https unless loopback;
- only an allow-list of request headers; the portal's credentials come as
  ``X-Portal-Authorization`` and go out as ``Authorization``; nothing of Jupyter's (its token,
  cookies, XSRF token) ever leaves;
- the portal's cookies stay on the server, in a jar per user and portal;
- no redirect is followed, answers are capped in size and time.

What the relay itself refuses or fails at is told apart from the portal's own answers by the
header ``X-Portal-Token-Relay: error`` (``portal`` on the portal's answers). Its log lines hold
the method, portal id, path and status at most: never a body, header, cookie or query value.
"""

from __future__ import annotations

import asyncio
import fnmatch
import http.cookiejar
import ipaddress
import logging
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.httputil import HTTPHeaders, HTTPInputError
from tornado.simple_httpclient import (
    HTTPStreamClosedError,
    HTTPTimeoutError,
    SimpleAsyncHTTPClient,
)
from traitlets import Bool, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from . import __version__

#: The extension's settings, as JupyterLab names them.
PLUGIN_ID = "jupyterlab-portal-token:plugin"

#: Where the extension keeps the relay in the web app's settings.
RELAY_SETTING = "portal_token_relay"

#: The header that tells the relay's own answers (``error``) from the portal's (``portal``).
MARK_HEADER = "X-Portal-Token-Relay"
MARK_ERROR = "error"
MARK_PORTAL = "portal"

#: The page's header for the portal's credentials; the page's ``Authorization`` is Jupyter's.
PORTAL_AUTHORIZATION = "X-Portal-Authorization"

#: The portal's ``WWW-Authenticate``, always under this name (see :func:`challenge_headers`).
PORTAL_CHALLENGE = "X-Portal-WWW-Authenticate"

#: Request headers passed on as they are (any other header of the page is dropped).
FORWARDED_HEADERS = (
    "Accept",
    "Content-Type",
    "X-Requested-With",
    "X-Axivion-User-Agent",
    "AX-CSRF-Token",
)

#: The largest request body the relay forwards.
MAX_REQUEST_BYTES = 64 * 1024

USER_AGENT = f"jupyterlab-portal-token/{__version__} (relay)"

KINDS = ("xdmod", "sodar", "axivion")

#: Form fields Jupyter itself reads from a request (its token and its XSRF token): a form body
#: is forwarded without them, and a query string never is.
JUPYTER_FIELDS = frozenset({"token", "_xsrf"})

#: Schemes of ``WWW-Authenticate`` for which a browser opens its own password dialog.
_PROMPTING_SCHEMES = frozenset({"basic", "digest", "negotiate", "ntlm"})

log = logging.getLogger(__name__)

# --- the paths of each kind's token API --------------------------------------------------------

#: One path segment: RFC 3986 pchar, percent-encoding allowed (encoded / . \ are refused before).
_SEGMENT = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+"
_VERSION = r"(?:v[0-9]{1,4}/)?"


@dataclass(frozen=True)
class Rule:
    """One call of a token API: a path (relative to the portal's URL) and its methods."""

    path: re.Pattern[str]
    methods: frozenset[str]


def _rule(path: str, *methods: str) -> Rule:
    return Rule(re.compile(path), frozenset(methods))


#: What each kind of portal may be called for through the relay, and nothing else.
RULES: Mapping[str, tuple[Rule, ...]] = {
    "xdmod": (
        _rule(rf"rest/{_VERSION}users/current/api/token", "GET", "POST", "DELETE"),
        _rule(rf"rest/{_VERSION}auth/login", "POST"),
        # The panel's "sign out" closes the session the relay keeps for it.
        _rule(rf"rest/{_VERSION}auth/logout", "POST"),
    ),
    "sodar": (_rule(r"tokens/api/login", "POST"),),
    "axivion": (
        _rule(r"", "GET"),  # the dashboard info document at the base URL
        _rule(r"api", "GET"),
        _rule(rf"api/users/{_SEGMENT}/tokens", "GET", "POST"),
        _rule(rf"api/tokens/{_SEGMENT}", "GET", "DELETE"),
        _rule(r"api/tokens", "DELETE"),  # bulk delete, a JSON array of ids
    ),
}

_PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")
_ENCODED_TRICK = re.compile(r"%(?:2f|5c|2e)|%(?![0-9a-f]{2})", re.IGNORECASE)


class RelayError(Exception):
    """A call the relay refuses or cannot make; ``message`` is shown and holds no value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_path(kind: str, method: str, path: str) -> str:
    """The raw (still percent-encoded) path if ``method`` on it is a call of ``kind``'s token API.

    Checked as the portal would see it: no ``.`` or ``..`` or empty segment, no encoded slash,
    backslash or dot, nothing outside RFC 3986's path characters. Raises :class:`RelayError` 403.
    """
    if not _PATH_CHARS.fullmatch(path):
        raise RelayError(403, "the relayed path has characters no token API path has")
    if _ENCODED_TRICK.search(path):
        raise RelayError(
            403, "encoded slashes, backslashes and dots (or a stray %) are not relayed"
        )
    if path and any(segment in ("", ".", "..") for segment in path.split("/")):
        raise RelayError(403, "empty, . and .. path segments are not relayed")
    rules = RULES.get(kind, ())
    for rule in rules:
        if rule.path.fullmatch(path):
            if method in rule.methods:
                return path
            raise RelayError(
                403, f"the relay does not forward {method} to this call of the {kind} token API"
            )
    raise RelayError(
        403, f"the relay forwards only the {kind} token API, and this path is not part of it"
    )


# --- the portals of the settings ---------------------------------------------------------------


@dataclass(frozen=True)
class LabDirs:
    """Where JupyterLab reads the extension's settings from."""

    app_settings_dir: str  # overrides.json (the administrator's)
    schemas_dir: str
    user_settings_dir: str  # <plugin>.jupyterlab-settings (the user's)
    labextensions_path: tuple[str, ...]  # the installed schema is found here first


#: The schema shipped in the package (a development install has no labextensions entry).
PACKAGE_SCHEMAS_DIR = str(Path(__file__).parent / "labextension" / "schemas")


def lab_dirs(serverapp: Any) -> LabDirs:
    """The running JupyterLab's settings directories, else JupyterLab's defaults.

    The ``lab`` extension app (jupyterlab's ``LabApp``) knows the configured directories; any
    other ``LabServerApp`` (e.g. Notebook 7) is the next best; without one, the directories
    JupyterLab would use by default in this environment.
    """
    apps: list[Any] = []
    manager = getattr(serverapp, "extension_manager", None)
    for group in getattr(manager, "extension_apps", {}).values():
        apps.extend(group)
    apps.sort(key=lambda app: getattr(app, "name", "") != "lab")
    for app in apps:
        if all(
            getattr(app, name, None)
            for name in ("app_settings_dir", "user_settings_dir", "schemas_dir")
        ):
            return LabDirs(
                app_settings_dir=app.app_settings_dir,
                schemas_dir=app.schemas_dir,
                user_settings_dir=app.user_settings_dir,
                labextensions_path=tuple(
                    [*getattr(app, "extra_labextensions_path", []), *app.labextensions_path]
                ),
            )
    return default_lab_dirs()


def default_lab_dirs() -> LabDirs:
    """JupyterLab's default directories (``jupyterlab.commands``, else ``jupyter_core.paths``)."""
    from jupyter_core.paths import jupyter_config_dir, jupyter_path

    try:
        from jupyterlab.commands import get_app_dir, get_user_settings_dir

        app_dir, user_settings_dir = get_app_dir(), get_user_settings_dir()
    except ImportError:
        app_dir = os.environ.get("JUPYTERLAB_DIR") or os.path.join(
            sys.prefix, "share", "jupyter", "lab"
        )
        user_settings_dir = os.environ.get("JUPYTERLAB_SETTINGS_DIR") or os.path.join(
            jupyter_config_dir(), "lab", "user-settings"
        )
    return LabDirs(
        app_settings_dir=os.path.join(app_dir, "settings"),
        schemas_dir=os.path.join(app_dir, "schemas"),
        user_settings_dir=user_settings_dir,
        labextensions_path=tuple(jupyter_path("labextensions")),
    )


#: A settings file changed this recently (seconds) is always read again: a file system's
#: timestamps may not tell two writes within one tick apart.
SETTINGS_SETTLE_S = 2.0


def settings_files(dirs: LabDirs) -> list[Path]:
    """The files whose content decides the ``portals`` setting (the schema aside)."""
    from jupyter_core.paths import jupyter_config_path

    app = Path(dirs.app_settings_dir)
    files = [
        Path(dirs.user_settings_dir, *PLUGIN_ID.split(":", 1)).with_suffix(
            ".jupyterlab-settings"
        ),
        app / "overrides.json",
        app / "overrides.json5",
    ]
    overrides_d = app / "overrides.d"
    if overrides_d.is_dir():
        files.extend(sorted(overrides_d.iterdir()))
    files.extend(
        Path(folder, "labconfig", "default_setting_overrides.json")
        for folder in jupyter_config_path()
    )
    return files


def settings_stamp(dirs: LabDirs, now: float) -> tuple[Any, ...] | None:
    """What the settings files are now (size, times, inode), or None when one just changed."""
    stamp: list[Any] = [dirs]
    for path in settings_files(dirs):
        try:
            st = path.stat()
        except OSError:
            stamp.append((str(path), None))
            continue
        if now - st.st_mtime < SETTINGS_SETTLE_S:
            return None
        stamp.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(stamp)


class SettingsCache:
    """The last ``portals`` setting read, kept while no settings file changes.

    Parsing the user's JSON5 settings costs milliseconds on every relayed call; their files'
    stat costs microseconds.
    """

    def __init__(self) -> None:
        self._stamp: tuple[Any, ...] | None = None
        self._portals: list[Any] = []

    def portals(self, dirs: LabDirs, now: float) -> list[Any]:
        """The composite ``portals`` setting, read again only when a file changed."""
        stamp = settings_stamp(dirs, now)
        if stamp is not None and stamp == self._stamp:
            return self._portals
        portals = read_portal_settings(dirs)
        self._stamp, self._portals = stamp, portals
        return portals


def read_portal_settings(dirs: LabDirs) -> list[Any]:
    """The composite ``portals`` setting: the user's value, else the schema's default.

    :func:`jupyterlab_server.settings_utils.get_settings` (what ``GET /lab/api/settings/<plugin>``
    answers with) reads the schema (installed labextension first), applies the administrator's
    overrides to its defaults, and reads the user's settings (JSON5, validated against the schema,
    ignored when invalid); JupyterLab's setting registry composes the two the same way. Each call
    reads the files anew; :class:`SettingsCache` calls it only when one of them changed. Raises
    :class:`RelayError` 500 when the settings cannot be read.
    """
    try:
        from jupyterlab_server.settings_utils import get_settings
        from tornado.web import HTTPError
    except ImportError:  # no JupyterLab here: no portal is configured
        return []
    for schemas_dir in (dirs.schemas_dir, PACKAGE_SCHEMAS_DIR):
        try:
            result, _warnings = get_settings(
                dirs.app_settings_dir,
                schemas_dir,
                dirs.user_settings_dir,
                schema_name=PLUGIN_ID,
                labextensions_path=list(dirs.labextensions_path),
            )
        except HTTPError as e:
            if e.status_code == 404:  # no schema there: try the package's own
                continue
            log.warning("relay: the settings of %s cannot be read (%s)", PLUGIN_ID, e.status_code)
            raise RelayError(500, "the extension's settings cannot be read") from None
        settings = result.get("settings") or {}
        if "portals" in settings:
            return settings["portals"]
        return result["schema"].get("properties", {}).get("portals", {}).get("default", [])
    log.warning("relay: the schema of %s is not installed: no portal is configured", PLUGIN_ID)
    return []


@dataclass(frozen=True)
class Portal:
    """One configured portal, as the relay needs it."""

    id: str
    kind: str
    url: str


def configured_portals(entries: Iterable[Any]) -> dict[str, Portal | None]:
    """``{id: Portal}`` of the setting's entries; ``None`` for an id given more than once."""
    portals: dict[str, Portal | None] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        portal_id, kind, url = entry.get("id"), entry.get("kind"), entry.get("url", "/")
        if not isinstance(portal_id, str) or not isinstance(kind, str):
            continue
        if portal_id in portals:
            portals[portal_id] = None
            continue
        portals[portal_id] = Portal(portal_id, kind, url if isinstance(url, str) else "")
    return portals


# --- hosts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A portal's checked base URL."""

    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    base: str  # scheme://netloc/path/ (ends with a slash)

    @property
    def netloc(self) -> str:
        """``host:port`` with brackets around an IPv6 address."""
        return f"{_bracket(self.host)}:{self.port}"

    @property
    def origin(self) -> str:
        """``scheme://host:port``."""
        return f"{self.scheme}://{self.netloc}"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``, by name (nothing is resolved)."""
    if host.rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def portal_target(portal: Portal) -> Target:
    """The portal's base URL, checked: absolute http(s), no credentials in it.

    Raises :class:`RelayError` 400 for a relative URL (the page calls such a portal directly)
    or one the relay cannot use.
    """
    parts = urlsplit(portal.url.strip())
    if not parts.scheme and not parts.netloc:
        raise RelayError(
            400,
            f'the portal "{portal.id}" is on JupyterLab\'s own origin (its url is relative): '
            "the page calls it directly, not through the relay",
        )
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RelayError(400, f'the url of the portal "{portal.id}" is not an http(s) URL')
    if parts.username is not None or parts.password is not None:
        raise RelayError(400, f'the url of the portal "{portal.id}" must not hold credentials')
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise RelayError(400, f'the url of the portal "{portal.id}" has a bad port') from None
    host = parts.hostname.lower()
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    default_port = port == (443 if scheme == "https" else 80)
    netloc = _bracket(host) if default_port else f"{_bracket(host)}:{port}"
    return Target(scheme, host, port, f"{scheme}://{netloc}{path}")


def host_matches(pattern: str, host: str, port: int) -> bool:
    """Whether a ``PortalTokenRelay.allowed_hosts`` pattern names ``host`` (and ``port``).

    A pattern is a host (``xdmod.example.org``, ``*.example.org``, ``10.0.0.5``, ``::1`` or
    ``[::1]``), optionally with ``:port`` (``[::1]:8443``, ``*.example.org:*``); shell-style
    wildcards, no case. Without a port any port matches.
    """
    pattern = pattern.strip().lower()
    if pattern.startswith("["):
        bracketed, _, rest = pattern[1:].partition("]")
        pattern_host = bracketed
        pattern_port = rest[1:] if rest.startswith(":") else None
    elif pattern.count(":") == 1:
        pattern_host, _, pattern_port = pattern.partition(":")
    else:
        pattern_host, pattern_port = pattern, None
    if not fnmatch.fnmatchcase(host, pattern_host):
        return False
    return pattern_port is None or fnmatch.fnmatchcase(str(port), pattern_port)


# --- the cookie jar ----------------------------------------------------------------------------


class _JarRequest:
    """The parts of a request that :mod:`http.cookiejar` reads (as urllib's Request has them)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._url = url
        self.type = parts.scheme
        self.host = parts.netloc
        self.origin_req_host = parts.hostname or ""
        self.unverifiable = False
        self.headers: dict[str, str] = {}

    def get_full_url(self) -> str:
        return self._url

    def get_host(self) -> str:
        return self.host

    def get_type(self) -> str:
        return self.type

    def get_origin_req_host(self) -> str:
        return self.origin_req_host

    def is_unverifiable(self) -> bool:
        return False

    def has_header(self, name: str) -> bool:
        return name in self.headers

    def get_header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def header_items(self) -> list[tuple[str, str]]:
        return list(self.headers.items())

    def add_unredirected_header(self, name: str, value: str) -> None:
        self.headers[name] = value


class _JarResponse:
    """The ``Set-Cookie`` headers of an answer, as :mod:`http.cookiejar` reads them."""

    def __init__(self, headers: HTTPHeaders) -> None:
        self._headers = headers

    def info(self) -> _JarResponse:
        return self

    def get_all(self, name: str, default: list[str] | None = None) -> list[str]:
        return self._headers.get_list(name) or (default if default is not None else [])


#: The most cookies kept for one user and portal.
MAX_COOKIES = 64


class CookieJars:
    """The portals' cookies, kept in server memory: one jar per user, portal id and origin.

    A jar honours the cookies' domain, path, expiry and ``Secure`` (sent over https only). Its
    cookies go back only to the portal that set them (a settings change to another origin
    starts a new jar) and never to the page.
    """

    def __init__(self) -> None:
        self._jars: dict[tuple[str, str, str], http.cookiejar.CookieJar] = {}

    def _jar(self, user: str, portal_id: str, target: Target) -> http.cookiejar.CookieJar:
        key = (user, portal_id, target.origin)
        jar = self._jars.get(key)
        if jar is None:
            jar = self._jars[key] = http.cookiejar.CookieJar()
        return jar

    def cookie_header(self, user: str, portal_id: str, target: Target, url: str) -> str | None:
        """The ``Cookie`` header for a call to ``url``, if the jar has cookies for it."""
        request = _JarRequest(url)
        self._jar(user, portal_id, target).add_cookie_header(request)  # type: ignore[arg-type]
        return request.headers.get("Cookie")

    def keep(
        self, user: str, portal_id: str, target: Target, url: str, headers: HTTPHeaders
    ) -> None:
        """Keep the ``Set-Cookie`` answers of a call to ``url``."""
        if not headers.get_list("Set-Cookie"):
            return
        jar = self._jar(user, portal_id, target)
        jar.extract_cookies(
            _JarResponse(headers),  # type: ignore[arg-type]
            _JarRequest(url),  # type: ignore[arg-type]
        )
        jar.clear_expired_cookies()
        if len(jar) > MAX_COOKIES:  # a session needs a few; a portal setting more is not kept
            jar.clear()
            log.warning(
                "relay: portal %s set over %d cookies; its jar was emptied", portal_id, MAX_COOKIES
            )

    def clear(self) -> None:
        """Forget every cookie."""
        self._jars.clear()

    def __len__(self) -> int:
        return sum(len(jar) for jar in self._jars.values())

    def __repr__(self) -> str:
        return f"<CookieJars {len(self._jars)} jars>"


# --- the relay ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayRequest:
    """The page's call, as the handler read it."""

    user: str
    portal_id: str
    method: str
    path: str  # raw, relative to the portal's URL
    query: Mapping[str, Any]  # names only are looked at
    headers: HTTPHeaders
    body: bytes


@dataclass(frozen=True)
class RelayAnswer:
    """The portal's answer, reduced to what goes to the page."""

    status: int
    body: bytes
    content_type: str | None
    challenge: str | None  # the portal's WWW-Authenticate


def challenge_headers(challenge: str | None) -> dict[str, str]:
    """The headers that carry the portal's ``WWW-Authenticate`` to the page.

    Always ``X-Portal-WWW-Authenticate``; ``WWW-Authenticate`` itself too unless its scheme is one
    for which the browser would open its own password dialog over JupyterLab (Basic, Digest,
    Negotiate, NTLM).
    """
    if not challenge:
        return {}
    headers = {PORTAL_CHALLENGE: challenge}
    schemes = {part.strip().split(" ", 1)[0].lower() for part in challenge.split(",")}
    if not schemes & _PROMPTING_SCHEMES:
        headers["WWW-Authenticate"] = challenge
    return headers


class PortalTokenRelay(LoggingConfigurable):
    """The relay of ``<base_url>portal-token/relay/<portal-id>/<path>`` to configured portals.

    It forwards only calls of a portal's token API to the portals of the extension's settings,
    on the hosts allowed here. Set these in ``jupyter_server_config.py`` as
    ``c.PortalTokenRelay.<name> = ...``; a user's settings can never widen them.
    """

    enabled = Bool(
        True,
        help="""Whether the relay forwards anything. False: every relay call is refused (403),
        and the panel can reach only portals on JupyterLab's own origin or with CORS.""",
    ).tag(config=True)

    allowed_hosts = List(
        Unicode(),
        default_value=[],
        help="""Hosts the relay may reach, as patterns: `xdmod.example.org`, `*.example.org`,
        `10.0.0.5`, `[::1]`, optionally with a port (`sodar.example.org:8443`, `host:*`);
        shell-style wildcards, no case. Empty (the default): any host named by a portal of the
        extension's settings, which the user can edit. When set, a portal whose host is not
        listed is refused (403), whatever the user's settings say.""",
    ).tag(config=True)

    allow_http = Bool(
        False,
        help="""Whether the relay may use plain http to hosts other than loopback ones.
        False (the default): http only to 127.0.0.0/8, ::1 and localhost (by name, nothing is
        resolved), https everywhere else (403 otherwise). Portal answers carry secrets.""",
    ).tag(config=True)

    timeout = Float(
        15.0,
        help="""Seconds the relay waits for a portal to connect, and again for its whole answer,
        before giving up (504).""",
    ).tag(config=True)

    max_body_bytes = Int(
        1024 * 1024,
        help="""The largest portal answer the relay passes on, in bytes (after decompression);
        a larger one is refused (502). Request bodies are limited to 64 KiB.""",
    ).tag(config=True)

    @validate("timeout")
    def _validate_timeout(self, proposal: Any) -> float:
        if proposal["value"] <= 0:
            raise TraitError("PortalTokenRelay.timeout must be more than 0 seconds")
        return proposal["value"]

    @validate("max_body_bytes")
    def _validate_max_body_bytes(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError("PortalTokenRelay.max_body_bytes must be at least 1")
        return proposal["value"]

    def __init__(self, serverapp: Any = None, **kwargs: Any) -> None:
        """A relay configured from ``serverapp``'s config, reading its JupyterLab's settings."""
        if serverapp is not None:
            kwargs.setdefault("parent", serverapp)
        super().__init__(**kwargs)
        self._serverapp = serverapp
        self._dirs: LabDirs | None = None
        self.cookies = CookieJars()
        self._settings = SettingsCache()
        self._client: tuple[Any, SimpleAsyncHTTPClient] | None = None

    #: Calls at once to the portals before the next waits (the bench sends 50 at once).
    MAX_CLIENTS = 100

    def _http_client(self) -> SimpleAsyncHTTPClient:
        """One client for every call of this relay on the running event loop (it is bound to
        the loop it was made on); made at the first call."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            client = SimpleAsyncHTTPClient(force_instance=True, max_clients=self.MAX_CLIENTS)
            self._client = (loop, client)
        return self._client[1]

    @property
    def dirs(self) -> LabDirs:
        """The settings directories (looked up once: the extension apps are loaded by then)."""
        if self._dirs is None:
            self._dirs = lab_dirs(self._serverapp)
        return self._dirs

    def portals(self) -> dict[str, Portal | None]:
        """The configured portals, read from the settings now."""
        return configured_portals(self._settings.portals(self.dirs, time.time()))

    def portal(self, portal_id: str) -> Portal:
        """The configured portal of that id. Raises :class:`RelayError` 404 (or 400)."""
        portals = self.portals()
        if portal_id not in portals:
            shown = portal_id if len(portal_id) <= 64 else portal_id[:64] + "…"
            raise RelayError(404, f'no portal "{shown}" is configured')
        portal = portals[portal_id]
        if portal is None:
            raise RelayError(400, f'the portal id "{portal_id}" is configured more than once')
        if portal.kind not in RULES:
            raise RelayError(
                400, f'the portal "{portal_id}" is of a kind the relay does not know'
            )
        return portal

    def check_target(self, portal: Portal) -> Target:
        """The portal's base URL if the administrator's settings let the relay reach it."""
        target = portal_target(portal)
        if target.scheme == "http" and not self.allow_http and not is_loopback(target.host):
            raise RelayError(
                403,
                f"the relay reaches {target.host} over https only; plain http only to loopback "
                "hosts (PortalTokenRelay.allow_http)",
            )
        if self.allowed_hosts and not any(
            host_matches(pattern, target.host, target.port) for pattern in self.allowed_hosts
        ):
            raise RelayError(
                403,
                f"the relay may not reach host {target.host} (PortalTokenRelay.allowed_hosts)",
            )
        return target

    def check(self, request: RelayRequest) -> tuple[Portal, Target, str]:
        """Everything that decides whether the call may go out, before anything is sent."""
        if not self.enabled:
            raise RelayError(
                403, "the relay is turned off by the administrator (PortalTokenRelay.enabled)"
            )
        portal = self.portal(request.portal_id)
        target = self.check_target(portal)
        path = check_path(portal.kind, request.method, request.path)
        if set(request.query) - JUPYTER_FIELDS:
            raise RelayError(
                403, f"the relay forwards no query parameters to {portal.kind} portals"
            )
        return portal, target, path

    async def forward(self, request: RelayRequest) -> RelayAnswer:
        """Make the page's call to the portal, and the portal's answer, or raise RelayError."""
        portal, target, path = self.check(request)
        url = target.base + path
        headers = HTTPHeaders()
        for name in FORWARDED_HEADERS:
            value = request.headers.get(name)
            if value is not None:
                headers[name] = value
        credentials = request.headers.get(PORTAL_AUTHORIZATION)
        if credentials is not None:
            headers["Authorization"] = credentials
        headers["User-Agent"] = USER_AGENT
        cookie = self.cookies.cookie_header(request.user, portal.id, target, url)
        if cookie:
            headers["Cookie"] = cookie
        body = request_body(request.method, request.headers.get("Content-Type"), request.body)

        answer_body = _CappedBody(self.max_body_bytes)
        try:
            response = await self._http_client().fetch(
                HTTPRequest(
                    url,
                    method=request.method,
                    headers=headers,
                    body=body,
                    follow_redirects=False,
                    connect_timeout=self.timeout,
                    request_timeout=self.timeout,
                    validate_cert=True,
                    decompress_response=True,
                    allow_nonstandard_methods=True,  # DELETE with a body (Axivion's bulk delete)
                    user_agent=USER_AGENT,
                    header_callback=answer_body.header_line,
                    streaming_callback=answer_body.data,
                ),
                raise_error=False,
            )
        except Exception as e:
            raise self._failure(e, target, answer_body) from None

        self.cookies.keep(request.user, portal.id, target, url, response.headers)
        if 300 <= response.code < 400:
            location = response.headers.get("Location")
            where = (urlsplit(location).hostname or target.host) if location else None
            raise RelayError(
                502,
                f"the portal answered with a redirect to {where}, which the relay does not follow"
                if where
                else f"the portal answered with a redirect ({response.code}), "
                "which the relay does not follow",
            )
        return RelayAnswer(
            status=response.code,
            body=answer_body.bytes(),
            content_type=response.headers.get("Content-Type"),
            challenge=response.headers.get("WWW-Authenticate"),
        )

    def _failure(self, error: Exception, target: Target, body: _CappedBody) -> RelayError:
        """What the page is told when the call failed: the error's kind, never its text."""
        if body.too_large:
            return RelayError(
                502,
                f"answer too large: the portal's answer is over {self.max_body_bytes} bytes "
                "(PortalTokenRelay.max_body_bytes)",
            )
        if isinstance(error, HTTPTimeoutError):
            return RelayError(
                504,
                f"the portal did not answer within {self.timeout:g} s (PortalTokenRelay.timeout)",
            )
        if isinstance(error, HTTPStreamClosedError):
            return RelayError(502, "the portal closed the connection without an answer")
        if isinstance(error, HTTPInputError):
            return RelayError(502, "the portal's answer could not be read")
        if isinstance(error, ssl.SSLCertVerificationError):
            return RelayError(502, f"the certificate of {target.host} could not be verified")
        if isinstance(error, socket.gaierror):
            return RelayError(502, f"the portal's host {target.host} is not known")
        if isinstance(error, ConnectionRefusedError):
            return RelayError(502, f"{target.netloc} refused the connection")
        if isinstance(error, (OSError, HTTPClientError)):
            return RelayError(502, f"the relay could not reach {target.netloc}")
        log.error("relay: unexpected %s while calling a portal", type(error).__name__)
        return RelayError(502, "the relay failed to call the portal")


class AnswerTooLarge(HTTPInputError):
    """The portal's answer is larger than ``PortalTokenRelay.max_body_bytes``.

    An ``HTTPInputError``: tornado then closes the connection quietly (one info line, this text).
    """

    def __init__(self) -> None:
        super().__init__("answer larger than PortalTokenRelay.max_body_bytes")


class _CappedBody:
    """Collects an answer's body (after decompression) up to a limit, and stops the read there.

    Tornado's own ``max_body_size`` closes the connection without the caller learning why (the
    fetch fails as "Stream closed"); counting here lets the page be told "answer too large". A
    declared ``Content-Length`` over the limit stops the call before any of the body is read.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._chunks: list[bytes] = []
        self.too_large = False

    def header_line(self, line: str) -> None:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "content-length":
            try:
                declared = int(value.strip())
            except ValueError:
                return
            if declared > self._limit:
                self.too_large = True
                raise AnswerTooLarge()

    def data(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            self.too_large = True
            raise AnswerTooLarge()
        self._chunks.append(chunk)

    def bytes(self) -> bytes:
        return b"".join(self._chunks)


def request_body(method: str, content_type: str | None, body: bytes) -> bytes | None:
    """The body to forward: at most 64 KiB, JSON or text as it is, a form without Jupyter's
    fields (``token``, ``_xsrf``); multipart is refused (Jupyter reads its fields too)."""
    if len(body) > MAX_REQUEST_BYTES:
        raise RelayError(413, f"the request body is larger than {MAX_REQUEST_BYTES} bytes")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type.startswith("multipart/"):
        raise RelayError(415, "the relay forwards JSON, text or form bodies, not multipart")
    if media_type == "application/x-www-form-urlencoded" and body:
        try:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise RelayError(400, "the form body is not UTF-8") from None
        if any(name in JUPYTER_FIELDS for name, _ in fields):
            body = urlencode([(k, v) for k, v in fields if k not in JUPYTER_FIELDS]).encode()
    if method in ("POST", "PUT"):
        return body
    return body or None


def decode_portal_id(raw: str) -> str:
    """The portal id from its percent-encoded path segment. Raises :class:`RelayError` 404."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise RelayError(404, "no such portal is configured") from None
