"""AWX / execution environment: the EE definition builds a context, the job templates are sound,
and verify / remediate run through ansible-runner laid out as AWX lays out a job."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.integration.fleet import probe
from tests.lab import scenarios
from tests.qa.conftest import ROOT, run, shown

TEMPLATES = json.loads((ROOT / "awx" / "fanout-docker.json").read_text())
ROLE_OPTIONS = set(yaml.safe_load((ROOT / "roles" / "fanout" / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"])


def _pins(path):
    lines = [line.split("#")[0].strip() for line in Path(path).read_text().splitlines()]
    return dict(line.split("==") for line in lines if "==" in line)


def test_ee_requirements_match_the_one_place_deps_are_pinned():
    pins = _pins(ROOT / "requirements.txt")
    ee = _pins(ROOT / "meta" / "ee-requirements.txt")
    assert ee == {name: pins[name] for name in ("docker", "requests")}


def test_ansible_builder_writes_a_context_naming_our_dependencies(qa_bin, tmp_path):
    context = tmp_path / "context"
    proc = run([qa_bin / "ansible-builder", "create", "-f", ROOT / "awx" / "execution-environment.yml", "-c", context, "--output-filename", "Containerfile"])
    assert proc.returncode == 0, shown(proc)
    build = context / "_build"
    python_deps = (build / "requirements.txt").read_text()
    assert "docker==7.1.0" in python_deps and "requests==2.32.5" in python_deps
    system_deps = (build / "bindep.txt").read_text()
    assert "openssh-client" in system_deps and "ca-certificates" in system_deps
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["fanout.docker"]
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-core==2.19.14" in containerfile and "ansible-runner==2.4.3" in containerfile


def test_job_templates_name_playbooks_that_exist_and_variables_the_role_declares():
    templates = {t["name"]: t for t in TEMPLATES["job_templates"]}
    assert set(templates) == {"fanout.docker diagnose", "fanout.docker verify", "fanout.docker remediate"}
    for template in templates.values():
        assert (ROOT / template["playbook"]).is_file(), template["playbook"]
        assert template["project"]["name"] in {p["name"] for p in TEMPLATES["projects"]}
        for name in yaml.safe_load(template.get("extra_vars") or "{}") or {}:
            assert name in ROLE_OPTIONS, name
    [schedule] = templates["fanout.docker verify"]["related"]["schedules"]
    assert "RRULE:FREQ=" in schedule["rrule"] and schedule["enabled"] is True
    remediate = templates["fanout.docker remediate"]
    assert remediate["job_type"] == "check" and remediate["ask_job_type_on_launch"] is True
    survey = {q["variable"]: q for q in remediate["related"]["survey_spec"]["spec"]}
    assert {"fanout_hosts", "fanout_keep"} <= set(survey)
    assert set(survey) <= ROLE_OPTIONS, set(survey) - ROLE_OPTIONS


def _private_data_dir(tmp_path, playbook, extravars):
    """project/, inventory/, env/ as AWX lays them out for ansible-runner."""
    pdd = tmp_path / "pdd"
    project = pdd / "project"
    shutil.copytree(ROOT / "playbooks", project / "playbooks")
    (pdd / "inventory").mkdir(parents=True)
    inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": str(ROOT / ".venv-qa" / "bin" / "python")}}}}
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    # The execution environment has the collection installed; here it is the checkout's link.
    (pdd / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")}))
    return pdd


def _events(pdd, ident):
    return [json.loads(p.read_text()) for p in sorted((pdd / "artifacts" / ident / "job_events").glob("*.json"))]


@pytest.mark.parametrize("job", ["verify", "remediate"])
def test_ansible_runner_job_as_awx_runs_it(qa_bin, lab, tmp_path, job):
    info = lab("incident")
    extravars = {"fanout_consumers": info["containers"], "fanout_probes": [probe(info["port"], count=20)], "fanout_summary_dir": str(tmp_path / "summary")}
    pdd = _private_data_dir(tmp_path, f"playbooks/{job}.yml", extravars)
    proc = run([qa_bin / "ansible-runner", "run", pdd, "-p", f"playbooks/{job}.yml", "--ident", job], timeout=900)
    artifacts = pdd / "artifacts" / job
    status = (artifacts / "status").read_text().strip()
    events = _events(pdd, job)
    failed_hosts = {e["event_data"]["host"] for e in events if e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors")}
    if job == "verify":
        assert (status, (artifacts / "rc").read_text().strip()) == ("failed", "2"), shown(proc)
        assert failed_hosts == {"localhost"}
        [failure] = [e for e in events if e["event"] == "runner_on_failed"]
        assert "app_old-api-1 (suspected stale" in failure["event_data"]["res"]["msg"]
    else:
        assert status == "successful", shown(proc)
        assert failed_hosts == set()
        changed = [e["event_data"]["res"] for e in events if e["event"] == "runner_on_ok" and e["event_data"]["res"].get("changed")]
        [cleanup] = [r for r in changed if "actions" in r]
        assert [(a["action"], a["target"], a["status"]) for a in cleanup["actions"]] == [
            ("stop_container", "app_old-api-1", "done"),
            ("remove_container", "app_old-api-1", "done"),
            ("disconnect", "app-proxy-1", "done"),
            ("remove_network", "app_net_old", "done"),
        ]
        assert "app_old-api-1" not in scenarios.snapshot(scenario="incident")["containers"]
