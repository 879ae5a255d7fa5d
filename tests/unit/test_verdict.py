"""Verdicts per ambiguous name, on recorded payloads and variants of them."""

from __future__ import annotations

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._findings import analyse


def _record(report, name="api"):
    [record] = [r for r in report["ambiguous_names"] if r["name"] == name]
    return record


def _roles(record):
    return {b["container"]: b["role"] for b in record["backends"]}


def _codes(record, container):
    return [e["code"] for e in next(b for b in record["backends"] if b["container"] == container)["evidence"]]


def _inspect(data, name):
    return next(i for i in data["inspects"].values() if i["Name"] == f"/{name}")


def test_incident_is_a_collision_with_the_old_deploy_suspected(topology):
    record = _record(analyse(topology("incident")))
    assert record["verdict"] == "collision"
    assert _roles(record) == {"app-api-1": "live", "app_old-api-1": "suspected_stale"}
    assert _codes(record, "app_old-api-1") == ["older_creation", "image_reference_moved", "foreign_compose_project"]
    assert _codes(record, "app-api-1") == []


def test_shared_network_variant_is_a_collision(topology):
    record = _record(analyse(topology("shared")))
    assert record["verdict"] == "collision"
    assert record["kinds"] == ["round_robin"]
    assert _roles(record) == {"shop-api-1": "live", "shop_legacy-api-1": "suspected_stale"}
    assert record["consumers"] == ["edge-proxy-1", "shop-api-1", "shop_legacy-api-1"]


def test_replicas_are_never_a_collision(topology):
    report = analyse(topology("replicas"))
    record = _record(report)
    assert record["verdict"] == "replicas"
    assert _roles(record) == {"web-api-1": "replica", "web-api-2": "replica"}
    assert report["suspected_stale_containers"] == []
    assert report["stale_networks"] == []


def test_clean_stack_reports_nothing(topology):
    report = analyse(topology("clean"), per_consumer=True)
    assert report["findings"] == []
    assert report["ambiguous_names"] == []
    assert report["suspected_stale_containers"] == []
    assert report["stale_networks"] == []


def test_age_alone_never_decides(topology):
    record = _record(analyse(topology("undecided")))
    assert record["verdict"] == "undecided"
    assert "only evidence against a side is its age" in record["reason"]
    assert set(_roles(record).values()) == {"undecided"}


def test_symmetric_evidence_cancels_out(topology):
    # Both apis sit alone with the proxy on their own network: isolated_network on both sides
    # tells them apart no better than nothing.
    record = _record(analyse(topology("shadowed")))
    assert record["verdict"] == "collision"
    assert "isolated_network" not in _codes(record, "sh_old-api-1")
    assert _codes(record, "sh-api-1") == []


def test_contradicting_evidence_is_undecided(payload, topology):
    data = payload("incident")
    # The newer side is paused while the older one runs an outdated image: evidence on both sides.
    _inspect(data, "app-api-1")["State"].update(Status="paused", Paused=True)
    report = analyse(topology(data))
    record = _record(report)
    assert record["verdict"] == "undecided"
    assert "every side has evidence against it" in record["reason"]
    assert _codes(record, "app-api-1") == ["not_serving"]
    assert report["suspected_stale_containers"] == []


def test_evidence_on_both_sides_cancels_and_consumers_disagree(payload, topology):
    data = payload("incident")
    # Both image references moved on: that evidence is symmetric and drops out. What is left
    # differs by consumer (the project match only counts for consumers outside the collision).
    live = next(c for c in data["containers"] if c["Names"] == ["/app-api-1"])
    live["Image"] = live["ImageID"]
    _inspect(data, "app-api-1")["Config"]["Image"] = "fanout-lab/incident-api:previous"
    report = analyse(topology(data))
    record = _record(report)
    assert record["verdict"] == "undecided"
    assert record["reason"] == "consumers of this name disagree on which side is stale"
    assert report["suspected_stale_containers"] == []


def test_identical_containers_without_compose_labels_are_undecided(payload, topology):
    data = payload("replicas")
    for name in ("web-api-1", "web-api-2"):
        labels = _inspect(data, name)["Config"]["Labels"]
        for key in [k for k in labels if k.startswith("com.docker.compose.")]:
            del labels[key]
    record = _record(analyse(topology(data)))
    assert record["verdict"] == "undecided"
    assert "without compose labels" in record["reason"]


def test_replicas_with_another_config_hash_are_a_collision(payload, topology):
    data = payload("replicas")
    _inspect(data, "web-api-1")["Config"]["Labels"]["com.docker.compose.config-hash"] = "cfg-web-previous"
    record = _record(analyse(topology(data)))
    # Same project and service, older, superseded config: the left-over of a redeploy.
    assert record["verdict"] == "collision"
    assert _roles(record) == {"web-api-1": "suspected_stale", "web-api-2": "live"}
    assert _codes(record, "web-api-1") == ["older_creation", "config_hash_superseded"]


@pytest.mark.parametrize("state", [{"Status": "paused", "Paused": True}, {"Health": {"Status": "unhealthy"}}])
def test_a_side_that_does_not_serve_is_evidence(payload, topology, state):
    data = payload("undecided")
    _inspect(data, "blue-api-1")["State"].update(state)
    record = _record(analyse(topology(data)))
    assert record["verdict"] == "collision"
    assert _roles(record) == {"blue-api-1": "suspected_stale", "green-api-1": "live"}
    assert _codes(record, "blue-api-1") == ["older_creation", "not_serving"]
