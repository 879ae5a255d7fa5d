# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Fetch standard's CORS checks over (request, status, raw header lines); pure.

Header lines are an ordered list of (name, value) tuples exactly as received: a header sent twice
is two lines, because a browser combines them (``a, a``) and then fails the byte comparison.
Values are ``str`` decoded as ISO-8859-1 (what http.client does), so comparing them compares bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Stable reason codes, in the order the checks run; the first one on an answer is its main reason.
STATUS_REASONS = ("redirect", "status_not_ok")
ORIGIN_REASONS = ("acao_missing", "acao_multiple", "acao_wildcard_with_credentials", "acao_mismatch", "acac_not_true")
LIST_REASONS = ("malformed_list", "method_case_only", "method_not_allowed", "authorization_needs_explicit", "header_not_allowed")
TRANSPORT_REASONS = (
    "timeout",
    "connection_refused",
    "connection_reset",
    "dns_error",
    "tls_error",
    "protocol_error",
    "headers_too_large",
    "connection_error",
)
REASONS = STATUS_REASONS + ORIGIN_REASONS + LIST_REASONS + TRANSPORT_REASONS
WARNINGS = ("vary_origin_missing", "max_age_missing", "max_age_invalid", "header_not_utf8")

SAFELISTED_METHODS = frozenset(("GET", "HEAD", "POST"))
# Fetch uppercases only these when a page passes them in another case; `patch` stays `patch`.
NORMALIZED_METHODS = frozenset(("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"))
FORBIDDEN_METHODS = frozenset(("CONNECT", "TRACE", "TRACK"))
# A `*` in Access-Control-Allow-Headers never covers these (Fetch: CORS non-wildcard request-header names).
NON_WILDCARD_HEADERS = frozenset(("authorization",))

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OWS = " \t"


def is_token(text):
    return bool(text) and all(ch in _TCHAR for ch in text)


def normalize_method(method):
    """What a browser puts in Access-Control-Request-Method for a page's `method`."""
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method


@dataclass(frozen=True)
class Request:
    """What the page asked for: the preflight describes it to the server."""

    origin: str
    method: str
    request_headers: tuple = ()  # lowercase names, sorted, as sent in Access-Control-Request-Headers
    credentials: bool = False

    @property
    def needs_preflight(self):
        return self.method not in SAFELISTED_METHODS or bool(self.request_headers)


@dataclass
class Judgement:
    ok: bool
    reasons: list = field(default_factory=list)
    details: list = field(default_factory=list)  # one human sentence per reason, same order
    warnings: list = field(default_factory=list)

    @property
    def reason(self):
        return self.reasons[0] if self.reasons else None


def header_values(lines, name):
    """Every value of `name` (case-insensitive), in order, surrounding whitespace removed."""
    wanted = name.lower()
    return [value.strip(_OWS) for key, value in lines if key.lower() == wanted]


def combined_value(lines, name):
    """Fetch's `get`: None when absent, else the values joined with ', '."""
    values = header_values(lines, name)
    return ", ".join(values) if values else None


class MalformedList(ValueError):
    pass


def parse_token_list(lines, name):
    """Fetch's `extract header list values` for a #token header: None when absent."""
    values = header_values(lines, name)
    if not values:
        return None
    items = []
    for value in values:
        for item in value.split(","):
            item = item.strip(_OWS)
            if not item:
                continue  # the #rule allows empty elements
            if not is_token(item):
                raise MalformedList(f"{name}: {item!r} is not a token in {value!r}")
            items.append(item)
    return items


def _add(judgement, reason, detail):
    judgement.reasons.append(reason)
    judgement.details.append(detail)


def _check_status(judgement, status, lines):
    if 200 <= status <= 299:
        return
    if 300 <= status <= 399:
        location = combined_value(lines, "Location")
        _add(judgement, "redirect", f"status {status} to {location or '(no Location)'}: a preflight never follows redirects")
    else:
        _add(judgement, "status_not_ok", f"status {status}: a preflight needs a 2xx status")


def _check_origin(judgement, request, lines):
    """The CORS check: Access-Control-Allow-Origin, and -Allow-Credentials in credentials mode."""
    values = header_values(lines, "Access-Control-Allow-Origin")
    if not values:
        _add(judgement, "acao_missing", "no Access-Control-Allow-Origin")
    elif len(values) > 1 or "," in values[0]:
        joined = ", ".join(values)
        _add(judgement, "acao_multiple", f"Access-Control-Allow-Origin has {len(values)} line(s) holding {joined!r}; the browser needs exactly one value")
    elif values[0] == "*":
        if request.credentials:
            _add(judgement, "acao_wildcard_with_credentials", "Access-Control-Allow-Origin: * is not accepted in credentials mode")
    elif values[0] != request.origin:
        _add(judgement, "acao_mismatch", f"Access-Control-Allow-Origin {values[0]!r} is not the origin {request.origin!r} (byte comparison)")
    if request.credentials:
        acac = combined_value(lines, "Access-Control-Allow-Credentials")
        if acac != "true":
            _add(judgement, "acac_not_true", f"Access-Control-Allow-Credentials is {acac!r}, credentials mode needs exactly 'true'")


def _check_method(judgement, request, methods):
    method = request.method
    if method in methods or method in SAFELISTED_METHODS:
        return
    if "*" in methods and not request.credentials:
        return
    if any(m.upper() == method.upper() for m in methods):
        _add(judgement, "method_case_only", f"{method} is allowed only as {[m for m in methods if m.upper() == method.upper()]}: methods are case-sensitive")
    else:
        why = " (* is not a wildcard in credentials mode)" if "*" in methods else ""
        _add(judgement, "method_not_allowed", f"{method} is not in Access-Control-Allow-Methods {methods}{why}")


def _check_headers(judgement, request, names):
    allowed = {n.lower() for n in names}
    wildcard = "*" in allowed and not request.credentials
    for name in request.request_headers:
        if name in allowed:
            continue
        if name in NON_WILDCARD_HEADERS and wildcard:
            _add(judgement, "authorization_needs_explicit", f"{name} must be listed by name: * in Access-Control-Allow-Headers never covers it")
        elif not wildcard:
            why = " (* is not a wildcard in credentials mode)" if "*" in allowed else ""
            _add(judgement, "header_not_allowed", f"{name} is not in Access-Control-Allow-Headers {sorted(allowed)}{why}")


def _check_lists(judgement, request, lines):
    try:
        methods = parse_token_list(lines, "Access-Control-Allow-Methods") or []
    except MalformedList as exc:
        _add(judgement, "malformed_list", str(exc))
    else:
        _check_method(judgement, request, methods)
    try:
        names = parse_token_list(lines, "Access-Control-Allow-Headers") or []
    except MalformedList as exc:
        _add(judgement, "malformed_list", str(exc))
    else:
        _check_headers(judgement, request, names)


def _warnings(request, lines, preflight):
    found = []
    acao = header_values(lines, "Access-Control-Allow-Origin")
    if acao and acao[0] != "*":
        vary = {v.strip(_OWS).lower() for v in (combined_value(lines, "Vary") or "").split(",")}
        if not vary & {"origin", "*"}:
            found.append("vary_origin_missing")
    if preflight:
        max_age = header_values(lines, "Access-Control-Max-Age")
        if not max_age:
            found.append("max_age_missing")
        elif len(max_age) > 1 or not max_age[0].isdigit() or not max_age[0].isascii():
            found.append("max_age_invalid")
    if not all(_is_utf8(value) for _unused, value in lines):
        found.append("header_not_utf8")
    return found


def _is_utf8(value):
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


def check_preflight(request, status, lines):
    """Would a browser accept this preflight answer? Every failed check is listed, in Fetch's order."""
    judgement = Judgement(ok=False)
    _check_status(judgement, status, lines)
    _check_origin(judgement, request, lines)
    _check_lists(judgement, request, lines)
    judgement.ok = not judgement.reasons
    if judgement.ok:
        judgement.warnings = _warnings(request, lines, preflight=True)
    return judgement


def check_actual(request, status, lines):
    """The CORS check on the actual request's answer (status does not matter to CORS there)."""
    judgement = Judgement(ok=False)
    _check_origin(judgement, request, lines)
    judgement.ok = not judgement.reasons
    if judgement.ok:
        judgement.warnings = _warnings(request, lines, preflight=False)
    return judgement
