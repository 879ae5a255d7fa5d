# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: report_view
short_description: Shape the fleet summary into what the HTML fleet report shows
version_added: 0.1.0
description:
  - Takes the fleet summary that the C(summary) entry point of the role P(fanout.docker.fanout#role) collects
    (C(fanout_fleet), every host's outcome) and returns a view model for the report template, so that the
    template only loops and prints.
  - Per host it builds the graph the report draws. For a host with ambiguous names, consumers (grouped when
    they see the same networks in the same order, and leaving out the backends themselves) point to their
    networks in the embedded DNS's resolution order, and each network points to the containers it answers
    the name with; the backends of one name are grouped under that name. Backends carry their role
    (live, suspected stale, replica, undecided, kept) and evidence, networks whether they answer or are
    shadowed and whether they are stale. Cleanup actions (planned in check mode, done or failed) are marked
    on the containers, connections and networks they touch. A host without ambiguous names gets a plain
    drawing of its containers and their networks. After a remediation, the host also gets the drawing of
    what was there before the cleanup.
  - Pure data in, pure data out; it reads nothing and sends nothing.
positional: _input
options:
  _input:
    description: The fleet summary, as written to C(summary.json) (keys C(hosts), C(counts), C(mode), C(check_mode)).
    type: dict
    required: true
author:
  - fanout.docker contributors (@fanout-docker)
"""

EXAMPLES = r"""
# The role's summary entry point feeds the report template with it (templates/report.html.j2).
- name: Status of every host, most urgent first, as the report's overview sorts them
  ansible.builtin.debug:
    msg: "{{ (fanout_fleet | fanout.docker.report_view).hosts | sort(attribute='rank') | map(attribute='host') }}"
"""

RETURN = r"""
_value:
  description:
    - C(mode), C(check_mode), C(counts) (status and count, most urgent first), and C(hosts) in inventory order, each
      with C(anchor) (the id of its section), C(status), C(rank) (sort key of the status), C(overview) (the numbers of
      the overview table), C(names) (ambiguous names with their backends, roles and evidence), C(stale_networks),
      C(probes) (with C(groups) per backend fingerprint), C(backend_probes), C(cleanup), C(violations), C(messages)
      and C(graphs).
    - Each graph has C(id), C(caption), C(kind) (C(names) or C(membership)), C(nodes) (C(id), C(kind) consumer, network
      or backend, C(lines), C(classes), C(title), C(parent)), C(groups) (one per ambiguous name, C(id), C(label),
      C(classes), C(title)) and C(edges) (C(id), C(source), C(target), C(label), C(classes), C(title)).
  type: dict
"""

import re

STATUS_ORDER = ["error", "unreachable", "broken", "would_fix", "fixed", "clean"]
ROLE_LABEL = {"live": "live", "suspected_stale": "suspected stale", "replica": "replica", "undecided": "undecided"}
ACTION_WORDS = {
    "stop_container": ("stopped", "would stop"),
    "remove_container": ("removed", "would remove"),
    "disconnect": ("disconnected", "would disconnect"),
    "remove_network": ("removed", "would remove"),
}
DEFAULT_NETWORKS = {"bridge", "host", "none"}


def _ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _anchor(host, used):
    base = "host-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", str(host)).strip("-") or "x")
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _pct(ratio):
    return "-" if ratio is None else f"{round(float(ratio) * 100)}%"


def _role(backend):
    role = backend.get("role") or "undecided"
    kept = backend.get("kept_by")
    label = ROLE_LABEL.get(role, role.replace("_", " "))
    if kept:
        label += f", kept (keep entry {kept})"
    return role, label


def _names(outcome):
    names = []
    for record in outcome.get("ambiguous_names") or []:
        backends = []
        for b in record.get("backends") or []:
            role, label = _role(b)
            backends.append(
                {
                    "container": b.get("container"),
                    "role": role,
                    "role_label": label,
                    "kept_by": b.get("kept_by"),
                    "evidence": [e.get("detail") or e.get("code") for e in b.get("evidence") or []],
                    "evidence_codes": [e.get("code") for e in b.get("evidence") or []],
                    "addresses": [f"{a.get('ip')} on {a.get('network')}" for a in b.get("addresses") or []],
                    "image": b.get("image"),
                    "compose": "/".join(x for x in (b.get("compose_project"), b.get("compose_service")) if x),
                }
            )
        names.append(
            {
                "name": record.get("name"),
                "verdict": record.get("verdict"),
                "kinds": [k.replace("_", "-") for k in record.get("kinds") or []],
                "reason": record.get("reason"),
                "consumers": record.get("consumers") or [],
                "backends": backends,
            }
        )
    return names


def _actions_by_target(outcome):
    """{(kind, target, network): (state, word, reasons)} for every cleanup action of this outcome."""
    marks = {}
    for action in (outcome.get("cleanup") or {}).get("actions") or []:
        status = action.get("status")
        done_word, planned_word = ACTION_WORDS.get(action.get("action"), (action.get("action"), action.get("action")))
        word = {"done": done_word, "planned": planned_word}.get(status, f"{action.get('action', '').replace('_', ' ')} failed")
        kind = {"stop_container": "container", "remove_container": "container", "disconnect": "disconnect", "remove_network": "network"}.get(
            action.get("action")
        )
        key = (kind, action.get("target"), action.get("network") if kind == "disconnect" else None)
        previous = marks.get(key)
        reasons = list(action.get("reasons") or [])
        if action.get("error"):
            reasons.append(f"error: {action['error']}")
        state = status if status in ("done", "planned") else "failed"
        if previous:  # stop then remove: show the last word, keep the worst state
            state = "failed" if "failed" in (state, previous[0]) else state
            word = f"{previous[1]} and {word}" if previous[1] != word else word
            reasons = previous[2] + [r for r in reasons if r not in previous[2]]
        marks[key] = (state, word, reasons)
    return marks


def _network_node(node_id, net, classes, lines, stale_networks, marks):
    """A network's node: stale and cleanup marks added to its classes, lines and hover title."""
    title = [f"network {net}"]
    if net in stale_networks:
        classes.append("stale")
        lines.append("stale network")
        title.append(f"stale ({stale_networks[net].get('reason')}): {stale_networks[net].get('detail')}")
    if ("network", net, None) in marks:
        state, word, reasons = marks[("network", net, None)]
        classes += ["action", f"action-{state}"]
        lines.append(word)
        title.append(f"{word}: {'; '.join(reasons)}")
    return {"id": node_id, "kind": "network", "lines": lines, "classes": classes, "parent": None, "title": "\n".join(title)}


def _views(outcome):
    """What each consumer gets for each ambiguous name, rebuilt from the compact facts: the
    networks of its resolution order on which the name is registered; the first one answers."""
    orders = outcome.get("resolution_orders") or {}
    views = []
    for record in outcome.get("ambiguous_names") or []:
        registered = {n.get("network"): n.get("answers") or [] for n in record.get("networks") or []}
        for consumer in record.get("consumers") or []:
            order = orders.get(consumer) or []
            networks = [{"network": net, "answers": registered[net]} for net in order if net in registered]
            views.append(
                {
                    "consumer": consumer,
                    "name": record.get("name"),
                    "resolution_order": order,
                    "answered_from": networks[0]["network"] if networks else None,
                    "networks": networks,
                    "backends": record.get("backends") or [],
                }
            )
    return views


def _name_graph(outcome, graph_id, caption, marks):
    findings = _views(outcome)
    backends_of = {}
    for f in findings:
        backends_of.setdefault(f.get("name"), set()).update(b.get("container") for b in f.get("backends") or [])
    shown = [f for f in findings if f.get("consumer") not in backends_of.get(f.get("name"), set())] or list(findings)
    stale_networks = {n.get("name"): n for n in outcome.get("stale_networks") or []}

    # Consumers that see the same networks in the same order become one node.
    groups, group_of = {}, {}
    for f in shown:
        order = tuple(f.get("resolution_order") or [])
        groups.setdefault(order, [])
        if f.get("consumer") not in groups[order]:
            groups[order].append(f.get("consumer"))
        group_of[f.get("consumer")] = order
    # Networks in resolution order: a network comes after every network some consumer asks before it.
    network_order = []
    for order in groups:
        for net in order:
            if net not in network_order:
                network_order.append(net)
    for order in groups:
        for i, net in enumerate(order):
            for earlier in order[:i]:
                if network_order.index(earlier) > network_order.index(net):
                    network_order.remove(earlier)
                    network_order.insert(network_order.index(net), earlier)

    nodes, edges, name_groups = [], [], []
    net_id = {net: f"{graph_id}-n{i}" for i, net in enumerate(network_order)}
    answers_name = {}  # network -> {name: 'answers'|'shadowed'}
    for f in shown:
        for entry in f.get("networks") or []:
            state = "answers" if entry.get("network") == f.get("answered_from") else "shadowed"
            current = answers_name.setdefault(entry.get("network"), {})
            if current.get(f.get("name")) != "answers":
                current[f.get("name")] = state

    for gi, (order, members) in enumerate(groups.items()):
        cid = f"{graph_id}-c{gi}"
        lines = members[:3] + ([f"+{len(members) - 3} more"] if len(members) > 3 else [])
        asked = sorted({f.get("name") for f in shown if f.get("consumer") in members})
        nodes.append(
            {
                "id": cid,
                "kind": "consumer",
                "lines": lines,
                "classes": ["consumer"],
                "parent": None,
                "title": f"consumer{'s' if len(members) > 1 else ''} {', '.join(members)}: resolve{'s' if len(members) == 1 else ''} "
                f"{', '.join('`' + n + '`' for n in asked)}; asks {', '.join(order) or 'no network'} in this order",
            }
        )
        for position, net in enumerate(order, start=1):
            classes = ["ask", "first" if position == 1 else "later"]
            title = f"{', '.join(members)} ask{'s' if len(members) == 1 else ''} {net} {_ordinal(position)}"
            dropped = [marks[("disconnect", m, net)] for m in members if ("disconnect", m, net) in marks]
            if dropped:
                state, word, reasons = dropped[0]
                classes += ["action", f"action-{state}"]
                title += f"; {word} from {net}: {'; '.join(reasons)}"
            edges.append({"id": f"{cid}-{net_id[net]}", "source": cid, "target": net_id[net], "label": _ordinal(position), "classes": classes, "title": title})

    for net in network_order:
        lines, classes = [net], ["network"]
        known = answers_name.get(net, {})
        for name, state in sorted(known.items()):
            lines.append(f"answers `{name}`" if state == "answers" else f"knows `{name}` (shadowed)")
        if not known:
            lines.append("does not know the name")
        nodes.append(_network_node(net_id[net], net, classes, lines, stale_networks, marks))

    for ni, record in enumerate(_names(outcome)):
        gid = f"{graph_id}-g{ni}"
        consumers_here = {f.get("consumer") for f in shown if f.get("name") == record["name"]}
        if not consumers_here:
            continue
        kinds = ", ".join(record["kinds"])
        name_groups.append(
            {
                "id": gid,
                "label": f"`{record['name']}` · {record['verdict']}" + (f" · {kinds}" if kinds else ""),
                "classes": ["name", f"verdict-{record['verdict']}"],
                "title": f"`{record['name']}`: {record['verdict']} ({kinds}): {record['reason']}",
            }
        )
        for bi, b in enumerate(record["backends"]):
            bid = f"{gid}-b{bi}"
            classes = ["backend", f"role-{b['role']}"] + (["kept"] if b["kept_by"] else [])
            lines = [b["container"], b["role_label"]]
            title = [f"{b['container']}: {b['role_label']}"]
            title += [f"evidence: {e}" for e in b["evidence"]] or ["no evidence against it"]
            title += [f"image {b['image']}"] if b["image"] else []
            title += [f"compose {b['compose']}"] if b["compose"] else []
            title += [f"address {a}" for a in b["addresses"]]
            if ("container", b["container"], None) in marks:
                state, word, reasons = marks[("container", b["container"], None)]
                classes += ["action", f"action-{state}"]
                lines.append(word)
                title.append(f"{word}: {'; '.join(reasons)}")
            nodes.append(
                {
                    "id": bid,
                    "kind": "backend",
                    "lines": lines,
                    "classes": classes,
                    "parent": gid,
                    "title": "\n".join(title),
                    "container": b["container"],
                    "name": record["name"],
                    "role": b["role"],
                }
            )
            for f in shown:
                if f.get("name") != record["name"]:
                    continue
                for entry in f.get("networks") or []:
                    net = entry.get("network")
                    if b["container"] not in (entry.get("answers") or []) or net not in net_id:
                        continue
                    eid = f"{net_id[net]}-{bid}"
                    state = answers_name.get(net, {}).get(record["name"], "shadowed")
                    if not any(e["id"] == eid for e in edges):
                        verb = "answers" if state == "answers" else "also knows (shadowed by an earlier network)"
                        edges.append(
                            {
                                "id": eid,
                                "source": net_id[net],
                                "target": bid,
                                "label": "",
                                "classes": ["dns", state],
                                "title": f"{net} {verb} `{record['name']}` with {b['container']}",
                            }
                        )
    return {"id": graph_id, "kind": "names", "caption": caption, "nodes": nodes, "groups": name_groups, "edges": edges}


def _members(topology):
    """Containers as the networks list them, when the facts carry no container records."""
    members = {}
    for net in topology.get("networks") or []:
        for name in net.get("containers") or []:
            members.setdefault(name, {"name": name, "networks": []})["networks"].append(net.get("name"))
    return [members[name] for name in sorted(members)]


def _membership_graph(outcome, graph_id, caption, marks):
    topology = outcome.get("topology") or {}
    selection = set(outcome.get("consumer_selection") or [])
    containers = [c for c in topology.get("containers") or _members(topology) if c.get("running", True)]
    if selection and any(c.get("name") in selection for c in containers):
        containers = [c for c in containers if c.get("name") in selection]
    stale_networks = {n.get("name"): n for n in outcome.get("stale_networks") or []}
    networks = []
    for c in containers:
        for net in c.get("networks") or []:
            if net not in DEFAULT_NETWORKS and net not in networks:
                networks.append(net)
    nodes, edges = [], []
    net_id = {net: f"{graph_id}-n{i}" for i, net in enumerate(networks)}
    for ci, c in enumerate(containers):
        cid = f"{graph_id}-c{ci}"
        compose = "/".join(x for x in (c.get("compose_project"), c.get("compose_service")) if x)
        nodes.append(
            {
                "id": cid,
                "kind": "consumer",
                "lines": [c.get("name")] + ([compose] if compose else []),
                "classes": ["consumer"],
                "parent": None,
                "title": c.get("name")
                + (f" ({c['state']})" if c.get("state") else "")
                + (f", image {c['image']}" if c.get("image") else "")
                + (f", compose {compose}" if compose else ""),
            }
        )
        for net in c.get("networks") or []:
            if net in net_id:
                edges.append(
                    {
                        "id": f"{cid}-{net_id[net]}",
                        "source": cid,
                        "target": net_id[net],
                        "label": "",
                        "classes": ["member"],
                        "title": f"{c.get('name')} is attached to {net}",
                    }
                )
    for net in networks:
        nodes.append(_network_node(net_id[net], net, ["network"], [net], stale_networks, marks))
    return {"id": graph_id, "kind": "membership", "caption": caption, "nodes": nodes, "groups": [], "edges": edges}


def _line_classes(node, action_words):
    """How each line of a node is drawn: its name, the backend's role, an action, a stale mark, or a plain line."""
    classes = []
    for i, line in enumerate(node["lines"]):
        if i == 0:
            classes.append("head")
        elif node["kind"] == "backend" and i == 1:
            classes.append("role")
        elif line in action_words:
            classes.append("action")
        elif line == "stale network":
            classes.append("stale")
        else:
            classes.append("sub")
    node["line_classes"] = classes


def _graph(outcome, graph_id, caption_names, caption_plain, marks):
    if outcome.get("ambiguous_names"):
        graph = _name_graph(outcome, graph_id, caption_names, marks)
    else:
        graph = _membership_graph(outcome, graph_id, caption_plain, marks)
    words = {word for _state, word, _reasons in marks.values()}
    for node in graph["nodes"]:
        _line_classes(node, words)
    return graph


def _probes(outcome):
    probes = []
    for p in outcome.get("probes") or []:
        differing = p.get("differing_headers") or []
        groups = []
        for g in p.get("groups") or []:
            fingerprint = [{"header": k, "value": v, "differs": k in differing} for k, v in (g.get("fingerprint") or {}).items()]
            groups.append(
                {
                    "fingerprint": fingerprint,
                    "count": g.get("count", 0),
                    "passed": g.get("passed", 0),
                    "failed": g.get("failed", 0),
                    "pass_pct": round(100 * g.get("passed", 0) / g["count"]) if g.get("count") else 0,
                    "statuses": ", ".join(f"{k} x{v}" for k, v in (g.get("statuses") or {}).items()),
                    "reasons": ", ".join(f"{k} x{v}" for k, v in (g.get("reasons") or {}).items()),
                }
            )
        probes.append(
            {
                "url": p.get("url"),
                "origin": p.get("origin"),
                "method": p.get("method"),
                "passed": p.get("passed"),
                "total": p.get("total"),
                "errors": p.get("errors"),
                "success": _pct(p.get("success_ratio")),
                "success_ratio": p.get("success_ratio"),
                "minimum": _pct(p.get("min_success_ratio")),
                "ok": bool(p.get("ok")),
                "verdict": p.get("verdict"),
                "summary": p.get("summary"),
                "failures_by_reason": [{"reason": k, "count": v} for k, v in (p.get("failures_by_reason") or {}).items()],
                "differing_headers": differing,
                "groups": groups,
                "latency_ms": p.get("latency_ms") or {},
            }
        )
    return probes


def _cleanup(outcome, check_mode):
    cleanup = outcome.get("cleanup") or {}
    actions = []
    for a in cleanup.get("actions") or []:
        what = a.get("action", "").replace("_", " ")
        target = a.get("target", "")
        if a.get("network"):
            target += f" from {a['network']}"
        actions.append({"status": a.get("status"), "what": what, "target": target, "reasons": a.get("reasons") or [], "error": a.get("error")})
    return {
        "actions": actions,
        "left_alone": cleanup.get("left_alone") or [],
        "check_mode": check_mode,
        "planned": cleanup.get("planned", 0),
        "done": cleanup.get("done", 0),
    }


def report_view(fleet):
    fleet = fleet or {}
    used = set()
    hosts = []
    for index, outcome in enumerate(fleet.get("hosts") or []):
        host = outcome.get("host", f"host {index}")
        status = outcome.get("status", "error")
        anchor = _anchor(host, used)
        check_mode = bool(outcome.get("check_mode", fleet.get("check_mode")))
        names = _names(outcome)
        probes = _probes(outcome)
        graphs = []
        before = outcome.get("before") or None
        if status not in ("error", "unreachable"):
            marks = _actions_by_target(outcome)
            if before:
                graphs.append(
                    _graph(
                        before,
                        f"g{index}b",
                        "Before the cleanup: the names as the consumers saw them, and what the cleanup did",
                        "Before the cleanup: containers and their networks",
                        marks,
                    )
                )
                graphs.append(
                    _graph(
                        outcome,
                        f"g{index}a",
                        "After the cleanup: names that still answer more than one container",
                        "After the cleanup: no name answers more than one container; containers and their networks",
                        {},
                    )
                )
            else:
                graphs.append(
                    _graph(
                        outcome,
                        f"g{index}",
                        "The names as the consumers see them: consumers, their networks in resolution order, "
                        "the containers behind each name" + (" (and what the cleanup would do)" if marks else ""),
                        "No name answers more than one container: containers and their networks",
                        marks,
                    )
                )
        worst = min((p["success_ratio"] for p in probes if p["success_ratio"] is not None), default=None)
        stale = outcome.get("suspected_stale_containers") or []
        hosts.append(
            {
                "host": host,
                "anchor": anchor,
                "status": status,
                "rank": STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER),
                "mode": outcome.get("mode"),
                "check_mode": check_mode,
                "docker_host": outcome.get("docker_host"),
                "error": outcome.get("error"),
                "overview": {
                    "ambiguous": len(names),
                    "names": ", ".join(n["name"] for n in names),
                    "stale": len(stale),
                    "stale_names": ", ".join(s.get("name", "") for s in stale),
                    "probe": _pct(worst),
                    "probe_sort": -1 if worst is None else worst,
                    "actions": len((outcome.get("cleanup") or {}).get("actions") or []),
                    "detail": (outcome.get("violations") or [""])[0] if status in ("broken", "error", "unreachable") else "",
                },
                "names": names,
                "stale_networks": outcome.get("stale_networks") or [],
                "probes": probes,
                "backend_probes": [dict(b, success=_pct(b.get("success_ratio"))) for b in outcome.get("backend_probes") or []],
                "cleanup": _cleanup(outcome, check_mode),
                "before_messages": (before or {}).get("messages") or [],
                "violations": outcome.get("violations") or [],
                "messages": outcome.get("messages") or [],
                "graphs": graphs,
            }
        )
    counts = fleet.get("counts") or {}
    return {
        "mode": fleet.get("mode"),
        "check_mode": bool(fleet.get("check_mode")),
        "counts": [{"status": s, "count": counts.get(s, 0)} for s in STATUS_ORDER],
        "hosts": hosts,
        "failed_hosts": fleet.get("failed_hosts") or [],
    }


class FilterModule:
    def filters(self):
        return {"report_view": report_view}
