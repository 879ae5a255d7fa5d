"""remediate on one host: keep wins, replicas are never touched (also when an unrelated stack has
a service of the same name), undecided removes nothing."""

from __future__ import annotations

import pytest

from tests.helpers import run_playbook
from tests.integration.fleet import host_outcome, probe, recap, statuses
from tests.lab import scenarios


def _remediate(tmp_path, info, check=False, **extra):
    out = tmp_path / "summary"
    extra_vars = {"fanout_summary_dir": str(out), "fanout_consumers": info["containers"], "fanout_probes": [probe(info["port"], count=20)], **extra}
    return run_playbook("fanout.docker.remediate", extra_vars, check=check), out


def test_keep_wins_and_verify_keeps_failing_saying_so(lab, tmp_path):
    info = lab("incident")
    before = scenarios.snapshot(scenario=info["name"])
    run, out = _remediate(tmp_path, info, fanout_keep=["project:app_old"])
    assert run.rc != 0
    assert scenarios.snapshot(scenario=info["name"]) == before
    outcome = host_outcome(out, "localhost")
    assert outcome["status"] == "broken"
    assert {"kind": "container", "name": "app_old-api-1", "reason": "matches keep entry 'project:app_old'"} in outcome["cleanup"]["left_alone"]
    assert "app_old-api-1 (suspected stale: " in outcome["violations"][0]
    assert "left alone: matches keep entry project:app_old" in outcome["violations"][0]
    out_verify = tmp_path / "verify"
    verify = run_playbook(
        "fanout.docker.verify", {"fanout_summary_dir": str(out_verify), "fanout_consumers": info["containers"], "fanout_keep": ["project:app_old"]}
    )
    assert verify.rc != 0
    assert "left alone: matches keep entry project:app_old" in verify.stdout


def _remediate_leaves_alone(tmp_path, info):
    """remediate on a healthy scenario: succeeds, changes nothing, reports clean; its outcome."""
    before = scenarios.snapshot(scenario=info["name"])
    run, out = _remediate(tmp_path, info)
    assert run.rc == 0, run
    assert scenarios.snapshot(scenario=info["name"]) == before
    assert statuses(out) == {"localhost": "clean"}
    assert recap(run.stdout)["localhost"]["changed"] == 0
    return host_outcome(out, "localhost")


def test_replicas_are_never_touched(lab, tmp_path):
    left = _remediate_leaves_alone(tmp_path, lab("replicas"))["cleanup"]["left_alone"]
    assert {"kind": "container", "name": "web-api-1", "reason": "replica of `api`"} in left


def test_unrelated_replica_sets_behind_one_name_are_never_rivals(lab, tmp_path):
    # Judged as one set, north (older, image tag moved) would lose to south and both north
    # replicas would go, leaving north-gw with no api at all.
    outcome = _remediate_leaves_alone(tmp_path, lab("neighbours"))
    api = [(r["verdict"], r["consumers"][0], [b["container"] for b in r["backends"]]) for r in outcome["ambiguous_names"] if r["name"] == "api"]
    assert api == [("replicas", "north-gw", ["north-api-1", "north-api-2"]), ("replicas", "south-gw", ["south-api-1", "south-api-2"])]
    assert outcome["suspected_stale_containers"] == []
    assert outcome["probes"][0]["passed"] == 20


def test_undecided_fails_with_the_evidence_and_removes_nothing(lab, tmp_path):
    info = lab("undecided")
    before = scenarios.snapshot(scenario=info["name"])
    for check in (True, False):
        run, out = _remediate(tmp_path, info, check=check)
        assert run.rc != 0
        assert scenarios.snapshot(scenario=info["name"]) == before
        outcome = host_outcome(out, "localhost")
        assert outcome["status"] == "error"
        assert "Nothing was changed: undecided collisions need a human" in outcome["error"]
        assert "blue-api-1 (blue-api-1 created before the newest other side)" in outcome["error"]
        assert "green-api-1 (no evidence against it)" in outcome["error"]
        # The only host failed, so Ansible ended the run early; the summary is written anyway.
        assert statuses(out) == {"localhost": "error"}
        assert (out / "report.html").is_file()


@pytest.mark.parametrize(
    "probe_entry, message",
    [
        ({"url": "http://127.0.0.1:1/"}, "missing required arguments: origin found in fanout_probes"),
        ({"url": "http://127.0.0.1:1/", "origin": "https://app.example", "colour": "red"}, "fanout_probes.colour. Supported parameters include: "),
        ({"url": "http://127.0.0.1:1/", "origin": "https://app.example", "count": "many"}, "argument 'count' is of type str found in 'fanout_probes'"),
    ],
)
def test_a_malformed_probe_fails_before_anything_naming_the_option(lab, tmp_path, probe_entry, message):
    info = lab("incident")
    before = scenarios.snapshot(scenario=info["name"])
    run, out = _remediate(tmp_path, info, fanout_probes=[probe_entry])
    assert run.rc != 0
    assert message in run.stdout, run
    assert "Validation of arguments failed" in run.stdout
    assert scenarios.snapshot(scenario=info["name"]) == before
    assert not (out / "hosts").exists()  # it stopped before observing anything
