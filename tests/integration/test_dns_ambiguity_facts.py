"""docker_dns_ambiguity_facts through a real `ansible` run against each lab scenario on the real engine."""

from __future__ import annotations

import pytest

from tests.helpers import run_module
from tests.lab import scenarios
from tests.lab.counting_proxy import CountingProxy


def _facts(info, **args):
    run = run_module("docker_dns_ambiguity_facts", {"consumers": info["containers"], **args})
    assert run.rc == 0, run
    assert run.result["changed"] is False
    return run.result["ansible_facts"]["docker_dns_ambiguity"]


def _mine(facts, info):
    """Stale networks of this scenario only (other objects may share the engine)."""
    return [n for n in facts["stale_networks"] if n["name"] in info["networks"]]


def test_incident(lab):
    info = lab("incident")
    facts = _facts(info, verbose_output=True)
    [record] = facts["ambiguous_names"]
    assert record["name"] == "api"
    assert record["kinds"] == ["round_robin"]
    assert record["verdict"] == "collision"
    assert record["suspected_stale"] == ["app_old-api-1"]
    assert record["live"] == ["app-api-1"]
    assert sorted(record["consumers"]) == ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1", "app_old-api-1"]
    assert record["networks"] == [{"network": "app_net", "answers": ["app-api-1", "app_old-api-1"]}, {"network": "app_net_old", "answers": ["app_old-api-1"]}]
    assert facts["resolution_orders"]["app-proxy-1"] == ["app_net", "app_net_old"]
    proxy = next(f for f in facts["findings"] if f["consumer"] == "app-proxy-1")
    assert proxy["resolution_order"] == ["app_net", "app_net_old"]
    assert proxy["answered_from"] == "app_net"
    assert proxy["answers"] == ["app-api-1", "app_old-api-1"]
    assert [(b["container"], b["role"]) for b in proxy["backends"]] == [("app-api-1", "live"), ("app_old-api-1", "suspected_stale")]
    assert "evidence" not in proxy["backends"][0]  # once per name, in ambiguous_names
    stale = next(b for b in record["backends"] if b["container"] == "app_old-api-1")
    assert [e["code"] for e in stale["evidence"]] == ["older_creation", "image_reference_moved", "foreign_compose_project"]
    assert [c["name"] for c in facts["suspected_stale_containers"]] == ["app_old-api-1"]
    [network] = _mine(facts, info)
    assert (network["name"], network["reason"], network["consumers"]) == ("app_net_old", "only_stale_and_consumers", ["app-proxy-1"])
    containers = {c["name"]: c for c in facts["containers"]}
    assert containers["app_old-api-1"]["image_ref_moved"] is True
    aliases = {e["network"]: e["aliases"] for e in containers["app_old-api-1"]["networks"]}
    assert "api" in aliases["app_net"] and "api" in aliases["app_net_old"]


def test_shadowed(lab):
    info = lab("shadowed")
    [record] = _facts(info)["ambiguous_names"]
    assert (record["kinds"], record["verdict"], record["suspected_stale"]) == (["shadowed"], "collision", ["sh_old-api-1"])
    assert record["consumers"] == ["sh-proxy-1"]


def test_shared_network_variant(lab):
    info = lab("shared")
    facts = _facts(info)
    [record] = facts["ambiguous_names"]
    assert (record["kinds"], record["verdict"]) == (["round_robin"], "collision")
    assert record["suspected_stale"] == ["shop_legacy-api-1"]
    assert record["live"] == ["shop-api-1"]
    assert [n["name"] for n in _mine(facts, info)] == ["shop_legacy_default"]


def test_replicas_are_not_a_collision(lab):
    info = lab("replicas")
    facts = _facts(info)
    [record] = facts["ambiguous_names"]
    assert record["verdict"] == "replicas"
    assert record["live"] == ["web-api-1", "web-api-2"]
    assert facts["summary"]["collisions"] == 0
    assert facts["suspected_stale_containers"] == []
    assert _mine(facts, info) == []


def test_default_result_is_compact(lab):
    """Without verbose_output: no container records and no per-consumer findings, the rest the same."""
    info = lab("incident")
    compact, verbose = _facts(info), _facts(info, verbose_output=True)
    assert "containers" not in compact and "findings" not in compact
    assert {k: v for k, v in verbose.items() if k not in ("containers", "findings")} == compact
    assert {n["name"]: n["containers"] for n in compact["networks"] if n["name"] in info["networks"]}["app_net_old"] == ["app-proxy-1", "app_old-api-1"]


def test_one_connection_two_lists_and_one_inspect_per_container(lab, docker_host, tmp_path):
    """Counted by a proxy in front of the engine's socket: the version, both lists and every inspect
    share one keep-alive connection."""
    lab("incident")
    proxy = CountingProxy(docker_host.removeprefix("unix://"), tmp_path / "count.sock")
    try:
        run = run_module("docker_dns_ambiguity_facts", {"docker_host": proxy.url})
        assert run.rc == 0, run
        kinds, total, connections = proxy.summary()
    finally:
        proxy.close()
    facts = run.result["ansible_facts"]["docker_dns_ambiguity"]
    listed = facts["summary"]["containers"] + len(facts["vanished"])
    assert listed >= 5
    assert kinds == {"/version": 1, "list containers": 1, "list networks": 1, "inspect container": listed}
    assert (total, connections) == (listed + 3, 1)


def test_clean_stack_reports_nothing(lab):
    info = lab("clean")
    facts = _facts(info, verbose_output=True)
    assert facts["findings"] == [] and facts["ambiguous_names"] == []
    assert facts["suspected_stale_containers"] == [] and _mine(facts, info) == []
    assert facts["summary"]["consumers"] == 2


def test_undecided_when_only_age_differs(lab):
    info = lab("undecided")
    [record] = _facts(info)["ambiguous_names"]
    assert record["verdict"] == "undecided"
    assert record["suspected_stale"] == []


def test_check_mode_and_names_filter(lab):
    info = lab("incident")
    before = scenarios.snapshot(scenario=info["name"])
    run = run_module("docker_dns_ambiguity_facts", {"consumers": ["app-proxy-1"], "names": ["API"], "verbose_output": True}, check=True)
    assert run.rc == 0, run
    facts = run.result["ansible_facts"]["docker_dns_ambiguity"]
    assert [(f["consumer"], f["name"]) for f in facts["findings"]] == [("app-proxy-1", "api")]
    assert scenarios.snapshot(scenario=info["name"]) == before


@pytest.mark.parametrize(
    "args, message",
    [
        ({"consumers": ["no-such-container"]}, "consumers: no container named 'no-such-container' on this host"),
        ({"names": ["no-such-name"]}, "names: no container answers 'no-such-name' on any network of this host"),
        ({"consumers": [""]}, "consumers: entries must be non-empty strings"),
        ({"docker_host": "unix:///nonexistent/docker.sock"}, "the socket does not exist"),
        ({"docker_host": "tcp://127.0.0.1:1"}, "connection refused"),
        ({"docker_host": "gopher://x"}, "docker_host: 'gopher://x' is not a Docker host URL"),
        ({"timeout": 0}, "timeout: must be a positive number of seconds"),
        ({"verbose_output": "sometimes"}, "verbose_output"),
    ],
)
def test_bad_input_and_unreachable_engines_fail_clearly(args, message):
    run = run_module("docker_dns_ambiguity_facts", args)
    assert run.rc != 0
    assert message in run.result["msg"], run.result


def test_tls_on_a_unix_socket_is_said_to_be_ignored(docker_host):
    run = run_module("docker_dns_ambiguity_facts", {"docker_host": docker_host, "tls": True})
    assert run.rc == 0, run
    said = " ".join((run.stdout + run.stderr).split())  # warnings may be wrapped
    assert f"tls and validate_certs: ignored for docker_host {docker_host} (TLS applies to tcp:// and https:// engines only)" in said, run
