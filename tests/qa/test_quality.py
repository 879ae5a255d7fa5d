"""Sanity, lint, type and docs checks, all clean with no ignore entries."""

from __future__ import annotations

import ast
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


# What would start a process or a shell: the modules speak the Engine API and HTTP only, so no
# user-supplied string (a container name, a URL, a header) can ever reach a command line.
_PROCESS_MODULES = {"subprocess", "pty", "pexpect", "shlex", "commands", "popen2"}
_PROCESS_CALLS = {"system", "popen", "spawnl", "spawnlp", "spawnv", "spawnvp", "execv", "execvp", "execl", "execlp", "run_command", "fork", "forkpty"}


def _process_uses(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "").split(".")[0]]
        elif isinstance(node, ast.Attribute):
            names = [node.attr] if node.attr in _PROCESS_CALLS else []
        else:
            continue
        for name in names:
            if name in _PROCESS_MODULES or name in _PROCESS_CALLS:
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {name}"


def test_no_plugin_starts_a_process_or_a_shell():
    plugins = sorted((ROOT / "plugins").rglob("*.py"))
    assert len(plugins) >= 20  # the scan sees the whole plugin tree
    assert [use for path in plugins for use in _process_uses(path)] == []
    # The scan itself finds what it looks for.
    probe = ROOT / "tests" / "qa" / "conftest.py"
    assert any("subprocess" in use for use in _process_uses(probe))


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
