"""The live portal tokens of this server: in memory only, each dropped at its expiry.

A token is what one portal gave the page: a few environment variables (one of them the secret,
the others e.g. the portal's URL), what the page wants to show about it (``info``), when it
expires, and whether kernels and terminals get it at launch. Values are kept in a private
mapping of the entry and leave the store only through :meth:`TokenStore.value` and
:meth:`TokenStore.environment`; no ``repr`` and no log line shows one.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from tornado.ioloop import IOLoop

#: What a change was: a token was put, deleted by a request, or dropped at its expiry.
PUT, DELETED, EXPIRED = "put", "deleted", "expired"

PORTAL_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_VARIABLES = 16
MAX_VARIABLE_BYTES = 32767  # NAME=value in UTF-8, the Windows limit of one variable
MAX_INFO_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

log = logging.getLogger(__name__)

Listener = Callable[[str, str], None]
"""Called as ``listener(portal, change)`` after every change of the store."""


class TokenEntry:
    """One portal's live token. Its values are not attributes anyone prints."""

    __slots__ = (
        "_variables",
        "expires",
        "info",
        "kernels",
        "portal",
        "secret_name",
        "terminals",
        "version",
    )

    def __init__(
        self,
        portal: str,
        variables: Mapping[str, str],
        secret_name: str,
        info: dict[str, Any],
        expires: datetime | None,
        kernels: bool,
        terminals: bool,
    ) -> None:
        self.portal = portal
        self._variables = dict(variables)
        self.version = secrets.token_hex(8)
        self.secret_name = secret_name
        self.info = info
        self.expires = expires
        self.kernels = kernels
        self.terminals = terminals

    def __repr__(self) -> str:
        return f"<TokenEntry portal={self.portal!r} version={self.version!r} names={self.names}>"

    @property
    def names(self) -> list[str]:
        """The variable names, sorted."""
        return sorted(self._variables)

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the token's expiry has passed."""
        return self.expires is not None and self.expires <= (now or utcnow())

    def record(self) -> dict[str, Any]:
        """What may be shown about the token: everything but its values."""
        return {
            "portal": self.portal,
            "version": self.version,
            "names": self.names,
            "secretName": self.secret_name,
            "info": self.info,
            "expires": format_time(self.expires),
            "kernels": self.kernels,
            "terminals": self.terminals,
        }


class TokenStore:
    """Live tokens per portal id, with expiry and change listeners.

    An expired token counts as absent on every read, and a timer on the IOLoop drops it at its
    expiry (re-armed for the next expiry after every change) so that listeners hear of it.
    """

    def __init__(self) -> None:
        self._entries: dict[str, TokenEntry] = {}
        self._listeners: list[Listener] = []
        self._timer: object | None = None
        self._loop: IOLoop | None = None

    def __repr__(self) -> str:
        return f"<TokenStore portals={sorted(self._entries)}>"

    # --- reading ---------------------------------------------------------------------------

    def get(self, portal: str) -> TokenEntry | None:
        """The live token of a portal, or None."""
        self._purge()
        return self._entries.get(portal)

    def records(self) -> list[dict[str, Any]]:
        """The records (no values) of all live tokens, by portal id."""
        self._purge()
        return [self._entries[p].record() for p in sorted(self._entries)]

    def value(self, portal: str) -> dict[str, Any] | None:
        """A live token's variables and the name of its secret, or None."""
        entry = self.get(portal)
        if entry is None:
            return None
        return {"variables": dict(entry._variables), "secretName": entry.secret_name}

    def environment(self, target: str = "kernels") -> dict[str, str]:
        """The variables of live tokens for ``target`` ("kernels" or "terminals").

        Tokens are merged in portal id order, so a name two portals share gets one value the
        same way every time.
        """
        return self.launch(target)[0]

    def launch(self, target: str = "kernels") -> tuple[dict[str, str], dict[str, str]]:
        """The variables for ``target`` and the ``{portal: version}`` they come from."""
        self._purge()
        env: dict[str, str] = {}
        versions: dict[str, str] = {}
        for portal in sorted(self._entries):
            entry = self._entries[portal]
            if getattr(entry, target):
                env.update(entry._variables)
                versions[portal] = entry.version
        return env, versions

    def current_version(self, portal: str) -> str | None:
        """The version of a portal's live token, or None."""
        entry = self.get(portal)
        return entry.version if entry else None

    # --- writing ---------------------------------------------------------------------------

    def put(
        self,
        portal: str,
        variables: Mapping[str, str],
        secret_name: str,
        info: dict[str, Any] | None = None,
        expires: datetime | None = None,
        kernels: bool = True,
        terminals: bool = True,
    ) -> TokenEntry:
        """Store a portal's token (replacing the one before) under a new version."""
        if secret_name not in variables:
            raise ValueError("secretName is not one of the variables")
        entry = TokenEntry(
            portal, variables, secret_name, info or {}, expires, kernels, terminals
        )
        self._entries[portal] = entry
        self._changed(portal, PUT)
        return entry

    def update(self, portal: str, **fields: Any) -> TokenEntry:
        """Change a live token's ``info``, ``expires``, ``kernels`` or ``terminals``.

        The values and the version stay. Raises KeyError when the portal has no live token.
        """
        entry = self.get(portal)
        if entry is None:
            raise KeyError(portal)
        allowed = {"info", "expires", "kernels", "terminals", "secret_name"}
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(f"cannot update {sorted(unknown)}")
        if "secret_name" in fields and fields["secret_name"] not in entry._variables:
            raise ValueError("secretName is not one of the variables")
        for name, value in fields.items():
            setattr(entry, name, value)
        self._changed(portal, PUT)
        return entry

    def delete(self, portal: str) -> bool:
        """Forget a portal's token; True if there was one."""
        entry = self._entries.pop(portal, None)
        if entry is None:
            return False
        self._changed(portal, DELETED)
        return True

    def clear(self) -> None:
        """Forget every token and stop the expiry timer."""
        for portal in sorted(self._entries):
            self.delete(portal)
        self._disarm()

    # --- listeners -------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(portal, change)`` after every change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling a listener."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- internals -------------------------------------------------------------------------

    def _changed(self, portal: str, change: str) -> None:
        self._arm()
        for listener in list(self._listeners):
            try:
                listener(portal, change)
            except Exception as e:
                # One listener's failure must not undo the change for the others. Only the
                # exception's type is logged: its text could quote what it was handed.
                log.error("portal-token: a listener failed on %s (%s)", change, type(e).__name__)

    def _purge(self) -> None:
        now = utcnow()
        for portal in [p for p, e in self._entries.items() if e.expired(now)]:
            del self._entries[portal]
            self._changed(portal, EXPIRED)

    def _arm(self) -> None:
        """Arm one timer for the earliest expiry (or none)."""
        self._disarm()
        times = [e.expires for e in self._entries.values() if e.expires is not None]
        if not times:
            return
        try:
            self._loop = IOLoop.current()
        except RuntimeError:  # no loop in this thread: reads still drop expired tokens
            return
        delay = max(0.0, (min(times) - utcnow()).total_seconds())
        # The loop's clock is monotonic, expiry is wall time: _purge checks the wall clock
        # again when the timer fires and re-arms for what is left.
        self._timer = self._loop.call_later(delay + 0.01, self._on_timer)

    def _disarm(self) -> None:
        if self._timer is not None and self._loop is not None:
            self._loop.remove_timeout(self._timer)
        self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        self._purge()
        self._arm()


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 time (a trailing ``Z`` allowed; no offset means UTC)."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def format_time(when: datetime | None) -> str | None:
    """An ISO-8601 UTC string with milliseconds and ``Z``, as JavaScript's toISOString()."""
    if when is None:
        return None
    text = when.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class InvalidToken(ValueError):
    """A request's token is not acceptable. The message names the field, never a value."""


def check_portal(portal: str) -> str:
    """Return ``portal`` if it is a valid portal id, else raise InvalidToken."""
    if not PORTAL_ID.fullmatch(portal):
        raise InvalidToken(
            "portal: the portal id must be 1 to 64 letters, digits, '.', '_' or '-'"
        )
    return portal


def parse_put(body: object, stored: TokenEntry | None) -> dict[str, Any]:
    """Check the JSON body of a PUT and return the keyword arguments for the store.

    With ``variables`` the result is for :meth:`TokenStore.put` (a new token; omitted fields
    take their defaults); without, for :meth:`TokenStore.update` of ``stored`` (omitted fields
    stay as they are). Raises InvalidToken, whose message names the field but never a value.
    """
    if not isinstance(body, dict):
        raise InvalidToken("the body must be a JSON object")
    unknown = sorted(set(body) - {"variables", "secretName", "info", "expires", "kernels", "terminals"})
    if unknown:
        raise InvalidToken("unknown field: " + ", ".join(_safe_field(k) for k in unknown))
    fields: dict[str, Any] = {}
    if "variables" in body:
        fields["variables"] = _parse_variables(body["variables"])
        if "secretName" not in body:
            raise InvalidToken("secretName: required with variables")
    if "secretName" in body:
        names = fields["variables"] if "variables" in fields else (stored.names if stored else [])
        secret_name = body["secretName"]
        if not isinstance(secret_name, str) or secret_name not in names:
            raise InvalidToken("secretName: must be the name of one of the variables")
        fields["secret_name"] = secret_name
    if "info" in body:
        fields["info"] = _parse_info(body["info"])
    if "expires" in body:
        fields["expires"] = _parse_expires(body["expires"])
    for flag in ("kernels", "terminals"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise InvalidToken(f"{flag}: must be true or false")
            fields[flag] = body[flag]
    return fields


def _safe_field(key: str) -> str:
    """A field name fit to be shown back, or a placeholder."""
    return key if VARIABLE_NAME.fullmatch(key) and len(key) <= 64 else "(unprintable name)"


def _parse_variables(variables: object) -> dict[str, str]:
    if not isinstance(variables, dict) or not variables:
        raise InvalidToken("variables: must be a non-empty object of NAME: value")
    if len(variables) > MAX_VARIABLES:
        raise InvalidToken(f"variables: at most {MAX_VARIABLES} variables")
    for name, value in variables.items():
        # An invalid name is not echoed: a secret pasted into the wrong place would be.
        if not VARIABLE_NAME.fullmatch(name):
            raise InvalidToken(
                "variables: a variable name is not valid (letters, digits and '_', "
                "not starting with a digit)"
            )
        if not isinstance(value, str):
            raise InvalidToken(f"variables.{name}: the value must be a string")
        if "\0" in value:
            raise InvalidToken(f"variables.{name}: the value contains a NUL character")
        try:
            size = len(f"{name}={value}".encode())
        except UnicodeEncodeError:
            raise InvalidToken(f"variables.{name}: the value is not valid Unicode") from None
        if size > MAX_VARIABLE_BYTES:
            raise InvalidToken(
                f"variables.{name}: too long (at most {MAX_VARIABLE_BYTES} bytes for NAME=value)"
            )
    return dict(variables)


def _parse_info(info: object) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise InvalidToken("info: must be a JSON object")
    try:
        size = len(json.dumps(info).encode())
    except (TypeError, ValueError, UnicodeEncodeError):
        raise InvalidToken("info: must be plain JSON") from None
    if size > MAX_INFO_BYTES:
        raise InvalidToken(f"info: too large (at most {MAX_INFO_BYTES} bytes of JSON)")
    return info


def _parse_expires(expires: object) -> datetime | None:
    if expires is None:
        return None
    if not isinstance(expires, str):
        raise InvalidToken("expires: must be an ISO-8601 time or null")
    try:
        when = parse_time(expires)
    except ValueError:
        raise InvalidToken("expires: not an ISO-8601 time") from None
    if when <= utcnow():
        raise InvalidToken("expires: already expired")
    return when
