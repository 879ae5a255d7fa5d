# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings -> the cleanup plan: which containers to stop and remove, which consumers to
disconnect from which networks, which networks to remove, and what to leave alone and why. Pure."""

from __future__ import annotations

from ._findings import stale_networks
from ._in_use import still_used
from ._keep import keeps_container, keeps_network
from ._resolver import names_by_network


def _reasons(evidence):
    return [f"{e['code']}: {e['detail']}" for e in evidence]


def plan_cleanup(topology, report, keep_rules, remove_unused_networks=False):
    """{containers, disconnects, networks, left_alone, undecided} from one analysis."""
    left_alone = []
    containers = []
    live_of = {}
    for record in report["ambiguous_names"]:
        for name in record["suspected_stale"]:
            live_of.setdefault(name, set()).update(record["live"])
        if record["verdict"] == "replicas":
            left_alone += [{"kind": "container", "name": n, "reason": f"replica of `{record['name']}`"} for n in record["live"]]
    for stale in report["suspected_stale_containers"]:
        container = topology.by_name[stale["name"]]
        kept_by = keeps_container(keep_rules, container)
        if kept_by:
            left_alone.append({"kind": "container", "name": stale["name"], "reason": f"matches keep entry {kept_by!r}"})
            continue
        containers.append(
            {
                "name": stale["name"],
                "id": stale["id"],
                "names": stale["names"],
                "live_side": sorted(live_of.get(stale["name"], ())),
                "reasons": _reasons(stale["evidence"]),
            }
        )
    # The evidence is about one name; a container still used in another way stays.
    planned_ids = {c["id"] for c in containers}
    index = names_by_network(topology)
    still = {c["name"]: still_used(topology, topology.by_name[c["name"]], planned_ids, index) for c in containers}
    for name, reasons in still.items():
        if reasons:
            left_alone.append({"kind": "container", "name": name, "reason": "still in use: " + "; ".join(reasons)})
    containers = [c for c in containers if not still[c["name"]]]
    removable = {c["name"] for c in containers}
    networks, kept_networks = stale_networks(topology, removable)
    disconnects, planned_networks = [], []
    for network in networks:
        if network["reason"] == "no_endpoints" and not remove_unused_networks:
            left_alone.append(
                {"kind": "network", "name": network["name"], "reason": "no endpoints, but remove_unused_networks is false: an empty network is not proof"}
            )
            continue
        kept_by = keeps_network(keep_rules, topology.network_by_name[network["name"]])
        if kept_by:
            left_alone.append({"kind": "network", "name": network["name"], "reason": f"matches keep entry {kept_by!r}"})
            continue
        # Removing the network means disconnecting its consumers: keep protects them from that too.
        kept_consumers = [(c, keeps_container(keep_rules, topology.by_name[c])) for c in network["consumers"]]
        kept_consumers = [f"{c} matches keep entry {k!r}" for c, k in kept_consumers if k]
        if kept_consumers:
            left_alone.append({"kind": "network", "name": network["name"], "reason": "; ".join(kept_consumers) + ": not disconnected, so the network stays"})
            continue
        planned_networks.append({**network, "reasons": [f"{network['reason']}: {network['detail']}"]})
        for consumer in network["consumers"]:
            disconnects.append(
                {
                    "container": consumer,
                    "container_id": topology.by_name[consumer]["id"],
                    "network": network["name"],
                    "network_id": network["id"],
                    "reasons": [f"{network['name']} only serves suspected-stale {', '.join(network['stale_members'])}"],
                }
            )
    for network in kept_networks:
        left_alone.append({"kind": "network", "name": network["name"], "reason": "; ".join(network["reasons"])})
    undecided = [r for r in report["ambiguous_names"] if r["verdict"] == "undecided"]
    for record in undecided:
        for backend in record["backends"]:
            left_alone.append({"kind": "container", "name": backend["container"], "reason": f"`{record['name']}` is undecided: {record['reason']}"})
    return {"containers": containers, "disconnects": disconnects, "networks": planned_networks, "left_alone": left_alone, "undecided": undecided}
