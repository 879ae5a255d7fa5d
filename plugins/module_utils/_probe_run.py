# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One probe run from checked options: send the preflights, judge each answer, report with secrets masked.

The module, its in-process tests and the benchmark all call this, so they measure and test the same path.
"""

from __future__ import annotations

from ansible_collections.fanout.docker.plugins.module_utils._preflight import run_probe
from ansible_collections.fanout.docker.plugins.module_utils._probe_options import preflight_lines
from ansible_collections.fanout.docker.plugins.module_utils._probe_report import build_report, judge
from ansible_collections.fanout.docker.plugins.module_utils._redact import MASK, is_sensitive_name, redact_lines, redact_text


def probe(config, ssl_context=None, companion=None):
    """(exchanges, report) for the preflights that ``config`` describes."""
    exchanges = run_probe(
        config.target,
        preflight_lines(config),
        config.count,
        config.concurrency,
        config.timeout,
        ssl_context=ssl_context,
        reuse_connections=config.reuse_connections,
        companion=companion,
    )
    answers = [e.preflight for e in exchanges]
    report = build_report(
        answers,
        [judge(config.request, a) for a in answers],
        config.fingerprint_headers,
        redact_lines=lambda lines: redact_lines(lines, config.secrets),
        redact_value=lambda name, value: MASK if is_sensitive_name(name) else redact_text(value, config.secrets),
    )
    for sample in report["error_samples"]:
        sample["detail"] = redact_text(sample["detail"], config.secrets)
    return exchanges, report
