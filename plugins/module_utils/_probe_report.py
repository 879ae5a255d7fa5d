# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judged preflight answers -> counts, groups by backend fingerprint, header diff, latency, verdict; pure.

An answer is any object with ``status`` (None when no answer arrived), ``headers`` (raw lines),
``latency`` (seconds or None), ``error`` (transport reason or None) and ``detail``.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ansible_collections.fanout.docker.plugins.module_utils._cors import Judgement, check_preflight, header_values

DEFAULT_FINGERPRINT_HEADERS = ("Server", "X-Powered-By", "Via", "X-Request-Id", "X-Correlation-Id", "Allow")

# Per-request ids differ on every answer: their shape (uuid, hex, digits) names the backend, not the value.
_ID_HEADER = re.compile(r"request-?id|correlation-?id|trace-?id|traceparent|span-?id", re.I)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# Differ per answer without saying anything about which backend answered.
_VOLATILE = frozenset(("date", "age", "expires", "last-modified", "etag", "set-cookie", "content-length", "keep-alive"))
_DIFF_VALUES = 5
_SAMPLE_LINES = 60
_ERROR_SAMPLES = 5

VERDICTS = ("all_pass", "deterministic_failure", "mixed_backends", "proxy_generated", "flaky")


def judge(request, answer, check=check_preflight):
    """The CORS check for an answer that arrived; a transport error is its own (only) reason."""
    if answer.error:
        return Judgement(ok=False, reasons=[answer.error], details=[answer.detail])
    return check(request, answer.status, answer.headers)


def value_shape(value):
    if _UUID.match(value):
        return "<uuid>"
    if re.fullmatch(r"[0-9]+", value):
        return f"<digits:{len(value)}>"
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        return f"<hex:{len(value)}>"
    return f"<id:{len(value)}>"


def _comparable(name, value):
    return value_shape(value) if _ID_HEADER.search(name) else value


def fingerprint(lines, names):
    """((name, (value, ...)), ...) for each configured header present; id headers by shape."""
    parts = []
    for name in names:
        values = header_values(lines, name)
        if values:
            parts.append((name, tuple(_comparable(name, v) for v in values)))
    return tuple(parts)


def fingerprint_lines(fp):
    return {(name.lower(), value) for name, values in fp for value in values}


def display_fingerprint(fp):
    return {name: ", ".join(values) for name, values in fp}


def display_value(value):
    """Header values arrive as ISO-8859-1 text; show them as UTF-8 where they are, escaped where not."""
    return value.encode("latin-1", "replace").decode("utf-8", "backslashreplace")


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(latencies):
    values = sorted(v for v in latencies if v is not None)
    if not values:
        return {"min": None, "p50": None, "p95": None, "max": None}
    ms = [round(v * 1000.0, 2) for v in values]
    return {"min": ms[0], "p50": percentile(ms, 0.50), "p95": percentile(ms, 0.95), "max": ms[-1]}


def signature(answer, judgement):
    """How an answer failed: its transport error, or its ordered CORS reasons."""
    return (answer.error,) if answer.error else tuple(judgement.reasons)


def _group_rows(answers, judgements, names, redact):
    groups = {}
    for answer, judgement in zip(answers, judgements):
        if answer.error:
            continue
        fp = fingerprint(answer.headers, names)
        group = groups.get(fp)
        if group is None:
            group = groups[fp] = {"fp": fp, "count": 0, "passed": 0, "failed": 0, "statuses": Counter(), "reasons": Counter(), "sample": None}
        group["count"] += 1
        group["statuses"][str(answer.status)] += 1
        if judgement.ok:
            group["passed"] += 1
        else:
            group["failed"] += 1
            group["reasons"].update(judgement.reasons)
        # The sample shows a failure where the group has one: that is what the operator reads.
        if group["sample"] is None or (not judgement.ok and group["sample"][1]):
            group["sample"] = (answer, judgement.ok)
    rows = []
    for group in sorted(groups.values(), key=lambda g: (-g["count"], str(g["fp"]))):
        answer = group["sample"][0]
        lines = redact(answer.headers[:_SAMPLE_LINES])
        rows.append(
            {
                "fingerprint": display_fingerprint(group["fp"]),
                "count": group["count"],
                "passed": group["passed"],
                "failed": group["failed"],
                "statuses": dict(group["statuses"]),
                "reasons": dict(group["reasons"]),
                "sample": {
                    "status": answer.status,
                    "headers": [[display_value(n), display_value(v)] for n, v in lines],
                    "truncated": len(answer.headers) > _SAMPLE_LINES,
                },
            }
        )
    return rows


def _values_by_header(answers):
    """header (lowercase) -> set of comparable values over these answers; absent counts as None."""
    per_answer = []
    names = {}
    for answer in answers:
        present = {}
        for name, value in answer.headers:
            key = name.lower()
            if key not in _VOLATILE:
                names.setdefault(key, name)
                present.setdefault(key, []).append(_comparable(key, value.strip(" \t")))
        per_answer.append(present)
    seen = {key: {", ".join(p[key]) if key in p else None for p in per_answer} for key in names}
    return seen, names


def header_diff(passing, failing, fingerprint_names, redact_value):
    """Headers whose values differ between passing and failing answers; the one that tells backends apart first."""
    if not passing or not failing:
        return {"differing_header": None, "headers": []}
    good, names_good = _values_by_header(passing)
    bad, names_bad = _values_by_header(failing)
    display = {**names_bad, **names_good}
    for key in display:
        good.setdefault(key, {None})
        bad.setdefault(key, {None})
    order = [n.lower() for n in fingerprint_names]
    rows = []
    for key in sorted(display, key=lambda k: (order.index(k) if k in order else len(order), k)):
        if good[key] == bad[key]:
            continue
        rows.append(
            {
                "header": display[key],
                "passing": _shown(good[key], redact_value, display[key]),
                "failing": _shown(bad[key], redact_value, display[key]),
                "identifies_backend": key in order and good[key].isdisjoint(bad[key]),
            }
        )
    named = next((r["header"] for r in rows if r["identifies_backend"]), None)
    return {"differing_header": named, "headers": rows}


def _shown(values, redact_value, name):
    ordered = sorted(values, key=lambda v: (v is None, v or ""))[:_DIFF_VALUES]
    return [None if v is None else display_value(redact_value(name, v)) for v in ordered]


def _is_proxy_generated(answer, fp, backend_free_lines):
    """A 5xx that carries no identity beyond what every passing answer shares (the proxy's own)."""
    return answer.status is not None and answer.status >= 500 and fingerprint_lines(fp) <= backend_free_lines


def decide_verdict(answers, judgements, names):
    """(verdict, failing fingerprints that line up with failures or None)."""
    fps = [None if a.error else fingerprint(a.headers, names) for a in answers]
    passing = [i for i, j in enumerate(judgements) if j.ok]
    failing = [i for i, j in enumerate(judgements) if not j.ok]
    if not failing:
        return "all_pass", None
    if not passing:
        signatures = {signature(answers[i], judgements[i]) for i in failing}
        if len(signatures) == 1:
            return "deterministic_failure", None
        by_fp = {}
        for i in failing:
            by_fp.setdefault(fps[i], set()).add(signature(answers[i], judgements[i]))
        if None not in by_fp and len(by_fp) > 1 and all(len(s) == 1 for s in by_fp.values()):
            return "mixed_backends", None
        return "flaky", None
    shared = set.intersection(*(fingerprint_lines(fps[i]) for i in passing))
    backend_failures = [i for i in failing if not _is_proxy_generated(answers[i], fps[i] or (), shared)]
    if not backend_failures:
        return "proxy_generated", None
    failing_fps = {fps[i] for i in backend_failures}
    passing_fps = {fps[i] for i in passing}
    if None not in failing_fps and failing_fps.isdisjoint(passing_fps):
        return "mixed_backends", failing_fps
    return "flaky", None


def _summary_line(verdict, total, passed, reasons, diff, failing_fps):
    top = ", ".join(f"{r} x{n}" for r, n in reasons.most_common(3)) or "none"
    head = f"{passed}/{total} preflights passed"
    if verdict == "all_pass":
        return f"{head}: every answer passes the browser's CORS check"
    if verdict == "deterministic_failure":
        return f"{head}: every answer fails the same way ({top}): a configuration problem, not fan-out"
    if verdict == "mixed_backends":
        differ = diff["differing_header"]
        shown = [{k: v for k, v in display_fingerprint(fp).items() if differ is None or k.lower() == differ.lower()} for fp in failing_fps or ()]
        who = "; ".join(sorted(", ".join(f"{k}: {v}" for k, v in fp.items()) or "(no identity)" for fp in shown))
        by = f" ({differ} tells them apart)" if differ else ""
        return f"{head}: failures ({top}) line up with one backend among several{by}{': ' + who if who else ''}"
    if verdict == "proxy_generated":
        return f"{head}: failures ({top}) carry only the proxy's identity or none: the proxy answered, not a backend"
    return f"{head}: failures ({top}) do not line up with any backend fingerprint"


def build_report(answers, judgements, fingerprint_names, redact_lines=None, redact_value=None):
    """Everything the module returns about one batch of preflights."""
    redact_lines = redact_lines or (lambda lines: lines)
    redact_value = redact_value or (lambda name, value: value)
    names = list(fingerprint_names)
    total = len(answers)
    passed = sum(1 for j in judgements if j.ok)
    errors = sum(1 for a in answers if a.error)
    failed = total - passed - errors
    reasons = Counter()
    warnings = Counter()
    error_samples = []
    for answer, judgement in zip(answers, judgements):
        if answer.error:
            reasons[answer.error] += 1
            sample = {"reason": answer.error, "detail": answer.detail}
            if sample not in error_samples and len(error_samples) < _ERROR_SAMPLES:
                error_samples.append(sample)
        else:
            reasons.update(judgement.reasons)
            warnings.update(judgement.warnings)
    answered = [(a, j) for a, j in zip(answers, judgements) if not a.error]
    diff = header_diff([a for a, j in answered if j.ok], [a for a, j in answered if not j.ok], names, redact_value)
    verdict, failing_fps = decide_verdict(answers, judgements, names)
    return {
        "total": total,
        "passed": passed,
        "failures": failed,  # not "failed": Ansible reads that key as the task's own status
        "errors": errors,
        "success_ratio": round(passed / total, 4) if total else 0.0,
        "failures_by_reason": dict(reasons.most_common()),
        "warnings_by_code": dict(warnings.most_common()),
        "groups": _group_rows(answers, judgements, names, redact_lines),
        "header_diff": diff,
        "latency_ms": latency_summary(a.latency for a in answers if not a.error),
        "error_samples": error_samples,
        "verdict": verdict,
        "summary": _summary_line(verdict, total, passed, reasons, diff, failing_fps),
    }
