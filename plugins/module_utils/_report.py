# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings -> the human-readable lines an operator reads first. Pure."""

from __future__ import annotations

KIND_WORDS = {
    "round_robin": "round-robin: intermittent",
    "shadowed": "shadowed: deterministic today, flips when networks change",
}


def _consumers(record):
    first, rest = record["consumers"][0], len(record["consumers"]) - 1
    return first + (f" (+{rest} more)" if rest else "")


def _answers(record, order):
    """What the embedded DNS answers the record's first consumer: the first of its networks that
    knows the name answers, the later ones are shadowed."""
    registered = {n["network"]: n["answers"] for n in record["networks"]}
    seen = [n for n in order if n in registered] or sorted(registered)
    first = registered[seen[0]]
    parts = [f"{len(first)} answer{'s' if len(first) != 1 else ''} on {seen[0]} ({', '.join(first)})"]
    for network in seen[1:]:
        parts.append(f"also on {network} ({', '.join(registered[network])})")
    return "; ".join(parts)


def _backends(record):
    lines = []
    for backend in record["backends"]:
        role = backend["role"].replace("_", " ")
        evidence = "; ".join(e["detail"] for e in backend["evidence"])
        lines.append(f"{backend['container']} {role}" + (f": {evidence}" if evidence else ""))
    return lines


def finding_lines(report):
    """One line per ambiguous name, one per stale network, or one line saying all is clean."""
    lines = []
    for record in report["ambiguous_names"]:
        order = report["resolution_orders"].get(record["consumers"][0], [])
        kinds = "round-robin over replicas: intended" if record["verdict"] == "replicas" else ", ".join(KIND_WORDS[k] for k in record["kinds"])
        head = f"`{record['name']}` from {_consumers(record)}: {_answers(record, order)} [{kinds}]"
        verdict = f"{record['verdict']}: {record['reason']}"
        lines.append(f"{head}. {verdict}. " + ". ".join(_backends(record)) + ".")
    for network in report["stale_networks"]:
        lines.append(f"network {network['name']} is stale ({network['reason']}): {network['detail']}.")
    for network in report["networks_kept"]:
        lines.append(f"network {network['name']} holds suspected-stale {', '.join(network['stale_members'])} but is kept: {'; '.join(network['reasons'])}.")
    if not lines:
        summary = report["summary"]
        lines.append(
            f"no name resolves to more than one backend ({summary['containers']} containers, {summary['networks']} networks, {summary['consumers']} consumers)."
        )
    return lines
