"""The Fetch standard's CORS check on raw header lines: every reason code, credentials mode, warnings."""

from __future__ import annotations

import pytest

from ansible_collections.fanout.docker.plugins.module_utils._cors import (
    REASONS,
    MalformedList,
    Request,
    check_actual,
    check_preflight,
    normalize_method,
    parse_token_list,
)

ORIGIN = "https://dash.example"
GOOD = [
    ("Access-Control-Allow-Origin", ORIGIN),
    ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE"),
    ("Access-Control-Allow-Headers", "content-type, authorization"),
    ("Access-Control-Max-Age", "600"),
    ("Vary", "Origin"),
]


def req(method="PUT", headers=(), credentials=False, origin=ORIGIN):
    return Request(origin=origin, method=method, request_headers=tuple(headers), credentials=credentials)


def reasons(lines, status=204, **kw):
    return check_preflight(req(**kw), status, lines).reasons


def replace(name, *values):
    """GOOD with every `name` line replaced by these values (none: removed)."""
    kept = [(n, v) for n, v in GOOD if n.lower() != name.lower()]
    return kept + [(name, v) for v in values]


def test_good_answer_passes_without_warnings():
    judgement = check_preflight(req(headers=("authorization", "content-type")), 204, GOOD)
    assert judgement.ok and judgement.reasons == [] and judgement.warnings == []


@pytest.mark.parametrize("status", [200, 204, 299])
def test_any_2xx_is_ok(status):
    assert reasons(GOOD, status) == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_fails_and_names_location(status):
    judgement = check_preflight(req(), status, GOOD + [("Location", "/login")])
    assert judgement.reasons == ["redirect"]
    assert "/login" in judgement.details[0]


@pytest.mark.parametrize("status", [100, 400, 403, 404, 405, 500, 502, 504])
def test_non_2xx_is_status_not_ok(status):
    assert reasons(GOOD, status)[0] == "status_not_ok"


def test_405_without_cors_headers_lists_every_reason_in_fetch_order():
    assert reasons([("Allow", "GET, POST")], 405) == ["status_not_ok", "acao_missing", "method_not_allowed"]


def test_acao_missing():
    assert reasons(replace("Access-Control-Allow-Origin")) == ["acao_missing"]


def test_acao_sent_twice_by_proxy_and_app_fails_even_when_both_are_right():
    lines = replace("Access-Control-Allow-Origin", ORIGIN, ORIGIN)
    judgement = check_preflight(req(), 204, lines)
    assert judgement.reasons == ["acao_multiple"]
    assert "2 line(s)" in judgement.details[0]


def test_acao_list_in_one_line_is_multiple():
    assert reasons(replace("Access-Control-Allow-Origin", f"{ORIGIN}, https://other.example")) == ["acao_multiple"]


@pytest.mark.parametrize("value", ["https://Dash.example", "https://dash.example/", "http://dash.example", "https://dash.example:443", "null"])
def test_acao_must_byte_equal_the_origin(value):
    assert reasons(replace("Access-Control-Allow-Origin", value)) == ["acao_mismatch"]


def test_acao_surrounding_whitespace_is_not_part_of_the_value():
    assert reasons(replace("Access-Control-Allow-Origin", f"  {ORIGIN}\t")) == []


def test_null_origin_matches_only_null():
    assert reasons(replace("Access-Control-Allow-Origin", "null"), origin="null") == []
    assert reasons(replace("Access-Control-Allow-Origin", ORIGIN), origin="null") == ["acao_mismatch"]


def test_wildcard_passes_without_credentials_even_with_acac_true():
    lines = replace("Access-Control-Allow-Origin", "*") + [("Access-Control-Allow-Credentials", "true")]
    assert reasons(lines) == []


def test_wildcard_fails_in_credentials_mode():
    lines = replace("Access-Control-Allow-Origin", "*") + [("Access-Control-Allow-Credentials", "true")]
    assert reasons(lines, credentials=True) == ["acao_wildcard_with_credentials"]


@pytest.mark.parametrize("acac", [None, "True", "TRUE", "1", "true, true", " "])
def test_credentials_need_acac_exactly_true(acac):
    lines = GOOD + ([("Access-Control-Allow-Credentials", v) for v in acac.split("|")] if acac is not None else [])
    if acac == "true, true":
        lines = GOOD + [("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Credentials", "true")]
    assert reasons(lines, credentials=True) == ["acac_not_true"]


def test_credentials_pass_with_echo_and_acac_true():
    assert reasons(GOOD + [("Access-Control-Allow-Credentials", "true")], credentials=True) == []


def test_method_not_allowed():
    assert reasons(GOOD, method="PATCH") == ["method_not_allowed"]


def test_method_allowed_only_in_lower_case_is_its_own_reason():
    lines = replace("Access-Control-Allow-Methods", "get, post, put, patch")
    judgement = check_preflight(req(method="PATCH"), 204, lines)
    assert judgement.reasons == ["method_case_only"]
    assert "patch" in judgement.details[0]


def test_browser_normalizes_only_some_methods():
    assert normalize_method("delete") == "DELETE"
    assert normalize_method("patch") == "patch"
    assert normalize_method("Put") == "PUT"


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_safelisted_methods_need_no_listing(method):
    assert reasons(replace("Access-Control-Allow-Methods"), method=method) == []


def test_method_wildcard_only_outside_credentials_mode():
    lines = replace("Access-Control-Allow-Methods", "*") + [("Access-Control-Allow-Credentials", "true")]
    assert reasons(lines, method="PATCH") == []
    judgement = check_preflight(req(method="PATCH", credentials=True), 204, lines)
    assert judgement.reasons == ["method_not_allowed"]
    assert "credentials mode" in judgement.details[0]


def test_methods_split_over_two_lines_are_combined():
    lines = replace("Access-Control-Allow-Methods", "GET", "PATCH")
    assert reasons(lines, method="PATCH") == []


def test_header_not_allowed():
    assert reasons(GOOD, headers=("x-trace",)) == ["header_not_allowed"]


def test_headers_compare_case_insensitively():
    assert reasons(replace("Access-Control-Allow-Headers", "X-Trace, Content-Type"), headers=("content-type", "x-trace")) == []


def test_header_wildcard_covers_everything_but_authorization():
    lines = replace("Access-Control-Allow-Headers", "*")
    assert reasons(lines, headers=("content-type", "x-trace")) == []
    assert reasons(lines, headers=("authorization", "x-trace")) == ["authorization_needs_explicit"]


def test_authorization_listed_by_name_next_to_wildcard_passes():
    assert reasons(replace("Access-Control-Allow-Headers", "*, Authorization"), headers=("authorization", "x-trace")) == []


def test_header_wildcard_is_literal_in_credentials_mode():
    lines = replace("Access-Control-Allow-Headers", "*") + [("Access-Control-Allow-Credentials", "true")]
    assert reasons(lines, headers=("x-trace",), credentials=True) == ["header_not_allowed"]


def test_authorization_without_any_wildcard_is_plainly_not_allowed():
    assert reasons(replace("Access-Control-Allow-Headers", "content-type"), headers=("authorization",)) == ["header_not_allowed"]


@pytest.mark.parametrize("value", ["GET POST", "GET;POST", "GET, PO ST", '"GET"'])
def test_malformed_method_list(value):
    assert reasons(replace("Access-Control-Allow-Methods", value)) == ["malformed_list"]


def test_malformed_header_list():
    assert reasons(replace("Access-Control-Allow-Headers", "content type"), headers=("content-type",)) == ["malformed_list"]


def test_empty_list_elements_are_allowed():
    assert parse_token_list([("Access-Control-Allow-Methods", "GET,, PUT ,")], "access-control-allow-methods") == ["GET", "PUT"]
    assert parse_token_list([], "Access-Control-Allow-Methods") is None
    with pytest.raises(MalformedList):
        parse_token_list([("Access-Control-Allow-Methods", "G T")], "Access-Control-Allow-Methods")


def test_header_names_match_case_insensitively():
    lines = [(n.upper(), v) for n, v in GOOD]
    assert reasons(lines, headers=("content-type",)) == []


def test_several_reasons_at_once_keep_fetch_order():
    lines = [("Access-Control-Allow-Origin", "https://other.example"), ("Access-Control-Allow-Methods", "patch")]
    assert reasons(lines, 403, method="PATCH", headers=("x-a",), credentials=True) == [
        "status_not_ok",
        "acao_mismatch",
        "acac_not_true",
        "method_case_only",
        "header_not_allowed",
    ]


def test_every_cors_reason_is_a_declared_code():
    seen = set()
    cases = [
        (replace("Access-Control-Allow-Origin"), 302, {}),
        (replace("Access-Control-Allow-Origin", ORIGIN, ORIGIN), 500, {}),
        (replace("Access-Control-Allow-Origin", "*"), 204, {"credentials": True, "method": "patch", "headers": ("authorization",)}),
        (replace("Access-Control-Allow-Origin", "x"), 204, {"method": "Patch"}),
        (replace("Access-Control-Allow-Headers", "*"), 204, {"headers": ("authorization",)}),
        (replace("Access-Control-Allow-Methods", "a b"), 204, {"headers": ("x-a",)}),
    ]
    for lines, status, kw in cases:
        seen.update(reasons(lines, status, **kw))
    assert seen <= set(REASONS)
    assert {"redirect", "status_not_ok", "acao_missing", "acao_multiple", "acao_wildcard_with_credentials", "acao_mismatch", "acac_not_true"} <= seen
    assert {"method_not_allowed", "header_not_allowed", "authorization_needs_explicit", "malformed_list"} <= seen


def test_warning_vary_origin_missing_when_origin_is_echoed():
    judgement = check_preflight(req(), 204, replace("Vary"))
    assert judgement.ok and judgement.warnings == ["vary_origin_missing"]


def test_no_vary_warning_for_wildcard_or_vary_star():
    assert check_preflight(req(), 204, replace("Access-Control-Allow-Origin", "*")).warnings == []
    assert check_preflight(req(), 204, replace("Vary", "Accept-Encoding, *")).warnings == []
    assert check_preflight(req(), 204, replace("Vary", "Accept-Encoding", "origin")).warnings == []


@pytest.mark.parametrize(
    "values, warning",
    [((), "max_age_missing"), (("ten",), "max_age_invalid"), (("-1",), "max_age_invalid"), (("600", "600"), "max_age_invalid"), (("6e2",), "max_age_invalid")],
)
def test_max_age_warnings(values, warning):
    judgement = check_preflight(req(), 204, replace("Access-Control-Max-Age", *values))
    assert judgement.ok and judgement.warnings == [warning]


def test_invalid_utf8_in_a_header_is_a_warning_not_a_failure():
    judgement = check_preflight(req(), 204, GOOD + [("X-Name", b"caf\xe9".decode("latin-1"))])
    assert judgement.ok and judgement.warnings == ["header_not_utf8"]
    judgement = check_preflight(req(), 204, GOOD + [("X-Name", "café".encode().decode("latin-1"))])
    assert judgement.warnings == []


def test_warnings_only_on_passing_answers():
    assert check_preflight(req(), 204, [("Access-Control-Allow-Origin", "x")]).warnings == []


def test_actual_request_ignores_status_and_lists():
    assert check_actual(req(method="PATCH"), 500, [("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")]).ok
    assert check_actual(req(), 200, [("Server", "gunicorn/19.9.0")]).reasons == ["acao_missing"]
    assert check_actual(req(credentials=True), 200, [("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")]).reasons == ["acac_not_true"]


def test_needs_preflight():
    assert not req(method="POST").needs_preflight
    assert req(method="POST", headers=("x-a",)).needs_preflight
    assert req(method="DELETE").needs_preflight
