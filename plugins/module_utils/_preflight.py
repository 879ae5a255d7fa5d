# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The edge that sends preflights: sockets, TLS, threads and the clock live here and nowhere else.

http.client keeps every raw header line (duplicates included), never follows redirects, and caps
a response at 100 header lines of 64 KiB each. On top of that every request has one overall
deadline, so a server that trickles a byte at a time cannot hold a worker past `timeout`.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

MAX_BODY = 1 << 20  # bytes read to keep a connection reusable; larger bodies close it instead
# Bytes read before the headers are complete. Every answer's lines are kept for the report, so this
# (not only http.client's 100 lines of 64 KiB) is what bounds memory: count x 64 KiB at worst.
MAX_HEADER_BYTES = 64 << 10


class HeadersTooLarge(http.client.HTTPException):
    pass


@dataclass
class RawAnswer:
    status: int | None = None
    headers: list = field(default_factory=list)  # [(name, value)] as received
    latency: float | None = None  # seconds from dial (or send, on a reused connection) to the last header
    error: str | None = None  # transport reason code when no answer arrived
    detail: str = ""


@dataclass
class Exchange:
    """One preflight and, when asked and the preflight passed, the actual request after it."""

    preflight: RawAnswer
    companion: RawAnswer | None = None


class _DeadlineRaw(io.RawIOBase):
    """Socket reads that give up at one fixed moment, however slowly the bytes arrive."""

    def __init__(self, sock, deadline, limit):
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline
        self.limit = limit  # bytes this reader may still take in total; raised once the headers are in
        self.consumed = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no complete answer before the deadline")
        if self.consumed >= self.limit:
            raise HeadersTooLarge(f"more than {self.limit} bytes before the end of the headers")
        self._sock.settimeout(remaining)
        count = self._raw.readinto(memoryview(buffer)[: self.limit - self.consumed])
        self.consumed += count or 0
        return count

    def close(self):
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock, deadline, **kwargs):
        super().__init__(sock, **kwargs)
        self.fp.close()
        self.reader = _DeadlineRaw(sock, deadline, MAX_HEADER_BYTES)
        self.fp = io.BufferedReader(self.reader)


class ProbeConnection(http.client.HTTPConnection):
    """Dials the pinned address (or the URL's host) but speaks to the URL's host: Host header and TLS name."""

    def __init__(self, target, ssl_context):
        super().__init__(target.dial_address, target.port)
        self.target = target
        self.ssl_context = ssl_context
        self.deadline = time.monotonic()

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete answer before the deadline")
        return left

    def connect(self):
        sock = socket.create_connection((self.target.dial_address, self.target.port), timeout=self.remaining())
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                sock.settimeout(self.remaining())
                sock = self.ssl_context.wrap_socket(sock, server_hostname=self.target.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def exchange(self, method, lines, deadline, keep_open):
        """Send one request; returns (status, header lines). Body is drained only to keep the connection."""
        self.deadline = deadline
        self.response_class = functools.partial(_DeadlineResponse, deadline=deadline)
        if self.sock is None:
            self.connect()
        else:
            self.sock.settimeout(self.remaining())
        self.putrequest(method, self.target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in lines:
            self.putheader(name, value)
        self.endheaders()
        response = self.getresponse()
        status, headers = response.status, response.getheaders()
        if keep_open and not response.will_close:
            response.reader.limit += MAX_BODY + 1
            self._drain(response)
        response.close()
        if not keep_open:
            self.close()
        return status, headers

    def _drain(self, response):
        """Read the body so the connection can carry the next request; a body that is too big or too slow closes it."""
        try:
            body = response.read(MAX_BODY + 1)
            keep = len(body) <= MAX_BODY and response.isclosed()
        except Exception:  # the answer's headers are in; only the connection is lost
            keep = False
        if not keep:
            self.close()


def classify(exc):
    """A transport failure -> (stable reason code, one line of detail)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout", text
    if isinstance(exc, HeadersTooLarge):
        return "headers_too_large", text
    if isinstance(exc, http.client.LineTooLong):
        return "headers_too_large", f"a header line is longer than 64 KiB ({text})"
    if isinstance(exc, http.client.HTTPException) and "more than" in text and "headers" in text:
        return "headers_too_large", text
    if isinstance(exc, http.client.RemoteDisconnected):
        return "protocol_error", "the server closed the connection without an answer"
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "tls_error", text
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused", text
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "connection_reset", text
    if isinstance(exc, socket.gaierror):
        return "dns_error", text
    if isinstance(exc, http.client.HTTPException):
        return "protocol_error", f"{type(exc).__name__}: {text}"[:300]
    if isinstance(exc, OSError):
        return "connection_error", text
    return "protocol_error", f"{type(exc).__name__}: {text}"[:300]


_STALE_KEEPALIVE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def send(connection, method, lines, timeout, keep_open):
    """One request on `connection`, never raising: a RawAnswer with a status or a reason."""
    reused = connection.sock is not None
    start = time.monotonic()
    try:
        try:
            status, headers = connection.exchange(method, lines, start + timeout, keep_open)
        except _STALE_KEEPALIVE:
            if not reused:
                raise
            # The server closed an idle keep-alive connection: retry once on a fresh one, as browsers do.
            connection.close()
            start = time.monotonic()
            status, headers = connection.exchange(method, lines, start + timeout, keep_open)
    except Exception as exc:  # every failure becomes a reason on this answer, never a crash
        connection.close()
        reason, detail = classify(exc)
        return RawAnswer(error=reason, detail=detail[:300])
    return RawAnswer(status=status, headers=headers, latency=time.monotonic() - start)


def make_ssl_context(target, validate_certs, ca_path):
    if target.scheme != "https":
        return None
    if validate_certs:
        context = ssl.create_default_context(cafile=ca_path)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def run_probe(target, preflight_lines, count, concurrency, timeout, ssl_context=None, reuse_connections=False, companion=None):
    """`count` preflights, `concurrency` at a time. `companion` = (method, lines, passed(answer) -> bool)
    sends the actual request after every preflight that passed, on the same worker."""
    local = threading.local()
    opened = []
    opened_lock = threading.Lock()

    def connection():
        if not reuse_connections:
            return ProbeConnection(target, ssl_context)
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = ProbeConnection(target, ssl_context)
            with opened_lock:
                opened.append(conn)
        return conn

    def one(_index):
        conn = connection()
        answer = send(conn, "OPTIONS", preflight_lines, timeout, reuse_connections)
        exchange = Exchange(answer)
        if companion is not None and not answer.error and companion[2](answer):
            method, lines, _unused = companion
            conn = connection()
            exchange.companion = send(conn, method, lines, timeout, reuse_connections)
        return exchange

    try:
        if concurrency <= 1:
            return [one(i) for i in range(count)]
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="preflight") as pool:
            return list(pool.map(one, range(count)))
    finally:
        for conn in opened:
            conn.close()
