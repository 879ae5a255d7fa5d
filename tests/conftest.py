"""Shared fixtures: import path for the collection, and lab scenarios on the real engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `make install` links the checkout at collections/ansible_collections/fanout/docker.
sys.path.insert(0, str(ROOT / "collections"))


@pytest.fixture(scope="session")
def docker_host():
    from tests.lab import scenarios

    return scenarios.default_host() or "unix:///var/run/docker.sock"


@pytest.fixture(scope="module")
def lab(docker_host):
    """Factory: lab("incident") creates the scenario; everything is removed at module end, also on failure."""
    from tests.lab import scenarios

    created = []

    def make(name, **kwargs):
        info = scenarios.up(name, docker_host, **kwargs)
        created.append(name)
        return info

    yield make
    for name in created:
        scenarios.down(name, docker_host)
