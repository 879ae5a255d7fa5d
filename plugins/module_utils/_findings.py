# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Topology -> findings: every ambiguous name once per group of backends that its consumers link
(unrelated services that share a name are apart), with its verdict, its backends and every
consumer it reaches; the containers suspected stale and the networks that only serve them. Pure."""

from __future__ import annotations

from ._report import finding_lines
from ._resolver import ROUND_ROBIN, SHADOWED, answer_entry, answer_views, resolution_order, view_backend_ids
from ._verdict import COLLISION, LIVE, REPLICA, REPLICAS, SUSPECTED_STALE, UNDECIDED, judge


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


def _consumer_projects(consumers, backend_ids):
    """The compose projects the verdict must be judged from. The verdict depends on a consumer
    only through its project, and only when it is not itself one of the backends (None)."""
    projects = {None if c["id"] in backend_ids else c["compose"]["project"] for c in consumers}
    return sorted(projects, key=lambda p: (p is not None, p or ""))


def _merge_evidence(evidence, more):
    """One entry per code: what several consumer projects found under one code is one finding."""
    merged = [dict(e) for e in evidence]
    by_code = {e["code"]: e for e in merged}
    for item in more:
        known = by_code.get(item["code"])
        if known is None:
            by_code[item["code"]] = dict(item)
            merged.append(by_code[item["code"]])
        elif item["detail"] not in known["detail"].split("; "):
            known["detail"] += "; " + item["detail"]
    return merged


def _merge(judgements):
    """One verdict from the judgements of every consumer project; undecided when they disagree."""
    first = judgements[0]
    merged = dict(first, backends=[dict(b) for b in first["backends"]])
    agree = True
    for other in judgements[1:]:
        for backend, seen in zip(merged["backends"], other["backends"]):
            backend["evidence"] = _merge_evidence(backend["evidence"], seen["evidence"])
        agree = agree and (merged["verdict"], merged["suspected_stale"]) == (other["verdict"], other["suspected_stale"])
    if not agree:
        # Consumers that get the same backends but judge them differently: do not guess.
        _undecide(merged, "consumers of this name disagree on which side is stale")
    return merged


def _undecide(record, reason):
    record.update(verdict=UNDECIDED, reason=reason, suspected_stale=[], live=[])
    for backend in record["backends"]:
        backend["role"] = UNDECIDED


def _undecide_if_consumers_stranded(record, views, topology):
    """Undecided when a consumer would be left with no live backend for the name: the record
    judges every backend its consumers reach, but each consumer only gets its own share."""
    stale = set(record["suspected_stale"])
    live = set(record["live"])
    stranded = []
    for view in views:
        answers = {topology.by_id[cid]["name"] for cid in view_backend_ids(view)}
        if answers & stale and not answers & live:
            stranded += [c["name"] for c in view["consumers"]]
    if stranded:
        _undecide(record, f"judged together the sides look like a collision, but {', '.join(sorted(stranded))} would be left with no live backend")


def _name_record(topology, name, views):
    """One ambiguous name for the consumers of views that share backends: every backend they
    reach, judged once per consumer project, the consumers, and where the name is registered."""
    backend_ids = sorted({cid for view in views for cid in view_backend_ids(view)})
    consumers = {c["name"]: c for view in views for c in view["consumers"]}
    projects = _consumer_projects(consumers.values(), set(backend_ids))
    record = {"name": name, "kinds": sorted({k for view in views for k in view["kinds"]})}
    record.update(_merge([judge(topology, project, name, backend_ids) for project in projects]))
    _undecide_if_consumers_stranded(record, views, topology)
    backend_names = {b["container"] for b in record["backends"]}
    # Consumers outside the collision (the proxy) first: they are the ones users go through.
    record["consumers"] = sorted(consumers, key=lambda n: (n in backend_names, n))
    registered = {}
    for view in views:
        for network, ids in view["per_network"]:
            registered.setdefault(network, ids)
    record["networks"] = [
        {"network": network, "answers": sorted({topology.by_id[cid]["name"] for cid in registered[network]})} for network in sorted(registered)
    ]
    return record


def _linked_views(views):
    """The views of one name in groups that share backends (transitively). Backends that no chain
    of consumers links are unrelated services that happen to share a name (two projects, each
    with its own `api`): never rival generations of one service."""
    group_of = {}  # backend id -> its group's representative id

    def root(cid):
        while group_of.setdefault(cid, cid) != cid:
            cid = group_of[cid]
        return cid

    for view in views:
        first, *rest = view_backend_ids(view)
        for cid in rest:
            group_of[root(cid)] = root(first)
    groups = {}
    for view in views:
        groups.setdefault(root(view_backend_ids(view)[0]), []).append(view)
    return list(groups.values())


def _name_records(topology, views):
    """(records, {id(view): its record}): one record per name and group of linked backends."""
    by_name = {}
    for view in views:
        by_name.setdefault(view["name"], []).append(view)
    records, record_of_view = [], {}
    for name, named_views in by_name.items():
        for group in _linked_views(named_views):
            record = _name_record(topology, name, group)
            records.append(record)
            record_of_view.update((id(view), record) for view in group)
    records.sort(key=lambda r: (r["name"], [b["container"] for b in r["backends"]]))
    return records, record_of_view


def _per_consumer_findings(topology, views, record_of_view):
    """One finding per (consumer, name): the verbose form, which grows with consumers x names."""
    findings = []
    for view in views:
        record = record_of_view[id(view)]
        ids = set(view_backend_ids(view))
        backends = [{"container": b["container"], "role": b["role"]} for b in record["backends"] if b["id"] in ids]
        for consumer in view["consumers"]:
            finding = answer_entry(topology, consumer, view)
            del finding["backend_ids"]
            finding.update(
                verdict=record["verdict"],
                reason=record["reason"],
                backends=[dict(b) for b in backends],
                suspected_stale=[b["container"] for b in backends if b["role"] == SUSPECTED_STALE],
                live=[b["container"] for b in backends if b["role"] in (LIVE, REPLICA)],
            )
            findings.append(finding)
    findings.sort(key=lambda f: (f["consumer"], f["name"]))
    return findings


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
            if not _configured_on(topology, network["name"]):
                stale.append(_network_record(network, "no_endpoints", "no container is attached", [], []))
            continue
        stale_members = [m["name"] for m in members if m["name"] in stale_names]
        if not stale_members:
            continue
        live = [m for m in members if m["name"] not in stale_names]
        shared_by_live, blockers = _disconnect_blockers(topology, network["name"], live)
        # A stopped container configured on it could never start again once it is gone.
        member_names = {m["name"] for m in members}
        blockers += [
            f"stopped container {name} is configured on it and could not start without it"
            for name in _configured_on(topology, network["name"])
            if name not in member_names and name not in stale_names
        ]
        if shared_by_live:
            continue  # live containers talk through it: a live network that merely holds a stale one
        if blockers:
            kept.append({"name": network["name"], "id": network["id"], "stale_members": stale_members, "reasons": blockers})
            continue
        detail = f"only suspected-stale {', '.join(stale_members)}" + (f" and consumers {', '.join(m['name'] for m in live)}" if live else "")
        stale.append(_network_record(network, "only_stale_and_consumers", detail, stale_members, [m["name"] for m in live]))
    return stale, kept


def _configured_on(topology, network_name):
    """Names of the containers, running or not, whose configuration names the network."""
    return [c["name"] for c in topology.containers if any(e["network"] == network_name for e in c["networks"])]


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
    # Pairs that share another network still lose the aliases registered only on this one.
    for a in live:
        for b in live:
            if a is not b and others[a["name"]] & others[b["name"]]:
                reasons += [f"{a['name']} resolves `{n}` ({b['name']}) only through it" for n in _aliases_only_on(b, network_name, others[a["name"]])]
    return pairs, reasons


def _aliases_only_on(container, network_name, reachable):
    """Names the container registers on network_name and on none of the networks in reachable."""
    by_network = {e["network"]: {d["name"] for d in e["dns_names"] if d["source"] != "short_id"} for e in container["networks"]}
    elsewhere = set().union(*(by_network.get(n, set()) for n in reachable))
    return sorted(by_network.get(network_name, set()) - elsewhere)


def _network_record(network, reason, detail, stale_members, consumers):
    return {
        "name": network["name"],
        "id": network["id"],
        "reason": reason,
        "detail": detail,
        "stale_members": stale_members,
        "consumers": consumers,
    }


def analyse(topology, consumer_refs=None, names=None, per_consumer=False):
    """Everything the facts module reports and the cleanup module plans from. The findings per
    (consumer, name) only when per_consumer: they grow with consumers x names."""
    consumers = select_consumers(topology, consumer_refs)
    if names:
        check_names_exist(topology, names)
    views = answer_views(topology, consumers, names)
    records, record_of_view = _name_records(topology, views)
    stale_containers = _suspected_stale(topology, records)
    stale_nets, kept_networks = stale_networks(topology, {c["name"] for c in stale_containers})
    report = {
        "ambiguous_names": records,
        "resolution_orders": {c["name"]: list(view["order"]) for view in views for c in view["consumers"]},
        "suspected_stale_containers": stale_containers,
        "stale_networks": stale_nets,
        "networks_kept": kept_networks,
        "summary": {
            "containers": len(topology.containers),
            "networks": len(topology.networks),
            "consumers": len(consumers),
            "ambiguous_names": len({r["name"] for r in records}),
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
    if consumer_refs:
        # Asked for by name, a consumer that resolves nothing must not read as a clean host.
        report["messages"] += [
            f"consumer {c['name']} is on no network with embedded DNS (only the default bridge, host or none): it resolves no container names."
            for c in consumers
            if not resolution_order(topology, c)
        ]
    if per_consumer:
        report["findings"] = _per_consumer_findings(topology, views, record_of_view)
    return report
