"""Fixtures shared by the end-to-end tests over the stand-ins (doctor, triage, triage page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_world import World, moto_server, world


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server per test process (each test resets it: see live_world.world)."""
    with moto_server() as url:
        yield url


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_url: str) -> Iterator[World]:
    """The stand-in world as built, before any resources (`.healthy()` adds the kit's)."""
    with world(tmp_path, monkeypatch, moto_url) as w:
        yield w
