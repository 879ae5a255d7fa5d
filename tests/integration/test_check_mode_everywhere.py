"""Every playbook in check mode against every lab scenario at once changes nothing on the engine;
secrets passed to probes appear nowhere; the cleanup module refuses bad input before acting."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_module, run_playbook
from tests.integration.fleet import probe
from tests.lab import scenarios

ALL = list(scenarios.SCENARIOS)  # every lab scenario, new ones included
SECRET = "Bearer s3cr3t-t0ken-do-not-log"


@pytest.fixture(scope="module")
def every_scenario(lab):
    return {name: lab(name) for name in ALL}


def _engine_state():
    return {name: scenarios.snapshot(scenario=name) for name in ALL}


@pytest.mark.parametrize("playbook", ["diagnose", "verify", "remediate"])
def test_check_mode_changes_nothing(every_scenario, playbook, tmp_path):
    before = _engine_state()
    probes = [dict(probe(info["port"], count=10), headers={"Authorization": SECRET}) for info in every_scenario.values()]
    out = tmp_path / "summary"
    run = run_playbook(f"fanout.docker.{playbook}", {"fanout_probes": probes, "fanout_summary_dir": str(out)}, check=True, diff=True)
    assert _engine_state() == before
    # Findings are real (so the run did look): the incident's stale api is named.
    assert "app_old-api-1" in run.stdout, run
    everything = run.stdout + run.stderr + "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert SECRET not in everything and "s3cr3t" not in everything


@pytest.mark.parametrize(
    "args, message",
    [
        ({"keep": ["("]}, "keep: pattern '(' does not compile"),
        ({"keep": [""]}, "keep: entries must be non-empty strings"),
        ({"keep": ["label:"]}, "keep: 'label:' names no label key"),
        ({"stop_timeout": -1}, "stop_timeout: must be zero or more seconds, got -1"),
        ({"stop_timeout": "soon"}, "stop_timeout"),
        ({"consumers": ["nope-not-here"]}, "consumers: no container named 'nope-not-here' on this host"),
        ({"names": ["no-such-name"]}, "names: no container answers 'no-such-name'"),
        ({"remove_unused_networks": "maybe"}, "remove_unused_networks"),
        ({"docker_host": ""}, "docker_host: must not be empty"),
        ({"ca_path": "/nonexistent/ca.pem", "validate_certs": True}, "ca_path: /nonexistent/ca.pem is not a readable file"),
        ({"client_cert": "/etc/hostname"}, "client_cert and client_key: give both or neither"),
    ],
)
def test_cleanup_refuses_bad_input_before_acting(every_scenario, args, message):
    before = _engine_state()
    run = run_module("docker_stale_cleanup", args)
    assert run.rc != 0
    assert message in run.result["msg"], json.dumps(run.result)[:2000]
    assert _engine_state() == before


def test_absurd_stop_timeout_is_capped_and_said(every_scenario):
    run = run_module("docker_stale_cleanup", {"stop_timeout": 10**6, "consumers": every_scenario["clean"]["containers"]}, check=True)
    assert run.rc == 0, run
    assert "stop_timeout: 1000000 s capped to 3600 s" in run.stderr + run.stdout
