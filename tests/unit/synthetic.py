"""Engine payloads written by hand, for topologies no lab scenario has: the shapes
build_topology reads from the list and inspect calls, with only the fields it uses."""

from __future__ import annotations

import hashlib

from ansible_collections.fanout.docker.plugins.module_utils._topology import build_topology


def _id(text):
    return hashlib.sha256(text.encode()).hexdigest()


def network(name):
    return {"Name": name, "Id": _id(f"network {name}"), "Driver": "bridge", "Scope": "local", "Internal": False, "Labels": {}}


def container(name, networks, project=None, service=None, image="lab/api:1", image_id="sha256:1", created="2026-01-01T00:00:00Z", moved=False):
    """(listed, inspected) for a running container joined to `networks` with its service as alias.
    moved: the image reference now points elsewhere (the list call then shows the id, not the ref)."""
    labels = {}
    if project:
        labels = {
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.config-hash": f"cfg-{project}",
            "com.docker.compose.container-number": name.rsplit("-", 1)[-1],
            "com.docker.compose.oneoff": "False",
        }
    cid = _id(f"container {name}")
    endpoints = {
        net: {
            "NetworkID": _id(f"network {net}"),
            "EndpointID": _id(f"endpoint {name} {net}"),
            "IPAddress": "10.0.0.2",
            "Aliases": [service] if service else [],
            "GwPriority": 0,
        }
        for net in networks
    }
    inspected = {
        "Id": cid,
        "Name": f"/{name}",
        "Created": created,
        "Image": image_id,
        "Config": {"Image": image, "Labels": labels},
        "State": {"Status": "running", "Running": True},
        "HostConfig": {"NetworkMode": "default"},
        "NetworkSettings": {"Networks": endpoints},
    }
    return {"Id": cid, "Image": image_id if moved else image}, inspected


def topology(network_names, containers):
    listed = [pair[0] for pair in containers]
    inspected = {pair[1]["Id"]: pair[1] for pair in containers}
    return build_topology(listed, inspected, [network(n) for n in network_names])
