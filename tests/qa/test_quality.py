"""Sanity, lint, type and docs checks, all clean with no ignore entries."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.qa.conftest import ROOT, run, shown

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
PYTHON_TREES = ["plugins", "tests", "benchmarks"]


def test_no_sanity_ignore_files():
    assert not list((ROOT / "tests" / "sanity").glob("ignore-*.txt"))


def test_ansible_test_sanity(qa_bin, collection_tree):
    # ansible-test fetches its pip bootstrap from ci-files.testing.ansible.com, which is not
    # reachable here; the shim does the same job from PyPI (tests/sanity/get_pip_shim.py).
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for version in ("24_2",):
        shutil.copy(ROOT / "tests" / "sanity" / "get_pip_shim.py", cache / f"get_pip_{version}.py")
    proc = run([qa_bin / "ansible-test", "sanity", "--python", "3.11", "--color", "no"], cwd=collection_tree, timeout=1500)
    assert proc.returncode == 0, shown(proc)


def test_ansible_lint_production_profile(qa_bin):
    proc = run([qa_bin / "ansible-lint", "--offline", "--profile", "production", "--nocolor", "roles", "playbooks"])
    assert proc.returncode == 0, shown(proc)


def test_ruff_lint(qa_bin):
    proc = run([qa_bin / "ruff", "check", *PYTHON_TREES])
    assert proc.returncode == 0, shown(proc)


def test_ruff_format(qa_bin):
    proc = run([qa_bin / "ruff", "format", "--check", *PYTHON_TREES])
    assert proc.returncode == 0, shown(proc)


def test_mypy_plugins(qa_bin):
    proc = run([qa_bin / "mypy", "plugins"])
    assert proc.returncode == 0, shown(proc)


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_module(qa_bin, module):
    proc = run([qa_bin / "ansible-doc", f"fanout.docker.{module}"])
    assert proc.returncode == 0, shown(proc)
    assert f"fanout.docker.{module}" in proc.stdout
    assert "EXAMPLES:" in proc.stdout and "RETURN VALUES:" in proc.stdout


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_renders_role(qa_bin, role):
    proc = run([qa_bin / "ansible-doc", "-t", "role", f"fanout.docker.{role}"])
    assert proc.returncode == 0, shown(proc)
    assert re.search(r"ENTRY POINT: \*?main", proc.stdout), proc.stdout[:500]


def test_antsibull_docs_lint(qa_bin, collection_tree):
    proc = run([qa_bin / "antsibull-docs", "lint-collection-docs", "--plugin-docs", str(collection_tree)])
    assert proc.returncode == 0, shown(proc)


def test_changelog_lint(qa_bin):
    proc = run([qa_bin / "antsibull-changelog", "lint"])
    assert proc.returncode == 0, shown(proc)
    assert list((ROOT / "changelogs" / "fragments").glob("*.yml"))
