"""Real HTTP servers on 127.0.0.1 for the probe's tests and benchmarks: well-behaved CORS backends
with a chosen flaw, and raw-socket servers that answer in hostile ways. Nothing here mocks HTTP."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORIGIN = "https://dash.example"
LIVE = ("Server", "gunicorn/22.0")
STALE = ("Server", "gunicorn/19.9.0")


class Seen:
    """What a server received: each request's method and raw header lines, and connections opened."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.connections = 0

    def add(self, method, lines):
        with self.lock:
            self.requests.append((method, lines))
            return len(self.requests) - 1

    def methods(self):
        return [m for m, _unused in self.requests]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server.seen.lock:
            self.server.seen.connections += 1

    def _answer(self):
        lines = list(self.headers.items())
        index = self.server.seen.add(self.command, lines)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, out, body = self.server.responder(self.command, lines, index)
        try:
            self.send_response_only(status)
            for name, value in out:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the probe closes after the headers: it never needs the body

    do_OPTIONS = do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 drops SYNs under concurrency: 1 s retransmits

    def handle_error(self, request, client_address):
        pass  # clients that hang up early (timeouts, TLS rejections) are part of the tests


def _header(lines, name):
    return next((v for n, v in lines if n.lower() == name.lower()), None)


def cors_headers(lines, methods="GET, POST, PUT, PATCH, DELETE", allow_headers="content-type, x-requested-with, authorization"):
    """What a correct CORS middleware sends: the origin echoed, lists, max-age and Vary."""
    return [
        ("Access-Control-Allow-Origin", _header(lines, "Origin") or "*"),
        ("Access-Control-Allow-Methods", methods),
        ("Access-Control-Allow-Headers", allow_headers),
        ("Access-Control-Max-Age", "600"),
        ("Vary", "Origin"),
    ]


def _normalize(responder):
    """Responders return (status, lines) or (status, lines, body)."""

    def call(method, lines, index):
        answer = responder(method, lines, index)
        return answer if len(answer) == 3 else (answer[0], answer[1], b"")

    return call


@contextlib.contextmanager
def serve(responder, tls=None):
    """Run responder(method, header lines, request index) -> (status, lines[, body]) on 127.0.0.1:<free port>.
    Yields (base URL, Seen)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.responder = _normalize(responder)
    server.seen = Seen()
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/", server.seen
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_raw(handle):
    """A TCP server that hands each accepted socket to handle(sock, stop_event). Yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def accept_loop():
        while not stop.is_set():
            try:
                conn, _unused = listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=_run_handler, args=(handle, conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def _run_handler(handle, conn, stop):
    try:
        conn.settimeout(5)
        handle(conn, stop)
    except OSError:
        pass
    finally:
        conn.close()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def free_port():
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- backends with one flaw each (responders) -------------------------------------------------


def live_backend(method, lines, index):
    if method == "OPTIONS":
        return 204, [LIVE] + cors_headers(lines)
    return 200, [LIVE, ("Access-Control-Allow-Origin", _header(lines, "Origin")), ("Vary", "Origin")]


def stale_backend(method, lines, index):
    return 200, [STALE, ("Content-Type", "application/json")], b'{"api": "stale"}'


def fan_out(method, lines, index):
    """Every other request lands on the stale backend, as through the incident's proxy."""
    return stale_backend(method, lines, index) if index % 2 else live_backend(method, lines, index)


def method_not_allowed(method, lines, index):
    return 405, [LIVE, ("Allow", "GET, POST, HEAD")]


def login_redirect(method, lines, index):
    return 302, [LIVE, ("Location", "/login?next=/api/orders")]


def wildcard_with_credentials(method, lines, index):
    return 204, [LIVE, ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Methods", "GET, PUT")]


def acao_from_proxy_and_app(method, lines, index):
    origin = _header(lines, "Origin")
    return 204, [("Server", "Caddy"), ("Access-Control-Allow-Origin", origin), LIVE] + cors_headers(lines)


def preflight_only_with_request_headers(method, lines, index):
    """A middleware that treats OPTIONS as a preflight only when Access-Control-Request-Headers is present;
    otherwise the app's own OPTIONS handler answers, without CORS headers."""
    if method == "OPTIONS" and _header(lines, "Access-Control-Request-Headers") is not None:
        return 204, [LIVE] + cors_headers(lines)
    return 200, [LIVE, ("Allow", "GET, DELETE, OPTIONS")]


def headers_wildcard(method, lines, index):
    return 204, [LIVE] + cors_headers(lines, allow_headers="*")


def lowercase_methods(method, lines, index):
    return 204, [LIVE] + cors_headers(lines, methods="get, post, patch")


def half_gateway_timeout(method, lines, index):
    """The proxy answers every other request itself with 504 and only its own identity."""
    if index % 2:
        return 504, [("Server", "edge-proxy")], b"upstream timed out"
    return 204, [("Server", "edge-proxy"), LIVE] + cors_headers(lines)


def slow(delay):
    def respond(method, lines, index):
        time.sleep(delay)
        return live_backend(method, lines, index)

    return respond


def echo_headers(method, lines, index):
    """Echoes every request header back as X-Echo-<name>: a server that would leak secrets."""
    return 204, [LIVE] + cors_headers(lines) + [(f"X-Echo-{n}", v) for n, v in lines]


def invalid_utf8(method, lines, index):
    # http.server encodes header values as latin-1: these are the raw bytes 0xE9 and 0xFF on the wire.
    return 204, [LIVE, ("X-Name", "caf\xe9 \xff")] + cors_headers(lines)


def hanging(release):
    def respond(method, lines, index):
        release.wait(30)
        return live_backend(method, lines, index)

    return respond


# --- hostile raw answers ---------------------------------------------------------------------


def not_http(conn, stop):
    read_request(conn)
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")


def trickle(conn, stop):
    """A status line, then one byte of a header every 50 ms for up to 30 s."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 204 No Content\r\nX-Slow: ")
    deadline = time.monotonic() + 30
    while not stop.is_set() and time.monotonic() < deadline:
        conn.sendall(b"a")
        time.sleep(0.05)


def many_headers(conn, stop):
    read_request(conn)
    conn.sendall(b"HTTP/1.1 204 No Content\r\n" + b"".join(b"X-H-%d: v\r\n" % i for i in range(5000)) + b"\r\n")


def wide_headers(conn, stop):
    """90 lines of 1 KiB: under http.client's per-line and line-count limits, over the probe's byte budget."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 204 No Content\r\n" + b"".join(b"X-W-%d: %s\r\n" % (i, b"w" * 1024) for i in range(90)) + b"\r\n")


def huge_header(conn, stop):
    read_request(conn)
    conn.sendall(b"HTTP/1.1 204 No Content\r\nX-Big: " + b"a" * (3 << 20) + b"\r\n\r\n")


def tls_context_for(tmp_path, name="other.example"):
    """A server TLS context with a fresh self-signed certificate for `name` (openssl CLI); returns (context, cert path)."""
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, str(cert)
