"""Grouping by fingerprint, the header diff, latency percentiles and the verdict, on hand-built answers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._cors import Request
from ansible_collections.fanout.docker.plugins.module_utils._probe_report import (
    DEFAULT_FINGERPRINT_HEADERS,
    build_report,
    fingerprint,
    judge,
    latency_summary,
    percentile,
    value_shape,
)
from ansible_collections.fanout.docker.plugins.module_utils._redact import redact_lines

ORIGIN = "https://dash.example"
REQUEST = Request(origin=ORIGIN, method="PUT")
PROXY = [("Server", "Caddy")]
CORS = [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Max-Age", "60"), ("Vary", "Origin")]


@dataclass
class Answer:
    status: int | None = None
    headers: list = field(default_factory=list)
    latency: float | None = 0.01
    error: str | None = None
    detail: str = ""


def live(i=0):
    return Answer(204, PROXY + [("Server", "gunicorn/22.0"), ("X-Request-Id", f"{i:08x}-1111-4111-8111-111111111111")] + CORS)


def stale(i=0):
    return Answer(200, PROXY + [("Server", "gunicorn/19.9.0"), ("X-Request-Id", f"{i:08x}-2222-4222-8222-222222222222"), ("Content-Type", "application/json")])


def gateway_timeout():
    return Answer(504, list(PROXY))


def transport(reason="timeout"):
    return Answer(error=reason, latency=None, detail=f"{reason} happened")


def report(answers, names=DEFAULT_FINGERPRINT_HEADERS, request=REQUEST, **kw):
    judgements = [judge(request, a) for a in answers]
    return build_report(answers, judgements, names, **kw)


def test_incident_mix_is_mixed_backends_and_server_is_named():
    result = report([live(i) for i in range(6)] + [stale(i) for i in range(4)])
    assert (result["total"], result["passed"], result["failures"], result["errors"]) == (10, 6, 4, 0)
    assert result["success_ratio"] == 0.6
    assert result["failures_by_reason"] == {"acao_missing": 4, "method_not_allowed": 4}
    assert result["verdict"] == "mixed_backends"
    assert result["header_diff"]["differing_header"] == "Server"
    assert "gunicorn/19.9.0" in result["summary"] and "Server tells them apart" in result["summary"]
    groups = result["groups"]
    assert [g["count"] for g in groups] == [6, 4]
    assert groups[0]["fingerprint"] == {"Server": "Caddy, gunicorn/22.0", "X-Request-Id": "<uuid>"}
    assert (groups[1]["passed"], groups[1]["failed"], groups[1]["reasons"]) == (0, 4, {"acao_missing": 4, "method_not_allowed": 4})
    assert groups[1]["statuses"] == {"200": 4}
    assert ["Server", "gunicorn/19.9.0"] in groups[1]["sample"]["headers"]


def test_diff_shows_absent_as_none_and_skips_volatile_headers():
    passing = [live(1)]
    passing[0].headers.append(("Date", "Mon"))
    failing = [stale(2)]
    failing[0].headers.append(("Date", "Tue"))
    rows = {r["header"]: r for r in report(passing + failing)["header_diff"]["headers"]}
    assert "Date" not in rows and "X-Request-Id" not in rows  # same shape on both sides
    assert rows["Access-Control-Allow-Origin"] == {"header": "Access-Control-Allow-Origin", "passing": [ORIGIN], "failing": [None], "identifies_backend": False}
    assert rows["Content-Type"]["passing"] == [None]
    assert rows["Server"]["identifies_backend"] is True
    assert list(rows)[0] == "Server"  # fingerprint headers first


def test_header_present_in_only_some_answers_counts_absent_too():
    a, b = live(1), live(2)
    b.headers.append(("X-Powered-By", "Express"))
    rows = report([a, b, stale()])["header_diff"]["headers"]
    powered = next(r for r in rows if r["header"] == "X-Powered-By")
    assert powered["passing"] == ["Express", None] and powered["failing"] == [None]
    assert powered["identifies_backend"] is False


def test_all_pass():
    result = report([live(i) for i in range(3)])
    assert result["verdict"] == "all_pass" and result["header_diff"] == {"differing_header": None, "headers": []}
    assert result["summary"].startswith("3/3 preflights passed")


def test_every_answer_failing_the_same_way_is_deterministic():
    assert report([stale(i) for i in range(5)])["verdict"] == "deterministic_failure"
    assert report([transport("connection_refused") for _unused in range(3)])["verdict"] == "deterministic_failure"


def test_all_failing_but_each_backend_its_own_way_is_mixed():
    other = Answer(403, PROXY + [("Server", "nginx")])
    assert report([stale(), stale(), other, other])["verdict"] == "mixed_backends"


def test_all_failing_in_varied_ways_on_one_backend_is_flaky():
    assert report([stale(), transport()])["verdict"] == "flaky"


def test_proxy_504s_without_backend_identity_are_proxy_generated():
    result = report([live(i) for i in range(4)] + [gateway_timeout() for _unused in range(4)])
    assert result["verdict"] == "proxy_generated"
    assert result["failures_by_reason"]["status_not_ok"] == 4


def test_5xx_with_no_identity_at_all_is_proxy_generated():
    assert report([live(), Answer(502, [])])["verdict"] == "proxy_generated"


def test_5xx_carrying_a_backend_identity_is_not_proxy_generated():
    assert report([live(), Answer(500, PROXY + [("Server", "gunicorn/19.9.0")])])["verdict"] == "mixed_backends"


def test_failures_on_the_same_fingerprint_as_passes_are_flaky():
    broken = live(9)
    broken.headers = [h for h in broken.headers if h[0] != "Access-Control-Allow-Origin"]
    assert report([live(1), live(2), broken])["verdict"] == "flaky"


def test_timeouts_mixed_with_passes_are_flaky():
    result = report([live(), live(), transport()])
    assert result["verdict"] == "flaky"
    assert result["errors"] == 1 and result["failures_by_reason"] == {"timeout": 1}
    assert result["error_samples"] == [{"reason": "timeout", "detail": "timeout happened"}]
    assert result["latency_ms"]["max"] == 10.0


def test_configurable_fingerprint_headers():
    a = Answer(204, [("X-Backend", "blue")] + CORS)
    b = Answer(200, [("X-Backend", "green")])
    assert report([a, b], names=["X-Backend"])["header_diff"]["differing_header"] == "X-Backend"
    assert report([a, b], names=[])["verdict"] == "flaky"  # no identity to line failures up with


def test_request_ids_group_by_shape_not_value():
    assert value_shape("3f0c2a9b-1d44-4e3a-9c6e-0123456789ab") == "<uuid>"
    assert value_shape("1234") == "<digits:4>"
    assert value_shape("deadBEEF") == "<hex:8>"
    assert value_shape("req_Zz") == "<id:6>"
    assert fingerprint([("x-request-id", "1"), ("Server", "a"), ("server", "b")], ["Server", "X-Request-Id"]) == (
        ("Server", ("a", "b")),
        ("X-Request-Id", ("<digits:1>",)),
    )


def test_samples_are_redacted():
    answer = live()
    answer.headers += [("Set-Cookie", "session=abc"), ("X-Echo", "Bearer sekrit-token")]
    result = report([answer], redact_lines=lambda lines: redact_lines(lines, ["Bearer sekrit-token"]))
    text = str(result)
    assert "abc" not in text and "sekrit" not in text
    assert ["Set-Cookie", "********"] in result["groups"][0]["sample"]["headers"]


def test_sample_prefers_a_failing_answer():
    ok = live(1)
    bad = live(2)
    bad.headers = [h for h in bad.headers if h[0] != "Vary"] + [("Access-Control-Allow-Origin", ORIGIN)]
    [group] = report([ok, bad])["groups"]
    assert group["sample"]["headers"].count(["Access-Control-Allow-Origin", ORIGIN]) == 2


def test_invalid_utf8_is_shown_escaped():
    answer = live()
    answer.headers.append(("X-Name", b"caf\xe9".decode("latin-1")))
    result = report([answer])
    assert ["X-Name", "caf\\xe9"] in result["groups"][0]["sample"]["headers"]
    assert result["warnings_by_code"] == {"header_not_utf8": 1}


@pytest.mark.parametrize("fraction, expected", [(0.5, 5), (0.95, 10), (0.0, 1), (1.0, 10), (0.51, 6)])
def test_nearest_rank_percentile(fraction, expected):
    assert percentile(list(range(1, 11)), fraction) == expected


def test_latency_summary_in_ms():
    assert latency_summary([0.003, 0.001, None, 0.002]) == {"min": 1.0, "p50": 2.0, "p95": 3.0, "max": 3.0}
    assert latency_summary([]) == {"min": None, "p50": None, "p95": None, "max": None}
