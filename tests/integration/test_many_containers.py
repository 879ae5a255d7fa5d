"""An engine holding hundreds of containers on tens of networks, aliases colliding everywhere:
the facts module's answer matches an independent reading of the engine, and its result and
memory stay bounded by the ambiguous names rather than by consumers x names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict

import docker
import pytest

from tests.helpers import ROOT, run_module
from tests.lab.population import Population

CROWD = Population(label="fanout.lab.crowd", prefix="crowd", subnet_octet=161)
SIZE, NETWORKS = 200, 20
RSS_BUDGET_MB = 150  # issue 7's budget, set for 1000 containers
RESULT_BUDGET_MB = 1.0  # the per-(consumer, name) result was 7.1 MB at this size


@pytest.fixture(scope="module")
def crowd(docker_host):
    api = docker.APIClient(base_url=docker_host, version="auto", timeout=300)
    try:
        CROWD.reconcile(api, SIZE, NETWORKS)
        yield api
    finally:
        CROWD.remove(api)
        api.close()


def _expected(api):
    """Every ambiguous name as {frozenset(backends): consumers}, read from the engine independently.

    A consumer gets more than one backend for a name exactly when its user-defined networks that
    know the name hold two or more containers for it together (round-robin on the first, or
    another container on a later one): no resolution order is needed to tell that. Consumers whose
    backends overlap share one record; disjoint backend sets are separate records."""
    containers = [api.inspect_container(c["Id"]) for c in api.containers()]
    user_networks = {n["Name"] for n in api.networks() if n["Name"] not in ("bridge", "host", "none")}
    registered = defaultdict(set)  # (network, name) -> containers
    joined = {}
    for c in containers:
        name = c["Name"].lstrip("/")
        endpoints = {net: s for net, s in c["NetworkSettings"]["Networks"].items() if net in user_networks and s.get("EndpointID")}
        joined[name] = set(endpoints)
        for net, settings in endpoints.items():
            for dns in {name, *(settings.get("Aliases") or []), *(settings.get("DNSNames") or [])}:
                registered[(net, dns.lower())].add(name)
    names_on = defaultdict(set)
    for net, dns in registered:
        names_on[net].add(dns)
    expected = defaultdict(list)  # name -> [(backends, consumers)], merged while they overlap
    for consumer, networks in joined.items():
        for dns in {d for net in networks for d in names_on[net]}:
            backends = set().union(*(registered.get((net, dns), set()) for net in networks))
            if len(backends) < 2:
                continue
            consumers = {consumer}
            for group in [g for g in expected[dns] if g[0] & backends]:
                expected[dns].remove(group)
                backends |= group[0]
                consumers |= group[1]
            expected[dns].append((backends, consumers))
    return {dns: {frozenset(b): c for b, c in groups} for dns, groups in expected.items()}


def test_hundreds_of_containers_answer_matches_the_engine(crowd, docker_host):
    run = run_module("docker_dns_ambiguity_facts", {"docker_host": docker_host}, timeout=600)
    assert run.rc == 0, run
    facts = run.result["ansible_facts"]["docker_dns_ambiguity"]
    assert facts["summary"]["containers"] >= SIZE and facts["summary"]["networks"] >= NETWORKS
    expected = _expected(crowd)
    assert {f"svc{i}" for i in range(25)} <= set(expected)  # the crowd really collides
    got = defaultdict(dict)
    for r in facts["ambiguous_names"]:
        got[r["name"]][frozenset(b["container"] for b in r["backends"])] = set(r["consumers"])
    assert dict(got) == expected
    # One record per name and group: the result does not repeat itself per consumer.
    assert len(facts["ambiguous_names"]) == sum(len(groups) for groups in expected.values())
    assert facts["summary"]["ambiguous_names"] == len(expected)
    for record in facts["ambiguous_names"]:
        orders = [facts["resolution_orders"][c] for c in record["consumers"]]
        assert all(orders), record["name"]


def test_hundreds_of_containers_within_memory_and_result_budget(crowd, docker_host, tmp_path):
    """The module as AnsiballZ runs it (its own process): peak RSS from /usr/bin/time."""
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"docker_host": docker_host}}))
    module = ROOT / "plugins" / "modules" / "docker_dns_ambiguity_facts.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "collections"))
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, str(module), str(args)], env=env, capture_output=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    result = json.loads(proc.stdout)
    assert result["ansible_facts"]["docker_dns_ambiguity"]["summary"]["containers"] >= SIZE
    rss_mb = int(proc.stderr.decode().rsplit("maxrss_kb=", 1)[1].split()[0]) / 1024
    result_mb = len(proc.stdout) / 1e6
    assert rss_mb < RSS_BUDGET_MB, f"peak RSS {rss_mb:.1f} MB"
    assert result_mb < RESULT_BUDGET_MB, f"result {result_mb:.2f} MB"
