"""Named lab scenarios on a real Docker engine: create, describe, destroy.

Every object a scenario creates carries the label fanout.lab.scenario=<name>, and teardown
removes only objects with that label.
"""

from __future__ import annotations

import os
import time
import urllib.request
from dataclasses import dataclass, field

import docker

from . import caddy

LABEL = "fanout.lab.scenario"
BASE_IMAGE = "fanout-lab/caddy:base"
RUN = 'printf "%s" "$CADDYFILE" > /tmp/Caddyfile && exec caddy run --config /tmp/Caddyfile --adapter caddyfile'


@dataclass
class Box:
    """One container: its Caddy role, networks with aliases, compose labels and image build."""

    name: str
    caddyfile: str
    networks: dict
    project: str | None = None
    service: str | None = None
    config_hash: str | None = None
    build: str = "base"  # "old" or "new": which build of the scenario's API image it runs
    publish: bool = False
    stop_signal: str | None = None
    ignore_sigterm: bool = False  # PID 1 ignores SIGTERM: only SIGKILL after the stop timeout ends it


@dataclass
class Scenario:
    name: str
    summary: str
    default_port: int
    boxes: list = field(default_factory=list)
    networks: dict = field(default_factory=dict)  # name -> labels

    @property
    def image(self):
        return f"fanout-lab/{self.name}-api"


def _compose(project, service, config_hash, number=1):
    return {
        "com.docker.compose.project": project,
        "com.docker.compose.service": service,
        "com.docker.compose.config-hash": config_hash,
        "com.docker.compose.container-number": str(number),
        "com.docker.compose.oneoff": "False",
    }


def _net_labels(project, name):
    return {"com.docker.compose.project": project, "com.docker.compose.network": name}


def incident():
    """The brief's incident: an old deploy's API still attached to the live network."""
    return Scenario(
        name="incident",
        summary="proxy on app_net and stale app_net_old; live and stale api both answer `api`",
        default_port=18080,
        networks={"app_net_old": _net_labels("app_old", "default"), "app_net": _net_labels("app", "default")},
        boxes=[
            # Created first, from the API image's old build: months-old code without CORS. The
            # earlier deploy left it joined to the new network too, which is what makes it answer.
            Box("app_old-api-1", caddy.stale_api(), {"app_net_old": ["api"], "app_net": ["api"]}, "app_old", "api", "cfg-2026-06", "old"),
            Box("app-api-1", caddy.live_api(), {"app_net": ["api"]}, "app", "api", "cfg-2026-12", "new"),
            Box("app-dashboard-1", caddy.static("dashboard"), {"app_net": ["dashboard"]}, "app", "dashboard", "cfg-dash"),
            Box("app-db-1", caddy.static("db"), {"app_net": ["db"]}, "app", "db", "cfg-db"),
            Box("app-proxy-1", caddy.proxy(), {"app_net": ["proxy"], "app_net_old": ["proxy"]}, "app", "proxy", "cfg-proxy", publish=True),
        ],
    )


def shadowed():
    """The stale API only on the old network: deterministic today, flips when app_net goes."""
    return Scenario(
        name="shadowed",
        summary="stale api only on sh_net_old, behind the live one on sh_net",
        default_port=18084,
        networks={"sh_net_old": _net_labels("sh_old", "default"), "sh_net": _net_labels("sh", "default")},
        boxes=[
            Box("sh_old-api-1", caddy.stale_api(), {"sh_net_old": ["api"]}, "sh_old", "api", "cfg-old", "old"),
            Box("sh-api-1", caddy.live_api(), {"sh_net": ["api"]}, "sh", "api", "cfg-new", "new"),
            Box("sh-proxy-1", caddy.proxy(), {"sh_net": ["proxy"], "sh_net_old": ["proxy"]}, "sh", "proxy", "cfg-proxy", publish=True),
        ],
    )


def shared():
    """Two compose projects with service `api` on one external `proxy` network: round-robin."""
    return Scenario(
        name="shared",
        summary="shop and shop_legacy both join service api to the external proxy network",
        default_port=18081,
        networks={"proxy": {}, "shop_default": _net_labels("shop", "default"), "shop_legacy_default": _net_labels("shop_legacy", "default")},
        boxes=[
            Box("shop_legacy-api-1", caddy.stale_api(), {"shop_legacy_default": ["api"], "proxy": ["api"]}, "shop_legacy", "api", "cfg-legacy", "old"),
            Box("shop-api-1", caddy.live_api(), {"shop_default": ["api"], "proxy": ["api"]}, "shop", "api", "cfg-shop", "new"),
            Box("edge-proxy-1", caddy.proxy(), {"proxy": ["proxy"]}, "edge", "proxy", "cfg-edge", publish=True),
        ],
    )


def replicas():
    """One compose service scaled to two identical containers: intentional, not a collision."""
    return Scenario(
        name="replicas",
        summary="web's api scaled to two identical replicas behind one alias",
        default_port=18082,
        networks={"web_default": _net_labels("web", "default")},
        boxes=[
            Box("web-api-1", caddy.live_api(), {"web_default": ["api"]}, "web", "api", "cfg-web", "new"),
            Box("web-api-2", caddy.live_api(), {"web_default": ["api"]}, "web", "api", "cfg-web", "new"),
            Box("web-proxy-1", caddy.proxy(), {"web_default": ["proxy"]}, "web", "proxy", "cfg-proxy", publish=True),
        ],
    )


def clean():
    """A healthy stack: every name has one backend."""
    return Scenario(
        name="clean",
        summary="one api, one proxy, nothing to report",
        default_port=18083,
        networks={"solo_default": _net_labels("solo", "default")},
        boxes=[
            Box("solo-api-1", caddy.live_api(), {"solo_default": ["api"]}, "solo", "api", "cfg-solo", "new"),
            Box("solo-proxy-1", caddy.proxy(), {"solo_default": ["proxy"]}, "solo", "proxy", "cfg-proxy", publish=True),
        ],
    )


def undecided():
    """Two projects behind one name, same image, nothing but age between them: must not guess."""
    return Scenario(
        name="undecided",
        summary="blue and green both answer api from the same image; only age differs",
        default_port=18085,
        networks={"bg_net": {}},
        boxes=[
            Box("blue-api-1", caddy.live_api(), {"bg_net": ["api"]}, "blue", "api", "cfg-blue", "new"),
            Box("green-api-1", caddy.live_api(), {"bg_net": ["api"]}, "green", "api", "cfg-green", "new"),
            Box("bg-proxy-1", caddy.proxy(), {"bg_net": ["proxy"]}, "bg", "proxy", "cfg-proxy", publish=True),
        ],
    )


def stubborn():
    """The incident, with a stale API that ignores SIGTERM (for fault tests)."""
    return Scenario(
        name="stubborn",
        summary="like incident, but the stale api ignores SIGTERM",
        default_port=18086,
        networks={"st_net_old": _net_labels("st_old", "default"), "st_net": _net_labels("st", "default")},
        boxes=[
            Box("st_old-api-1", caddy.stale_api(), {"st_net_old": ["api"], "st_net": ["api"]}, "st_old", "api", "cfg-old", "old", ignore_sigterm=True),
            Box("st-api-1", caddy.live_api(), {"st_net": ["api"]}, "st", "api", "cfg-new", "new"),
            Box("st-proxy-1", caddy.proxy(), {"st_net": ["proxy"], "st_net_old": ["proxy"]}, "st", "proxy", "cfg-proxy", publish=True),
        ],
    )


def neighbours():
    """Two unrelated stacks, each with `api` scaled to two on its own network behind a gateway
    started with plain `docker run` (no compose labels). North's image reference has moved on
    since it was deployed. Nothing reaches both: two sets of replicas, never rivals."""
    return Scenario(
        name="neighbours",
        summary="north and south each scale api to two on their own network; north's image tag moved",
        default_port=18087,
        networks={"north_default": _net_labels("north", "default"), "south_default": _net_labels("south", "default")},
        boxes=[
            Box("north-api-1", caddy.live_api(), {"north_default": ["api"]}, "north", "api", "cfg-north", "old"),
            Box("north-api-2", caddy.live_api(), {"north_default": ["api"]}, "north", "api", "cfg-north", "old"),
            Box("south-api-1", caddy.live_api(), {"south_default": ["api"]}, "south", "api", "cfg-south", "new"),
            Box("south-api-2", caddy.live_api(), {"south_default": ["api"]}, "south", "api", "cfg-south", "new"),
            Box("north-gw", caddy.proxy(), {"north_default": ["gw"]}, publish=True),
            Box("south-gw", caddy.proxy(), {"south_default": ["gw"]}),
        ],
    )


SCENARIOS = {s.__name__: s for s in (incident, shadowed, shared, replicas, clean, undecided, stubborn, neighbours)}


def connect(docker_host=None):
    if docker_host:
        return docker.APIClient(base_url=docker_host, version="auto")
    return docker.from_env(version="auto").api


def _commit_build(api, scenario, build):
    """Point <scenario image>:latest at a new build of the API image (a fresh image id)."""
    holder = api.create_container(BASE_IMAGE, command=["true"], labels={LABEL: scenario.name})
    try:
        api.commit(
            holder["Id"],
            repository=scenario.image,
            tag="latest",
            changes=[f"LABEL {LABEL}={scenario.name}", f"LABEL fanout.lab.build={build}"],
        )
    finally:
        api.remove_container(holder["Id"], force=True)


def up(name, docker_host=None, port=None, wait=True):
    """Create the scenario; returns what tests need to know (proxy URL, names)."""
    scenario = SCENARIOS[name]()
    port = port or scenario.default_port
    api = connect(docker_host)
    down(name, docker_host)
    for net, labels in scenario.networks.items():
        api.create_network(net, driver="bridge", labels={**labels, LABEL: scenario.name})
    current_build = None
    for box in scenario.boxes:
        image = BASE_IMAGE
        if box.build != "base":
            if box.build != current_build:
                _commit_build(api, scenario, box.build)
                current_build = box.build
            image = f"{scenario.image}:latest"
        _create_box(api, scenario, box, image, port)
    info = describe(scenario, port)
    if wait:
        _wait_ready(info["url"] + "health")
    return info


def _create_box(api, scenario, box, image, port):
    labels = {LABEL: scenario.name}
    if box.project:
        labels.update(_compose(box.project, box.service, box.config_hash, box.name.rsplit("-", 1)[-1]))
    nets = list(box.networks.items())
    first_net, first_aliases = nets[0]
    host_config = api.create_host_config(
        port_bindings={8080: ("127.0.0.1", port)} if box.publish else None,
        restart_policy={"Name": "no"},
    )
    run = f"trap '' TERM; {RUN.replace('exec ', '')} & wait" if box.ignore_sigterm else RUN
    container = api.create_container(
        image,
        command=["sh", "-c", run],
        name=box.name,
        environment={"CADDYFILE": box.caddyfile},
        labels=labels,
        host_config=host_config,
        ports=[8080] if box.publish else None,
        stop_signal=box.stop_signal,
        networking_config=api.create_networking_config({first_net: api.create_endpoint_config(aliases=first_aliases)}),
    )
    for net, aliases in nets[1:]:
        api.connect_container_to_network(container["Id"], net, aliases=aliases)
    api.start(container["Id"])


def describe(scenario, port):
    return {
        "name": scenario.name,
        "summary": scenario.summary,
        "url": f"http://127.0.0.1:{port}/",
        "port": port,
        "containers": [b.name for b in scenario.boxes],
        "networks": list(scenario.networks),
    }


def _wait_ready(url, seconds=15.0):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"lab: {url} did not answer 200 within {seconds} s ({last})")


def down(name=None, docker_host=None):
    """Remove every object labelled with the scenario (or with any scenario when name is None)."""
    api = connect(docker_host)
    selector = f"{LABEL}={name}" if name else LABEL
    for container in api.containers(all=True, filters={"label": selector}):
        api.remove_container(container["Id"], force=True)
    for network in api.networks(filters={"label": selector}):
        api.remove_network(network["Id"])
    for image in api.images(filters={"label": selector}):
        api.remove_image(image["Id"], force=True)


def snapshot(docker_host=None, scenario=None):
    """Containers (state, networks) and networks (members) for before/after checks; with a
    scenario, only the objects labelled with it (other tests may share the engine)."""
    api = connect(docker_host)
    filters = {"label": f"{LABEL}={scenario}"} if scenario else None
    containers = {}
    for listed in api.containers(all=True, filters=filters):
        name = listed["Names"][0].lstrip("/")
        networks = sorted((listed.get("NetworkSettings") or {}).get("Networks") or {})
        containers[name] = {"state": listed["State"], "networks": networks}
    networks = {n["Name"]: sorted(c for c, info in containers.items() if n["Name"] in info["networks"]) for n in api.networks(filters=filters)}
    return {"containers": containers, "networks": networks}


def default_host():
    return os.environ.get("DOCKER_HOST") or None


def record(name, docker_host=None):
    """The raw engine payloads of one scenario (list calls + inspects), for unit tests."""
    api = connect(docker_host)
    selector = f"{LABEL}={name}"
    listed = api.containers(all=True, filters={"label": selector})
    inspected = {c["Id"]: api.inspect_container(c["Id"]) for c in listed}
    networks = [n for n in api.networks() if n["Name"] in ("bridge", "host", "none") or (n.get("Labels") or {}).get(LABEL) == name]
    for container in inspected.values():
        container["Config"]["Env"] = []  # the Caddyfile is noise here
    return {"engine_version": api.version().get("Version"), "containers": listed, "inspects": inspected, "networks": networks}
