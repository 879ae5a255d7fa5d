"""A crowd on a real engine: N running containers on M user-defined networks, 1-3 networks each,
aliases `svcK` shared across containers, compose labels that make both replicas and collisions.

Built in stages (1000/40 -> 500/40 -> 200/20 -> 50/10: containers 0..N-1 only ever use networks
0..M-1 of their stage), so one population serves every size and shrinking it only removes.
Networks get explicit subnets (10.<octet>.J.0/24): the engine's default pools run out after
about 30 bridge networks. Every object carries the population's label. Used by the facts
benchmark (benchmarks/bench_facts.py) and by the many-containers test.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import docker

IMAGE = "fanout-lab/caddy:base"
STAGES = [(50, 10), (200, 20), (500, 40), (1000, 40)]
SERVICES = 25  # alias svc0..svc24: about N/25 containers answer each one


@dataclass(frozen=True)
class Population:
    label: str  # every object carries label=1
    prefix: str  # container <prefix>-cNNNN, network <prefix>-nNN
    subnet_octet: int  # networks 10.<octet>.J.0/24

    def network_name(self, j):
        return f"{self.prefix}-n{j:02d}"

    def container_spec(self, index):
        """Deterministic: name, networks (indexes), alias, labels."""
        _n, m = stage_of(index)
        rng = random.Random(index)
        networks = sorted(rng.sample(range(m), rng.choice((1, 2, 3))))
        service = f"svc{index % SERVICES}"
        project = f"proj{(index // SERVICES) % 4}"  # several projects per service: collisions; same project: replicas
        labels = {
            self.label: "1",
            f"{self.label}.spec": f"{m}",
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.config-hash": f"h{index % 2}",
            "com.docker.compose.container-number": str(index),
        }
        return {"name": f"{self.prefix}-c{index:04d}", "networks": networks, "alias": service, "labels": labels}

    def reconcile(self, api, n, m, workers=8):
        """Make the engine hold exactly containers 0..n-1 and networks 0..m-1, all running.
        Returns (created, removed, seconds)."""
        started = time.perf_counter()
        existing = {c["Names"][0].lstrip("/"): c for c in api.containers(all=True, filters={"label": f"{self.label}=1"})}
        wanted = {self.container_spec(i)["name"]: self.container_spec(i) for i in range(n)}
        spec_key = f"{self.label}.spec"
        doomed = [c["Id"] for name, c in existing.items() if name not in wanted or c["Labels"].get(spec_key) != wanted[name]["labels"][spec_key]]
        doomed_ids = set(doomed)
        stopped = [c["Id"] for c in existing.values() if c["Id"] not in doomed_ids and c["State"] != "running"]
        with ThreadPoolExecutor(workers) as pool:  # an engine restart stops them; starting is cheaper than re-creating
            list(pool.map(lambda cid: _start_quietly(api, cid), stopped))
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda cid: api.remove_container(cid, force=True), doomed))
        kept = {name for name, c in existing.items() if c["Id"] not in doomed_ids}
        nets = {net["Name"]: net for net in api.networks(filters={"label": f"{self.label}=1"})}
        for name, net in nets.items():
            if name not in {self.network_name(j) for j in range(m)}:
                api.remove_network(net["Id"])
        for j in range(m):
            if self.network_name(j) not in nets:
                ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=f"10.{self.subnet_octet}.{j}.0/24")])
                api.create_network(self.network_name(j), driver="bridge", ipam=ipam, labels={self.label: "1"})
        missing = [spec for name, spec in wanted.items() if name not in kept]
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda spec: self._create(api, spec), missing))
        return len(missing), len(doomed), time.perf_counter() - started

    def _create(self, api, spec):
        first, *rest = spec["networks"]
        config = api.create_networking_config({self.network_name(first): api.create_endpoint_config(aliases=[spec["alias"]])})
        cid = api.create_container(
            IMAGE,
            command=["sleep", "1000000"],
            name=spec["name"],
            labels=spec["labels"],
            networking_config=config,
            host_config=api.create_host_config(network_mode=self.network_name(first)),
        )["Id"]
        for j in rest:
            api.connect_container_to_network(cid, self.network_name(j), aliases=[spec["alias"]])
        api.start(cid)

    def remove(self, api, workers=8):
        ids = [c["Id"] for c in api.containers(all=True, filters={"label": f"{self.label}=1"})]
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda cid: api.remove_container(cid, force=True), ids))
        for net in api.networks(filters={"label": f"{self.label}=1"}):
            api.remove_network(net["Id"])


def stage_of(index):
    for n, m in STAGES:
        if index < n:
            return n, m
    raise ValueError(index)


def _start_quietly(api, cid):
    try:
        api.start(cid)
    except docker.errors.APIError as exc:  # the engine may be re-attaching it right now
        if "already" not in str(exc):
            raise
