"""Stale containers and stale networks, and the safety rules around them."""

from __future__ import annotations

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._findings import NotFoundError, analyse


def _rename_network(data, old, new):
    for network in data["networks"]:
        if network["Name"] == old:
            network["Name"] = new
    for container in data["inspects"].values():
        networks = container["NetworkSettings"]["Networks"]
        if old in networks:
            networks[new] = networks.pop(old)


def test_incident_stale_container_and_network(topology):
    report = analyse(topology("incident"))
    assert [c["name"] for c in report["suspected_stale_containers"]] == ["app_old-api-1"]
    assert report["suspected_stale_containers"][0]["names"] == ["api"]
    [network] = report["stale_networks"]
    assert (network["name"], network["reason"]) == ("app_net_old", "only_stale_and_consumers")
    assert network["stale_members"] == ["app_old-api-1"]
    assert network["consumers"] == ["app-proxy-1"]
    assert report["networks_kept"] == []
    assert report["summary"]["collisions"] == 1


def test_shared_variant_stale_network_holds_only_the_stale_side(topology):
    [network] = analyse(topology("shared"))["stale_networks"]
    assert (network["name"], network["stale_members"], network["consumers"]) == ("shop_legacy_default", ["shop_legacy-api-1"], [])


def test_stale_network_that_is_a_consumers_gateway_is_kept(payload, topology):
    data = payload("incident")
    # Sorted first, the old network becomes the proxy's gateway: leaving it would move its ports.
    _rename_network(data, "app_net_old", "a_net_old")
    report = analyse(topology(data))
    assert report["stale_networks"] == []
    [kept] = report["networks_kept"]
    assert kept["name"] == "a_net_old"
    assert kept["reasons"] == ["it is the gateway network of app-proxy-1 (published ports and default route)"]


def test_network_without_endpoints_is_listed_as_unused(payload, topology):
    data = payload("clean")
    data["networks"].append({"Name": "leftover", "Id": "f" * 64, "Driver": "bridge", "Scope": "local", "Internal": False, "Labels": {}})
    [network] = analyse(topology(data))["stale_networks"]
    assert (network["name"], network["reason"]) == ("leftover", "no_endpoints")


def test_network_referenced_by_a_stopped_container_is_not_unused(payload, topology):
    data = payload("clean")
    data["networks"].append({"Name": "parked", "Id": "f" * 64, "Driver": "bridge", "Scope": "local", "Internal": False, "Labels": {}})
    api = next(i for i in data["inspects"].values() if i["Name"] == "/solo-api-1")
    api["NetworkSettings"]["Networks"]["parked"] = {"NetworkID": "f" * 64, "EndpointID": "", "Aliases": None}
    assert analyse(topology(data))["stale_networks"] == []


def test_default_networks_are_never_stale(topology):
    names = {n["name"] for n in analyse(topology("clean"))["stale_networks"]}
    assert not names & {"bridge", "host", "none"}


def test_unknown_consumer_is_not_found(topology):
    with pytest.raises(NotFoundError, match="consumers: no container named 'nope'"):
        analyse(topology("incident"), consumer_refs=["app-proxy-1", "nope"])


def test_unknown_name_is_not_found(topology):
    with pytest.raises(NotFoundError, match="names: no container answers 'apii'"):
        analyse(topology("incident"), names=["apii"])


def test_consumers_by_id_prefix(topology):
    topo = topology("incident")
    proxy_id = topo.by_name["app-proxy-1"]["id"]
    report = analyse(topo, consumer_refs=[proxy_id[:12]], per_consumer=True)
    assert [f["consumer"] for f in report["findings"]] == ["app-proxy-1"]
    assert report["ambiguous_names"][0]["consumers"] == ["app-proxy-1"]
    assert report["resolution_orders"] == {"app-proxy-1": ["app_net", "app_net_old"]}


def test_findings_per_consumer_only_on_request(topology):
    compact = analyse(topology("incident"))
    verbose = analyse(topology("incident"), per_consumer=True)
    assert "findings" not in compact
    proxy = next(f for f in verbose["findings"] if f["consumer"] == "app-proxy-1")
    assert (proxy["answered_from"], proxy["answers"]) == ("app_net", ["app-api-1", "app_old-api-1"])
    assert proxy["backends"] == [{"container": "app-api-1", "role": "live"}, {"container": "app_old-api-1", "role": "suspected_stale"}]
    assert (proxy["suspected_stale"], proxy["live"]) == (["app_old-api-1"], ["app-api-1"])
    assert {k: v for k, v in verbose.items() if k != "findings"} == compact


def test_evidence_found_from_several_consumer_projects_is_one_entry_per_code():
    from ansible_collections.fanout.docker.plugins.module_utils._findings import _merge_evidence

    seen_by_a = [{"code": "older_creation", "detail": "x created before"}, {"code": "foreign_compose_project", "detail": "differs from (a)"}]
    seen_by_b = [{"code": "foreign_compose_project", "detail": "differs from (b)"}, {"code": "older_creation", "detail": "x created before"}]
    assert _merge_evidence(seen_by_a, seen_by_b) == [
        {"code": "older_creation", "detail": "x created before"},
        {"code": "foreign_compose_project", "detail": "differs from (a); differs from (b)"},
    ]
    assert seen_by_a[1]["detail"] == "differs from (a)"  # the judgements themselves are left alone


# --- one record per name and set of backends: backends no consumer gets together are not rivals ---


def _roles(report):
    return [(r["name"], r["verdict"], {b["container"]: b["role"] for b in r["backends"]}) for r in report["ambiguous_names"]]


def test_replica_sets_of_unrelated_projects_are_never_rival_generations():
    from tests.unit.synthetic import container, topology

    # Each project scales `api` to two on its own network; nothing reaches both sets. p's image
    # reference has moved on, which would count against p if the two sets were judged together.
    host = topology(
        ["p_net", "q_net"],
        [
            container("p-proxy-1", ["p_net"], "p", "proxy", image="lab/proxy", image_id="sha256:px"),
            container("p-api-1", ["p_net"], "p", "api", image="p/api:1", image_id="sha256:p", moved=True),
            container("p-api-2", ["p_net"], "p", "api", image="p/api:1", image_id="sha256:p", moved=True),
            container("q-proxy-1", ["q_net"], "q", "proxy", image="lab/proxy", image_id="sha256:px"),
            container("q-api-1", ["q_net"], "q", "api", image="q/api:1", image_id="sha256:q", created="2026-02-01T00:00:00Z"),
            container("q-api-2", ["q_net"], "q", "api", image="q/api:1", image_id="sha256:q", created="2026-02-01T00:00:00Z"),
        ],
    )
    report = analyse(host)
    assert _roles(report) == [
        ("api", "replicas", {"p-api-1": "replica", "p-api-2": "replica"}),
        ("api", "replicas", {"q-api-1": "replica", "q-api-2": "replica"}),
    ]
    assert [r["consumers"] for r in report["ambiguous_names"]] == [["p-proxy-1", "p-api-1", "p-api-2"], ["q-proxy-1", "q-api-1", "q-api-2"]]
    assert report["suspected_stale_containers"] == [] and report["stale_networks"] == []
    assert report["summary"]["ambiguous_names"] == 1 and report["summary"]["replicas"] == 2


def test_a_backend_some_consumer_depends_on_is_never_suspected_stale():
    from tests.unit.synthetic import container, topology

    # a gets the replicas x and y; b gets y and z; y, on both networks, gets all three.
    host = topology(
        ["net1", "net2"],
        [
            container("a", ["net1"]),
            container("b", ["net2"]),
            container("x", ["net1"], "s", "api", image="s/api:1", image_id="sha256:s", moved=True),
            container("y", ["net1", "net2"], "s", "api", image="s/api:1", image_id="sha256:s", moved=True),
            container("z", ["net2"], "t", "api", image="t/api:1", image_id="sha256:t", created="2026-02-01T00:00:00Z"),
        ],
    )
    [record] = analyse(host)["ambiguous_names"]
    # Judged together, x and y (moved image reference) lose to z; but a gets only x and y and
    # would be left with nothing. Not a collision anyone may act on.
    assert (record["verdict"], record["suspected_stale"]) == ("undecided", [])
    assert record["reason"].endswith("but a, x would be left with no live backend")
    assert {b["role"] for b in record["backends"]} == {"undecided"}
    assert analyse(host)["suspected_stale_containers"] == []


def test_incident_is_found_beside_an_unrelated_replicated_api(payload, topology):
    from tests.unit.synthetic import container, network

    data = payload("incident")
    for listed, inspected in (
        container("q-web-1", ["q_net"], "q", "web", image="q/web:1", image_id="sha256:qw"),
        container("q-api-1", ["q_net"], "q", "api", image="q/api:1", image_id="sha256:q"),
        container("q-api-2", ["q_net"], "q", "api", image="q/api:1", image_id="sha256:q"),
    ):
        data["containers"].append(listed)
        data["inspects"][listed["Id"]] = inspected
    data["networks"].append(network("q_net"))
    report = analyse(topology(data))
    assert _roles(report) == [
        ("api", "collision", {"app-api-1": "live", "app_old-api-1": "suspected_stale"}),
        ("api", "replicas", {"q-api-1": "replica", "q-api-2": "replica"}),
    ]
    assert [c["name"] for c in report["suspected_stale_containers"]] == ["app_old-api-1"]


def test_evidence_reads_the_same_whatever_the_container_ids():
    from tests.unit import synthetic

    def report_with_ids(salt):
        real_id = synthetic._id
        synthetic._id = lambda text: real_id(salt + text)
        try:
            host = synthetic.topology(
                ["net"],
                [
                    synthetic.container("web", ["net"], "p", "web", image="p/web", image_id="sha256:w"),
                    synthetic.container("p-api-1", ["net"], "p", "api", image="p/api:1", image_id="sha256:p", moved=True),
                    synthetic.container("p-api-2", ["net"], "p", "api", image="p/api:1", image_id="sha256:p", moved=True),
                    synthetic.container("q-api-1", ["net"], "q", "api", image="q/api:1", image_id="sha256:q", created="2026-02-01T00:00:00Z"),
                ],
            )
        finally:
            synthetic._id = real_id
        return analyse(host)

    reports = [report_with_ids(str(salt)) for salt in range(12)]
    details = {tuple(e["detail"] for b in r["ambiguous_names"][0]["backends"] for e in b["evidence"]) for r in reports}
    assert len(details) == 1, details
    assert "p-api-1, p-api-2 created before the newest other side" in next(iter(details))


def test_a_named_consumer_without_embedded_dns_is_said_so():
    from tests.unit.synthetic import container, topology

    host = topology(["bridge", "app"], [container("legacy", ["bridge"]), container("app-api-1", ["app"], "app", "api")])
    report = analyse(host, consumer_refs=["legacy"])
    assert report["ambiguous_names"] == []
    assert report["messages"][-1] == (
        "consumer legacy is on no network with embedded DNS (only the default bridge, host or none): it resolves no container names."
    )
    assert not any("embedded DNS" in m for m in analyse(host)["messages"])  # every container: nothing to say


def _plan(topo, keep=()):
    from ansible_collections.fanout.docker.plugins.module_utils._cleanup_plan import plan_cleanup
    from ansible_collections.fanout.docker.plugins.module_utils._keep import compile_keep

    return plan_cleanup(topo, analyse(topo), compile_keep(list(keep)))


def test_incident_plan_removes_the_stale_side(topology):
    plan = _plan(topology("incident"))
    assert [c["name"] for c in plan["containers"]] == ["app_old-api-1"]
    assert [(d["container"], d["network"]) for d in plan["disconnects"]] == [("app-proxy-1", "app_net_old")]
    assert [n["name"] for n in plan["networks"]] == ["app_net_old"]


def test_a_stale_container_that_publishes_a_port_is_still_in_use(payload, topology):
    data = payload("incident")
    stale = next(c for c in data["inspects"].values() if c["Name"] == "/app_old-api-1")
    stale["NetworkSettings"]["Ports"] = {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18099"}], "9000/tcp": None}
    topo = topology(data)
    assert topo.by_name["app_old-api-1"]["published"] == ["127.0.0.1:18099->8000/tcp"]
    plan = _plan(topo)
    assert (plan["containers"], plan["disconnects"], plan["networks"]) == ([], [], [])
    assert {
        "kind": "container",
        "name": "app_old-api-1",
        "reason": "still in use: it publishes 127.0.0.1:18099->8000/tcp: used from outside Docker's DNS",
    } in plan["left_alone"]
