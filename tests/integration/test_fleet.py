"""diagnose / verify / remediate across a fleet: three real engines side by side plus one that is down."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import ROOT, run_module, run_playbook
from tests.integration.fleet import host_outcome, probe, recap, statuses, summary, write_inventory
from tests.lab import scenarios

FLEET = ROOT / "tests" / "lab" / "fleet.sh"
ENGINES = {"incident_host": (1, "incident", 18180), "shared_host": (2, "shared", 18181), "clean_host": (3, "clean", 18182)}


def _socket(index):
    return f"unix:///run/fanout-lab/engine-{index}.sock"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    subprocess.run([str(FLEET), "up", "3"], check=True)
    hosts = {}
    try:
        for host, (index, scenario, port) in ENGINES.items():
            scenarios.up(scenario, _socket(index), port=port)
            hosts[host] = {"fanout_docker_host": _socket(index), "fanout_probes": [probe(port)]}
        hosts["dead_host"] = {"fanout_docker_host": _socket(99), "fanout_probes": []}  # never started
        base = tmp_path_factory.mktemp("fleet")
        yield {"inventory": write_inventory(base / "inventory.yml", hosts), "base": base}
    finally:
        for index, scenario, _port in ENGINES.values():
            scenarios.down(scenario, _socket(index))
        for index, _scenario, _port in ENGINES.values():
            subprocess.run([str(FLEET), "down-one", str(index)], check=False)


REACHABLE = "incident_host:shared_host:clean_host"


def _run(fleet, playbook, name, hosts="all", **kwargs):
    out = fleet["base"] / name
    run = run_playbook(playbook, {"fanout_summary_dir": str(out), "fanout_hosts": hosts}, inventory=fleet["inventory"], **kwargs)
    return run, out


def _engines():
    return {host: scenarios.snapshot(_socket(index)) for host, (index, _s, _p) in ENGINES.items()}


def test_diagnose_reports_without_failing_on_findings(fleet):
    run, out = _run(fleet, "fanout.docker.diagnose", "diagnose")
    # Only the dead engine is an error; findings alone never fail diagnose.
    assert {h: r["failed"] for h, r in recap(run.stdout).items()} == {"incident_host": 0, "shared_host": 0, "clean_host": 0, "dead_host": 1, "localhost": 0}, (
        run
    )
    assert statuses(out) == {"incident_host": "broken", "shared_host": "broken", "clean_host": "clean", "dead_host": "error"}
    assert "the socket does not exist" in host_outcome(out, "dead_host")["error"]


def test_verify_fails_naming_exactly_the_two_broken_hosts(fleet):
    run, out = _run(fleet, "fanout.docker.verify", "verify-before")
    assert run.rc != 0
    failed = {h for h, r in recap(run.stdout).items() if r["failed"]}
    assert failed == {"incident_host", "shared_host", "dead_host"}, run
    assert summary(out)["failed_hosts"] == ["incident_host", "shared_host", "dead_host"]
    incident = host_outcome(out, "incident_host")
    [collision, preflight] = incident["violations"]
    assert collision.startswith("`api` from app-dashboard-1, app-db-1, app-proxy-1")
    assert "app_old-api-1 (suspected stale: " in collision and "app-api-1 (live)" in collision
    assert "preflight PUT http://127.0.0.1:18180/" in preflight and "verdict mixed_backends" in preflight
    assert "incident_host: `api` from" in run.stdout  # the assertion message names the host


def test_remediate_check_diff_plans_and_changes_nothing(fleet):
    before = _engines()
    run, out = _run(fleet, "fanout.docker.remediate", "remediate-check", check=True, diff=True)
    assert _engines() == before
    assert statuses(out) == {"incident_host": "would_fix", "shared_host": "would_fix", "clean_host": "clean", "dead_host": "error"}
    planned = [(a["action"], a["target"], a.get("network")) for a in host_outcome(out, "incident_host")["cleanup"]["actions"]]
    assert planned == [
        ("stop_container", "app_old-api-1", None),
        ("remove_container", "app_old-api-1", None),
        ("disconnect", "app-proxy-1", "app_net_old"),
        ("remove_network", "app_net_old", None),
    ]
    planned = [(a["action"], a["target"]) for a in host_outcome(out, "shared_host")["cleanup"]["actions"]]
    assert planned == [("stop_container", "shop_legacy-api-1"), ("remove_container", "shop_legacy-api-1"), ("remove_network", "shop_legacy_default")]
    assert "-        shop_legacy-api-1:" in run.stdout  # the diff shows the container going away


def test_remediate_fixes_both_broken_hosts_and_keeps_the_live_parts(fleet):
    run, out = _run(fleet, "fanout.docker.remediate", "remediate")
    assert run.rc != 0  # the dead engine still fails the run at the end
    assert statuses(out) == {"incident_host": "fixed", "shared_host": "fixed", "clean_host": "clean", "dead_host": "error"}
    engines = _engines()
    incident = engines["incident_host"]
    assert set(incident["containers"]) == {"app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"}
    assert all(c["state"] == "running" for c in incident["containers"].values())
    assert incident["containers"]["app-proxy-1"]["networks"] == ["app_net"]
    assert incident["containers"]["app-api-1"]["networks"] == ["app_net"]
    assert "app_net_old" not in incident["networks"]
    shared = engines["shared_host"]
    assert set(shared["containers"]) == {"shop-api-1", "edge-proxy-1"}
    assert shared["containers"]["shop-api-1"]["networks"] == ["proxy", "shop_default"]
    assert "shop_legacy_default" not in shared["networks"] and "proxy" in shared["networks"]
    assert engines["clean_host"]["containers"].keys() == {"solo-api-1", "solo-proxy-1"}
    # The role probed again after the cleanup; prove it once more from outside the role.
    for port in (18180, 18181):
        result = run_module("cors_preflight_probe", probe(port, count=60)).result
        assert (result["success_ratio"], result["verdict"]) == (1.0, "all_pass"), result


def test_verify_passes_on_the_reachable_hosts(fleet):
    run, out = _run(fleet, "fanout.docker.verify", "verify-after", hosts=REACHABLE)
    assert run.rc == 0, run
    assert statuses(out) == {"incident_host": "clean", "shared_host": "clean", "clean_host": "clean"}


def test_second_remediate_changes_nothing(fleet):
    run, out = _run(fleet, "fanout.docker.remediate", "remediate-again", hosts=REACHABLE)
    assert run.rc == 0, run
    assert {h: r["changed"] for h, r in recap(run.stdout).items()} == {"incident_host": 0, "shared_host": 0, "clean_host": 0, "localhost": 0}
