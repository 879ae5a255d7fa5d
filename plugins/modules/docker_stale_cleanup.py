#!/usr/bin/python
# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_stale_cleanup
short_description: Remove, with evidence, the stale side of Docker DNS collisions
version_added: 0.1.0
description:
  - Reads the engine's topology itself, judges it as M(fanout.docker.docker_dns_ambiguity_facts) does, and
    removes the stale side of every collision, in this order. Stops (gracefully, within O(stop_timeout)) and
    removes each suspected-stale container; disconnects consumers (such as a reverse proxy) from stale
    networks; removes those networks.
  - Re-checks each target just before acting. A container already gone, a live side that stopped serving,
    or a network that gained an endpoint nobody planned for is reported and left alone, never forced.
  - Never touches the default networks (C(bridge), C(host), C(none)), anything matching O(keep) (a consumer
    matching it is not disconnected, so its network stays), the live side of a collision, replicas, or
    anything whose verdict is undecided.
  - Leaves a suspected-stale container alone when it is still in use another way - it publishes a port,
    another container runs in its network namespace, or it is the only answer to another name a running
    neighbour resolves - and a stale network when two remaining containers reach each other by an alias
    registered only there, or a stopped container is configured on it.
author:
  - fanout.docker contributors (@fanout-docker)
extends_documentation_fragment:
  - fanout.docker.docker
  - fanout.docker.attributes
  - fanout.docker.attributes.actiongroup_docker
attributes:
  check_mode:
    support: full
    details:
      - Reports exactly what would be stopped, removed and disconnected, and changes nothing.
  diff_mode:
    support: full
    details:
      - Before and after of the host's containers (state, networks) and networks (members).
  idempotent:
    support: full
    details:
      - Once the stale side is gone, a second run finds nothing to do and reports C(changed=false).
options:
  keep:
    description:
      - What must never be touched. Each entry is a regular expression matched in full against container
        names, compose projects and network names.
      - Prefix C(name:) to match container and network names only, C(project:) compose projects only,
        C(network:) network names only; C(label:KEY) or C(label:KEY=REGEX) matches a label of a container
        or network.
      - A stale container that matches is left alone, and so is every network it still holds. A consumer
        that matches is never disconnected, so a stale network it is on stays.
    type: list
    elements: str
    default: []
  consumers:
    description:
      - Judge only the names these containers resolve. Default is every running container.
    type: list
    elements: str
    default: []
  names:
    description:
      - Judge only these DNS names. Default is every name.
    type: list
    elements: str
    default: []
  stop_timeout:
    description:
      - Seconds a stale container gets to stop after SIGTERM (or its own stop signal) before it is killed.
    type: int
    default: 10
  remove_unused_networks:
    description:
      - Also remove user-defined networks with no endpoints and no container referring to them.
      - Off by default, because an empty network is not proof that it is stale.
    type: bool
    default: false
  fail_on_undecided:
    description:
      - Fail, before changing anything, when a name is claimed by different deploys and the evidence does
        not say which one is stale. When false, undecided names are reported and left alone and the
        decided ones are cleaned up.
    type: bool
    default: true
notes:
  - Stop and removal use the Engine API directly; no shell command is run.
"""

EXAMPLES = r"""
- name: Show what would be removed
  fanout.docker.docker_stale_cleanup:
  check_mode: true
  diff: true

- name: Remove the stale side, never anything of the billing project
  fanout.docker.docker_stale_cleanup:
    keep:
      - project:billing
      - label:com.example.pinned
    stop_timeout: 30
  register: cleanup

- name: Say what was done
  ansible.builtin.debug:
    msg: "{{ cleanup.actions | map(attribute='action') | zip(cleanup.actions | map(attribute='target')) | list }}"
"""

RETURN = r"""
actions:
  description:
    - Each action with its target and the evidence behind it, in the order they ran (or would run).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: What was done to the target.
      type: str
      returned: always
      choices: [stop_container, remove_container, disconnect, remove_network]
    target:
      description: The container or network acted on.
      type: str
      returned: always
    network:
      description: The network a consumer is disconnected from.
      type: str
      returned: when RV(actions[].action=disconnect)
    id:
      description: Id of the container or network.
      type: str
      returned: for container and network removal
    status:
      description: V(planned) in check mode, V(done) or V(failed) otherwise.
      type: str
      returned: always
      choices: [planned, done, failed]
    reasons:
      description: The evidence behind the action.
      type: list
      elements: str
      returned: always
    error:
      description: The engine's words when the action failed.
      type: str
      returned: when RV(actions[].status=failed)
    remaining_endpoints:
      description: Containers still attached to a network the engine refused to remove.
      type: list
      elements: str
      returned: when a network removal failed
  sample:
    - {action: stop_container, target: app_old-api-1, status: done, id: 3f0c...,
       reasons: ["image_reference_moved: fanout-lab/incident-api:latest now points to a different image"]}
    - {action: remove_container, target: app_old-api-1, status: done, id: 3f0c..., reasons: ["..."]}
    - {action: disconnect, target: app-proxy-1, network: app_net_old, status: done,
       reasons: ["app_net_old only serves suspected-stale app_old-api-1"]}
    - {action: remove_network, target: app_net_old, status: done, id: 1b2..., reasons: ["..."]}
left_alone:
  description: What was not touched, and why (keep, replicas, undecided, changed since the plan, ...).
  returned: always
  type: list
  elements: dict
  sample:
    - {kind: container, name: web-api-1, reason: "replica of `api`"}
undecided:
  description: Names claimed by different deploys where the evidence does not say which side is stale.
  returned: always
  type: list
  elements: dict
messages:
  description: The findings the plan was made from, as human-readable lines.
  returned: always
  type: list
  elements: str
diff:
  description: Containers and networks before and after (predicted in check mode).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Containers with state and networks, networks with members.
      type: dict
      returned: always
    after:
      description: The same, after the cleanup.
      type: dict
      returned: always
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fanout.docker.plugins.module_utils._cleanup_plan import plan_cleanup
from ansible_collections.fanout.docker.plugins.module_utils._cleanup_run import CleanupRun, planned_actions
from ansible_collections.fanout.docker.plugins.module_utils._client import (
    DOCKER_COMMON_ARGS,
    EngineClient,
    EngineError,
    check_common_args,
    read_topology,
)
from ansible_collections.fanout.docker.plugins.module_utils._findings import NotFoundError, analyse
from ansible_collections.fanout.docker.plugins.module_utils._keep import KeepError, compile_keep

MAX_STOP_TIMEOUT = 3600


def _state(topology):
    return {
        "containers": {c["name"]: {"state": c["state"], "networks": sorted(e["network"] for e in c["networks"])} for c in topology.containers},
        "networks": {n["name"]: sorted(n["containers"]) for n in topology.networks},
    }


def _predicted(before, actions):
    after = copy.deepcopy(before)
    for action in actions:
        if action["action"] == "remove_container":
            after["containers"].pop(action["target"], None)
            for members in after["networks"].values():
                if action["target"] in members:
                    members.remove(action["target"])
        elif action["action"] == "disconnect":
            after["containers"][action["target"]]["networks"].remove(action["network"])
            after["networks"][action["network"]].remove(action["target"])
        elif action["action"] == "remove_network":
            after["networks"].pop(action["target"], None)
    return after


def _validate(module):
    check_common_args(module)
    for option in ("consumers", "names"):
        for value in module.params[option]:
            if not value.strip():
                module.fail_json(msg=f"{option}: entries must be non-empty strings, got {value!r}")
    timeout = module.params["stop_timeout"]
    if timeout < 0:
        module.fail_json(msg=f"stop_timeout: must be zero or more seconds, got {timeout}")
    if timeout > MAX_STOP_TIMEOUT:
        module.warn(f"stop_timeout: {timeout} s capped to {MAX_STOP_TIMEOUT} s")
        module.params["stop_timeout"] = MAX_STOP_TIMEOUT
    try:
        return compile_keep(module.params["keep"])
    except KeepError as exc:
        module.fail_json(msg=str(exc))


def _undecided_message(undecided):
    parts = []
    for record in undecided:
        sides = "; ".join(f"{b['container']} ({', '.join(e['detail'] for e in b['evidence']) or 'no evidence against it'})" for b in record["backends"])
        parts.append(f"`{record['name']}` from {', '.join(record['consumers'])}: {record['reason']}: {sides}")
    return "Nothing was changed: undecided collisions need a human (or keep entries, or fail_on_undecided=false). " + " | ".join(parts)


def main():
    argument_spec = dict(DOCKER_COMMON_ARGS)
    argument_spec.update(
        keep=dict(type="list", elements="str", default=[]),
        consumers=dict(type="list", elements="str", default=[]),
        names=dict(type="list", elements="str", default=[]),
        stop_timeout=dict(type="int", default=10),
        remove_unused_networks=dict(type="bool", default=False),
        fail_on_undecided=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    keep_rules = _validate(module)
    params = module.params

    try:
        client = EngineClient(params)
        topology = read_topology(client)
        report = analyse(topology, params["consumers"], params["names"])
    except (EngineError, NotFoundError) as exc:
        module.fail_json(msg=str(exc))

    plan = plan_cleanup(topology, report, keep_rules, params["remove_unused_networks"])
    result = {
        "changed": False,
        "actions": planned_actions(plan),
        "left_alone": plan["left_alone"],
        "undecided": plan["undecided"],
        "messages": report["messages"],
    }
    before = _state(topology)

    if plan["undecided"] and params["fail_on_undecided"]:
        client.close()
        module.fail_json(msg=_undecided_message(plan["undecided"]), **result)

    if module.check_mode:
        result["changed"] = bool(result["actions"])
        if module._diff:
            result["diff"] = {"before": before, "after": _predicted(before, result["actions"])}
        client.close()
        module.exit_json(**result)

    run = CleanupRun(client, plan, params["stop_timeout"])
    try:
        actions, left_alone = run.run()
    except EngineError as exc:
        # The engine went away mid-run: report what already happened, force nothing.
        client.close()
        module.fail_json(
            msg=f"{exc} (cleanup stopped; actions already done are listed)",
            changed=bool(run.actions),
            actions=run.actions,
            left_alone=plan["left_alone"] + run.left_alone,
        )
    result["actions"] = actions
    result["left_alone"] = plan["left_alone"] + left_alone
    result["changed"] = any(a["status"] == "done" for a in actions)
    if module._diff:
        try:
            result["diff"] = {"before": before, "after": _state(read_topology(client))}
        except EngineError as exc:
            module.warn(f"diff: could not read the topology after the cleanup: {exc}")
    client.close()
    failed = [a for a in actions if a["status"] == "failed"]
    if failed:
        module.fail_json(msg="; ".join(f"{a['action']} {a['target']}: {a['error']}" for a in failed), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
