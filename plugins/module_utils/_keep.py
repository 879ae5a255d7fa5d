# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`keep` patterns: what cleanup must never touch. Pure.

Each entry is a regular expression matched in full against a container name, compose project
or network name; `name:`, `project:` or `network:` limit it to one of them; `label:KEY` or
`label:KEY=REGEX` match a label.
"""

from __future__ import annotations

import re

KINDS = ("name", "project", "network", "label")


class KeepError(ValueError):
    """A keep entry that cannot be used."""


def compile_keep(entries):
    """[(kind or None, key, compiled regex)], or KeepError naming the bad entry."""
    rules = []
    for entry in entries or []:
        if not isinstance(entry, str) or not entry.strip():
            raise KeepError(f"keep: entries must be non-empty strings, got {entry!r}")
        kind, sep, rest = entry.partition(":")
        if not sep or kind not in KINDS:
            kind, rest = None, entry
        key = None
        if kind == "label":
            key, _eq, rest = rest.partition("=")
            if not key:
                raise KeepError(f"keep: {entry!r} names no label key (label:KEY or label:KEY=REGEX)")
            rest = rest or ".*"
        try:
            rules.append((kind, key, re.compile(rest)))
        except re.error as exc:
            raise KeepError(f"keep: pattern {entry!r} does not compile: {exc}") from exc
    return rules


def _first_match(rules, labels, values):
    """The first rule matching a label, or one of the (kind, value) pairs, as its description."""
    for rule in rules:
        kind, key, regex = rule
        if kind == "label":
            matched = labels.get(key) is not None and regex.fullmatch(labels[key]) is not None
        else:
            matched = any(value is not None and kind in (None, value_kind) and regex.fullmatch(value) for value_kind, value in values)
        if matched:
            return _describe(rule)
    return None


def keeps_container(rules, container):
    """The keep entry that protects the container, or None."""
    values = [("name", container["name"]), ("project", container["compose"]["project"])]
    return _first_match(rules, container.get("labels") or {}, values)


def keeps_network(rules, network):
    """The keep entry that protects the network, or None (name: and network: both match its name)."""
    labels = network.get("labels") or {}
    values = [("network", network["name"]), ("name", network["name"]), ("project", labels.get("com.docker.compose.project"))]
    return _first_match(rules, labels, values)


def _describe(rule):
    kind, key, regex = rule
    if kind == "label":
        return f"label:{key}={regex.pattern}"
    return f"{kind}:{regex.pattern}" if kind else regex.pattern


def annotate_kept(topology, report, rules):
    """Mark every backend that a keep entry protects (kept_by: the entry, or None)."""
    kept = {}
    for container in topology.containers:
        kept[container["name"]] = keeps_container(rules, container) if rules else None
    for entry in report.get("findings", []) + report["ambiguous_names"]:
        for backend in entry["backends"]:
            backend["kept_by"] = kept.get(backend["container"])
    for stale in report["suspected_stale_containers"]:
        stale["kept_by"] = kept.get(stale["name"])
    return report
