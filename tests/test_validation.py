"""Bad PUT bodies are refused with a message that names the field and never shows a value."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import Server

VALUE = "pt-validation-value-5d2b9e"


def iso(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat().replace("+00:00", "Z")


CASES = [
    ("bad name", {"variables": {"1BAD": VALUE}, "secretName": "1BAD"}, "variables"),
    ("name with dash", {"variables": {f"X-{VALUE}": VALUE}, "secretName": "X"}, "variables"),
    ("NUL value", {"variables": {"TOKEN": VALUE + "\0"}, "secretName": "TOKEN"}, "TOKEN"),
    ("not a string", {"variables": {"TOKEN": 12345}, "secretName": "TOKEN"}, "TOKEN"),
    (
        "too long",
        {"variables": {"TOKEN": VALUE + "x" * 32767}, "secretName": "TOKEN"},
        "too long",
    ),
    ("unknown secretName", {"variables": {"TOKEN": VALUE}, "secretName": "OTHER"}, "secretName"),
    ("no secretName", {"variables": {"TOKEN": VALUE}}, "secretName"),
    (
        "expired",
        {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "expires": iso(-timedelta(1))},
        "already expired",
    ),
    (
        "bad expiry",
        {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "expires": "next tuesday"},
        "expires",
    ),
    (
        "too many",
        {"variables": {f"V{i}": VALUE for i in range(17)}, "secretName": "V0"},
        "at most 16",
    ),
    ("info not object", {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "info": []}, "info"),
    (
        "info too large",
        {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "info": {"x": "y" * 17000}},
        "info",
    ),
    ("flag", {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "kernels": "yes"}, "kernels"),
    ("empty", {"variables": {}, "secretName": "TOKEN"}, "variables"),
    ("unknown field", {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN", "value": 1}, "value"),
    ("body too large", {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN",
                        "info": {"x": "y" * 70000}}, "body"),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_put_is_refused_without_the_value(server: Server, body: dict, field: str) -> None:
    r = await server.api("PUT", "/portal-token/tokens/demo", json=body)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert field in message
    assert VALUE not in r.text
    assert VALUE not in server.log.text
    assert (await server.api("GET", "/portal-token/tokens")).json() == {"tokens": []}


async def test_limits_are_inclusive_and_expiry_is_kept(server: Server) -> None:
    longest = "x" * (32767 - len("TOKEN="))
    expires = iso(timedelta(hours=1))
    record = await server.put_token("demo", {"TOKEN": longest}, expires=expires)
    assert record["expires"] == expires[:23] + "Z"  # milliseconds, UTC, as toISOString()
    r = await server.api("GET", "/portal-token/tokens/demo/value")
    assert r.json()["variables"]["TOKEN"] == longest


@pytest.mark.parametrize("portal", ["bad id", "x" * 65, "ümlaut"])
async def test_bad_portal_id(server: Server, portal: str) -> None:
    body = {"variables": {"TOKEN": VALUE}, "secretName": "TOKEN"}
    r = await server.api("PUT", f"/portal-token/tokens/{portal}", json=body)
    assert r.status_code == 400 and "portal" in r.json()["message"]


async def test_update_without_variables(server: Server) -> None:
    body = {"info": {"label": "new"}}
    r = await server.api("PUT", "/portal-token/tokens/demo", json=body)
    assert r.status_code == 404 and "demo" in r.json()["message"]

    record = await server.put_token("demo", {"TOKEN": VALUE, "URL": "u"}, info={"label": "old"})
    r = await server.api(
        "PUT", "/portal-token/tokens/demo", json={"info": {"label": "new"}, "kernels": False}
    )
    assert r.status_code == 200
    updated = r.json()
    assert updated["version"] == record["version"]
    assert updated["info"] == {"label": "new"} and updated["kernels"] is False
    assert updated["terminals"] is True and updated["secretName"] == "TOKEN"
    r = await server.api("PUT", "/portal-token/tokens/demo", json={"secretName": "URL"})
    assert r.json()["secretName"] == "URL"
    r = await server.api("PUT", "/portal-token/tokens/demo", json={"secretName": "NOPE"})
    assert r.status_code == 400
    r = await server.api("GET", "/portal-token/tokens/demo/value")
    assert r.json() == {"variables": {"TOKEN": VALUE, "URL": "u"}, "secretName": "URL"}

    # Variables given again: a new version, and omitted fields take their defaults.
    renewed = await server.put_token("demo", {"TOKEN": VALUE})
    assert renewed["version"] != record["version"]
    assert renewed["info"] == {} and renewed["kernels"] is True and renewed["expires"] is None


async def test_absent_token(server: Server) -> None:
    r = await server.api("GET", "/portal-token/tokens/demo/value")
    assert r.status_code == 404 and "demo" in r.json()["message"]
    r = await server.api("DELETE", "/portal-token/tokens/demo")
    assert r.status_code == 204


async def test_delete_of_an_older_version_keeps_the_newer_token(server: Server) -> None:
    old = await server.put_token("demo", {"TOKEN": VALUE})
    new = await server.put_token("demo", {"TOKEN": VALUE + "-2"})
    # Another tab retires the token it handed over: the newer one stays.
    r = await server.api("DELETE", f"/portal-token/tokens/demo?version={old['version']}")
    assert r.status_code == 204
    listed = (await server.api("GET", "/portal-token/tokens")).json()["tokens"]
    assert [t["version"] for t in listed] == [new["version"]]
    # Its own version goes.
    r = await server.api("DELETE", f"/portal-token/tokens/demo?version={new['version']}")
    assert r.status_code == 204
    assert (await server.api("GET", "/portal-token/tokens")).json()["tokens"] == []
