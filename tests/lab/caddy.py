"""Caddyfiles for the lab's roles: the live API, the stale API, a static app and the proxy."""

GLOBAL = """{
\tadmin off
\tauto_https off
}
"""


def live_api(server="gunicorn/22.0"):
    """The API with its CORS middleware: answers preflights with the Access-Control-Allow-* set."""
    return (
        GLOBAL
        + f""":8000 {{
\theader Server "{server}"
\theader X-Request-Id "{{http.request.uuid}}"
\t@preflight method OPTIONS
\thandle @preflight {{
\t\theader Access-Control-Allow-Origin "{{http.request.header.Origin}}"
\t\theader Access-Control-Allow-Methods "GET, POST, PUT, PATCH, DELETE, OPTIONS"
\t\theader Access-Control-Allow-Headers "authorization, content-type, x-requested-with"
\t\theader Access-Control-Max-Age "600"
\t\theader Vary "Origin"
\t\trespond 204
\t}}
\theader Access-Control-Allow-Origin "{{http.request.header.Origin}}"
\theader Vary "Origin"
\trespond /health "ok" 200
\trespond "{{\\"api\\": \\"live\\"}}" 200
}}
"""
    )


def stale_api(server="gunicorn/19.9.0"):
    """Months-old code without the CORS middleware: OPTIONS gets a bare 200."""
    return (
        GLOBAL
        + f""":8000 {{
\theader Server "{server}"
\theader X-Request-Id "{{http.request.uuid}}"
\trespond /health "ok" 200
\trespond "{{\\"api\\": \\"stale\\"}}" 200
}}
"""
    )


def static(body="ok"):
    return (
        GLOBAL
        + f""":8000 {{
\trespond "{body}" 200
}}
"""
    )


def proxy(upstream="api:8000"):
    """Caddy as the reverse proxy. keepalive off: one dial, so one DNS lookup, per request."""
    return (
        GLOBAL
        + f""":8080 {{
\treverse_proxy {upstream} {{
\t\ttransport http {{
\t\t\tkeepalive off
\t\t}}
\t}}
}}
"""
    )
