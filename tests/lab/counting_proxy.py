"""A Unix socket in front of an engine's socket that counts connections and API calls: how the
tests and the benchmarks see how many connections and requests a module really makes. It also
injects faults: an action that runs just before a chosen request reaches the engine (a container
removed between the list call and its inspect, say), in the very window a module must survive."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading

_REQUEST_LINE = re.compile(rb"(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP/1\.[01]\r\n")


class CountingProxy:
    """A Unix socket in front of an engine socket that counts connections and requests.
    Request lines are found in the client's byte stream (the calls measured carry no bodies)."""

    def __init__(self, target, path):
        self.target = target
        self.path = str(path)
        self.connections = 0
        self.requests = []
        self._faults = []
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

    def before(self, pattern, action):
        """Run action() once, before the first request whose path matches the regex pattern is
        forwarded: the engine answers that request from the state the action left."""
        with self._lock:
            self._faults.append({"pattern": re.compile(pattern), "action": action, "fired": False})

    def _inject(self, paths):
        with self._lock:
            due = [f for f in self._faults if not f["fired"] and any(f["pattern"].search(p) for p in paths)]
            for fault in due:
                fault["fired"] = True
        for fault in due:
            try:
                fault["action"]()
            except Exception as exc:  # noqa: BLE001 - kept for the test to see; the request still goes through
                fault["error"] = exc

    def fault_errors(self):
        with self._lock:
            return [f["error"] for f in self._faults if "error" in f]

    def fired(self):
        """How many injected faults have run."""
        with self._lock:
            return sum(f["fired"] for f in self._faults)

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
                        self._inject(found)
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
