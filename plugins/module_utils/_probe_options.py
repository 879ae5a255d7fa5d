# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cors_preflight_probe options -> a validated ProbeConfig, before anything is sent; pure.

Every rejection raises OptionError with a message that starts with the option's name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from ansible_collections.fanout.docker.plugins.module_utils._cors import FORBIDDEN_METHODS, Request, is_token, normalize_method
from ansible_collections.fanout.docker.plugins.module_utils._redact import redact_url, secrets_of

MAX_COUNT = 10000
MAX_CONCURRENCY = 64
MAX_TIMEOUT = 300.0
DEFAULT_PORTS = {"http": 80, "https": 443}

# The probe sets these itself; a user value would make it lie about what a browser sends.
_RESERVED_HEADERS = frozenset(
    ("host", "origin", "access-control-request-method", "access-control-request-headers", "content-length", "transfer-encoding", "connection", "te", "upgrade")
)
# A browser never sends these on a preflight; they go on the companion (actual) request only.
CREDENTIAL_HEADERS = frozenset(("authorization", "cookie", "proxy-authorization"))
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ORIGIN = re.compile(r"^([a-z][a-z0-9+.-]*)://(\[[0-9a-f:.]+\]|[a-z0-9.\-_~%!$&'()*+,;=]+)(?::([0-9]{1,5}))?$")


class OptionError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL, lowercase, IPv6 without brackets
    port: int
    path: str  # request target: path and query
    host_header: str
    dial_address: str  # where the TCP connection goes (a resolve pin's address, else host)
    display_url: str


@dataclass
class ProbeConfig:
    target: Target
    request: Request
    count: int
    concurrency: int
    reuse_connections: bool
    timeout: float
    validate_certs: bool
    ca_path: str | None
    preflight_headers: list  # extra (name, value) lines for every preflight
    companion_headers: list  # extra lines for the companion request (credential headers included)
    companion_request: bool
    fingerprint_headers: list
    min_success_ratio: float | None
    secrets: list
    warnings: list = field(default_factory=list)


def _text(params, option, required=True):
    value = params.get(option)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{option}: must be a non-empty string, got {value!r}")
    if _CONTROL.search(value):
        raise OptionError(f"{option}: must not contain control characters or CR/LF, got {value!r}")
    return value


def parse_url(url):
    if any(ch.isspace() for ch in url):
        raise OptionError(f"url: must not contain whitespace, got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OptionError(f"url: {url!r} does not parse ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OptionError(f"url: scheme must be http or https, got {url!r}")
    if not parts.hostname:
        raise OptionError(f"url: {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise OptionError("url: must not carry user:password@ (a preflight never sends URL credentials)")
    if port == 0:
        raise OptionError(f"url: port 0 in {url!r}")
    try:
        host = parts.hostname.lower().encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname.lower()
    except UnicodeError:
        raise OptionError(f"url: {parts.hostname!r} is not a valid host name") from None
    port = port or DEFAULT_PORTS[scheme]
    shown_host = f"[{host}]" if ":" in host else host
    host_header = shown_host if port == DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    # Browsers percent-encode what is not ASCII; already-encoded text and delimiters stay as they are.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~") + (f"?{quote(parts.query, safe='/?%:@!$&()*+,;=-._~')}" if parts.query else "")
    return scheme, host, port, path, host_header


def check_origin(origin):
    """A serialized origin, exactly as a browser sends it in `Origin`."""
    if origin == "null":
        return origin
    match = _ORIGIN.match(origin)
    if not match:
        hint = ""
        lowered = origin.lower().rstrip("/")
        if _ORIGIN.match(lowered):
            hint = f" (did you mean {lowered!r}?)"
        raise OptionError(f"origin: {origin!r} is not a serialized origin: scheme://host[:port], lowercase, no path or trailing slash, or 'null'{hint}")
    scheme, host, port = match.groups()
    if port is not None:
        if not 0 < int(port) <= 65535 or port != str(int(port)):
            raise OptionError(f"origin: port {port} in {origin!r} is not valid")
        if DEFAULT_PORTS.get(scheme) == int(port):
            raise OptionError(f"origin: a browser omits the default port; use {scheme}://{host}")
    return origin


def parse_resolve(pins):
    """["host:port:address", ...] -> {(host, port): address}, like curl's --resolve."""
    mapping = {}
    for pin in pins:
        if not isinstance(pin, str) or pin.count(":") < 2:
            raise OptionError(f"resolve: {pin!r} is not host:port:address")
        if pin.startswith("[") and "]:" in pin:  # an IPv6 literal as the host
            host, rest = pin[1:].split("]:", 1)
            port, _unused, address = rest.partition(":")
        else:
            host, port, address = pin.split(":", 2)
        if not host or any(ch.isspace() for ch in host):
            raise OptionError(f"resolve: {pin!r} has no host")
        if not port.isdigit() or not 0 < int(port) <= 65535:
            raise OptionError(f"resolve: {pin!r} has no valid port")
        address = address[1:-1] if address.startswith("[") and address.endswith("]") else address
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise OptionError(f"resolve: {pin!r}: {address!r} is not an IP address") from None
        key = (host.lower().strip("[]"), int(port))
        if key in mapping and mapping[key] != address:
            raise OptionError(f"resolve: two different addresses pinned for {host}:{port}")
        mapping[key] = address
    return mapping


def _check_header_lines(headers):
    if not isinstance(headers, dict):
        raise OptionError(f"headers: must be a dictionary of header name to value, got {type(headers).__name__}")
    lines = []
    for name, value in headers.items():
        if not isinstance(name, str) or not is_token(name):
            raise OptionError(f"headers: {name!r} is not a valid header name")
        if name.lower() in _RESERVED_HEADERS:
            raise OptionError(f"headers: {name} is set by the probe itself (use url, origin, method, request_headers or resolve)")
        if value is None or isinstance(value, (dict, list)):
            raise OptionError(f"headers: the value of {name} must be a string")
        value = str(value)
        if _CONTROL.search(value):
            raise OptionError(f"headers: the value of {name} contains control characters or CR/LF")
        lines.append((name, value.strip(" \t")))
    return lines


def _check_names(values, option):
    if not isinstance(values, list):
        raise OptionError(f"{option}: must be a list of header names")
    for value in values:
        if not isinstance(value, str) or not is_token(value):
            raise OptionError(f"{option}: {value!r} is not a valid header name")
    return values


def _bounded(params, option, minimum_text, cap, warnings, cast):
    value = params.get(option)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"{option}: must be a number, got {value!r}")
    value = cast(value)
    if value <= 0:
        raise OptionError(f"{option}: must be {minimum_text}, got {value}")
    if value > cap:
        warnings.append(f"{option}: {value} is more than the cap; using {cap}")
        value = cast(cap)
    return value


def build_config(params):
    """Validate every option; raises OptionError naming the first bad one."""
    warnings = []
    url = _text(params, "url")
    scheme, host, port, path, host_header = parse_url(url)
    origin = check_origin(_text(params, "origin"))

    method = _text(params, "method")
    if not is_token(method):
        raise OptionError(f"method: {method!r} is not an HTTP method token")
    if method.upper() in FORBIDDEN_METHODS:
        raise OptionError(f"method: {method} is forbidden by browsers; no preflight is ever sent for it")
    method = normalize_method(method)
    request_headers = tuple(sorted({n.lower() for n in _check_names(params.get("request_headers") or [], "request_headers")}))
    request = Request(origin=origin, method=method, request_headers=request_headers, credentials=bool(params.get("credentials")))
    if not request.needs_preflight:
        warnings.append(f"method: a browser sends no preflight for {method} without request_headers; probing anyway")

    count = _bounded(params, "count", "at least 1", MAX_COUNT, warnings, int)
    concurrency = min(_bounded(params, "concurrency", "at least 1", MAX_CONCURRENCY, warnings, int), count)
    timeout = _bounded(params, "timeout", "a positive number of seconds", MAX_TIMEOUT, warnings, float)

    ratio = params.get("min_success_ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0.0 <= ratio <= 1.0):
        raise OptionError(f"min_success_ratio: must be between 0 and 1, got {ratio!r}")

    extra = _check_header_lines(params.get("headers") or {})
    preflight_headers = [(n, v) for n, v in extra if n.lower() not in CREDENTIAL_HEADERS]
    if len(preflight_headers) < len(extra) and not params.get("companion_request"):
        warnings.append("headers: Authorization, Cookie and Proxy-Authorization are never sent on a preflight; they go only on the companion request")

    fingerprint_headers = _check_names(params.get("fingerprint_headers") or [], "fingerprint_headers")

    pins = parse_resolve(params.get("resolve") or [])
    dial_address = pins.pop((host, port), host)
    for unused_host, unused_port in pins:
        warnings.append(f"resolve: the pin for {unused_host}:{unused_port} does not match the url's {host}:{port}; it is not used")

    ca_path = params.get("ca_path")
    if ca_path is not None and (not isinstance(ca_path, str) or not ca_path.strip()):
        raise OptionError("ca_path: must be a path to a PEM file")

    target = Target(scheme, host, port, path, host_header, dial_address, redact_url(url))
    return ProbeConfig(
        target=target,
        request=request,
        count=count,
        concurrency=concurrency,
        reuse_connections=bool(params.get("reuse_connections")),
        timeout=timeout,
        validate_certs=bool(params.get("validate_certs", True)),
        ca_path=ca_path,
        preflight_headers=preflight_headers,
        companion_headers=extra,
        companion_request=bool(params.get("companion_request")),
        fingerprint_headers=list(fingerprint_headers),
        min_success_ratio=ratio,
        secrets=secrets_of(dict(extra)),
        warnings=warnings,
    )


def preflight_lines(config):
    """The request header lines of one preflight, in the order a browser sends them."""
    lines = [("Host", config.target.host_header), ("Accept", "*/*"), ("Access-Control-Request-Method", config.request.method)]
    if config.request.request_headers:
        lines.append(("Access-Control-Request-Headers", ",".join(config.request.request_headers)))
    lines.append(("Origin", config.request.origin))
    lines.extend(config.preflight_headers)
    return lines


def companion_lines(config):
    """The actual request after a passing preflight: Origin plus the user's headers, no body."""
    lines = [("Host", config.target.host_header), ("Accept", "*/*"), ("Origin", config.request.origin)]
    if config.request.method.upper() in ("POST", "PUT", "PATCH"):
        lines.append(("Content-Length", "0"))
    lines.extend(config.companion_headers)
    return lines
