# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Topology -> findings: every ambiguous (consumer, name) with its verdict, the collisions once
each, the containers suspected stale and the networks that only serve them. Pure."""

from __future__ import annotations

from ._report import finding_lines
from ._resolver import ROUND_ROBIN, SHADOWED, answer_sets, resolution_order
from ._verdict import COLLISION, REPLICAS, UNDECIDED, judge


class NotFoundError(ValueError):
    """A consumer or name the user asked for does not exist on the host."""


def select_consumers(topology, refs=None):
    """The named containers, or every running container when no names are given."""
    if not refs:
        return [c for c in topology.containers if c["running"]]
    found, missing = [], []
    for ref in refs:
        container = topology.find_container(ref)
        (found if container else missing).append(container or ref)
    if missing:
        raise NotFoundError(f"consumers: no container named {', '.join(repr(m) for m in missing)} on this host")
    return found


def check_names_exist(topology, names):
    """Fail on names no container answers anywhere: a typo must not look like a clean host."""
    known = {d["name"] for c in topology.containers for e in c["networks"] for d in e["dns_names"]}
    missing = [n for n in names if n.lower() not in known]
    if missing:
        raise NotFoundError(f"names: no container answers {', '.join(repr(m) for m in missing)} on any network of this host")


def _verdict_key(topology, entry, consumer):
    # The verdict depends on the consumer only through its compose project (when it is not
    # itself one of the backends), so consumers that share it share the work.
    project = None if consumer["id"] in entry["backend_ids"] else consumer["compose"]["project"]
    return (entry["name"], tuple(entry["backend_ids"]), project)


def _ambiguous_names(findings):
    """One record per (name, backend set), with every consumer that sees it."""
    records = {}
    for finding in findings:
        key = (finding["name"], tuple(sorted(b["id"] for b in finding["backends"])))
        record = records.get(key)
        if record is None:
            records[key] = {
                "name": finding["name"],
                "kinds": list(finding["kinds"]),
                "verdict": finding["verdict"],
                "reason": finding["reason"],
                "backends": [dict(b) for b in finding["backends"]],
                "suspected_stale": finding["suspected_stale"],
                "live": finding["live"],
                "consumers": [finding["consumer"]],
            }
            continue
        record["consumers"].append(finding["consumer"])
        for backend, seen in zip(record["backends"], finding["backends"]):
            backend["evidence"] = backend["evidence"] + [e for e in seen["evidence"] if e not in backend["evidence"]]
        record["kinds"] = sorted(set(record["kinds"]) | set(finding["kinds"]))
        if (record["verdict"], record["suspected_stale"]) != (finding["verdict"], finding["suspected_stale"]):
            # Consumers that see the same backends but judge them differently: do not guess.
            record.update(verdict=UNDECIDED, reason="consumers of this name disagree on which side is stale", suspected_stale=[], live=[])
            for backend in record["backends"]:
                backend["role"] = UNDECIDED
    for record in records.values():
        # Consumers outside the collision (the proxy) first: they are the ones users go through.
        backends = {b["container"] for b in record["backends"]}
        record["consumers"].sort(key=lambda name: (name in backends, name))
    return sorted(records.values(), key=lambda r: (r["name"], r["consumers"]))


def _suspected_stale(topology, records):
    """Containers some collision calls stale and no record calls live or undecided."""
    protected = set()
    stale = {}
    for record in records:
        for backend in record["backends"]:
            if backend["role"] == "suspected_stale":
                entry = stale.setdefault(backend["container"], {"name": backend["container"], "id": backend["id"], "names": [], "evidence": []})
                entry["names"].append(record["name"])
                for item in backend["evidence"]:
                    if item not in entry["evidence"]:
                        entry["evidence"].append(item)
            else:
                protected.add(backend["container"])
    return [stale[name] for name in sorted(stale) if name not in protected]


def stale_networks(topology, stale_names):
    """Networks with no endpoints, or whose only endpoints are suspected-stale containers plus
    live containers that lose nothing by leaving it (see the checks below)."""
    stale, kept = [], []
    for network in topology.networks:
        if network["default"] or network["scope"] != "local" or network["driver"] in ("host", "null"):
            continue
        members = [topology.by_name[m] for m in network["containers"] if m in topology.by_name]
        if not members:
            referenced = [c["name"] for c in topology.containers if any(e["network"] == network["name"] for e in c["networks"])]
            if not referenced:
                stale.append(_network_record(network, "no_endpoints", "no container is attached", [], []))
            continue
        stale_members = [m["name"] for m in members if m["name"] in stale_names]
        if not stale_members:
            continue
        live = [m for m in members if m["name"] not in stale_names]
        shared_by_live, blockers = _disconnect_blockers(topology, network["name"], live)
        if shared_by_live:
            continue  # live containers talk through it: a live network that merely holds a stale one
        if blockers:
            kept.append({"name": network["name"], "id": network["id"], "stale_members": stale_members, "reasons": blockers})
            continue
        detail = f"only suspected-stale {', '.join(stale_members)}" + (f" and consumers {', '.join(m['name'] for m in live)}" if live else "")
        stale.append(_network_record(network, "only_stale_and_consumers", detail, stale_members, [m["name"] for m in live]))
    return stale, kept


def _disconnect_blockers(topology, network_name, live):
    """(live pairs that talk only through the network, other reasons why disconnecting these
    live containers from it could hurt them)."""
    reasons = []
    others = {}
    for container in live:
        order = resolution_order(topology, container)
        remaining = [n for n in order if n != network_name]
        others[container["name"]] = set(remaining)
        if not remaining:
            reasons.append(f"{container['name']} has no other network with DNS")
        gateway = next((n for n in order if not topology.network_by_name[n]["internal"]), None)
        if gateway == network_name:
            reasons.append(f"it is the gateway network of {container['name']} (published ports and default route)")
    names = sorted(others)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if not others[a] & others[b]]
    return pairs, reasons


def _network_record(network, reason, detail, stale_members, consumers):
    return {
        "name": network["name"],
        "id": network["id"],
        "reason": reason,
        "detail": detail,
        "stale_members": stale_members,
        "consumers": consumers,
    }


def analyse(topology, consumer_refs=None, names=None):
    """Everything the facts module reports and the cleanup module plans from."""
    consumers = select_consumers(topology, consumer_refs)
    if names:
        check_names_exist(topology, names)
    cache = {}
    findings = []
    by_name = {c["name"]: c for c in consumers}
    for entry in answer_sets(topology, consumers, names):
        consumer = by_name[entry["consumer"]]
        key = _verdict_key(topology, entry, consumer)
        if key not in cache:
            cache[key] = judge(topology, consumer, entry["name"], entry["backend_ids"])
        finding = {k: v for k, v in entry.items() if k != "backend_ids"}
        finding.update(cache[key])
        findings.append(finding)
    records = _ambiguous_names(findings)
    # The evidence now lives once per ambiguous name; each (consumer, name) keeps only who
    # answers and in which role. At a thousand containers this is most of the result's size.
    for finding in findings:
        finding["backends"] = [{"container": b["container"], "role": b["role"]} for b in finding["backends"]]
    stale_containers = _suspected_stale(topology, records)
    stale_nets, kept_networks = stale_networks(topology, {c["name"] for c in stale_containers})
    report = {
        "findings": findings,
        "ambiguous_names": records,
        "suspected_stale_containers": stale_containers,
        "stale_networks": stale_nets,
        "networks_kept": kept_networks,
        "summary": {
            "containers": len(topology.containers),
            "networks": len(topology.networks),
            "consumers": len(consumers),
            "ambiguous_names": len(records),
            "round_robin": sum(1 for r in records if ROUND_ROBIN in r["kinds"]),
            "shadowed": sum(1 for r in records if SHADOWED in r["kinds"]),
            "replicas": sum(1 for r in records if r["verdict"] == REPLICAS),
            "collisions": sum(1 for r in records if r["verdict"] == COLLISION),
            "undecided": sum(1 for r in records if r["verdict"] == UNDECIDED),
            "suspected_stale_containers": len(stale_containers),
            "stale_networks": len(stale_nets),
        },
    }
    report["messages"] = finding_lines(report)
    return report
