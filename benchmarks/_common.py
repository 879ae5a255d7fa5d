"""Shared pieces of the benchmarks: figures (median, min, max, paired ratios), Markdown tables,
dedicated lab engines, a counting Unix-socket proxy and two plain-Python Engine API clients."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
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


# ---------------------------------------------------------------- counting proxy

_REQUEST_LINE = re.compile(rb"(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP/1\.[01]\r\n")


class CountingProxy:
    """A Unix socket in front of an engine socket that counts connections and requests.
    Request lines are found in the client's byte stream (the calls measured carry no bodies)."""

    def __init__(self, target, path):
        self.target = target
        self.path = str(path)
        self.connections = 0
        self.requests = []
        self._lock = threading.Lock()
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(256)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "unix://" + self.path

    def reset(self):
        with self._lock:
            self.connections = 0
            self.requests = []

    def _accept(self):
        while True:
            try:
                client, _unused = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src, dst, count):
        tail = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if count:
                    buf = tail + data
                    found = [m.group(2).decode() for m in _REQUEST_LINE.finditer(buf)]
                    if found:
                        with self._lock:
                            self.requests.extend(found)
                        tail = buf[buf.rfind(b"\r\n") + 2 :][-200:]
                    else:
                        tail = buf[-200:]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for end in (src, dst):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def summary(self):
        """(requests by kind, total requests, connections)."""
        kinds = {}
        for path in self.requests:
            path = re.sub(r"^/v[\d.]+", "", path.split("?", 1)[0])
            if re.fullmatch(r"/containers/[^/]+/json", path):
                kind = "inspect container"
            elif path == "/containers/json":
                kind = "list containers"
            elif path == "/networks":
                kind = "list networks"
            elif path.startswith("/networks/"):
                kind = "inspect network"
            else:
                kind = path
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds, len(self.requests), self.connections

    def close(self):
        self._server.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


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
