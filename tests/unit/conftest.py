"""Recorded engine payloads (tests/unit/payloads/*.json, from `python -m tests.lab record`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

PAYLOADS = Path(__file__).parent / "payloads"


def _load(name):
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture
def payload():
    """payload("incident") -> a fresh, mutable copy of the recorded payloads."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _load(name)
        return copy.deepcopy(cache[name])

    return get


@pytest.fixture
def topology(payload):
    from ansible_collections.fanout.docker.plugins.module_utils._topology import build_topology

    def make(name_or_payload):
        data = payload(name_or_payload) if isinstance(name_or_payload, str) else name_or_payload
        return build_topology(data["containers"], data["inspects"], data["networks"])

    return make
