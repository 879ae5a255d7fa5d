"""cors_preflight_probe against real servers: local ones on 127.0.0.1 started here, and the lab's Caddy
containers. Most cases go through a real `ansible` run; hostile transports run the same code in-process."""

from __future__ import annotations

import json
import threading

import pytest

from tests.helpers import probe_in_process, run_module
from tests.integration import servers
from tests.integration.servers import ORIGIN

DEFAULTS = {"origin": ORIGIN, "method": "PUT", "count": 6, "concurrency": 3}


def probe(url, **args):
    run = run_module("cors_preflight_probe", {"url": url, **DEFAULTS, **args})
    assert run.result is not None, run
    return run


def passed(url, **args):
    run = probe(url, **args)
    assert run.rc == 0, run
    assert run.result["changed"] is False
    return run.result


def in_process(url, **args):
    """The module's own pipeline without Ansible's start-up: options -> edge -> check -> report."""
    return probe_in_process(**{"url": url, **DEFAULTS, **args})[1]


# --- the cases of issue 3, each through real Ansible --------------------------------------------


def test_healthy_backend_passes_every_preflight():
    with servers.serve(servers.live_backend) as (url, seen):
        result = passed(url, request_headers=["Content-Type", "X-Requested-With"])
    assert (result["total"], result["passed"], result["failures"], result["errors"]) == (6, 6, 0, 0)
    assert result["verdict"] == "all_pass" and result["success_ratio"] == 1.0
    assert result["latency_ms"]["min"] <= result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["max"]
    method, lines = seen.requests[0]
    assert method == "OPTIONS"
    sent = dict(lines)
    assert sent["Origin"] == ORIGIN and sent["Access-Control-Request-Method"] == "PUT"
    assert sent["Access-Control-Request-Headers"] == "content-type,x-requested-with"
    assert sent["Accept"] == "*/*"
    assert not {"Authorization", "Cookie"} & set(sent)
    assert seen.connections == 6  # a fresh connection per preflight by default


def test_405_is_status_not_ok():
    with servers.serve(servers.method_not_allowed) as (url, _unused):
        result = passed(url)
    assert result["passed"] == 0
    assert result["failures_by_reason"]["status_not_ok"] == 6
    assert result["verdict"] == "deterministic_failure"
    assert result["groups"][0]["statuses"] == {"405": 6}


def test_redirect_to_login_is_never_followed():
    with servers.serve(servers.login_redirect) as (url, seen):
        result = passed(url)
    assert result["failures_by_reason"]["redirect"] == 6
    assert seen.methods() == ["OPTIONS"] * 6  # the login page was never requested
    assert ["Location", "/login?next=/api/orders"] in result["groups"][0]["sample"]["headers"]


def test_wildcard_origin_with_acac_true_passes_without_credentials_and_fails_with_them():
    with servers.serve(servers.wildcard_with_credentials) as (url, _unused):
        without = passed(url)
        with_credentials = passed(url, credentials=True)
    assert without["verdict"] == "all_pass"
    assert with_credentials["failures_by_reason"] == {"acao_wildcard_with_credentials": 6}
    assert with_credentials["credentials"] is True


def test_allowed_origin_sent_twice_by_proxy_and_app():
    with servers.serve(servers.acao_from_proxy_and_app) as (url, _unused):
        result = passed(url)
    assert result["failures_by_reason"] == {"acao_multiple": 6}
    sample = result["groups"][0]["sample"]["headers"]
    assert sample.count(["Access-Control-Allow-Origin", ORIGIN]) == 2  # raw lines, not folded by a dict


def test_delete_without_request_headers_misses_a_middleware_that_needs_them():
    with servers.serve(servers.preflight_only_with_request_headers) as (url, _unused):
        bare = passed(url, method="delete")
        with_headers = passed(url, method="DELETE", request_headers=["content-type"])
    assert bare["method"] == "DELETE"
    assert bare["failures_by_reason"] == {"acao_missing": 6, "method_not_allowed": 6}
    assert with_headers["verdict"] == "all_pass"  # the same server passes once the header list is there


def test_authorization_is_never_covered_by_a_header_wildcard():
    with servers.serve(servers.headers_wildcard) as (url, _unused):
        result = passed(url, request_headers=["Authorization", "X-Trace"])
        others = passed(url, request_headers=["X-Trace"])
    assert result["failures_by_reason"] == {"authorization_needs_explicit": 6}
    assert others["verdict"] == "all_pass"


def test_method_allowed_only_in_lower_case():
    with servers.serve(servers.lowercase_methods) as (url, _unused):
        upper = passed(url, method="PATCH")
        lower = passed(url, method="patch")
    assert upper["failures_by_reason"] == {"method_case_only": 6}
    assert lower["method"] == "patch" and lower["verdict"] == "all_pass"


def test_backend_hanging_past_the_timeout():
    release = threading.Event()
    try:
        with servers.serve(servers.hanging(release)) as (url, _unused):
            result = passed(url, timeout=0.3, count=3)
    finally:
        release.set()
    assert result["errors"] == 3 and result["failures_by_reason"] == {"timeout": 3}
    assert result["error_samples"][0]["reason"] == "timeout"
    assert result["latency_ms"]["max"] is None


def test_nothing_listening():
    result = passed(f"http://127.0.0.1:{servers.free_port()}/", count=3)
    assert result["failures_by_reason"] == {"connection_refused": 3}
    assert result["verdict"] == "deterministic_failure"


def test_half_answered_504_by_a_proxy_with_no_backend_identity():
    with servers.serve(servers.half_gateway_timeout) as (url, _unused):
        result = passed(url, count=10)
    assert result["success_ratio"] == 0.5
    assert result["failures_by_reason"]["status_not_ok"] == 5
    assert result["verdict"] == "proxy_generated"


def test_fan_out_between_two_local_backends_is_mixed_backends():
    with servers.serve(servers.fan_out) as (url, _unused):
        result = passed(url, count=10)
    assert result["success_ratio"] == 0.5
    assert result["verdict"] == "mixed_backends"
    assert result["header_diff"]["differing_header"] == "Server"
    by_server = {g["fingerprint"]["Server"]: g for g in result["groups"]}
    assert by_server["gunicorn/19.9.0"]["reasons"]["acao_missing"] == 5
    assert by_server["gunicorn/22.0"]["passed"] == 5


def test_min_success_ratio_fails_the_task_and_names_what_differs():
    with servers.serve(servers.fan_out) as (url, _unused):
        run = probe(url, count=10, min_success_ratio=0.9)
    assert run.rc != 0
    msg = run.result["msg"]
    assert url in msg and "0.5" in msg and "mixed_backends" in msg and "Server" in msg
    assert run.result["verdict"] == "mixed_backends"  # the evidence travels with the failure


def test_min_success_ratio_met_does_not_fail():
    with servers.serve(servers.live_backend) as (url, _unused):
        assert passed(url, min_success_ratio=1.0)["passed"] == 6


def test_reuse_connections_keeps_one_connection_per_worker():
    with servers.serve(servers.live_backend) as (url, seen):
        result = passed(url, count=12, concurrency=2, reuse_connections=True)
    assert result["passed"] == 12
    assert seen.connections <= 2


def test_companion_request_follows_passing_preflights_and_compares_backends():
    def preflight_live_actual_alternating(method, lines, index):
        if method == "OPTIONS":
            return servers.live_backend(method, lines, index)
        return servers.fan_out(method, lines, index // 2)  # one at a time: OPTIONS, GET, OPTIONS, GET...

    with servers.serve(preflight_live_actual_alternating) as (url, seen):
        result = passed(
            url,
            method="GET",
            request_headers=["x-requested-with"],
            count=8,
            concurrency=1,
            companion_request=True,
            headers={"Authorization": "Bearer companion-secret-1"},
        )
    companion = result["companion"]
    assert companion["sent"] == 8 and seen.methods().count("GET") == 8
    assert companion["failures_by_reason"] == {"acao_missing": 4}
    assert (companion["same_backend"], companion["different_backend"]) == (4, 4)
    authorization = [dict(lines).get("Authorization") for method, lines in seen.requests]
    assert all(a is None for a, (m, _unused) in zip(authorization, seen.requests) if m == "OPTIONS")
    assert all(a == "Bearer companion-secret-1" for a, (m, _unused) in zip(authorization, seen.requests) if m == "GET")


def test_companion_is_not_sent_after_a_failing_preflight():
    with servers.serve(servers.stale_backend) as (url, seen):
        result = passed(url, companion_request=True, count=3)
    assert result["companion"]["sent"] == 0
    assert seen.methods() == ["OPTIONS"] * 3


def test_check_mode_probes_but_never_sends_an_unsafe_companion():
    with servers.serve(servers.live_backend) as (url, seen):
        run = run_module("cors_preflight_probe", {"url": url, **DEFAULTS, "method": "DELETE", "companion_request": True}, check=True)
    assert run.rc == 0, run
    assert run.result["changed"] is False and run.result["passed"] == 6
    assert "companion" not in run.result
    assert set(seen.methods()) == {"OPTIONS"}
    assert "not sending DELETE in check mode" in run.stdout + run.stderr


def test_secrets_in_headers_never_come_back():
    secrets = {"X-Api-Key": "k3y-abcdef-123", "X-Auth-Token": "tok-zyx-987", "Cookie": "session=c00kie-456", "Authorization": "Bearer b3arer-789"}
    with servers.serve(servers.echo_headers) as (url, seen):
        run = probe(url, headers=secrets, companion_request=True, method="GET", request_headers=["x-requested-with"])
    assert run.rc == 0, run
    text = json.dumps(run.result) + run.stdout + run.stderr
    for value in secrets.values():
        assert value not in text
    # the server did receive them (the echo is where a leak would come from), and the companion carried the cookie
    assert any(dict(lines).get("X-Api-Key") == "k3y-abcdef-123" for _unused, lines in seen.requests)
    assert run.result["companion"]["sent"] == 6
    assert any(dict(lines).get("Cookie") == "session=c00kie-456" for m, lines in seen.requests if m == "GET")


def test_ordinary_header_values_are_not_masked_only_secrets():
    # headers is no_log; Ansible would otherwise mask "1" and "2" wherever they appear in the result.
    headers = {"DNT": "1", "X-Api-Version": "2", "X-Auth-Token": "tok-zyx-987"}
    with servers.serve(servers.live_backend) as (url, _seen):
        run = probe(url, headers=headers, count=12)
    assert run.rc == 0, run
    assert (run.result["total"], run.result["passed"], run.result["success_ratio"]) == (12, 12, 1.0)
    text = json.dumps(run.result)
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in text and "********" not in text, text
    assert "tok-zyx-987" not in text + run.stdout + run.stderr


def test_invalid_utf8_in_headers_is_reported_not_a_crash():
    with servers.serve(servers.invalid_utf8) as (url, _unused):
        result = passed(url, count=2)
    assert result["verdict"] == "all_pass"
    assert result["warnings_by_code"] == {"header_not_utf8": 2}
    assert ["X-Name", "caf\\xe9 \\xff"] in result["groups"][0]["sample"]["headers"]


@pytest.mark.parametrize(
    "args, words",
    [
        ({"url": "ftp://127.0.0.1/"}, "url: scheme must be http or https"),
        ({"origin": "https://dash.example/"}, "origin:"),
        ({"count": 0}, "count: must be at least 1"),
        ({"count": "lots"}, "count"),
        ({"headers": {"X-A": "1\r\nX-B: 2"}}, "headers: the value of X-A contains control characters or CR/LF"),
        ({"resolve": ["api:80"]}, "resolve: 'api:80' is not host:port:address"),
    ],
)
def test_bad_input_fails_before_sending_anything(args, words):
    with servers.serve(servers.live_backend) as (url, seen):
        run = probe(args.pop("url", url), **args)
    assert run.rc != 0
    assert words in run.result["msg"]
    assert seen.requests == []


def test_absurd_values_are_capped_with_a_warning():
    with servers.serve(servers.live_backend) as (url, _unused):
        run = probe(url, count=3, concurrency=500, timeout=100000)
    assert run.rc == 0, run
    assert run.result["concurrency"] == 3  # capped to 64, then to count
    warnings = run.stdout + run.stderr  # ansible prints warnings; --tree results do not carry them
    assert "concurrency: 500" in warnings and "timeout: 100000" in warnings


# --- hostile answers, same pipeline in-process -----------------------------------------------


@pytest.mark.parametrize(
    "handler, reason",
    [
        (servers.not_http, "protocol_error"),
        (servers.many_headers, "headers_too_large"),
        (servers.huge_header, "headers_too_large"),
        (servers.wide_headers, "headers_too_large"),
    ],
)
def test_hostile_answers_get_a_reason(handler, reason):
    with servers.serve_raw(handler) as url:
        result = in_process(url, count=2, concurrency=2)
    assert result["failures_by_reason"] == {reason: 2}, result["error_samples"]


def test_trickling_server_hits_the_overall_deadline():
    # A per-read socket timeout would never fire here (a byte arrives every 50 ms); only the deadline does.
    with servers.serve_raw(servers.trickle) as url:
        result = in_process(url, count=2, concurrency=2, timeout=0.5)
    assert result["failures_by_reason"] == {"timeout": 2}, result["error_samples"]


def test_hostile_server_through_ansible_is_a_clean_result():
    with servers.serve_raw(servers.huge_header) as url:
        result = passed(url, count=2)
    assert result["failures_by_reason"] == {"headers_too_large": 2}


def test_tls_certificate_for_another_name(tmp_path):
    context, cert = servers.tls_context_for(tmp_path, "other.example")
    with servers.serve(servers.live_backend, tls=context) as (url, _unused):
        port = url.rsplit(":", 1)[1].strip("/")
        wrong_name = in_process(url, count=2, ca_path=cert)
        unverified = in_process(url, count=2, validate_certs=False)
        pinned = in_process(f"https://other.example:{port}/", count=2, ca_path=cert, resolve=[f"other.example:{port}:127.0.0.1"])
        via_ansible = passed(url, count=2, ca_path=cert)
    assert wrong_name["failures_by_reason"] == {"tls_error": 2}
    assert "not valid for '127.0.0.1'" in wrong_name["error_samples"][0]["detail"]
    assert unverified["verdict"] == "all_pass"
    assert pinned["verdict"] == "all_pass"  # resolve keeps the URL's TLS name while dialling the pinned address
    assert via_ansible["failures_by_reason"] == {"tls_error": 2}


def test_ca_path_that_does_not_exist_fails_naming_the_option(tmp_path):
    run = probe("https://127.0.0.1:1/", ca_path=str(tmp_path / "missing.pem"))
    assert run.rc != 0 and run.result["msg"].startswith("ca_path:")


# --- the incident on the lab's real containers -------------------------------------------------


@pytest.fixture(scope="module")
def incident(lab, docker_host):
    from tests.lab import scenarios

    info = lab("incident")
    api = scenarios.connect(docker_host)
    addresses = {name: api.inspect_container(name)["NetworkSettings"]["Networks"]["app_net"]["IPAddress"] for name in ("app-api-1", "app_old-api-1")}
    return info, addresses


def test_incident_through_the_proxy_is_mixed_backends(incident):
    info, _unused = incident
    result = passed(info["url"], count=40, concurrency=8)
    assert 0 < result["success_ratio"] < 1
    assert len(result["groups"]) == 2
    assert result["header_diff"]["differing_header"] == "Server"
    assert result["verdict"] == "mixed_backends"
    stale = next(g for g in result["groups"] if "gunicorn/19.9.0" in g["fingerprint"]["Server"])
    assert stale["passed"] == 0 and stale["reasons"]["acao_missing"] == stale["count"]
    assert "gunicorn/19.9.0" in result["summary"]


def test_live_backend_probed_directly_passes(incident):
    _unused, addresses = incident
    result = passed("http://api.internal:8000/", count=10, resolve=[f"api.internal:8000:{addresses['app-api-1']}"])
    assert result["success_ratio"] == 1.0 and result["verdict"] == "all_pass"
    assert result["groups"][0]["fingerprint"]["Server"] == "gunicorn/22.0"


def test_stale_backend_probed_directly_fails_with_acao_missing(incident):
    _unused, addresses = incident
    result = passed("http://api.internal:8000/", count=10, resolve=[f"api.internal:8000:{addresses['app_old-api-1']}"])
    assert result["passed"] == 0 and result["failures_by_reason"]["acao_missing"] == 10
    assert result["verdict"] == "deterministic_failure"
    assert result["groups"][0]["fingerprint"]["Server"] == "gunicorn/19.9.0"
