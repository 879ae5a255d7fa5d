"""Every cors_preflight_probe option is validated before anything is sent, naming the option."""

from __future__ import annotations

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._probe_options import (
    OptionError,
    build_config,
    companion_lines,
    preflight_lines,
)
from ansible_collections.fanout.docker.plugins.module_utils._redact import MASK, redact_url

BASE = {
    "url": "https://api.example.com/v1/orders?x=1",
    "origin": "https://dash.example.com",
    "method": "PUT",
    "request_headers": [],
    "count": 50,
    "concurrency": 8,
    "timeout": 5.0,
    "validate_certs": True,
    "headers": {},
    "resolve": [],
    "fingerprint_headers": ["Server"],
}


def config(**changes):
    return build_config({**BASE, **changes})


def rejected(**changes):
    with pytest.raises(OptionError) as info:
        config(**changes)
    return str(info.value)


def test_defaults_give_a_browser_like_preflight():
    cfg = config(request_headers=["X-Trace", "Content-Type", "x-trace"])
    assert preflight_lines(cfg) == [
        ("Host", "api.example.com"),
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type,x-trace"),
        ("Origin", "https://dash.example.com"),
    ]
    assert cfg.target.path == "/v1/orders?x=1"
    assert (cfg.target.port, cfg.target.dial_address) == (443, "api.example.com")
    assert cfg.warnings == []


def test_non_ascii_url_is_encoded_as_a_browser_does():
    cfg = config(url="http://bücher.example/ä%20c?q=ü")
    assert cfg.target.host == "xn--bcher-kva.example"
    assert cfg.target.path == "/%C3%A4%20c?q=%C3%BC"


def test_non_default_port_is_in_host_header_and_ipv6_is_bracketed():
    assert config(url="http://api:8000/").target.host_header == "api:8000"
    cfg = config(url="http://[::1]:8080")
    assert (cfg.target.host, cfg.target.host_header, cfg.target.path) == ("::1", "[::1]:8080", "/")


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("url", "", "url: must be a non-empty string"),
        ("url", None, "url: must be a non-empty string"),
        ("url", "ftp://x/", "url: scheme must be http or https"),
        ("url", "javascript:alert(1)", "url: scheme"),
        ("url", "http:///path", "url: 'http:///path' has no host"),
        ("url", "http://x:99999/", "url:"),
        ("url", "http://x:abc/", "url:"),
        ("url", "http://user:pw@x/", "url: must not carry user:password@"),
        ("url", "http://x/a b", "url: must not contain whitespace"),
        ("url", "http://x/\r\nX: y", "url: must not contain control characters"),
        ("origin", "", "origin: must be a non-empty string"),
        ("origin", "https://dash.example.com/", "did you mean 'https://dash.example.com'"),
        ("origin", "https://Dash.Example.com", "did you mean 'https://dash.example.com'"),
        ("origin", "https://dash.example.com/app", "origin: 'https://dash.example.com/app' is not a serialized origin"),
        ("origin", "dash.example.com", "is not a serialized origin"),
        ("origin", "https://dash.example.com:443", "origin: a browser omits the default port"),
        ("origin", "https://dash.example.com:0", "origin: port 0"),
        ("origin", "https://dash.example.com:08080", "origin: port"),
        ("origin", "https://user@dash.example.com", "not a serialized origin"),
        ("origin", "NULL", "not a serialized origin"),
        ("method", "", "method: must be a non-empty string"),
        ("method", "GE T", "method: 'GE T' is not an HTTP method token"),
        ("method", "trace", "method: trace is forbidden"),
        ("method", "CONNECT", "forbidden"),
        ("request_headers", ["content type"], "request_headers: 'content type' is not a valid header name"),
        ("request_headers", [""], "request_headers"),
        ("request_headers", "x-a", "request_headers: must be a list"),
        ("count", 0, "count: must be at least 1"),
        ("count", -5, "count: must be at least 1"),
        ("count", "many", "count: must be a number"),
        ("concurrency", 0, "concurrency: must be at least 1"),
        ("timeout", 0, "timeout: must be a positive number"),
        ("timeout", -1.5, "timeout: must be a positive number"),
        ("timeout", True, "timeout: must be a number"),
        ("min_success_ratio", 1.5, "min_success_ratio: must be between 0 and 1"),
        ("min_success_ratio", -0.1, "min_success_ratio"),
        ("headers", {"X-A": "1\r\nX-Injected: yes"}, "headers: the value of X-A contains control characters or CR/LF"),
        ("headers", {"X-A": "a\x00b"}, "headers: the value of X-A contains control characters"),
        ("headers", {"X A": "1"}, "headers: 'X A' is not a valid header name"),
        ("headers", {"X-A\n": "1"}, "headers:"),
        ("headers", {"Origin": "https://evil"}, "headers: Origin is set by the probe itself"),
        ("headers", {"host": "other"}, "headers: host is set by the probe itself"),
        ("headers", {"Transfer-Encoding": "chunked"}, "headers: Transfer-Encoding"),
        ("headers", {"X-A": None}, "headers: the value of X-A must be a string"),
        ("headers", "Authorization: x", "headers: must be a dictionary"),
        ("resolve", ["api.internal"], "resolve: 'api.internal' is not host:port:address"),
        ("resolve", ["api.internal:80"], "resolve: 'api.internal:80' is not host:port:address"),
        ("resolve", ["api.internal:http:10.0.0.1"], "has no valid port"),
        ("resolve", ["api.internal:0:10.0.0.1"], "has no valid port"),
        ("resolve", [":80:10.0.0.1"], "has no host"),
        ("resolve", ["api.internal:80:not-an-ip"], "resolve: 'api.internal:80:not-an-ip': 'not-an-ip' is not an IP address"),
        ("resolve", ["a:80:10.0.0.1", "a:80:10.0.0.2"], "resolve: two different addresses pinned for a:80"),
        ("fingerprint_headers", ["Server", "X Bad"], "fingerprint_headers: 'X Bad' is not a valid header name"),
        ("ca_path", "  ", "ca_path"),
    ],
)
def test_bad_input_names_the_option(option, value, words):
    message = rejected(**{option: value})
    assert message.startswith(option), message
    assert words in message


def test_absurd_values_are_capped_with_a_warning():
    cfg = config(count=10**9, concurrency=10**6, timeout=10**6)
    assert (cfg.count, cfg.concurrency, cfg.timeout) == (10000, 64, 300.0)
    assert len(cfg.warnings) == 3 and all("cap" in w for w in cfg.warnings)


def test_concurrency_never_exceeds_count():
    assert config(count=3, concurrency=8).concurrency == 3


def test_method_is_normalized_like_a_browser_and_simple_requests_warn():
    assert config(method="delete").request.method == "DELETE"
    assert config(method="patch").request.method == "patch"
    assert any("no preflight" in w for w in config(method="get").warnings)
    assert not any("no preflight" in w for w in config(method="GET", request_headers=["x-a"]).warnings)


def test_origin_null_and_ip_and_port():
    assert config(origin="null").request.origin == "null"
    assert config(origin="http://127.0.0.1:8080").request.origin == "http://127.0.0.1:8080"
    assert config(origin="http://[::1]:3000").request.origin == "http://[::1]:3000"


def test_resolve_pins_the_dial_address_only():
    cfg = config(url="http://api.internal:8000/", resolve=["API.internal:8000:172.18.0.4", "other:80:10.0.0.1"])
    assert cfg.target.dial_address == "172.18.0.4"
    assert cfg.target.host_header == "api.internal:8000"
    assert any("other:80" in w and "not used" in w for w in cfg.warnings)
    assert config(url="http://[::1]:8000/", resolve=["[::1]:8000:[::2]"]).target.dial_address == "::2"


def test_credential_headers_go_only_on_the_companion_request():
    cfg = config(headers={"Authorization": "Bearer abcdef", "Cookie": "s=1", "X-Tenant": "blue"}, companion_request=True)
    assert [n for n, _unused in preflight_lines(cfg)][-1] == "X-Tenant"
    assert ("Authorization", "Bearer abcdef") in companion_lines(cfg)
    assert ("Authorization", "Bearer abcdef") not in preflight_lines(cfg)
    assert cfg.secrets == ["Bearer abcdef"]
    assert any("never sent on a preflight" in w for w in config(headers={"Cookie": "s=1"}).warnings)


def test_companion_of_a_body_method_sends_content_length_zero():
    assert ("Content-Length", "0") in companion_lines(config(method="POST", request_headers=["x-a"]))
    assert ("Content-Length", "0") not in companion_lines(config(method="DELETE"))


def test_url_is_shown_without_credentials_or_tokens():
    assert redact_url("https://api.example.com/x?access_token=abc&page=2#frag") == f"https://api.example.com/x?access_token={MASK}&page=2"
    assert redact_url("https://u:p@api.example.com/") == "https://api.example.com/"
