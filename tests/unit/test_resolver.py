"""What Docker's embedded DNS answers: first network in sort order that knows the name."""

from __future__ import annotations

from ansible_collections.fanout.docker.plugins.module_utils._resolver import answer_sets, resolution_order


def test_incident_round_robin_on_the_first_network(topology):
    topo = topology("incident")
    proxy = topo.by_name["app-proxy-1"]
    assert resolution_order(topo, proxy) == ["app_net", "app_net_old"]
    [entry] = answer_sets(topo, [proxy])
    assert entry["name"] == "api"
    assert entry["kinds"] == ["round_robin"]
    assert entry["answered_from"] == "app_net"
    assert entry["answers"] == ["app-api-1", "app_old-api-1"]
    assert entry["networks"] == [
        {"network": "app_net", "answers": ["app-api-1", "app_old-api-1"]},
        {"network": "app_net_old", "answers": ["app_old-api-1"]},
    ]


def test_shadowed_name_is_answered_only_from_the_first_network(topology):
    topo = topology("shadowed")
    [entry] = answer_sets(topo, [topo.by_name["sh-proxy-1"]])
    assert entry["kinds"] == ["shadowed"]
    assert entry["answers"] == ["sh-api-1"]
    assert entry["networks"][1] == {"network": "sh_net_old", "answers": ["sh_old-api-1"]}


def test_internal_networks_sort_last_and_priority_first(payload, topology):
    data = payload("shadowed")
    net = next(n for n in data["networks"] if n["Name"] == "sh_net")
    net["Internal"] = True
    topo = topology(data)
    assert resolution_order(topo, topo.by_name["sh-proxy-1"]) == ["sh_net_old", "sh_net"]
    data = payload("shadowed")
    proxy = next(i for i in data["inspects"].values() if i["Name"] == "/sh-proxy-1")
    proxy["NetworkSettings"]["Networks"]["sh_net_old"]["GwPriority"] = 10
    topo = topology(data)
    assert resolution_order(topo, topo.by_name["sh-proxy-1"]) == ["sh_net_old", "sh_net"]
    # ...which flips the shadowed name: the stale api answers now, deterministically.
    [entry] = answer_sets(topo, [topo.by_name["sh-proxy-1"]])
    assert entry["answers"] == ["sh_old-api-1"]


def test_unambiguous_names_are_listed_on_request(topology):
    topo = topology("clean")
    proxy = topo.by_name["solo-proxy-1"]
    assert answer_sets(topo, [proxy]) == []
    every = {e["name"]: e["answers"] for e in answer_sets(topo, [proxy], only_ambiguous=False)}
    assert every["api"] == ["solo-api-1"]
    assert every["solo-proxy-1"] == ["solo-proxy-1"]


def test_names_filter_is_case_insensitive(topology):
    topo = topology("incident")
    assert [e["name"] for e in answer_sets(topo, [topo.by_name["app-proxy-1"]], names=["API"])] == ["api"]
    assert answer_sets(topo, [topo.by_name["app-proxy-1"]], names=["db"]) == []


def test_container_network_mode_shares_the_owner_sandbox(payload, topology):
    data = payload("incident")
    sidecar = next(i for i in data["inspects"].values() if i["Name"] == "/app-db-1")
    proxy_id = next(c["Id"] for c in data["containers"] if c["Names"] == ["/app-proxy-1"])
    sidecar["HostConfig"]["NetworkMode"] = f"container:{proxy_id}"
    topo = topology(data)
    assert resolution_order(topo, topo.by_name["app-db-1"]) == ["app_net", "app_net_old"]
