# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a cleanup plan against the engine, re-checking each target just before acting.

Something that changed since the plan is reported and left alone, never forced. A failed
action is reported with the engine's words; actions that depend on it are not attempted.
"""

from __future__ import annotations

from ._client import EngineError, EngineObjectGone

DONE = "done"
FAILED = "failed"
PLANNED = "planned"
GONE = "gone"  # the target vanished between the re-check and the action: not ours, not a failure


def _action(action, target, reasons, status, **extra):
    return {"action": action, "target": target, "reasons": reasons, "status": status, **extra}


def planned_actions(plan):
    """The plan as the list of actions check mode reports, in the order they would run."""
    actions = []
    for container in plan["containers"]:
        actions.append(_action("stop_container", container["name"], container["reasons"], PLANNED, id=container["id"]))
        actions.append(_action("remove_container", container["name"], container["reasons"], PLANNED, id=container["id"]))
    for network in plan["networks"]:
        for disconnect in plan["disconnects"]:
            if disconnect["network"] == network["name"]:
                actions.append(_action("disconnect", disconnect["container"], disconnect["reasons"], PLANNED, network=network["name"]))
        actions.append(_action("remove_network", network["name"], network["reasons"], PLANNED, id=network["id"]))
    return actions


def _is_serving(payload):
    state = (payload or {}).get("State") or {}
    return bool(state.get("Running")) and not state.get("Paused")


class CleanupRun:
    def __init__(self, client, plan, stop_timeout):
        self.client = client
        self.plan = plan
        self.stop_timeout = stop_timeout
        self.actions = []
        self.left_alone = []

    def _leave(self, kind, name, reason):
        self.left_alone.append({"kind": kind, "name": name, "reason": reason})

    def _attempt(self, action, target, reasons, func, *args, **extra):
        """DONE, FAILED (reported with the engine's words) or GONE (left alone, said why)."""
        try:
            func(*args)
        except EngineObjectGone as exc:
            kind = "network" if action == "remove_network" else "container"
            self._leave(kind, target, f"{action} found it gone: removed by someone else after the re-check ({exc})")
            return GONE
        except EngineError as exc:
            self.actions.append(_action(action, target, reasons, FAILED, error=str(exc), **extra))
            return FAILED
        self.actions.append(_action(action, target, reasons, DONE, **extra))
        return DONE

    def run(self):
        for container in self.plan["containers"]:
            self._remove_container(container)
        for network in self.plan["networks"]:
            self._remove_network(network)
        return self.actions, self.left_alone

    def _remove_container(self, planned):
        current = self.client.inspect_container(planned["id"])
        if current is None:
            self._leave("container", planned["name"], "already gone since the plan")
            return
        down = []
        for live_name in planned["live_side"]:
            live = self.client.inspect_container(live_name)
            if not _is_serving(live):
                down.append(live_name)
        if down:
            # Removing the stale side now would leave the name with no backend at all.
            self._leave("container", planned["name"], f"the live side ({', '.join(down)}) is not serving anymore; nothing removed")
            return
        state = current.get("State") or {}
        active = state.get("Running") or state.get("Paused") or state.get("Restarting")
        stop = (self.client.stop_container, planned["id"], self.stop_timeout)
        if active and self._attempt("stop_container", planned["name"], planned["reasons"], *stop, id=planned["id"]) != DONE:
            return
        self._attempt("remove_container", planned["name"], planned["reasons"], self.client.remove_container, planned["id"], id=planned["id"])

    def _members(self, network_id):
        payload = self.client.inspect_network(network_id)
        if payload is None:
            return None
        return {endpoint.get("Name") for endpoint in (payload.get("Containers") or {}).values()}

    def _remove_network(self, planned):
        members = self._members(planned["id"])
        if members is None:
            self._leave("network", planned["name"], "already gone since the plan")
            return
        unexpected = sorted(members - set(planned["consumers"]))
        if unexpected:
            self._leave("network", planned["name"], f"still has endpoints of {', '.join(unexpected)}, which the plan did not expect; nothing forced")
            return
        for disconnect in self.plan["disconnects"]:
            if disconnect["network"] != planned["name"] or disconnect["container"] not in members:
                continue
            # GONE here (the consumer or the network went meanwhile) still lets the removal try.
            if (
                self._attempt(
                    "disconnect",
                    disconnect["container"],
                    disconnect["reasons"],
                    self.client.disconnect,
                    disconnect["container_id"],
                    planned["id"],
                    network=planned["name"],
                )
                == FAILED
            ):
                return
        outcome = self._attempt("remove_network", planned["name"], planned["reasons"], self.client.remove_network, planned["id"], id=planned["id"])
        if outcome == FAILED:
            remaining = self._members(planned["id"]) or set()
            self.actions[-1]["remaining_endpoints"] = sorted(remaining)
