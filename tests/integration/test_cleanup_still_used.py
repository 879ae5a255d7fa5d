"""The evidence about one name never licenses breaking another use. On the lab's incident stack,
with one more use of the stale side added each time (found by a fresh-user review, where every
one of these was removed or cut off and verify still said clean): the cleanup leaves that part
alone, says why, and the other use still works afterwards."""

from __future__ import annotations

import pytest

from tests.helpers import run_module
from tests.integration.test_embedded_dns_oracle import embedded_dns_answers
from tests.lab import scenarios

EXTRA = "still-used"  # label of the objects each test adds to the incident
LIVE = ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"]


@pytest.fixture
def incident(lab, docker_host):
    lab("incident")
    api = scenarios.connect(docker_host)
    scenarios.down(EXTRA, docker_host)
    yield api
    # Extra containers first (they sit on incident's networks), then incident (its stale api may
    # sit on an extra network), then the extra networks.
    for container in api.containers(all=True, filters={"label": f"{scenarios.LABEL}={EXTRA}"}):
        api.remove_container(container["Id"], force=True)
    scenarios.down("incident", docker_host)  # every test here changes it
    scenarios.down(EXTRA, docker_host)


def _add(api, name, networks, start=True, **host_config):
    """A container of the extra set on networks [(network, aliases)], joined in that order."""
    labels = {scenarios.LABEL: EXTRA}
    config = None
    if networks:
        first, aliases = networks[0]
        config = api.create_networking_config({first: api.create_endpoint_config(aliases=aliases)})
    container = api.create_container(
        scenarios.BASE_IMAGE,
        command=["sleep", "600"],
        name=name,
        labels=labels,
        networking_config=config,
        host_config=api.create_host_config(**host_config) if host_config else None,
    )
    for network, aliases in networks[1:]:
        api.connect_container_to_network(container["Id"], network, aliases=aliases)
    if start:
        api.start(container["Id"])
    return container["Id"]


def _cleanup(consumers, **args):
    run = run_module("docker_stale_cleanup", {"consumers": consumers, "stop_timeout": 2, **args})
    assert run.rc == 0, run
    done = [(a["action"], a["target"]) for a in run.result["actions"] if a["status"] == "done"]
    return run.result, done


def _left(result, name):
    return [item["reason"] for item in result["left_alone"] if item["name"] == name]


def _containers(api):
    return {c["Names"][0].lstrip("/") for c in api.containers(all=True)}


def test_the_only_answer_to_another_name_is_kept(incident):
    api = incident
    api.create_network("su_reports", labels={scenarios.LABEL: EXTRA})
    api.connect_container_to_network("app_old-api-1", "su_reports", aliases=["reports"])
    _add(api, "su-web", [("su_reports", [])])
    assert embedded_dns_answers(api, "su-web", "reports")
    result, done = _cleanup([*LIVE, "su-web"])
    assert done == [] and result["changed"] is False
    [reason] = _left(result, "app_old-api-1")
    assert reason == "still in use: it is the only answer to `reports` for su-web (on su_reports)"
    assert "app_old-api-1" in _containers(api) and embedded_dns_answers(api, "su-web", "reports")


def test_a_container_sharing_its_network_namespace_keeps_it(incident):
    api = incident
    _add(api, "su-sidecar", [], network_mode="container:app_old-api-1")
    result, done = _cleanup(LIVE)
    assert done == []
    assert _left(result, "app_old-api-1") == ["still in use: su-sidecar runs in its network namespace (network_mode container)"]
    assert {"app_old-api-1", "su-sidecar"} <= _containers(api)


def test_live_pair_talking_by_an_alias_only_on_the_stale_network_keeps_it(incident):
    api = incident
    _add(api, "su-prom", [("app_net", []), ("app_net_old", [])])
    _add(api, "su-exporter", [("app_net", []), ("app_net_old", ["exporter"])])
    before = embedded_dns_answers(api, "su-prom", "exporter")
    assert before
    result, done = _cleanup([*LIVE, "su-prom", "su-exporter"])
    # The stale api goes; the network stays with both of them on it.
    assert done == [("stop_container", "app_old-api-1"), ("remove_container", "app_old-api-1")]
    assert _left(result, "app_net_old") == [
        "app-proxy-1 resolves `exporter` (su-exporter) only through it; su-prom resolves `exporter` (su-exporter) only through it"
    ]
    assert embedded_dns_answers(api, "su-prom", "exporter") == before
    assert scenarios.snapshot(scenario=EXTRA)["containers"]["su-prom"]["networks"] == ["app_net", "app_net_old"]


def test_a_stopped_container_configured_on_the_stale_network_keeps_it(incident):
    api = incident
    _add(api, "su-cron", [("app_net_old", [])], start=False)
    result, done = _cleanup(LIVE)
    assert done == [("stop_container", "app_old-api-1"), ("remove_container", "app_old-api-1")]
    assert _left(result, "app_net_old") == ["stopped container su-cron is configured on it and could not start without it"]
    api.start("su-cron")  # it still can
    assert api.inspect_container("su-cron")["State"]["Running"] is True


def test_keep_protects_a_consumer_from_being_disconnected(incident):
    api = incident
    result, done = _cleanup(LIVE, keep=["name:app-proxy-1"])
    assert done == [("stop_container", "app_old-api-1"), ("remove_container", "app_old-api-1")]
    assert _left(result, "app_net_old") == ["app-proxy-1 matches keep entry 'name:app-proxy-1': not disconnected, so the network stays"]
    assert set(api.inspect_container("app-proxy-1")["NetworkSettings"]["Networks"]) == {"app_net", "app_net_old"}
