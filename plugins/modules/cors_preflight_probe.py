#!/usr/bin/python
# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cors_preflight_probe
short_description: Prove an intermittent CORS failure the way a browser sees it, and name the backend behind it
version_added: 0.1.0
description:
  - Sends O(count) CORS preflights (C(OPTIONS) with C(Origin), C(Access-Control-Request-Method) and, when
    O(request_headers) is set, C(Access-Control-Request-Headers)) to O(url), O(concurrency) at a time,
    each on a fresh connection by default so that a proxy cannot hide fan-out behind one pooled connection.
  - Judges every answer with the Fetch standard's CORS check, not a pattern match. Status must be 2xx
    (a redirect fails); exactly one C(Access-Control-Allow-Origin) value byte-equal to O(origin), or
    C(*) outside credentials mode; C(Access-Control-Allow-Credentials) exactly C(true) in credentials mode;
    the method covered by C(Access-Control-Allow-Methods) (case-sensitive); every requested header covered
    by C(Access-Control-Allow-Headers) (C(*) never covers C(Authorization)); both lists parse.
  - Failures carry stable reason codes. CORS C(status_not_ok), C(redirect), C(acao_missing), C(acao_multiple),
    C(acao_mismatch), C(acao_wildcard_with_credentials), C(acac_not_true), C(method_not_allowed),
    C(method_case_only), C(header_not_allowed), C(authorization_needs_explicit), C(malformed_list).
    Transport C(timeout), C(connection_refused), C(connection_reset), C(dns_error), C(tls_error),
    C(protocol_error), C(headers_too_large), C(connection_error).
  - Groups the answers by backend fingerprint (O(fingerprint_headers)), names the header whose values
    tell passing and failing answers apart, and gives a one-word verdict; V(mixed_backends) is the
    fan-out signature (failures line up with one backend among several).
  - Never changes anything on the managed host. It only sends C(OPTIONS) requests, plus the actual
    request when O(companion_request=true).
author:
  - fanout.docker contributors (@fanout-docker)
extends_documentation_fragment:
  - fanout.docker.attributes
  - fanout.docker.attributes.read_only
  - fanout.docker.attributes.actiongroup_fanout
attributes:
  check_mode:
    support: full
    details:
      - Preflights run unchanged in check mode. The companion request runs only for C(GET), C(HEAD) and
        C(OPTIONS) in check mode, because another method may change state on the server.
options:
  url:
    description:
      - The URL the page calls, C(http) or C(https). The path and query are sent; a fragment is not.
    type: str
    required: true
  origin:
    description:
      - The page's serialized origin, exactly as a browser sends it in C(Origin), for example
        C(https://dash.example.com) (lowercase, no path, no default port), or C(null).
    type: str
    required: true
  method:
    description:
      - The method of the actual request, sent in C(Access-Control-Request-Method). C(delete), C(get),
        C(head), C(options), C(post) and C(put) are uppercased as browsers do; other methods keep their case.
    type: str
    default: GET
  request_headers:
    description:
      - Names of the non-safelisted headers the page sets, sent lowercase, sorted and comma-joined in
        C(Access-Control-Request-Headers).
    type: list
    elements: str
    default: []
  credentials:
    description:
      - Judge in credentials mode, as for a C(fetch) with C(credentials=include) or an C(XMLHttpRequest) with C(withCredentials).
    type: bool
    default: false
  count:
    description:
      - How many preflights to send. More than 10000 is capped, with a warning.
    type: int
    default: 50
  concurrency:
    description:
      - How many preflights are in flight at once. More than 64 is capped, with a warning.
    type: int
    default: 8
  reuse_connections:
    description:
      - Keep one connection per concurrent worker instead of a fresh connection per preflight. A proxy that
        pools upstream connections per client connection can then hide the fan-out.
    type: bool
    default: false
  timeout:
    description:
      - Seconds each request may take in total, from dial to the last header line, however slowly the
        answer trickles in. More than 300 is capped, with a warning.
    type: float
    default: 5.0
  validate_certs:
    description:
      - Verify the server's TLS certificate and that it is for the URL's host.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to verify against instead of the system store.
    type: path
  headers:
    description:
      - Extra request headers. C(Authorization), C(Cookie) and C(Proxy-Authorization) are never sent on a
        preflight (a browser does not send them there); they go on the companion request only.
      - The option is C(no_log), so the invocation logged on the host hides every value. In what the module
        returns, only the values of sensitive headers (names with C(auth), C(cookie), C(token), C(secret),
        C(session), C(key) and the like) are masked, wherever they appear.
      - C(Host), C(Origin), C(Access-Control-Request-*), C(Content-Length), C(Transfer-Encoding), C(Connection),
        C(TE) and C(Upgrade) are set by the probe and rejected here.
    type: dict
    default: {}
  resolve:
    description:
      - Pins of the form C(host:port:address), like curl's C(--resolve). The connection goes to the address
        while the C(Host) header and the TLS server name stay the URL's, so one backend behind a name can be
        probed directly. IPv6 addresses may be written in brackets.
    type: list
    elements: str
    default: []
  companion_request:
    description:
      - After each preflight that passes, send the actual request (O(method) to O(url), with C(Origin) and
        O(headers), no body) as a browser would, and compare which backend answered it.
      - The actual request may change state on the server when O(method) is not C(GET), C(HEAD) or C(OPTIONS).
    type: bool
    default: false
  fingerprint_headers:
    description:
      - Response headers that identify the backend that answered. Headers named like a request id
        (C(X-Request-Id), C(X-Correlation-Id), trace ids) count by the shape of their value, not the value.
    type: list
    elements: str
    default: [Server, X-Powered-By, Via, X-Request-Id, X-Correlation-Id, Allow]
  min_success_ratio:
    description:
      - Fail the task when the share of passing preflights is below this (0 to 1). When unset the module
        reports and never fails on the results.
    type: float
notes:
  - Header lines are kept raw, in order, with duplicates; a header sent twice (for example by a proxy and
    the application) is judged the way a browser does, by combining the lines.
  - A response may carry at most 100 header lines and 64 KiB of headers in all (C(headers_too_large) beyond),
    which bounds memory at O(count) x 64 KiB. Redirects are never followed.
  - A browser sends no preflight at all for C(GET), C(HEAD) or C(POST) without O(request_headers); the module
    probes anyway and warns.
seealso:
  - module: fanout.docker.docker_dns_ambiguity_facts
"""

EXAMPLES = r"""
- name: Reproduce the intermittent CORS error from the server itself
  fanout.docker.cors_preflight_probe:
    url: https://api.example.com/v1/orders
    origin: https://dash.example.com
    method: POST
    request_headers: [content-type, authorization]
  register: probe

- name: Say what was found
  ansible.builtin.debug:
    msg: "{{ probe.verdict }}: {{ probe.summary }}"

- name: Probe one backend behind the name directly (the stale container's address)
  fanout.docker.cors_preflight_probe:
    url: http://api.internal:8000/
    origin: https://dash.example.com
    method: PUT
    resolve: ["api.internal:8000:172.18.0.4"]
    count: 20

- name: Fail a provisioning run unless every preflight passes
  fanout.docker.cors_preflight_probe:
    url: https://api.example.com/
    origin: https://dash.example.com
    method: DELETE
    credentials: true
    headers:
      Cookie: "session={{ vault_session }}"
    companion_request: false
    min_success_ratio: 1.0
"""

RETURN = r"""
url:
  description: The URL probed, without user information and with token-like query values masked.
  type: str
  returned: always
  sample: https://api.example.com/v1/orders
origin:
  description: The origin sent.
  type: str
  returned: always
  sample: https://dash.example.com
method:
  description: The method sent in C(Access-Control-Request-Method), after browser normalisation.
  type: str
  returned: always
  sample: POST
request_headers:
  description: The value sent in C(Access-Control-Request-Headers), split into names.
  type: list
  elements: str
  returned: always
  sample: [authorization, content-type]
credentials:
  description: Whether answers were judged in credentials mode.
  type: bool
  returned: always
concurrency:
  description: Preflights in flight at once, after capping.
  type: int
  returned: always
  sample: 8
reuse_connections:
  description: Whether workers kept their connections.
  type: bool
  returned: always
total:
  description: Preflights sent.
  type: int
  returned: always
  sample: 50
passed:
  description: Answers a browser would accept.
  type: int
  returned: always
  sample: 39
failures:
  description:
    - Answers that arrived and that a browser would reject. (Not named C(failed), which Ansible reserves
      for the task's own status.)
  type: int
  returned: always
  sample: 11
errors:
  description: Preflights that got no answer (timeout, refused, TLS, protocol errors).
  type: int
  returned: always
  sample: 0
success_ratio:
  description: RV(passed) / RV(total).
  type: float
  returned: always
  sample: 0.78
failures_by_reason:
  description: Failed answers and errors counted by reason code; an answer with several reasons counts under each.
  type: dict
  returned: always
  sample: {acao_missing: 11}
warnings_by_code:
  description: >-
    Passing answers counted by warning (V(vary_origin_missing), V(max_age_missing), V(max_age_invalid),
    V(header_not_utf8)); warnings never fail an answer.
  type: dict
  returned: always
  sample: {}
groups:
  description:
    - Answers grouped by backend fingerprint, largest first, with the pass/fail split, statuses, reasons
      and one sample of raw header lines (a failing one where the group has failures), sensitive values masked.
  type: list
  elements: dict
  returned: always
  sample:
    - fingerprint: {Server: "Caddy, gunicorn/19.9.0", X-Request-Id: "<uuid>"}
      count: 11
      passed: 0
      failed: 11
      statuses: {"200": 11}
      reasons: {acao_missing: 11}
      sample:
        status: 200
        truncated: false
        headers: [[Content-Type, application/json], [Server, Caddy], [Server, gunicorn/19.9.0]]
header_diff:
  description: How passing and failing answers differ, header by header (absent is null).
  type: dict
  returned: always
  contains:
    differing_header:
      description: The fingerprint header whose values never overlap between passing and failing answers.
      type: str
      returned: always
      sample: Server
    headers:
      description: Every header whose set of values differs, fingerprint headers first.
      type: list
      elements: dict
      returned: always
      sample:
        - {header: Server, passing: ["Caddy, gunicorn/22.0"], failing: ["Caddy, gunicorn/19.9.0"], identifies_backend: true}
        - {header: Access-Control-Allow-Origin, passing: [https://dash.example.com], failing: [null], identifies_backend: false}
latency_ms:
  description: Milliseconds from dial to the last header line over answers that arrived (nearest-rank percentiles).
  type: dict
  returned: always
  sample: {min: 1.2, p50: 2.3, p95: 4.8, max: 7.9}
error_samples:
  description: Up to five distinct transport errors with their detail.
  type: list
  elements: dict
  returned: always
  sample: [{reason: timeout, detail: timed out}]
verdict:
  description:
    - V(all_pass); V(deterministic_failure) (every answer fails the same way); V(mixed_backends) (failures
      line up with a fingerprint that no passing answer has); V(proxy_generated) (failures are 5xx that carry
      only the identity every passing answer shares, the proxy's, or none); V(flaky) (failures do not line up
      with a fingerprint).
  type: str
  returned: always
  sample: mixed_backends
summary:
  description: The verdict in one line for people.
  type: str
  returned: always
  sample: "39/50 preflights passed: failures (acao_missing x11) line up with one backend among several (Server tells them apart)"
companion:
  description: The actual requests sent after passing preflights, judged with the CORS check, and which backend answered them.
  type: dict
  returned: when O(companion_request=true)
  contains:
    sent:
      description: Actual requests sent.
      type: int
    passed:
      description: Actual answers a browser would hand to the page.
      type: int
    failed:
      description: Actual answers a browser would block.
      type: int
    errors:
      description: Actual requests that got no answer.
      type: int
    failures_by_reason:
      description: Counted by reason code.
      type: dict
    same_backend:
      description: Pairs whose preflight and actual answer carry the same fingerprint.
      type: int
    different_backend:
      description: Pairs answered by different fingerprints.
      type: int
    pairs:
      description: Each (preflight fingerprint, actual fingerprint) combination with its count.
      type: list
      elements: dict
  sample: {sent: 39, passed: 30, failed: 9, errors: 0, failures_by_reason: {acao_missing: 9}, same_backend: 30, different_backend: 9,
           pairs: [{preflight: {Server: "gunicorn/22.0"}, actual: {Server: "gunicorn/19.9.0"}, count: 9}]}
"""

import os
import ssl
from collections import Counter

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fanout.docker.plugins.module_utils._cors import check_actual, check_preflight
from ansible_collections.fanout.docker.plugins.module_utils._preflight import make_ssl_context
from ansible_collections.fanout.docker.plugins.module_utils._probe_options import (
    OptionError,
    build_config,
    companion_lines,
)
from ansible_collections.fanout.docker.plugins.module_utils._probe_report import (
    DEFAULT_FINGERPRINT_HEADERS,
    display_fingerprint,
    fingerprint,
    judge,
)
from ansible_collections.fanout.docker.plugins.module_utils._probe_run import probe
from ansible_collections.fanout.docker.plugins.module_utils._redact import is_sensitive_name

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def argument_spec():
    return dict(
        url=dict(type="str", required=True),
        origin=dict(type="str", required=True),
        method=dict(type="str", default="GET"),
        request_headers=dict(type="list", elements="str", default=[]),
        credentials=dict(type="bool", default=False),
        count=dict(type="int", default=50),
        concurrency=dict(type="int", default=8),
        reuse_connections=dict(type="bool", default=False),
        timeout=dict(type="float", default=5.0),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        headers=dict(type="dict", default={}, no_log=True),
        resolve=dict(type="list", elements="str", default=[]),
        companion_request=dict(type="bool", default=False),
        fingerprint_headers=dict(type="list", elements="str", default=list(DEFAULT_FINGERPRINT_HEADERS)),
        min_success_ratio=dict(type="float"),
    )


def _ssl_context(module, config):
    if config.ca_path and not os.path.isfile(config.ca_path):
        module.fail_json(msg=f"ca_path: {config.ca_path} is not a readable file")
    try:
        return make_ssl_context(config.target, config.validate_certs, config.ca_path)
    except (ssl.SSLError, OSError) as exc:
        module.fail_json(msg=f"ca_path: {config.ca_path} holds no usable CA certificates ({exc})")


def _companion_report(config, exchanges):
    pairs = Counter()
    reasons = Counter()
    sent = passed = errors = same = 0
    for exchange in exchanges:
        actual = exchange.companion
        if actual is None:
            continue
        sent += 1
        if actual.error:
            errors += 1
            reasons[actual.error] += 1
            continue
        judgement = judge(config.request, actual, check_actual)
        passed += judgement.ok
        reasons.update(judgement.reasons)
        before = fingerprint(exchange.preflight.headers, config.fingerprint_headers)
        after = fingerprint(actual.headers, config.fingerprint_headers)
        same += before == after
        pairs[(before, after)] += 1
    return {
        "sent": sent,
        "passed": passed,
        "failed": sent - passed - errors,
        "errors": errors,
        "failures_by_reason": dict(reasons.most_common()),
        "same_backend": same,
        "different_backend": sent - errors - same,
        "pairs": [{"preflight": display_fingerprint(b), "actual": display_fingerprint(a), "count": n} for (b, a), n in pairs.most_common()],
    }


def _mask_only_secret_headers(module):
    """headers is no_log, so the invocation Ansible logs on the host hides every value; but the
    same no_log would also mask each value wherever it appears in the result (a header value of
    "1" turned every 1 into a placeholder). Only the values of sensitive headers stay masked."""
    headers = module.params.get("headers") or {}
    if not isinstance(headers, dict):
        return
    secret = {str(v) for k, v in headers.items() if is_sensitive_name(str(k))}
    for name, value in headers.items():
        if not is_sensitive_name(str(name)) and str(value) not in secret:
            module.no_log_values.discard(str(value))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    _mask_only_secret_headers(module)
    try:
        config = build_config(module.params)
    except OptionError as exc:
        module.fail_json(msg=str(exc))
    for warning in config.warnings:
        module.warn(warning)
    ssl_context = _ssl_context(module, config)

    companion = None
    if config.companion_request:
        if module.check_mode and config.request.method.upper() not in _SAFE_METHODS:
            module.warn(f"companion_request: not sending {config.request.method} in check mode (it may change state on the server)")
        else:
            companion = (config.request.method, companion_lines(config), lambda a: check_preflight(config.request, a.status, a.headers).ok)

    exchanges, report = probe(config, ssl_context=ssl_context, companion=companion)

    result = dict(
        changed=False,
        url=config.target.display_url,
        origin=config.request.origin,
        method=config.request.method,
        request_headers=list(config.request.request_headers),
        credentials=config.request.credentials,
        concurrency=config.concurrency,
        reuse_connections=config.reuse_connections,
        **report,
    )
    if companion is not None:
        result["companion"] = _companion_report(config, exchanges)
    for code, count in report["warnings_by_code"].items():
        module.warn(f"{count} of {report['passed']} passing answers: {code}")

    ratio = config.min_success_ratio
    if ratio is not None and report["success_ratio"] < ratio:
        differ = report["header_diff"]["differing_header"]
        module.fail_json(
            msg=(
                f"{config.target.display_url}: success ratio {report['success_ratio']} is below min_success_ratio {ratio}; "
                f"verdict {report['verdict']}; differing header: {differ or 'none'}. {report['summary']}"
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
