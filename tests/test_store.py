"""The store on its own: expiry by the IOLoop timer, re-armed; no value in a repr."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from jupyterlab_portal_token.store import EXPIRED, PUT, TokenStore, utcnow


async def test_timer_drops_each_token_at_its_expiry_and_tells_listeners() -> None:
    store = TokenStore()
    heard: list[tuple[str, str]] = []
    store.add_listener(lambda portal, change: heard.append((portal, change)))
    try:
        store.put("late", {"LATE": "late-value"}, "LATE", expires=utcnow() + timedelta(seconds=0.8))
        store.put("soon", {"SOON": "soon-value"}, "SOON", expires=utcnow() + timedelta(seconds=0.3))
        store.put("never", {"NEVER": "never-value"}, "NEVER")
        assert heard == [("late", PUT), ("soon", PUT), ("never", PUT)]

        # Nobody reads the store while waiting: only the timer can report the expiries.
        await asyncio.sleep(0.55)
        assert heard[3:] == [("soon", EXPIRED)]
        await asyncio.sleep(0.5)
        assert heard[3:] == [("soon", EXPIRED), ("late", EXPIRED)]
        assert store.environment() == {"NEVER": "never-value"}
    finally:
        store.clear()


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    store = TokenStore()
    heard: list[str] = []

    def broken(portal: str, change: str) -> None:
        raise RuntimeError("broken listener")

    store.add_listener(broken)
    store.add_listener(lambda portal, change: heard.append(portal))
    store.put("demo", {"DEMO": "x"}, "DEMO")
    assert heard == ["demo"] and store.get("demo") is not None


def test_no_value_in_a_repr() -> None:
    store = TokenStore()
    entry = store.put("demo", {"DEMO_TOKEN": "repr-test-value"}, "DEMO_TOKEN")
    for text in (repr(store), repr(entry), str(entry), repr(entry.record())):
        assert "repr-test-value" not in text
    assert "DEMO_TOKEN" in repr(entry)
    assert not hasattr(entry, "__dict__")  # no stray attribute can hold a copy
