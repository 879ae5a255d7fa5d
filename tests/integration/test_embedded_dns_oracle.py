"""The model against the real thing: what the facts module says Docker's embedded DNS answers is
what `nslookup <name> 127.0.0.11` inside each consumer gets, on the lab scenarios and on a consumer
joined to three networks in reverse name order (restarted, so the engine re-joins them in its own
order)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_module
from tests.lab import scenarios

ORACLE_SCENARIOS = ["incident", "shadowed", "shared", "neighbours"]
ORDER = "dns-order"  # label of the three-network case's objects
_ADDRESS = re.compile(r"^Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)$", re.M)


def embedded_dns_answers(api, container, name):
    """The IPv4 addresses 127.0.0.11 answers for ``name`` inside ``container``, sorted."""
    run = api.exec_create(container, ["nslookup", "-type=a", name, "127.0.0.11"])
    output = api.exec_start(run["Id"]).decode(errors="replace")
    return sorted(address for address in _ADDRESS.findall(output) if address != "127.0.0.11")


def _ips(containers, names, network):
    by_name = {c["name"]: c for c in containers}
    return sorted(e["ip"] for name in names for e in by_name[name]["networks"] if e["network"] == network)


def _facts(consumers):
    run = run_module("docker_dns_ambiguity_facts", {"consumers": consumers, "verbose_output": True})
    assert run.rc == 0, run
    return run.result["ansible_facts"]["docker_dns_ambiguity"]


def _every_visible_name(facts, consumer):
    """(name, network that answers, backends there) for every name the consumer can resolve, by the
    module's resolution order and the names each container registers per network."""
    registered = {}
    for container in facts["containers"]:
        for endpoint in container["networks"]:
            for dns in endpoint["dns_names"]:
                if dns["source"] != "short_id":
                    registered.setdefault((endpoint["network"], dns["name"].lower()), []).append(container["name"])
    answers = {}
    for network in facts["resolution_orders"].get(consumer, []):
        for (net, name), backends in registered.items():
            if net == network and name not in answers:
                answers[name] = (network, sorted(backends))
    return answers


def _mismatches(api, facts, consumers):
    wrong = []
    for consumer in consumers:
        for name, (network, backends) in sorted(_every_visible_name(facts, consumer).items()):
            expected = _ips(facts["containers"], backends, network)
            actual = embedded_dns_answers(api, consumer, name)
            if actual != expected:
                wrong.append(f"{consumer} -> {name}: module {expected} from {network} ({backends}), embedded DNS {actual}")
    return wrong


@pytest.fixture(scope="module")
def oracle_lab(lab):
    return {name: lab(name) for name in ORACLE_SCENARIOS}


def test_every_ambiguous_finding_is_what_the_embedded_dns_answers(oracle_lab, docker_host):
    api = scenarios.connect(docker_host)
    consumers = sorted(c for info in oracle_lab.values() for c in info["containers"])
    facts = _facts(consumers)
    checked = []
    for finding in facts["findings"]:
        expected = _ips(facts["containers"], finding["answers"], finding["answered_from"])
        assert embedded_dns_answers(api, finding["consumer"], finding["name"]) == expected, finding
        checked.append((finding["consumer"], finding["name"], len(expected)))
    # Round-robin answers (two backends) and shadowed ones (one answer, the other network unheard) were both met.
    assert ("app-proxy-1", "api", 2) in checked and ("sh-proxy-1", "api", 1) in checked, checked
    assert ("edge-proxy-1", "api", 2) in checked and ("north-gw", "api", 2) in checked, checked


def test_every_name_every_consumer_resolves_matches_the_embedded_dns(oracle_lab, docker_host):
    api = scenarios.connect(docker_host)
    consumers = sorted(c for info in oracle_lab.values() for c in info["containers"])
    facts = _facts(consumers)
    assert sum(len(_every_visible_name(facts, c)) for c in consumers) >= 50  # the check covers real ground
    assert _mismatches(api, facts, consumers) == []


@pytest.fixture
def three_networks(docker_host):
    """`api` registered by one container on dns_b and another on dns_c; consumers join dns_c,
    dns_b, dns_a in that order (reverse of the sort) and dns_a, dns_b, dns_c."""
    api = scenarios.connect(docker_host)
    scenarios.down(ORDER, docker_host)
    labels = {scenarios.LABEL: ORDER}
    try:
        for net in ("dns_a", "dns_b", "dns_c"):
            api.create_network(net, driver="bridge", labels=labels)

        def start(name, networks):
            first, first_aliases = networks[0]
            config = api.create_networking_config({first: api.create_endpoint_config(aliases=first_aliases)})
            container = api.create_container(scenarios.BASE_IMAGE, command=["sleep", "600"], name=name, labels=labels, networking_config=config)
            for net, aliases in networks[1:]:
                api.connect_container_to_network(container["Id"], net, aliases=aliases)
            api.start(container["Id"])

        start("dns-api-b", [("dns_b", ["api"])])
        start("dns-api-c", [("dns_c", ["api"])])
        start("dns-reverse", [("dns_c", []), ("dns_b", []), ("dns_a", [])])
        start("dns-forward", [("dns_a", []), ("dns_b", []), ("dns_c", [])])
        yield api
    finally:
        scenarios.down(ORDER, docker_host)


def test_three_networks_in_any_join_order_answer_from_the_first_in_sort_order(three_networks):
    api = three_networks
    consumers = ["dns-reverse", "dns-forward"]
    for attempt in ("as joined", "after a restart"):
        facts = _facts(consumers)
        assert {c: facts["resolution_orders"][c] for c in consumers} == {c: ["dns_a", "dns_b", "dns_c"] for c in consumers}, attempt
        [record] = [r for r in facts["ambiguous_names"] if r["name"] == "api"]
        assert record["kinds"] == ["shadowed"], record
        live_b = _ips(facts["containers"], ["dns-api-b"], "dns_b")
        for consumer in consumers:
            assert embedded_dns_answers(api, consumer, "api") == live_b, (attempt, consumer)
        assert _mismatches(api, facts, consumers) == [], attempt
        for consumer in consumers:
            api.restart(consumer, timeout=0)
