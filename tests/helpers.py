"""Run real ansible / ansible-playbook from tests and read their results as data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    result: dict | None = None

    def __str__(self):
        return f"rc={self.rc}\n--- stdout\n{self.stdout[-6000:]}\n--- stderr\n{self.stderr[-3000:]}"


def _env(extra=None):
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def run_module(module, args, env=None, check=False, timeout=300):
    """`ansible localhost -m fanout.docker.<module>`; the result JSON is read from --tree."""
    with tempfile.TemporaryDirectory() as tree:
        cmd = [str(BIN / "ansible"), "localhost", "-m", f"fanout.docker.{module}", "-a", json.dumps(args), "--tree", tree]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, cwd=ROOT, env=_env(env), capture_output=True, text=True, timeout=timeout, check=False)
        path = Path(tree) / "localhost"
        result = json.loads(path.read_text()) if path.exists() else None
    return Run(proc.returncode, proc.stdout, proc.stderr, result)


def run_playbook(playbook, extra_vars=None, inventory=None, check=False, diff=False, env=None, args=(), timeout=600):
    """`ansible-playbook` from the checkout; `playbook` is a path or an FQCN."""
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    if inventory:
        cmd += ["-i", str(inventory)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += list(args)
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(env), capture_output=True, text=True, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def probe_in_process(**params):
    """cors_preflight_probe's own work without Ansible: the module's defaults, then ``params``; (config, report)."""
    from ansible_collections.fanout.docker.plugins.module_utils._preflight import make_ssl_context
    from ansible_collections.fanout.docker.plugins.module_utils._probe_options import build_config
    from ansible_collections.fanout.docker.plugins.module_utils._probe_run import probe
    from ansible_collections.fanout.docker.plugins.modules.cors_preflight_probe import argument_spec

    config = build_config({**{name: spec.get("default") for name, spec in argument_spec().items()}, **params})
    ssl_context = make_ssl_context(config.target, config.validate_certs, config.ca_path)
    return config, probe(config, ssl_context=ssl_context)[1]
