"""Engine payloads -> topology, on payloads recorded from a real Docker 20.10 engine."""

from __future__ import annotations

from ansible_collections.fanout.docker.plugins.module_utils._topology import build_topology, created_key


def _endpoint(container, network):
    return next(e for e in container["networks"] if e["network"] == network)


def test_dns_names_carry_their_source(topology):
    topo = topology("incident")
    stale = topo.by_name["app_old-api-1"]
    names = {d["name"]: d["source"] for d in _endpoint(stale, "app_net_old")["dns_names"]}
    assert names == {"app_old-api-1": "container_name", "api": "compose_service", stale["short_id"]: "short_id"}


def test_image_reference_moved_only_for_the_old_build(topology):
    topo = topology("incident")
    assert topo.by_name["app_old-api-1"]["image_ref_moved"] is True
    assert topo.by_name["app-api-1"]["image_ref_moved"] is False
    assert topo.by_name["app-proxy-1"]["image_ref_moved"] is False
    assert topo.by_name["app_old-api-1"]["image"] == topo.by_name["app-api-1"]["image"] == "fanout-lab/incident-api:latest"
    assert topo.by_name["app_old-api-1"]["image_id"] != topo.by_name["app-api-1"]["image_id"]


def test_networks_list_attached_containers(topology):
    topo = topology("incident")
    assert topo.network_by_name["app_net_old"]["containers"] == ["app-proxy-1", "app_old-api-1"]
    assert sorted(topo.network_by_name["app_net"]["containers"]) == ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1", "app_old-api-1"]
    assert topo.network_by_name["bridge"]["default"] is True


def test_compose_labels_are_read(topology):
    compose = topology("incident").by_name["app_old-api-1"]["compose"]
    assert compose == {"project": "app_old", "service": "api", "config_hash": "cfg-2026-06", "container_number": "1", "oneoff": False}


def test_default_bridge_answers_no_names(payload):
    data = payload("clean")
    cid = next(c["Id"] for c in data["containers"] if c["Names"] == ["/solo-api-1"])
    bridge = next(n for n in data["networks"] if n["Name"] == "bridge")
    data["inspects"][cid]["NetworkSettings"]["Networks"]["bridge"] = {
        "NetworkID": bridge["Id"],
        "EndpointID": "e" * 64,
        "IPAddress": "172.17.0.9",
        "Aliases": None,
    }
    topo = build_topology(data["containers"], data["inspects"], data["networks"])
    endpoint = _endpoint(topo.by_name["solo-api-1"], "bridge")
    assert endpoint["dns_names"] == []
    assert _endpoint(topo.by_name["solo-api-1"], "solo_default")["dns_names"]


def test_container_gone_before_inspect_is_reported_not_fatal(payload):
    data = payload("incident")
    gone = next(c["Id"] for c in data["containers"] if c["Names"] == ["/app-db-1"])
    data["inspects"][gone] = None
    topo = build_topology(data["containers"], data["inspects"], data["networks"])
    assert topo.vanished == [{"id": gone, "name": "app-db-1"}]
    assert "app-db-1" not in topo.by_name


def test_stopped_container_registers_no_names(payload):
    data = payload("incident")
    cid = next(c["Id"] for c in data["containers"] if c["Names"] == ["/app-dashboard-1"])
    for settings in data["inspects"][cid]["NetworkSettings"]["Networks"].values():
        settings["EndpointID"] = ""
    data["inspects"][cid]["State"].update(Status="exited", Running=False)
    topo = build_topology(data["containers"], data["inspects"], data["networks"])
    assert all(not e["dns_names"] for e in topo.by_name["app-dashboard-1"]["networks"])
    assert "app-dashboard-1" not in topo.network_by_name["app_net"]["containers"]


def test_created_key_orders_trimmed_fractions():
    # The engine trims trailing zeros: .1Z is later than .09Z but sorts before it as text.
    assert created_key("2026-12-03T16:29:03.1Z") > created_key("2026-12-03T16:29:03.09Z")
    assert created_key("2026-12-03T16:29:03Z") < created_key("2026-12-03T16:29:03.000000001Z")
