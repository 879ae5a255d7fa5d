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

from tests.helpers import BIN, ROOT, _env, run_module, run_playbook
from tests.integration.fleet import host_outcome, recap, statuses, summary, write_inventory
from tests.lab import scenarios
from tests.lab.counting_proxy import CountingProxy

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


ENGINE_FAULT_HOSTS = {
    "no_socket_host": "the socket does not exist. Is dockerd running?",
    "refused_host": "connection refused. The engine is not running or not listening there",
    "old_engine_host": "Set api_version to a version this engine supports",
    "wrong_ca_host": "TLS failed",
}


@pytest.fixture(scope="module")
def fault_fleet(lab, docker_host, tls_engine_with_another_ca, tmp_path_factory):
    """One healthy host and one host per engine fault, all in one inventory."""
    info = lab("clean")
    tls = tls_engine_with_another_ca
    hosts = {
        "healthy_host": {"fanout_docker_host": docker_host, "fanout_consumers": info["containers"]},
        "no_socket_host": {"fanout_docker_host": "unix:///run/fanout-lab/no-such-engine.sock"},
        "refused_host": {"fanout_docker_host": "tcp://127.0.0.1:1"},
        "old_engine_host": {"fanout_docker_host": docker_host, "fanout_docker_options": {"api_version": "9.99"}},
        "wrong_ca_host": {
            "fanout_docker_host": tls["url"],
            "fanout_docker_options": {"validate_certs": True, "ca_path": tls["wrong_ca"], "tls_hostname": "localhost"},
        },
    }
    base = tmp_path_factory.mktemp("fault-fleet")
    return {"inventory": write_inventory(base / "inventory.yml", hosts), "base": base}


@pytest.mark.parametrize("playbook", ["diagnose", "verify", "remediate"])
def test_every_playbook_names_each_engine_fault_and_finishes_the_healthy_host(fault_fleet, docker_host, playbook):
    before = scenarios.snapshot(docker_host, scenario="clean")
    out = fault_fleet["base"] / playbook
    run = run_playbook(f"fanout.docker.{playbook}", {"fanout_summary_dir": str(out)}, inventory=fault_fleet["inventory"])
    assert run.rc != 0, run
    failed = {host for host, counts in recap(run.stdout).items() if counts["failed"]}
    assert failed == set(ENGINE_FAULT_HOSTS), run
    assert statuses(out) == {"healthy_host": "clean", **dict.fromkeys(ENGINE_FAULT_HOSTS, "error")}
    for host, message in ENGINE_FAULT_HOSTS.items():
        error = host_outcome(out, host)["error"]
        assert error.startswith("Docker engine at ") and message in error, (host, error)
        assert "Traceback" not in error
    assert set(summary(out)["failed_hosts"]) == set(ENGINE_FAULT_HOSTS)
    assert scenarios.snapshot(docker_host, scenario="clean") == before


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
INCIDENT_LIVE = {"app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"}


def test_engine_killed_and_restarted_mid_remediate_the_other_host_finishes_then_runs_converge(lab, docker_host, tmp_path):
    """remediate on two hosts; the dying host's engine is killed while its cleanup waits on a stale
    container that ignores SIGTERM. The steady host is fixed in the same run; the dying host fails
    with the engine's message; after a restart, a second run converges and a third changes nothing."""
    subprocess.run([str(FLEET), "up-one", str(ENGINE)], check=True)
    host = f"unix:///run/fanout-lab/engine-{ENGINE}.sock"
    try:
        scenarios.up("stubborn", host, port=18986)
        lab("incident")
        live = {"st-api-1", "st-proxy-1"}
        # Consumers are the live containers, as an operator names them: a removed container named
        # as a consumer is a "not found" error by design, which a later run would trip over.
        hosts = {
            "dying_host": {"fanout_docker_host": host, "fanout_consumers": sorted(live), "fanout_stop_timeout": 30},
            "steady_host": {"fanout_docker_host": docker_host, "fanout_consumers": sorted(INCIDENT_LIVE), "fanout_stop_timeout": 2},
        }
        inventory = write_inventory(tmp_path / "inventory.yml", hosts)
        api = scenarios.connect(host)
        events = api.events(filters={"container": "st_old-api-1", "event": "kill"}, decode=True)
        extra = json.dumps({"fanout_summary_dir": str(tmp_path / "first")})
        cmd = [str(BIN / "ansible-playbook"), "fanout.docker.remediate", "-i", str(inventory), "-e", extra]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            next(events)  # the stop has begun (SIGTERM, ignored): now the engine dies
            os.kill(int(Path(f"/run/fanout-lab/engine-{ENGINE}.pid").read_text()), 9)
            stdout, _stderr = proc.communicate(timeout=300)
        finally:
            events.close()
            proc.kill()
        assert proc.returncode != 0
        assert {h: c["failed"] for h, c in recap(stdout).items() if h != "localhost"} == {"dying_host": 1, "steady_host": 0}, stdout
        assert statuses(tmp_path / "first") == {"dying_host": "error", "steady_host": "fixed"}
        error = host_outcome(tmp_path / "first", "dying_host")["error"]
        assert error.startswith(f"Docker engine at {host}: ") and "Traceback" not in error, error
        assert summary(tmp_path / "first")["failed_hosts"] == ["dying_host"]
        assert set(scenarios.snapshot(docker_host, scenario="incident")["containers"]) == INCIDENT_LIVE

        subprocess.run([str(FLEET), "up-one", str(ENGINE)], check=True)
        api = scenarios.connect(host)
        # As a restart policy would: everything that still exists comes back.
        for container in api.containers(all=True, filters={"label": f"{scenarios.LABEL}=stubborn"}):
            api.start(container["Id"])
        assert live <= set(scenarios.snapshot(host, scenario="stubborn")["containers"])  # nothing live was removed
        for attempt, expected in (("converge", {"dying_host": "fixed", "steady_host": "clean"}), ("again", {"dying_host": "clean", "steady_host": "clean"})):
            run = run_playbook("fanout.docker.remediate", {"fanout_summary_dir": str(tmp_path / attempt), "fanout_stop_timeout": 2}, inventory=inventory)
            assert run.rc == 0, run
            assert statuses(tmp_path / attempt) == expected
            if attempt == "again":
                assert {h: c["changed"] for h, c in recap(run.stdout).items() if h != "localhost"} == {"dying_host": 0, "steady_host": 0}, run
        after = scenarios.snapshot(host, scenario="stubborn")
        assert set(after["containers"]) == live
        assert all(c["state"] == "running" for c in after["containers"].values())
        assert "st_net_old" not in after["networks"]
    finally:
        scenarios.down("stubborn", host)
        subprocess.run([str(FLEET), "down-one", str(ENGINE)], check=False)


# Objects vanishing in the window between two engine calls of one run, on the real engine: a
# proxy in front of its socket removes them just before the module's own request arrives.


@pytest.fixture
def fault_proxy(docker_host, tmp_path):
    proxy = CountingProxy(docker_host[len("unix://") :], tmp_path / "engine.sock")
    yield proxy
    proxy.close()


def test_container_removed_between_the_list_call_and_its_inspect(lab, docker_host, fault_proxy):
    lab("incident")
    api = scenarios.connect(docker_host)
    db = api.inspect_container("app-db-1")["Id"]
    before = scenarios.snapshot(docker_host, scenario="incident")
    fault_proxy.before(rf"/containers/{db}/json", lambda: api.remove_container(db, force=True))
    run = run_module("docker_dns_ambiguity_facts", {"docker_host": fault_proxy.url, "consumers": ["app-proxy-1", "app-dashboard-1"]})
    assert (fault_proxy.fired(), fault_proxy.fault_errors()) == (1, [])
    assert run.rc == 0, run
    facts = run.result["ansible_facts"]["docker_dns_ambiguity"]
    assert facts["vanished"] == [{"id": db, "name": "app-db-1"}]
    assert "removed while this module read the engine, so left out: app-db-1" in facts["messages"]
    [api_record] = facts["ambiguous_names"]
    assert (api_record["name"], api_record["verdict"], api_record["suspected_stale"]) == ("api", "collision", ["app_old-api-1"])
    del before["containers"]["app-db-1"]
    before["networks"]["app_net"].remove("app-db-1")
    assert scenarios.snapshot(docker_host, scenario="incident") == before  # the facts module changed nothing itself


def _cleanup_through(proxy, consumers):
    run = run_module("docker_stale_cleanup", {"docker_host": proxy.url, "consumers": consumers, "stop_timeout": 2})
    assert (proxy.fired(), proxy.fault_errors()) == (1, [])
    return run


def test_stale_network_removed_by_someone_else_between_plan_and_removal(lab, docker_host, fault_proxy):
    info = lab("incident")
    api = scenarios.connect(docker_host)
    old_net = api.inspect_network("app_net_old")["Id"]

    def operator_removes_the_network():
        api.disconnect_container_from_network("app-proxy-1", old_net)
        api.remove_network(old_net)

    # The cleanup's first look at the network itself is its re-check just before removing it.
    fault_proxy.before(rf"/networks/{old_net}", operator_removes_the_network)
    run = _cleanup_through(fault_proxy, info["containers"])
    assert run.rc == 0, run
    assert [(a["action"], a["target"], a["status"]) for a in run.result["actions"]] == [
        ("stop_container", "app_old-api-1", "done"),
        ("remove_container", "app_old-api-1", "done"),
    ]
    assert {"kind": "network", "name": "app_net_old", "reason": "already gone since the plan"} in run.result["left_alone"]
    after = scenarios.snapshot(docker_host, scenario="incident")
    assert set(after["containers"]) == {"app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"}
    assert all(c["state"] == "running" for c in after["containers"].values())
    assert after["networks"] == {"app_net": ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"]}
    again = run_module("docker_stale_cleanup", {"consumers": sorted(after["containers"])})
    assert (again.rc, again.result["changed"], again.result["actions"]) == (0, False, []), again


def test_stale_container_removed_by_someone_else_between_the_recheck_and_the_stop(lab, docker_host, fault_proxy):
    info = lab("incident")
    api = scenarios.connect(docker_host)
    stale = api.inspect_container("app_old-api-1")["Id"]
    fault_proxy.before(rf"/containers/{stale}/stop", lambda: api.remove_container(stale, force=True))
    run = _cleanup_through(fault_proxy, info["containers"])
    assert run.rc == 0, run
    # The stop found it gone: reported, not a failure; the stale network still goes, as planned.
    assert [(a["action"], a["target"], a["status"]) for a in run.result["actions"]] == [
        ("disconnect", "app-proxy-1", "done"),
        ("remove_network", "app_net_old", "done"),
    ]
    [gone] = [item for item in run.result["left_alone"] if item["name"] == "app_old-api-1"]
    assert gone["kind"] == "container" and gone["reason"].startswith("stop_container found it gone: removed by someone else after the re-check")
    after = scenarios.snapshot(docker_host, scenario="incident")
    assert set(after["containers"]) == {"app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"}
    assert all(c["state"] == "running" for c in after["containers"].values())
    assert after["networks"] == {"app_net": ["app-api-1", "app-dashboard-1", "app-db-1", "app-proxy-1"]}
