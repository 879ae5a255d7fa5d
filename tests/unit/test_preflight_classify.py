"""Transport failures map to stable reason codes (the ones integration tests cannot provoke on 127.0.0.1 alone)."""

from __future__ import annotations

import http.client
import socket
import ssl

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._preflight import HeadersTooLarge, classify


@pytest.mark.parametrize(
    "exc, reason",
    [
        (socket.gaierror(-2, "Name or service not known"), "dns_error"),
        (TimeoutError("timed out"), "timeout"),
        (ConnectionRefusedError(111, "Connection refused"), "connection_refused"),
        (ConnectionResetError(104, "Connection reset by peer"), "connection_reset"),
        (BrokenPipeError(32, "Broken pipe"), "connection_reset"),
        (http.client.RemoteDisconnected("Remote end closed connection without response"), "protocol_error"),
        (http.client.BadStatusLine("SSH-2.0-OpenSSH"), "protocol_error"),
        (http.client.LineTooLong("header line"), "headers_too_large"),
        (http.client.HTTPException("got more than 100 headers"), "headers_too_large"),
        (HeadersTooLarge("more than 65536 bytes"), "headers_too_large"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "tls_error"),
        (ssl.SSLError(1, "wrong version number"), "tls_error"),
        (OSError(113, "No route to host"), "connection_error"),
        (ValueError("anything else"), "protocol_error"),
    ],
)
def test_every_transport_failure_has_a_reason(exc, reason):
    code, detail = classify(exc)
    assert code == reason
    assert detail
