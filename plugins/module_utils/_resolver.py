# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Topology + consumer -> what Docker's embedded DNS (127.0.0.11) answers for each name. Pure.

How the engine answers (libnetwork's Sandbox.ResolveName): it walks the consumer's endpoints in
the sandbox's sort order (higher gateway priority first, internal networks last, then network
name) and answers from the FIRST network that knows the name, with every container registered
for it there (shuffled). Names on later networks are shadowed: not answered today, answered
as soon as the earlier network goes away.
"""

from __future__ import annotations

from collections import defaultdict

from ._topology import network_has_dns

ROUND_ROBIN = "round_robin"
SHADOWED = "shadowed"


def names_by_network(topology):
    """{network name: {dns name: [container ids]}} for every network that has embedded DNS."""
    index = defaultdict(lambda: defaultdict(list))
    for container in topology.containers:
        for endpoint in container["networks"]:
            for dns in endpoint["dns_names"]:
                index[endpoint["network"]][dns["name"]].append(container["id"])
    return index


def resolution_order(topology, container):
    """The consumer's DNS-capable networks in the order the embedded DNS tries them."""
    endpoints = []
    for endpoint in topology.endpoints_of(container):
        network = topology.network_by_name.get(endpoint["network"])
        if network is None or not network_has_dns(network) or not endpoint["endpoint_id"]:
            continue
        endpoints.append((network["internal"], -endpoint["priority"], endpoint["network"]))
    return [name for _internal, _priority, name in sorted(endpoints)]


def _shared_names_only(index):
    """The index without names only one container registers: those can never be ambiguous, and
    they are most names (every container answers its own name)."""
    registrants = defaultdict(set)
    for names in index.values():
        for name, ids in names.items():
            registrants[name].update(ids)
    shared = {name for name, ids in registrants.items() if len(ids) > 1}
    return {network: {n: ids for n, ids in names.items() if n in shared} for network, names in index.items()}


def _answers_for_order(order, index):
    """{name: [(network, ids), ...]} over every network of the order that knows the name."""
    seen = {}
    for network in order:
        for name, ids in index.get(network, {}).items():
            seen.setdefault(name, []).append((network, ids))
    return seen


def _ambiguity(per_network):
    """The kinds of ambiguity of one name for one resolution order, or () when unambiguous."""
    answering = set(per_network[0][1])
    kinds = []
    if len(answering) > 1:
        kinds.append(ROUND_ROBIN)
    if any(set(ids) - answering for _network, ids in per_network[1:]):
        kinds.append(SHADOWED)
    return kinds


def answer_views(topology, consumers, names=None, only_ambiguous=True):
    """One view per (resolution order, name): what the embedded DNS answers every consumer with
    that order, and why it is ambiguous.

    The answers depend only on the order, so the cost grows with distinct orders x names, and
    the result never repeats itself per consumer.
    """
    index = names_by_network(topology)
    if only_ambiguous:
        index = _shared_names_only(index)
    wanted = {n.lower() for n in names} if names else None
    by_order = {}
    for consumer in consumers:
        by_order.setdefault(tuple(resolution_order(topology, consumer)), []).append(consumer)
    views = []
    for order, members in by_order.items():
        if not order:
            continue
        for name, per_network in _answers_for_order(order, index).items():
            if wanted is not None and name not in wanted:
                continue
            kinds = _ambiguity(per_network)
            if only_ambiguous and not kinds:
                continue
            views.append({"name": name, "order": order, "kinds": kinds, "per_network": per_network, "consumers": members})
    views.sort(key=lambda v: (v["name"], v["order"]))
    return views


def answer_sets(topology, consumers, names=None, only_ambiguous=True):
    """One entry per (consumer, name): the views of answer_views, spelled out per consumer."""
    entries = [answer_entry(topology, consumer, view) for view in answer_views(topology, consumers, names, only_ambiguous) for consumer in view["consumers"]]
    entries.sort(key=lambda e: (e["consumer"], e["name"]))
    return entries


def view_backend_ids(view):
    return sorted({cid for _network, ids in view["per_network"] for cid in ids})


def _names(topology, ids):
    return sorted(topology.by_id[cid]["name"] for cid in set(ids))


def answer_entry(topology, consumer, view):
    """What the embedded DNS answers one consumer of the view."""
    per_network = view["per_network"]
    return {
        "consumer": consumer["name"],
        "name": view["name"],
        "kinds": view["kinds"],
        "resolution_order": list(view["order"]),
        "answered_from": per_network[0][0],
        "answers": _names(topology, per_network[0][1]),
        "networks": [{"network": network, "answers": _names(topology, ids)} for network, ids in per_network],
        "backend_ids": view_backend_ids(view),
    }
