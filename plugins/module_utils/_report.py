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


def _answers(finding):
    parts = [f"{len(finding['answers'])} answer{'s' if len(finding['answers']) != 1 else ''} on {finding['answered_from']} ({', '.join(finding['answers'])})"]
    for network in finding["networks"][1:]:
        parts.append(f"also on {network['network']} ({', '.join(network['answers'])})")
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
    findings = {(f["consumer"], f["name"]): f for f in report["findings"]}
    lines = []
    for record in report["ambiguous_names"]:
        finding = findings[(record["consumers"][0], record["name"])]
        kinds = "round-robin over replicas: intended" if record["verdict"] == "replicas" else ", ".join(KIND_WORDS[k] for k in record["kinds"])
        head = f"`{record['name']}` from {_consumers(record)}: {_answers(finding)} [{kinds}]"
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
