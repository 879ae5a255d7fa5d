"""The built collection: tarball contents, and the installed copy running against the lab."""

from __future__ import annotations

import re
import sys
import tarfile

import pytest
import yaml

from tests.qa.conftest import ROOT, run, shown

FORBIDDEN = re.compile(
    r"(^|/)(\.venv[^/]*|\.lab|\.git|collections|ansible_collections|__pycache__|\.pytest_cache|\.mypy_cache|\.ruff_cache|tests/output|benchmarks/results)(/|$)"
)


@pytest.fixture(scope="module")
def tarball(qa_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = run([qa_bin / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT])
    assert proc.returncode == 0, shown(proc)
    [path] = out.glob("fanout-docker-*.tar.gz")
    return path


def test_tarball_holds_the_collection_and_nothing_it_should_not(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert not [n for n in names if FORBIDDEN.search(n)], [n for n in names if FORBIDDEN.search(n)][:20]
    for needed in (
        "MANIFEST.json",
        "meta/runtime.yml",
        "plugins/modules/docker_dns_ambiguity_facts.py",
        "plugins/modules/cors_preflight_probe.py",
        "plugins/modules/docker_stale_cleanup.py",
        "plugins/doc_fragments/docker.py",
        "roles/fanout/meta/argument_specs.yml",
        "playbooks/verify.yml",
        "meta/execution-environment.yml",
        "meta/ee-requirements.txt",
    ):
        assert needed in names, needed


def test_installed_tarball_runs_diagnose_against_the_lab(tarball, lab, tmp_path):
    info = lab("incident")
    venv = tmp_path / "venv"
    proc = run([sys.executable, "-m", "venv", venv])
    assert proc.returncode == 0, shown(proc)
    proc = run([venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", "-r", ROOT / "requirements.txt"], timeout=600)
    assert proc.returncode == 0, shown(proc)
    collections = tmp_path / "collections"
    # Outside the checkout: no ansible.cfg, only the fresh collections path.
    env = {"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_CONFIG": str(tmp_path / "none.cfg")}
    proc = run([venv / "bin" / "ansible-galaxy", "collection", "install", "-p", collections, tarball], cwd=tmp_path, env=env)
    assert proc.returncode == 0, shown(proc)
    installed = collections / "ansible_collections" / "fanout" / "docker"
    assert (installed / "playbooks" / "diagnose.yml").is_file()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": str(venv / "bin" / "python")}}}})
    )
    args = ["-e", f'{{"fanout_consumers": {info["containers"]!r}, "fanout_summary_dir": "{tmp_path / "summary"}"}}'.replace("'", '"')]
    proc = run([venv / "bin" / "ansible-playbook", "-i", inventory, "fanout.docker.diagnose", *args, "-vv"], cwd=tmp_path, env=env)
    assert proc.returncode == 0, shown(proc)
    assert str(installed / "roles" / "fanout") in proc.stdout  # the role came from the installed copy
    assert "app_old-api-1 suspected stale" in proc.stdout
    assert str(ROOT) not in proc.stdout.replace(str(tmp_path), "")
