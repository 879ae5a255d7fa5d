"""Quality checks run the tools of .venv-qa (tests/requirements-qa.txt) on the collection."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QA_BIN = ROOT / ".venv-qa" / "bin"


def run(cmd, cwd=ROOT, env=None, timeout=900):
    """Run a tool; the result carries everything a failing assertion should show."""
    full_env = dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1", PY_COLORS="0", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    full_env["PATH"] = f"{QA_BIN}:{full_env.get('PATH', '')}"
    full_env.update(env or {})
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)


def shown(proc):
    return f"rc={proc.returncode}\n--- stdout\n{proc.stdout[-8000:]}\n--- stderr\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="session")
def qa_bin():
    if not (QA_BIN / "ansible-test").exists():
        pytest.fail(f"{QA_BIN} is missing: run `make test` (it installs tests/requirements-qa.txt)")
    return QA_BIN


@pytest.fixture(scope="session")
def collection_tree(tmp_path_factory):
    """The checkout laid out at .../ansible_collections/fanout/docker, as ansible-test needs it."""
    dest = tmp_path_factory.mktemp("layout")
    proc = run([ROOT / "tests" / "qa" / "layout.sh", dest])
    assert proc.returncode == 0, shown(proc)
    return Path(proc.stdout.strip())
