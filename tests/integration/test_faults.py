"""Faults on the real engine: each case checks the message and that nothing live was lost."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.helpers import BIN, ROOT, _env, run_module
from tests.lab import scenarios

DOCKER_MODULES = ["docker_dns_ambiguity_facts", "docker_stale_cleanup"]


@pytest.mark.parametrize("module", DOCKER_MODULES)
@pytest.mark.parametrize(
    "args, message",
    [
        (
            {"docker_host": "unix:///run/fanout-lab/no-such-engine.sock"},
            "Docker engine at unix:///run/fanout-lab/no-such-engine.sock: the socket does not exist",
        ),
        ({"docker_host": "tcp://127.0.0.1:1"}, "Docker engine at tcp://127.0.0.1:1: connection refused"),
        ({"api_version": "9.99"}, "Set api_version to a version this engine supports"),
    ],
)
def test_engine_faults_give_a_message_naming_the_host_and_what_to_do(module, args, message):
    run = run_module(module, args)
    assert run.rc != 0
    assert message in run.result["msg"], run.result["msg"]


# What the modules import, copied where nobody can read it: the checkout and the venv may sit
# under a directory only root can enter (a mktemp -d clone, /root).
_NOBODY_PACKAGES = ("ansible", "docker", "requests", "urllib3", "certifi", "charset_normalizer", "idna")


@pytest.fixture(scope="module")
def nobody_pythonpath():
    [site] = (ROOT / ".venv" / "lib").glob("python3.*/site-packages")
    workdir = Path(tempfile.mkdtemp(prefix="fanout-nobody-"))
    ignore = shutil.ignore_patterns("__pycache__")
    try:
        for package in _NOBODY_PACKAGES:
            shutil.copytree(site / package, workdir / "site" / package, ignore=ignore)
        shutil.copytree(ROOT / "plugins", workdir / "collections" / "ansible_collections" / "fanout" / "docker" / "plugins", ignore=ignore)
        for path in [workdir, *workdir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("module", DOCKER_MODULES)
def test_socket_not_readable_by_an_unprivileged_user(module, nobody_pythonpath):
    # The module itself runs as nobody, with Debian's python3.11 and copies of what it imports.
    with tempfile.TemporaryDirectory() as workdir:
        os.chmod(workdir, 0o755)
        args = Path(workdir) / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_tmpdir": workdir}}))
        env = {"PYTHONPATH": f"{nobody_pythonpath / 'collections'}:{nobody_pythonpath / 'site'}", "HOME": workdir, "PATH": "/usr/bin:/bin"}
        module_path = f"ansible_collections.fanout.docker.plugins.modules.{module}"
        cmd = ["/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/python3.11", "-m", module_path, str(args)]
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0, proc.stdout
    result = json.loads(proc.stdout)
    assert result["failed"] is True
    assert "Docker engine at unix:///var/run/docker.sock: permission denied on the socket" in result["msg"], result["msg"]
    assert "become: true" in result["msg"]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_engine_with_another_ca():
    """A TLS listener on 127.0.0.1 whose certificate a different CA signed than the one we trust."""
    workdir = Path(tempfile.mkdtemp())
    for ca in ("real-ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=workdir)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr", cwd=workdir)
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "real-ca.pem", "-CAkey", "real-ca.key", "-CAcreateserial", "-days", "2", "-out", "server.pem", cwd=workdir
    )

    class Engine(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"ApiVersion": "1.41"}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Engine)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(workdir / "server.pem", workdir / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"tcp://127.0.0.1:{server.server_address[1]}", "wrong_ca": str(workdir / "other-ca.pem")}
    server.shutdown()
    shutil.rmtree(workdir)


@pytest.mark.parametrize("module", DOCKER_MODULES)
def test_tls_engine_with_a_wrong_ca(module, tls_engine_with_another_ca):
    engine = tls_engine_with_another_ca
    run = run_module(module, {"docker_host": engine["url"], "validate_certs": True, "ca_path": engine["wrong_ca"], "tls_hostname": "localhost"})
    assert run.rc != 0
    assert f"Docker engine at {engine['url']}: TLS failed" in run.result["msg"], run.result["msg"]
    assert "Check ca_path" in run.result["msg"]


def test_stale_container_ignoring_sigterm_and_a_late_joiner_on_the_stale_network(lab, docker_host):
    """The stale api ignores SIGTERM: it is killed after stop_timeout, then removed. While the module
    waits for it, a container nobody planned for joins the stale network: that network is left."""
    info = lab("stubborn")
    api = scenarios.connect(docker_host)
    events = api.events(filters={"container": "st_old-api-1", "event": "kill"}, decode=True)
    tree = tempfile.mkdtemp()
    args = {"consumers": info["containers"], "stop_timeout": 4}
    cmd = [str(BIN / "ansible"), "localhost", "-m", "fanout.docker.docker_stale_cleanup", "-a", json.dumps(args), "--tree", tree]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_kill = next(events)  # the module's stop: SIGTERM, which is ignored
        late = api.create_container(
            scenarios.BASE_IMAGE,
            command=["sleep", "600"],
            name="st-late-1",
            labels={scenarios.LABEL: "stubborn"},
            host_config=api.create_host_config(network_mode="st_net_old"),
        )
        api.start(late["Id"])
        second_kill = next(events)
        proc.communicate(timeout=120)
    finally:
        events.close()
        proc.kill()
    assert (first_kill["Actor"]["Attributes"]["signal"], second_kill["Actor"]["Attributes"]["signal"]) == ("15", "9")
    result = json.loads((Path(tree) / "localhost").read_text())
    assert proc.returncode == 0, result
    assert [(a["action"], a["target"], a["status"]) for a in result["actions"]] == [
        ("stop_container", "st_old-api-1", "done"),
        ("remove_container", "st_old-api-1", "done"),
    ]
    [left] = [item for item in result["left_alone"] if item["name"] == "st_net_old"]
    assert "still has endpoints of st-late-1" in left["reason"] and "nothing forced" in left["reason"]
    after = scenarios.snapshot(docker_host, scenario="stubborn")
    assert set(after["containers"]) == {"st-api-1", "st-proxy-1", "st-late-1"}
    assert all(c["state"] == "running" for c in after["containers"].values())
    assert after["containers"]["st-proxy-1"]["networks"] == ["st_net", "st_net_old"]
    assert after["networks"]["st_net_old"] == ["st-late-1", "st-proxy-1"]


ENGINE = 9  # an engine of its own: this test kills it
FLEET = ROOT / "tests" / "lab" / "fleet.sh"


def _cleanup_on(host, consumers, tree, stop_timeout):
    args = {"docker_host": host, "consumers": consumers, "stop_timeout": stop_timeout}
    cmd = [str(BIN / "ansible"), "localhost", "-m", "fanout.docker.docker_stale_cleanup", "-a", json.dumps(args), "--tree", tree]
    return subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_engine_killed_and_restarted_mid_cleanup_then_a_second_run_converges():
    subprocess.run([str(FLEET), "up-one", str(ENGINE)], check=True)
    host = f"unix:///run/fanout-lab/engine-{ENGINE}.sock"
    try:
        info = scenarios.up("stubborn", host, port=18986)
        api = scenarios.connect(host)
        events = api.events(filters={"container": "st_old-api-1", "event": "kill"}, decode=True)
        tree = tempfile.mkdtemp()
        proc = _cleanup_on(host, info["containers"], tree, stop_timeout=30)
        try:
            next(events)  # the stop has begun (SIGTERM, ignored): now the engine dies
            pid = int(Path(f"/run/fanout-lab/engine-{ENGINE}.pid").read_text())
            os.kill(pid, 9)
            proc.communicate(timeout=120)
        finally:
            events.close()
            proc.kill()
        result = json.loads((Path(tree) / "localhost").read_text())
        assert proc.returncode != 0
        assert result["msg"].startswith(f"Docker engine at {host}: "), result["msg"]
        assert "Traceback" not in result["msg"]
        subprocess.run([str(FLEET), "up-one", str(ENGINE)], check=True)
        api = scenarios.connect(host)
        # As a restart policy would: everything that still exists comes back.
        for container in api.containers(all=True, filters={"label": f"{scenarios.LABEL}=stubborn"}):
            api.start(container["Id"])
        live = {"st-api-1", "st-proxy-1"}
        assert live <= set(scenarios.snapshot(host, scenario="stubborn")["containers"])  # nothing live was removed
        for attempt in ("converge", "again"):
            tree = tempfile.mkdtemp()
            proc = _cleanup_on(host, sorted(live), tree, stop_timeout=2)
            proc.communicate(timeout=180)
            result = json.loads((Path(tree) / "localhost").read_text())
            assert proc.returncode == 0, result
            if attempt == "again":
                assert result["changed"] is False and result["actions"] == []
        after = scenarios.snapshot(host, scenario="stubborn")
        assert set(after["containers"]) == live
        assert all(c["state"] == "running" for c in after["containers"].values())
        assert "st_net_old" not in after["networks"]
    finally:
        scenarios.down("stubborn", host)
        subprocess.run([str(FLEET), "down-one", str(ENGINE)], check=False)
