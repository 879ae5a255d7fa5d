# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answer sets -> replicas / collision / undecided, with the evidence. Pure.

Backends behind one name are grouped by deploy generation (compose project, service, image id,
config hash). One compose-labelled generation is a set of intentional replicas. Several are a
collision, and the evidence decides which side is stale: a side is suspected stale only when
exactly one side carries no evidence against it and every other side carries at least one
strong piece of evidence (age alone never removes anything).
"""

from __future__ import annotations

from ._topology import created_key

REPLICAS = "replicas"
COLLISION = "collision"
UNDECIDED = "undecided"

LIVE = "live"
SUSPECTED_STALE = "suspected_stale"
REPLICA = "replica"

# Evidence that one side is stale; "older_creation" alone is weak and never decides.
WEAK_EVIDENCE = frozenset(("older_creation",))


def generation_key(container):
    compose = container["compose"]
    return (compose["project"] or "", compose["service"] or "", container["image_id"], compose["config_hash"] or "")


def _groups(backends):
    groups = {}
    for container in backends:
        groups.setdefault(generation_key(container), []).append(container)
    return list(groups.values())


def _newest(group):
    return max(created_key(c["created"]) for c in group)


def _only_private_networks(topology, group, group_ids, other_ids, name):
    """The networks on which the group answers `name`, when every one of them is private: its
    other members are only containers that reach another side through a different network
    (consumers such as the proxy). Empty when the group is reachable through a shared network."""
    other_networks = {network for cid in other_ids for network in topology.answering_networks(cid, name)}
    answering = sorted({network for container in group for network in topology.answering_networks(container["id"], name)})
    for network_name in answering:
        network = topology.network_by_name.get(network_name)
        for member_name in (network or {}).get("containers", []):
            member = topology.by_name.get(member_name)
            if member is None or member["id"] in group_ids:
                continue
            if member["id"] in other_ids or not {e["network"] for e in member["networks"]} & other_networks:
                return []
    return answering


def _evidence(topology, group, groups, consumer_project, name):
    """Evidence that `group` is the stale side of the collision, as [{code, detail}]."""
    others = [c for g in groups if g is not group for c in g]
    group_ids = {c["id"] for c in group}
    other_ids = {c["id"] for c in others}
    names = ", ".join(c["name"] for c in group)
    evidence = []
    newest_other = max(_newest(g) for g in groups if g is not group)
    if _newest(group) < newest_other:
        evidence.append({"code": "older_creation", "detail": f"{names} created before the newest other side"})
    moved = [c for c in group if c["image_ref_moved"]]
    if moved:
        refs = ", ".join(sorted({c["image"] for c in moved}))
        evidence.append({"code": "image_reference_moved", "detail": f"{refs} now points to a different image than {names} runs"})
    compose = group[0]["compose"]
    superseded = [
        c
        for c in others
        if compose["project"]
        and c["compose"]["project"] == compose["project"]
        and c["compose"]["service"] == compose["service"]
        and c["compose"]["config_hash"] != compose["config_hash"]
        and created_key(c["created"]) > _newest(group)
    ]
    if superseded:
        evidence.append({"code": "config_hash_superseded", "detail": f"{superseded[0]['name']} of the same service is newer with another config hash"})
    if consumer_project and compose["project"] != consumer_project and any(c["compose"]["project"] == consumer_project for c in others):
        evidence.append(
            {
                "code": "foreign_compose_project",
                "detail": f"compose project {compose['project'] or '(none)'} differs from the consumer's ({consumer_project}) while the other side matches it",
            }
        )
    private = _only_private_networks(topology, group, group_ids, other_ids, name)
    if private:
        evidence.append({"code": "isolated_network", "detail": f"reachable only through {', '.join(private)}, which nothing else live uses"})
    not_serving = [c for c in group if not c["running"] or c["health"] == "unhealthy"]
    if not_serving:
        states = ", ".join(f"{c['name']} is {c['health'] if c['health'] == 'unhealthy' else c['state']}" for c in not_serving)
        evidence.append({"code": "not_serving", "detail": states})
    return evidence


def judge(topology, consumer_project, name, backend_ids):
    """The verdict for one ambiguous name as consumers of one compose project see it
    (consumer_project None: consumers outside compose, or backends of the name themselves)."""
    # By name, so that the evidence reads the same whatever the container ids.
    backends = sorted((topology.by_id[cid] for cid in backend_ids), key=lambda c: c["name"])
    groups = _groups(backends)
    if len(groups) == 1:
        compose = groups[0][0]["compose"]
        if compose["project"] and compose["service"]:
            return _result(REPLICAS, "same compose project and service, same image and config hash", [(groups[0], REPLICA, [])])
        return _result(
            UNDECIDED,
            "identical containers without compose labels: cannot tell replicas from a collision",
            [(groups[0], UNDECIDED, [])],
        )
    judged = [(group, _evidence(topology, group, groups, consumer_project, name)) for group in groups]
    # Evidence every side carries tells the sides apart no better than none at all.
    shared = set.intersection(*({e["code"] for e in evidence} for _group, evidence in judged))
    judged = [(group, [e for e in evidence if e["code"] not in shared]) for group, evidence in judged]
    clean = [group for group, evidence in judged if not evidence]
    weak_only = [group for group, evidence in judged if evidence and all(e["code"] in WEAK_EVIDENCE for e in evidence)]
    if len(clean) == 1 and not weak_only:
        sides = [(group, LIVE if not evidence else SUSPECTED_STALE, evidence) for group, evidence in judged]
        return _result(COLLISION, "different deploy generations answer the same name", sides)
    if not clean:
        reason = "every side has evidence against it"
    elif len(clean) > 1:
        reason = "several sides look live"
    else:
        reason = "the only evidence against a side is its age"
    return _result(UNDECIDED, f"different deploy generations answer the same name, but {reason}", [(g, UNDECIDED, e) for g, e in judged])


def _result(verdict, reason, sides):
    backends = []
    for group, role, evidence in sides:
        for container in sorted(group, key=lambda c: c["name"]):
            backends.append(
                {
                    "container": container["name"],
                    "id": container["id"],
                    "role": role,
                    "image": container["image"],
                    "image_id": container["image_id"],
                    "created": container["created"],
                    "compose_project": container["compose"]["project"],
                    "compose_service": container["compose"]["service"],
                    "addresses": [{"network": e["network"], "ip": e["ip"]} for e in container["networks"] if e["ip"]],
                    "evidence": evidence,
                }
            )
    backends.sort(key=lambda b: b["container"])  # the same order whatever the container ids
    return {
        "verdict": verdict,
        "reason": reason,
        "backends": backends,
        "suspected_stale": [b["container"] for b in backends if b["role"] == SUSPECTED_STALE],
        "live": [b["container"] for b in backends if b["role"] in (LIVE, REPLICA)],
    }
