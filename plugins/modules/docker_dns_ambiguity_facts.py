#!/usr/bin/python
# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_dns_ambiguity_facts
short_description: Find every name a container can resolve to more than one backend
version_added: 0.1.0
description:
  - Reads a Docker engine's containers and networks and computes, for every consumer container and every
    name it can resolve, what Docker's embedded DNS (127.0.0.11) answers.
  - The engine answers from the first of the consumer's networks that knows the name (higher gateway
    priority first, internal networks last, then by network name), with every container registered
    for the name there. Two or more containers there is a V(round_robin) ambiguity (intermittent);
    the same name on a later network with other containers is V(shadowed) (deterministic today,
    flips when networks change).
  - Each ambiguous name gets a verdict. V(replicas) are one compose service scaled out (same project,
    service, image and config hash). A V(collision) is different deploy generations behind one name;
    the side with evidence against it is suspected stale. V(undecided) means the evidence does not agree.
  - Reads only; never changes anything on the engine.
author:
  - fanout.docker contributors (@fanout-docker)
extends_documentation_fragment:
  - fanout.docker.docker
  - fanout.docker.attributes
  - fanout.docker.attributes.read_only
  - fanout.docker.attributes.actiongroup_docker
attributes:
  facts:
    support: full
    description: Results are returned under C(ansible_facts.docker_dns_ambiguity).
options:
  consumers:
    description:
      - Containers (names or ids) whose view of DNS to compute. Default is every running container.
      - A name that matches no container fails the task.
    type: list
    elements: str
    default: []
  names:
    description:
      - Only report these DNS names. Default is every name.
      - A name that no container answers on any network fails the task.
    type: list
    elements: str
    default: []
  keep:
    description:
      - Patterns of what cleanup must never touch, as in M(fanout.docker.docker_stale_cleanup). Only marks
        backends (C(kept_by)) so reports can say why a collision will stay; changes nothing.
    type: list
    elements: str
    default: []
  verbose_output:
    description:
      - Also return every container in full (RV(ansible_facts.docker_dns_ambiguity.containers)) and one finding per
        ambiguous (consumer, name) (RV(ansible_facts.docker_dns_ambiguity.findings)).
      - Off by default because both grow with the host, the findings with consumers x names, and Ansible pays
        for every value of a result; the default result grows with the ambiguous names only.
    type: bool
    default: false
notes:
  - The container list call does not return network aliases, so each container is inspected once (two list
    calls plus one inspect per container). On a Unix socket every read shares one keep-alive connection; other
    transports use a small bounded pool of them.
  - The default C(bridge) network has no embedded DNS; its containers answer no names.
"""

EXAMPLES = r"""
- name: See every ambiguous name on the host
  fanout.docker.docker_dns_ambiguity_facts:

- name: Only what the proxy resolves for api
  fanout.docker.docker_dns_ambiguity_facts:
    docker_host: unix:///var/run/docker.sock
    consumers: [proxy]
    names: [api]

- name: Every container in full and one finding per (consumer, name), for a closer look at one host
  fanout.docker.docker_dns_ambiguity_facts:
    verbose_output: true

- name: Show each collision and the side suspected stale
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.verdict }}; stale: {{ item.suspected_stale | join(', ') }}"
  loop: "{{ ansible_facts.docker_dns_ambiguity.ambiguous_names }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    docker_dns_ambiguity:
      description: The host's topology and findings.
      returned: always
      type: dict
      contains:
        docker_host:
          description: The engine that was read.
          type: str
          returned: always
          sample: unix:///var/run/docker.sock
        api_version:
          description: Engine API version spoken.
          type: str
          returned: always
          sample: "1.41"
        containers:
          description:
            - Only with O(verbose_output=true).
            - Every container with state, image reference and id, whether the reference now points to
              another image (C(image_ref_moved)), creation time,
              compose labels, network mode, published ports (C(host_ip:host_port->port/proto)), and per network
              its IPs, aliases and the DNS names it answers there.
          type: list
          elements: dict
          returned: when verbose_output is true
          sample:
            - name: app_old-api-1
              id: 3f0c...
              short_id: 3f0c2a9b1d44
              state: running
              running: true
              health: null
              image: fanout-lab/incident-api:latest
              image_id: sha256:5e1d...
              image_ref_moved: true
              created: "2026-12-03T16:24:00.123456789Z"
              compose: {project: app_old, service: api, config_hash: abc, container_number: "1", oneoff: false}
              labels: {}
              network_mode: app_net_old
              published: []
              networks:
                - network: app_net
                  network_id: 9a1...
                  endpoint_id: 77e...
                  ip: 172.18.0.4
                  ipv6: ""
                  aliases: [api, 3f0c2a9b1d44]
                  priority: 0
                  dns_names:
                    - {name: app_old-api-1, source: container_name}
                    - {name: api, source: compose_service}
                    - {name: 3f0c2a9b1d44, source: short_id}
        resolution_orders:
          description:
            - For every consumer that resolves an ambiguous name, its networks in the order the embedded DNS
              asks them. With the C(networks) of each RV(ansible_facts.docker_dns_ambiguity.ambiguous_names) record this tells what
              each consumer gets for each name.
          type: dict
          returned: always
          sample: {app-proxy-1: [app_net, app_net_old]}
        networks:
          description: Every network with driver, scope, internal flag, labels and attached containers.
          type: list
          elements: dict
          returned: always
          sample:
            - {name: app_net_old, id: 1b2..., driver: bridge, scope: local, internal: false, default: false,
               labels: {}, containers: [app_old-api-1, proxy]}
        findings:
          description:
            - Only with O(verbose_output=true).
            - One entry per ambiguous (consumer, name), with the consumer's resolution order, the network
              that answers, the answers there, every network that knows the name, the ambiguity kinds,
              and the verdict with each backend's role. The evidence is in RV(ansible_facts.docker_dns_ambiguity.ambiguous_names),
              once per name.
          type: list
          elements: dict
          returned: when verbose_output is true
          sample:
            - consumer: proxy
              name: api
              kinds: [round_robin, shadowed]
              resolution_order: [app_net, app_net_old]
              answered_from: app_net
              answers: [app-api-1, app_old-api-1]
              networks:
                - {network: app_net, answers: [app-api-1, app_old-api-1]}
                - {network: app_net_old, answers: [app_old-api-1]}
              verdict: collision
              reason: different deploy generations answer the same name
              suspected_stale: [app_old-api-1]
              live: [app-api-1]
              backends:
                - {container: app_old-api-1, role: suspected_stale}
                - {container: app-api-1, role: live}
        ambiguous_names:
          description:
            - One record per ambiguous name, with every consumer it is ambiguous for, the networks on which it is
              registered and who answers there, and per backend (every container any of those consumers reaches
              through the name) its role, compose project and service, image, addresses, C(kept_by) and the evidence.
            - A name gets one record per group of backends that its consumers link. Unrelated stacks that each
              answer the same name on their own networks (two projects, each with its own C(api)) get one record
              each, since backends no consumer can reach together are never judged as rival generations.
            - The verdict is judged once per compose project among the consumers (a consumer's project matters
              when it is not itself a backend); when they disagree, the verdict is V(undecided). It is also
              V(undecided) when removing the suspected-stale side would leave some consumer with no live backend
              for the name.
          type: list
          elements: dict
          returned: always
          sample:
            - name: api
              kinds: [round_robin]
              verdict: collision
              reason: different deploy generations answer the same name
              consumers: [app-proxy-1, app-dashboard-1]
              networks:
                - {network: app_net, answers: [app-api-1, app_old-api-1]}
                - {network: app_net_old, answers: [app_old-api-1]}
              suspected_stale: [app_old-api-1]
              live: [app-api-1]
              backends:
                - container: app_old-api-1
                  role: suspected_stale
                  kept_by: null
                  evidence:
                    - {code: older_creation, detail: app_old-api-1 created before the newest other side}
                    - {code: image_reference_moved, detail: fanout-lab/incident-api:latest now points to a different image}
        suspected_stale_containers:
          description: Containers a collision calls stale and nothing calls live, with the evidence.
          type: list
          elements: dict
          returned: always
          sample:
            - {name: app_old-api-1, id: 3f0c..., names: [api], evidence: [{code: image_reference_moved, detail: ...}]}
        stale_networks:
          description:
            - Networks with no endpoints (V(no_endpoints)), or whose only endpoints are suspected-stale
              containers and consumers that keep another shared network and their gateway
              (V(only_stale_and_consumers)).
          type: list
          elements: dict
          returned: always
          sample:
            - {name: app_net_old, reason: only_stale_and_consumers, stale_members: [app_old-api-1], consumers: [proxy]}
        networks_kept:
          description: Networks holding suspected-stale containers that are not stale, with why.
          type: list
          elements: dict
          returned: always
        messages:
          description:
            - One human-readable line per ambiguous name and per stale network, then anything the reading
              itself noticed (a consumer that resolves no names, containers removed while the module read
              the engine). Empty on a clean host.
          type: list
          elements: str
          returned: always
          sample:
            - "`api` from app-dashboard-1 (+4 more): 2 answers on app_net (app-api-1, app_old-api-1) [round-robin: intermittent].
              collision: different deploy generations answer the same name. app-api-1 live. app_old-api-1 suspected stale: ..."
            - "network app_net_old is stale (only_stale_and_consumers): only suspected-stale app_old-api-1 and consumers app-proxy-1."
        vanished:
          description:
            - Containers listed but gone before they could be inspected (removed while the module read the engine),
              by id and name. They are left out of every other key, and RV(ansible_facts.docker_dns_ambiguity.messages)
              says so.
          type: list
          elements: dict
          returned: always
          sample: [{id: 3f0c..., name: app-db-1}]
        summary:
          description:
            - Counts of containers, networks, consumers and distinct ambiguous names; records of
              RV(ansible_facts.docker_dns_ambiguity.ambiguous_names) by kind and by verdict.
          type: dict
          returned: always
          sample: {containers: 5, networks: 5, consumers: 5, ambiguous_names: 1, round_robin: 1, shadowed: 1,
                   replicas: 0, collisions: 1, undecided: 0, suspected_stale_containers: 1, stale_networks: 1}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fanout.docker.plugins.module_utils._client import (
    DOCKER_COMMON_ARGS,
    EngineClient,
    EngineError,
    check_common_args,
    read_topology,
)
from ansible_collections.fanout.docker.plugins.module_utils._findings import NotFoundError, analyse
from ansible_collections.fanout.docker.plugins.module_utils._keep import KeepError, annotate_kept, compile_keep


def _check_list(module, option):
    for value in module.params[option]:
        if not isinstance(value, str) or not value.strip():
            module.fail_json(msg=f"{option}: entries must be non-empty strings, got {value!r}")


def main():
    argument_spec = dict(DOCKER_COMMON_ARGS)
    argument_spec.update(
        consumers=dict(type="list", elements="str", default=[]),
        names=dict(type="list", elements="str", default=[]),
        keep=dict(type="list", elements="str", default=[]),
        verbose_output=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    check_common_args(module)
    _check_list(module, "consumers")
    _check_list(module, "names")
    try:
        keep_rules = compile_keep(module.params["keep"])
    except KeepError as exc:
        module.fail_json(msg=str(exc))

    try:
        client = EngineClient(module.params)
        try:
            topology = read_topology(client)
        finally:
            client.close()
        verbose = module.params["verbose_output"]
        report = analyse(topology, module.params["consumers"], module.params["names"], per_consumer=verbose)
        report = annotate_kept(topology, report, keep_rules)
    except EngineError as exc:
        module.fail_json(msg=str(exc))
    except NotFoundError as exc:
        module.fail_json(msg=str(exc))

    facts = {"docker_host": module.params["docker_host"], "api_version": client.api_version}
    facts["networks"] = topology.networks
    if verbose:
        facts["containers"] = topology.containers
    facts.update(report)
    facts["vanished"] = topology.vanished
    if topology.vanished:
        gone = ", ".join(c["name"] for c in topology.vanished)
        facts["messages"] = [*facts.get("messages", []), f"removed while this module read the engine, so left out: {gone}"]
    module.exit_json(changed=False, ansible_facts={"docker_dns_ambiguity": facts})


if __name__ == "__main__":
    main()
