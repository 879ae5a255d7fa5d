"""keep patterns: what each form matches, and bad patterns named."""

from __future__ import annotations

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._keep import KeepError, compile_keep, keeps_container, keeps_network

CONTAINER = {"name": "app_old-api-1", "compose": {"project": "app_old"}, "labels": {"com.example.pinned": "yes", "tier": "backend"}}
NETWORK = {"name": "app_net_old", "labels": {"com.docker.compose.project": "app_old"}}


@pytest.mark.parametrize(
    "entry, container, network",
    [
        ("app_old-api-1", "app_old-api-1", None),
        ("app_old", "app_old", "app_old"),  # unprefixed: name, project or network name
        ("app_.*", "app_.*", "app_.*"),
        ("name:app_old-api-.*", "name:app_old-api-.*", None),
        ("project:app_old", "project:app_old", "project:app_old"),
        ("network:app_net_old", None, "network:app_net_old"),
        ("label:com.example.pinned", "label:com.example.pinned=.*", None),
        ("label:tier=front.*", None, None),
        ("label:tier=back.*", "label:tier=back.*", None),
        ("api", None, None),  # matched in full, not searched
    ],
)
def test_keep_forms(entry, container, network):
    rules = compile_keep([entry])
    assert keeps_container(rules, CONTAINER) == container
    assert keeps_network(rules, NETWORK) == network


@pytest.mark.parametrize(
    "entry, message",
    [("(", "keep: pattern '(' does not compile"), ("", "keep: entries must be non-empty strings"), ("label:", "names no label key")],
)
def test_bad_keep_entries_are_named(entry, message):
    with pytest.raises(KeepError, match=message.replace("(", r"\(")):
        compile_keep([entry])
