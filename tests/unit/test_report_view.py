"""The report's view model: who is drawn where, in which order, with which marks."""

from __future__ import annotations

from ansible_collections.fanout.docker.plugins.filter.report_view import report_view


def _backend(container, role, evidence=(), kept_by=None):
    return {
        "container": container,
        "role": role,
        "kept_by": kept_by,
        "evidence": [{"code": c, "detail": f"{c} of {container}"} for c in evidence],
        "addresses": [],
    }


STALE, LIVE = _backend("old-api", "suspected_stale", ["image_reference_moved"]), _backend("new-api", "live")
# new-api is a backend resolving its own name; worker asks zeta first, which does not know it.
ORDERS = {"proxy": ["front", "old"], "worker": ["zeta", "front"], "new-api": ["front"]}
API_NETWORKS = [{"network": "front", "answers": ["new-api", "old-api"]}, {"network": "old", "answers": ["old-api"]}]
OUTCOME = {
    "host": "web 1",
    "status": "would_fix",
    "check_mode": True,
    "resolution_orders": ORDERS,
    "ambiguous_names": [
        {
            "name": "api",
            "verdict": "collision",
            "kinds": ["round_robin"],
            "reason": "r",
            "consumers": ["proxy", "worker", "new-api"],
            "networks": API_NETWORKS,
            "backends": [STALE, LIVE],
        }
    ],
    "stale_networks": [{"name": "old", "reason": "only_stale_and_consumers", "detail": "d"}],
    "cleanup": {
        "actions": [
            {"action": "stop_container", "target": "old-api", "status": "planned", "reasons": ["a"]},
            {"action": "remove_container", "target": "old-api", "status": "planned", "reasons": ["a"]},
            {"action": "disconnect", "target": "proxy", "network": "old", "status": "planned", "reasons": ["b"]},
            {"action": "remove_network", "target": "old", "status": "planned", "reasons": ["c"]},
        ]
    },
}


def _graph():
    [host] = report_view({"hosts": [OUTCOME], "counts": {"would_fix": 1}})["hosts"]
    [graph] = host["graphs"]
    return host, graph, {n["id"]: n for n in graph["nodes"]}


def test_consumers_networks_and_backends_in_their_columns_and_order():
    host, graph, nodes = _graph()
    assert host["anchor"] == "host-web-1" and host["rank"] == 3
    consumers = [n["lines"] for n in graph["nodes"] if n["kind"] == "consumer"]
    assert consumers == [["proxy"], ["worker"]]  # new-api resolves its own name: not drawn as a consumer
    # Networks merge every consumer's resolution order: zeta before front (worker), front before old (proxy).
    assert [n["lines"][0] for n in graph["nodes"] if n["kind"] == "network"] == ["zeta", "front", "old"]
    assert [n["lines"][1:] for n in graph["nodes"] if n["kind"] == "network"] == [
        ["does not know the name"],
        ["answers `api`"],
        ["knows `api` (shadowed)", "stale network", "would remove"],
    ]
    edges = {(nodes[e["source"]]["lines"][0], nodes[e["target"]]["lines"][0]): e for e in graph["edges"]}
    assert {k: e["label"] for k, e in edges.items() if nodes[e["source"]]["kind"] == "consumer"} == {
        ("proxy", "front"): "1st",
        ("proxy", "old"): "2nd",
        ("worker", "zeta"): "1st",
        ("worker", "front"): "2nd",
    }
    assert edges[("front", "old-api")]["classes"] == ["dns", "answers"] and edges[("old", "old-api")]["classes"] == ["dns", "shadowed"]
    assert "action-planned" in edges[("proxy", "old")]["classes"] and "action" not in edges[("worker", "front")]["classes"]


def test_backends_under_their_name_with_role_evidence_and_plan():
    _host, graph, nodes = _graph()
    [group] = graph["groups"]
    assert group["label"] == "`api` · collision · round-robin" and "verdict-collision" in group["classes"]
    stale = next(n for n in nodes.values() if n.get("container") == "old-api")
    assert stale["parent"] == group["id"]
    assert stale["lines"] == ["old-api", "suspected stale", "would stop and would remove"]
    assert stale["line_classes"] == ["head", "role", "action"]
    assert "evidence: image_reference_moved of old-api" in stale["title"].split("\n")
    assert {"role-suspected_stale", "action-planned"} <= set(stale["classes"])
    live = next(n for n in nodes.values() if n.get("container") == "new-api")
    assert live["lines"] == ["new-api", "live"] and "no evidence against it" in live["title"]


def test_kept_backend_and_plain_drawing_of_the_selected_consumers():
    kept = {
        **OUTCOME,
        "status": "broken",
        "cleanup": {},
    }
    kept["ambiguous_names"] = [dict(OUTCOME["ambiguous_names"][0], backends=[_backend("old-api", "suspected_stale", kept_by="project:old"), LIVE])]
    [host] = report_view({"hosts": [kept]})["hosts"]
    stale = next(n for n in host["graphs"][0]["nodes"] if n.get("container") == "old-api")
    assert stale["lines"] == ["old-api", "suspected stale, kept (keep entry project:old)"] and "kept" in stale["classes"]

    clean = {
        "host": "c",
        "status": "clean",
        "consumer_selection": ["a"],
        "ambiguous_names": [],
        "topology": {
            "containers": [{"name": "a", "running": True, "networks": ["n1", "bridge"]}, {"name": "other", "running": True, "networks": ["n2"]}],
            "networks": [],
        },
    }
    [host] = report_view({"hosts": [clean]})["hosts"]
    [graph] = host["graphs"]
    assert graph["kind"] == "membership" and [n["lines"][0] for n in graph["nodes"]] == ["a", "n1"]  # no default bridge, no one else

    # The default facts carry no container records: membership comes from the networks' lists.
    networks = [{"name": "n1", "containers": ["b", "a"]}, {"name": "n2", "containers": ["a"]}]
    slim = dict(clean, consumer_selection=[], topology={"containers": [], "networks": networks})
    [host] = report_view({"hosts": [slim]})["hosts"]
    [graph] = host["graphs"]
    assert [n["lines"][0] for n in graph["nodes"]] == ["a", "b", "n1", "n2"]
    assert sorted(e["title"] for e in graph["edges"]) == ["a is attached to n1", "a is attached to n2", "b is attached to n1"]


def test_hosts_that_were_not_checked_have_no_drawing():
    view = report_view({"hosts": [{"host": "x", "status": "unreachable", "violations": ["no result"]}, {"host": "x", "status": "error", "error": "e"}]})
    assert [(h["anchor"], h["graphs"], h["overview"]["detail"]) for h in view["hosts"]] == [("host-x", [], "no result"), ("host-x-2", [], "")]
