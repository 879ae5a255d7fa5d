# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine API payloads -> the host's topology: containers, networks, endpoints and the DNS
names each container answers on each network. Pure: no socket, no clock."""

from __future__ import annotations

import re
from functools import lru_cache

# Networks on which Docker's embedded DNS registers no names.
DEFAULT_NETWORKS = frozenset(("bridge", "host", "none"))
NO_DNS_DRIVERS = frozenset(("host", "null"))

COMPOSE_LABELS = {
    "project": "com.docker.compose.project",
    "service": "com.docker.compose.service",
    "config_hash": "com.docker.compose.config-hash",
    "container_number": "com.docker.compose.container-number",
    "oneoff": "com.docker.compose.oneoff",
}

_CREATED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


@lru_cache(maxsize=4096)
def created_key(created):
    """A string that sorts like the instant: the engine trims trailing zeros of the fraction."""
    match = _CREATED.match(created or "")
    if not match:
        return created or ""
    seconds, fraction, _zone = match.groups()
    return f"{seconds}.{(fraction or '').ljust(9, '0')[:9]}"


def _compose(labels):
    compose = {key: labels.get(label) for key, label in COMPOSE_LABELS.items()}
    compose["oneoff"] = compose["oneoff"] == "True"
    return compose


def network_has_dns(network):
    """The embedded DNS answers names only on user-defined networks."""
    return network["name"] not in DEFAULT_NETWORKS and network["driver"] not in NO_DNS_DRIVERS


def _dns_names(container_name, short_id, compose_service, settings):
    """Every name the container answers on one network, with where each comes from."""
    names = {container_name.lower(): "container_name"}
    for alias in (settings.get("Aliases") or []) + (settings.get("DNSNames") or []):
        key = alias.lower()
        if key in names:
            continue
        if alias == short_id:
            names[key] = "short_id"
        elif compose_service and key == compose_service.lower():
            names[key] = "compose_service"
        else:
            names[key] = "alias"
    return [{"name": name, "source": source} for name, source in names.items()]


def _container(listed, inspected, networks_by_id, networks_by_name):
    config = inspected.get("Config") or {}
    state = inspected.get("State") or {}
    labels = config.get("Labels") or {}
    name = (inspected.get("Name") or "").lstrip("/")
    short_id = inspected["Id"][:12]
    compose = _compose(labels)
    image_ref = config.get("Image") or ""
    image_id = inspected.get("Image") or ""
    # The list call shows the image id instead of the reference once the reference
    # points at another image: the container runs an image that has been replaced.
    listed_image = (listed or {}).get("Image", image_ref)
    image_ref_moved = bool(image_ref) and image_ref != image_id and listed_image == image_id and image_ref != listed_image
    endpoints = []
    for net_name, settings in sorted(((inspected.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        network = networks_by_id.get(settings.get("NetworkID") or "") or networks_by_name.get(net_name)
        registered = bool(settings.get("EndpointID"))
        dns = registered and network is not None and network_has_dns(network)
        endpoints.append(
            {
                "network": net_name,
                "network_id": settings.get("NetworkID") or "",
                "endpoint_id": settings.get("EndpointID") or "",
                "ip": settings.get("IPAddress") or "",
                "ipv6": settings.get("GlobalIPv6Address") or "",
                "aliases": list(settings.get("Aliases") or []),
                "priority": int(settings.get("GwPriority") or 0),
                "dns_names": _dns_names(name, short_id, compose["service"], settings) if dns else [],
            }
        )
    health = (state.get("Health") or {}).get("Status")
    ports = (inspected.get("NetworkSettings") or {}).get("Ports") or {}
    published = sorted(
        f"{binding.get('HostIp') or '0.0.0.0'}:{binding['HostPort']}->{port}"
        for port, bindings in ports.items()
        for binding in bindings or []
        if binding.get("HostPort")
    )
    network_mode = (inspected.get("HostConfig") or {}).get("NetworkMode") or ""
    return {
        "name": name,
        "id": inspected["Id"],
        "short_id": short_id,
        "state": state.get("Status") or "unknown",
        "running": bool(state.get("Running")) and not state.get("Paused") and not state.get("Restarting"),
        "health": health,
        "image": image_ref,
        "image_id": image_id,
        "image_ref_moved": image_ref_moved,
        "created": inspected.get("Created") or "",
        "compose": compose,
        "labels": labels,
        "network_mode": network_mode,
        "published": published,
        "networks": endpoints,
    }


def _network(listed):
    name = listed.get("Name") or ""
    return {
        "name": name,
        "id": listed.get("Id") or "",
        "driver": listed.get("Driver") or "",
        "scope": listed.get("Scope") or "local",
        "internal": bool(listed.get("Internal")),
        "default": name in DEFAULT_NETWORKS,
        "labels": listed.get("Labels") or {},
        "containers": [],
    }


class Topology:
    """Containers and networks of one engine, indexed for the resolver and the verdicts."""

    def __init__(self, containers, networks, vanished=()):
        self.containers = containers
        self.networks = networks
        self.vanished = list(vanished)
        self.by_id = {c["id"]: c for c in containers}
        self.by_name = {c["name"]: c for c in containers}
        self.network_by_name = {n["name"]: n for n in networks}
        self._answering = None

    def answering_networks(self, container_id, name):
        """The networks on which the container answers the DNS name (lower case); built once."""
        if self._answering is None:
            index = {}
            for container in self.containers:
                for endpoint in container["networks"]:
                    for dns in endpoint["dns_names"]:
                        index.setdefault((container["id"], dns["name"]), []).append(endpoint["network"])
            self._answering = index
        return self._answering.get((container_id, name), ())

    def find_container(self, ref):
        """A container by name, full id or id prefix (>= 12 hex digits), or None."""
        if ref in self.by_name:
            return self.by_name[ref]
        if ref in self.by_id:
            return self.by_id[ref]
        if len(ref) >= 12:
            matches = [c for cid, c in self.by_id.items() if cid.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        return None

    def endpoints_of(self, container):
        """The endpoints the container's sandbox really has (network_mode container:X shares X's)."""
        mode = container["network_mode"]
        if mode.startswith("container:"):
            owner = self.find_container(mode.split(":", 1)[1])
            if owner is not None:
                return owner["networks"]
        return container["networks"]


def build_topology(listed_containers, inspected, listed_networks):
    """Topology from one container list call, inspect payloads by id (None = vanished) and
    one network list call."""
    networks = sorted((_network(n) for n in listed_networks), key=lambda n: n["name"])
    networks_by_id = {n["id"]: n for n in networks}
    networks_by_name = {n["name"]: n for n in networks}
    listed_by_id = {c["Id"]: c for c in listed_containers}
    containers = []
    vanished = []
    for cid in sorted(listed_by_id):
        payload = inspected.get(cid)
        if payload is None:
            # Listed, then removed before its inspect: the list call still knows its name.
            names = listed_by_id[cid].get("Names") or [cid[:12]]
            vanished.append({"id": cid, "name": names[0].lstrip("/")})
            continue
        containers.append(_container(listed_by_id[cid], payload, networks_by_id, networks_by_name))
    containers.sort(key=lambda c: c["name"])
    for container in containers:
        for endpoint in container["networks"]:
            network = networks_by_id.get(endpoint["network_id"]) or networks_by_name.get(endpoint["network"])
            if network is not None and endpoint["endpoint_id"]:
                network["containers"].append(container["name"])
    return Topology(containers, networks, vanished)
