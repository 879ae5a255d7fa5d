# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signs that a suspected-stale container is still used for something other than the ambiguous
name: evidence about one name never licenses breaking another use. Pure."""

from __future__ import annotations

from ._resolver import names_by_network, resolution_order

# Names that only ever point at this very container: losing them is the point of removing it.
_OWN_NAME_SOURCES = ("container_name", "short_id")


def still_used(topology, container, removable_ids, index=None):
    """Why removing ``container`` would break something, as sentences; empty when nothing does.
    ``removable_ids`` are the containers planned to go with it (they answer nothing afterwards)."""
    index = names_by_network(topology) if index is None else index
    reasons = []
    if container.get("published"):
        reasons.append(f"it publishes {', '.join(container['published'])}: used from outside Docker's DNS")
    for other in topology.containers:
        mode = other.get("network_mode") or ""
        if other["id"] != container["id"] and mode in (f"container:{container['id']}", f"container:{container['name']}"):
            reasons.append(f"{other['name']} runs in its network namespace (network_mode container)")
    reasons += _sole_answers(topology, container, removable_ids, index)
    return reasons


def _sole_answers(topology, container, removable_ids, index):
    """Names it registers that some neighbour resolves and nobody staying would answer."""
    # Each staying container's resolution order, computed once for every name and network below.
    orders = {c["name"]: resolution_order(topology, c) for c in topology.containers if c["id"] not in removable_ids and c["running"]}
    reasons = []
    for endpoint in container["networks"]:
        names = [d["name"] for d in endpoint["dns_names"] if d["source"] not in _OWN_NAME_SOURCES]
        neighbours = [name for name, order in orders.items() if endpoint["network"] in order]
        for name in names:
            stranded = [n for n in neighbours if not _answered_elsewhere(orders[n], name, removable_ids, index)]
            if stranded:
                reasons.append(f"it is the only answer to `{name}` for {', '.join(stranded)} (on {endpoint['network']})")
    return reasons


def _answered_elsewhere(order, name, removable_ids, index):
    return any(cid not in removable_ids for network in order for cid in index.get(network, {}).get(name, []))
