# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep secrets out of everything the probe returns; pure."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "********"

_SENSITIVE_NAME = re.compile(r"auth|cookie|token|secret|passw|session|signature|credential|api[-_]?key|(^|[-_])key($|[-_])", re.I)
# CORS headers name other headers (Access-Control-Allow-Headers: authorization), never carry secrets.
_NEVER_SENSITIVE = re.compile(r"^(access-control-|vary$)", re.I)
# Shorter secrets would mask ordinary words in unrelated headers.
_MIN_ECHO_LENGTH = 4


def is_sensitive_name(name):
    return not _NEVER_SENSITIVE.match(name) and bool(_SENSITIVE_NAME.search(name))


def secrets_of(headers):
    """The values of the user's extra headers that must never be echoed back."""
    return [v for k, v in (headers or {}).items() if is_sensitive_name(k) and len(v) >= _MIN_ECHO_LENGTH]


def redact_text(text, secrets):
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_lines(lines, secrets=()):
    """Header lines with sensitive values masked, and any echo of a user secret masked too."""
    return [(name, MASK if is_sensitive_name(name) else redact_text(value, secrets)) for name, value in lines]


def redact_headers(headers, secrets=()):
    return {name: (MASK if is_sensitive_name(name) else redact_text(value, secrets)) for name, value in (headers or {}).items()}


def redact_url(url):
    """Drop user:password@ and mask token-like query values."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        fields = []
        for item in query.split("&"):
            name, sep, _unused = item.partition("=")
            fields.append(f"{name}={MASK}" if sep and is_sensitive_name(unquote(name)) else item)
        query = "&".join(fields)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
