"""The relay reads the settings again only when a settings file changed (its JSON5 parse costs
milliseconds on every relayed call otherwise), and always right after a change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jupyterlab_portal_token import relay as relay_module
from jupyterlab_portal_token.relay import LabDirs, PortalTokenRelay

from conftest import LabSettings


def portal(portal_id: str) -> dict[str, str]:
    return {"id": portal_id, "kind": "sodar", "url": "https://sodar.example.org/"}


def age(path: Path, seconds: float) -> None:
    """Make a file look last written `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_settings_are_read_again_only_when_a_file_changes(
    lab_settings: LabSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real = relay_module.read_portal_settings

    def counting(dirs: LabDirs) -> list:
        reads.append(1)
        return real(dirs)

    monkeypatch.setattr(relay_module, "read_portal_settings", counting)
    relay = PortalTokenRelay()
    relay._dirs = relay_module.default_lab_dirs()
    user_file = (
        lab_settings.user_settings_dir / "jupyterlab-portal-token" / "plugin.jupyterlab-settings"
    )

    # Just written: read every time (a timestamp tick may hide a second write).
    lab_settings.user([portal("a")])
    assert set(relay.portals()) == {"a"}
    assert set(relay.portals()) == {"a"}
    assert len(reads) == 2

    # Settled: read once, then kept.
    age(user_file, 10)
    assert set(relay.portals()) == {"a"}
    assert set(relay.portals()) == {"a"}
    assert len(reads) == 3

    # Changed (even to the same size) and settled again: read again.
    lab_settings.user([portal("b")])
    age(user_file, 5)
    assert set(relay.portals()) == {"b"}
    assert len(reads) == 4

    # An administrator's overrides.json appearing counts as a change too.
    lab_settings.user(None)
    lab_settings.overrides([portal("c")])
    age(lab_settings.app_settings_dir / "overrides.json", 10)
    assert set(relay.portals()) == {"c"}
    assert set(relay.portals()) == {"c"}
    assert len(reads) == 5
