"""The Unix-socket reader against a real HTTP server on a Unix socket: keep-alive, an engine that
closes idle connections, 404 as gone, and error statuses with the engine's message."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._client import EngineHTTPError, _UnixSocketReader


class _Engine(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the server drops the connection
    drop_after_each = False
    connections = 0

    def setup(self):
        super().setup()
        type(self).connections += 1

    def do_GET(self):  # noqa: N802 - the stdlib's name
        status, body = {
            "/v1.41/ok": (200, {"path": self.path}),
            "/v1.41/old": (400, {"message": "client version 1.99 is too new. Maximum supported API version is 1.41"}),
            "/v1.41/text": (500, None),
        }.get(self.path, (404, {"message": "no such container"}))
        data = json.dumps(body).encode() if body is not None else b"plain failure"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.drop_after_each:
            self.close_connection = True  # without telling the client, as an engine closing an idle connection

    def log_message(self, *args):
        pass


@pytest.fixture
def engine(tmp_path):
    handler = type("Handler", (_Engine,), {"connections": 0})
    server = socketserver.ThreadingUnixStreamServer(str(tmp_path / "engine.sock"), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def _reader(server):
    reader = _UnixSocketReader(server.server_address, timeout=5)
    reader.prefix = "/v1.41"
    return reader


def test_one_connection_for_many_reads(engine):
    server, handler = engine
    reader = _reader(server)
    assert [reader.get("/ok")["path"] for _unused in range(20)] == ["/v1.41/ok"] * 20
    reader.close()
    assert handler.connections == 1


def test_a_dropped_keep_alive_connection_is_reopened_once(engine):
    server, handler = engine
    handler.drop_after_each = True
    reader = _reader(server)
    assert [reader.get("/ok")["path"] for _unused in range(3)] == ["/v1.41/ok"] * 3
    reader.close()
    assert handler.connections == 3


def test_gone_is_none_and_errors_carry_the_engines_message(engine):
    server, _handler = engine
    reader = _reader(server)
    assert reader.get("/containers/nope/json") is None
    with pytest.raises(EngineHTTPError, match=r"^400 client version 1.99 is too new") as error:
        reader.get("/old")
    assert error.value.status == 400
    with pytest.raises(EngineHTTPError, match=r"^500 plain failure$"):
        reader.get("/text")
    reader.close()


def test_a_missing_socket_is_the_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        _UnixSocketReader(str(tmp_path / "none.sock"), timeout=5).get("/version")
