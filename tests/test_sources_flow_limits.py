"""Per-platform concurrency in the capture flow: at most N fetches of one platform at a time."""

from __future__ import annotations

import threading
import time

from flows.capture import lookup_credential, platform_slot
from schemas.thread import Platform


def test_platform_slots_cap_concurrency_per_platform() -> None:
    active = {Platform.FACEBOOK: 0, Platform.X: 0}
    peak = dict(active)
    lock = threading.Lock()

    def work(platform: Platform) -> None:
        with platform_slot(platform, 2):
            with lock:
                active[platform] += 1
                peak[platform] = max(peak[platform], active[platform])
            time.sleep(0.05)
            with lock:
                active[platform] -= 1

    threads = [threading.Thread(target=work, args=(p,)) for p in [Platform.FACEBOOK] * 6 + [Platform.X] * 6]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == {Platform.FACEBOOK: 2, Platform.X: 2}


def test_credential_references(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOMEARKIV_T1", "abc")
    monkeypatch.setenv("SOMEARKIV_TOKEN_X", "def")
    assert lookup_credential("env:SOMEARKIV_T1") == "abc"
    assert lookup_credential("settings:token_x") == "def"
    assert lookup_credential("env:SOMEARKIV_MISSING") is None
    assert lookup_credential("file:/etc/passwd") is None
