"""Helpers for playbook tests: recap parsing, summaries, inventories."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(stdout):
    """{host: {ok, changed, unreachable, failed}} from the PLAY RECAP."""
    return {m[1]: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:]))) for m in RECAP.finditer(stdout)}


def summary(directory):
    return json.loads((Path(directory) / "summary.json").read_text())


def statuses(directory):
    return {h["host"]: h["status"] for h in summary(directory)["hosts"]}


def host_outcome(directory, host):
    return json.loads((Path(directory) / "hosts" / f"{host}.json").read_text())


def write_inventory(path, hosts):
    """hosts: {name: {vars}}; every host runs its modules locally against its own engine."""
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "hosts": hosts,
        }
    }
    Path(path).write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def probe(port, count=30):
    return {"url": f"http://127.0.0.1:{port}/", "origin": "https://app.example", "method": "PUT", "count": count}
