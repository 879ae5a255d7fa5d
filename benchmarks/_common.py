"""Shared pieces of the benchmarks: figures (median, min, max, paired ratios), Markdown tables,
dedicated lab engines and two plain-Python Engine API clients (the counting Unix-socket proxy is
tests/lab/counting_proxy.py, shared with the tests)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "tests" / "lab" / "fleet.sh"
RESULTS = ROOT / "benchmarks" / "results"
sys.path[:0] = [str(ROOT), str(ROOT / "collections")]

import requests  # noqa: E402
import urllib3  # noqa: E402

# ---------------------------------------------------------------- figures


def fig(values):
    """'median | min | max' of seconds."""
    return f"{statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f}"


def paired_ratio(slower, faster):
    """Median of per-round ratios (pairs run in the same round)."""
    return statistics.median(s / f for s, f in zip(slower, faster))


def rounds_alternating(contenders, rounds, check=None, warmup=True):
    """contenders: [(name, fn)]; one warm-up call each, then every round runs them all in a
    rotated order. Returns {name: [seconds]}."""
    if warmup:
        for _unused, run in contenders:
            result = run()
            if check:
                check(result)
    times = {name: [] for name, _unused in contenders}
    for round_no in range(rounds):
        shift = round_no % len(contenders)
        for name, run in contenders[shift:] + contenders[:shift]:
            start = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - start)
            if check:
                check(result)
    return times


def write_result(name, text):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(text + "\n")
    print(text, flush=True)


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, check=False).stdout.strip()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores ({cpu}), {mem} MiB RAM, Python {sys.version.split()[0]}, Docker engine {docker}; load average now {load}"


# ---------------------------------------------------------------- dedicated engines


def socket_url(index):
    return f"unix:///run/fanout-lab/engine-{index}.sock"


def socket_path(index):
    return socket_url(index)[len("unix://") :]


def engine_up(index):
    subprocess.run([str(FLEET), "up-one", str(index)], check=True)


def engine_down(index):
    subprocess.run([str(FLEET), "down-one", str(index)], check=False)


# ---------------------------------------------------------------- plain-Python clients


class _UnixConnection(urllib3.connection.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class _UnixPool(urllib3.HTTPConnectionPool):
    def __init__(self, path):
        super().__init__("localhost", maxsize=1)
        self.unix_path = path

    def _new_conn(self):
        return _UnixConnection(self.unix_path)


class UnixAdapter(requests.adapters.HTTPAdapter):
    """requests over ONE keep-alive Unix-socket connection, whatever the URL."""

    def __init__(self, path):
        super().__init__()
        self.pool = _UnixPool(path)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self.pool

    def get_connection(self, url, proxies=None):  # requests < 2.32.2
        return self.pool

    def request_url(self, request, proxies):
        return request.path_url

    def close(self):
        self.pool.close()
        super().close()


def requests_read(path, api="v1.41"):
    """1 container list + 1 inspect per container, requests over one keep-alive connection."""
    session = requests.Session()
    session.mount("http://engine/", UnixAdapter(path))
    try:
        listed = session.get(f"http://engine/{api}/containers/json?all=1").json()
        return {c["Id"]: session.get(f"http://engine/{api}/containers/{c['Id']}/json").json() for c in listed}
    finally:
        session.close()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def httpclient_read(path, api="v1.41"):
    """1 container list + 1 inspect per container, http.client on one keep-alive connection."""
    conn = _UnixHTTPConnection(path)

    def get(url):
        conn.request("GET", url)
        response = conn.getresponse()
        return json.loads(response.read())

    try:
        listed = get(f"/{api}/containers/json?all=1")
        return {c["Id"]: get(f"/{api}/containers/{c['Id']}/json") for c in listed}
    finally:
        conn.close()
