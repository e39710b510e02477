"""docs/DEPLOY.md's snippets, as an administrator would use them.

Portal settings (JSON, or the Zero to JupyterHub chart's `extraFiles` data) must be valid for
the extension's settings schema; server settings must load into the relay's configuration and
let it reach the portals the same document configures, and no other host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from jupyterlab_portal_token.relay import RULES, Portal, PortalTokenRelay, RelayError

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "schema" / "plugin.json").read_text(encoding="utf-8"))
PLUGIN = "jupyterlab-portal-token:plugin"


def blocks(language: str) -> list[str]:
    """The fenced code blocks of one language, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", DOC, flags=re.M | re.S)


def check_portal_settings(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate one overrides.json's plugin entry; its portals."""
    assert set(settings) == {PLUGIN}
    jsonschema.validate(settings[PLUGIN], SCHEMA)
    portals = settings[PLUGIN]["portals"]
    assert portals, "a snippet configures at least one portal"
    # The schema leaves kinds open (other extensions may add some): these must be known.
    assert all(portal["kind"] in RULES for portal in portals)
    return portals


def relay_for(server_settings: dict[str, Any]) -> PortalTokenRelay:
    """The relay as a server started with these settings would make it."""
    return PortalTokenRelay(config=Config(server_settings))


def reachable(relay: PortalTokenRelay, entry: dict[str, Any]) -> bool:
    """Whether the relay would call a portal entry's host."""
    portal = Portal(id=entry["id"], kind=entry["kind"], url=entry["url"])
    try:
        relay.check_target(portal)
    except RelayError:
        return False
    return True


def test_the_document_has_the_snippets_it_promises() -> None:
    assert len(blocks("json")) >= 3
    assert len(blocks("yaml")) == 1
    assert "pip install jupyterlab_portal_token" in DOC


@pytest.mark.parametrize("index", range(len(blocks("json"))))
def test_json_snippets_are_valid_settings(index: int) -> None:
    data = json.loads(blocks("json")[index])
    if PLUGIN in data:
        for portal in check_portal_settings(data):
            # The relay reaches what the document configures on another host.
            if portal["url"].startswith("https://"):
                assert reachable(relay_for({}), portal)
    else:
        # Server settings: a pin that admits the document's portals and nothing else.
        relay = relay_for(data)
        assert relay.allowed_hosts
        portals = [
            portal
            for block in blocks("json")
            for portal in json.loads(block).get(PLUGIN, {}).get("portals", [])
            if portal["url"].startswith("https://")
        ]
        assert portals and all(reachable(relay, portal) for portal in portals)
        stranger = {"id": "x", "kind": "sodar", "url": "https://intranet.example.org/"}
        assert not reachable(relay, stranger)


def test_zero_to_jupyterhub_extra_files() -> None:
    chart = yaml.safe_load(blocks("yaml")[0])
    files = chart["singleuser"]["extraFiles"]
    overrides = [f for f in files.values() if f["mountPath"].endswith("/overrides.json")]
    server = [f for f in files.values() if "/jupyter_server_config.d/" in f["mountPath"]]
    assert len(overrides) == 1 and len(server) == 1
    assert overrides[0]["mountPath"].endswith("/share/jupyter/lab/settings/overrides.json")
    assert server[0]["mountPath"].endswith(".json")
    portals = check_portal_settings(overrides[0]["data"])
    relay = relay_for(server[0]["data"])
    assert all(reachable(relay, portal) for portal in portals)
    assert not reachable(relay, {"id": "x", "kind": "xdmod", "url": "https://xdmod.example.org/"})
