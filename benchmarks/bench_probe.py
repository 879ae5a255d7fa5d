"""cors_preflight_probe versus what an operator would run instead: 200 preflights against a local backend.

    .venv/bin/python benchmarks/bench_probe.py [--rounds 7] [--count 200]

Contenders, each doing the same work (200 preflights, fresh connection each, count the ones
without Access-Control-Allow-Origin):
  - the module end to end: `ansible localhost -m fanout.docker.cors_preflight_probe` (Ansible's start-up included)
  - the module's own work in-process: options -> threads + http.client -> CORS check -> report
  - the incident's method: a serial shell loop of `curl -X OPTIONS` piped to grep
  - plain Python: a ThreadPoolExecutor of `requests.options()` (a new session, so a new connection, per request)
Two backends run in a separate process (their own GIL): one that answers at once, one that adds 20 ms.
One warm-up round, then every round runs all contenders in a rotated order; figures are the median
of the rounds with min and max beside; ratios are medians of per-round ratios (pairs run in the same round).
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "collections")]

import requests  # noqa: E402

from tests.helpers import probe_in_process  # noqa: E402
from tests.integration import servers  # noqa: E402

ORIGIN = servers.ORIGIN
METHOD = "PUT"
BIN = Path(sys.executable).parent
DEFAULT_CONCURRENCY = 8  # the module's default; the requests loop uses the same


def _backend_process(delay, ready):
    responder = servers.slow(delay) if delay else servers.live_backend
    with servers.serve(responder) as (url, _unused):
        ready.put(url)
        while True:
            time.sleep(3600)


def start_backend(delay):
    ready = multiprocessing.Queue()
    process = multiprocessing.Process(target=_backend_process, args=(delay, ready), daemon=True)
    process.start()
    return process, ready.get(timeout=10)


def module_ansible(url, count):
    args = json.dumps({"url": url, "origin": ORIGIN, "method": METHOD, "count": count})
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    out = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-m", "fanout.docker.cors_preflight_probe", "-a", args, "-o"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.split("=>", 1)[1])
    return result["total"] - result["passed"]


def module_in_process(url, count):
    _unused, report = probe_in_process(url=url, origin=ORIGIN, method=METHOD, count=count, concurrency=DEFAULT_CONCURRENCY)
    return report["total"] - report["passed"]


# The incident's loop, made as cheap as curl allows: -w '%header{...}' (curl >= 7.84) instead of a grep per request.
CURL_LOOP = r"""
fail=0
for i in $(seq "$COUNT"); do
  acao=$(curl -s -o /dev/null -X OPTIONS -H "Origin: $ORIGIN" -H "Access-Control-Request-Method: $METHOD" \
         -w '%header{access-control-allow-origin}' "$URL")
  [ -n "$acao" ] || fail=$((fail+1))
done
echo "$fail"
"""


def curl_loop(url, count):
    env = dict(os.environ, COUNT=str(count), ORIGIN=ORIGIN, METHOD=METHOD, URL=url)
    return int(subprocess.run(["bash", "-c", CURL_LOOP], env=env, capture_output=True, text=True, check=True).stdout)


def requests_threads(url, count):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": METHOD}

    def one(_unused):
        answer = requests.options(url, headers=headers, timeout=5, allow_redirects=False)
        return "access-control-allow-origin" not in answer.headers

    with ThreadPoolExecutor(DEFAULT_CONCURRENCY) as pool:
        return sum(pool.map(one, range(count)))


CONTENDERS = [
    ("module via `ansible localhost -m`", module_ansible),
    ("module in-process (no Ansible start-up)", module_in_process),
    ("serial `curl -X OPTIONS` loop", curl_loop),
    ("threaded `requests` loop (fresh connection each)", requests_threads),
]


def measure(url, count, rounds):
    for _unused, run in CONTENDERS:  # warm-up: caches, page cache, the backend's first threads
        assert run(url, count) == 0
    times = {name: [] for name, _unused in CONTENDERS}
    for round_no in range(rounds):
        order = CONTENDERS[round_no % len(CONTENDERS) :] + CONTENDERS[: round_no % len(CONTENDERS)]
        for name, run in order:
            start = time.perf_counter()
            failures = run(url, count)
            times[name].append(time.perf_counter() - start)
            assert failures == 0, f"{name}: {failures} preflights failed against a healthy backend"
    return times


def ratio(times, slower, faster):
    return [s / f for s, f in zip(times[slower], times[faster])]


def table(results, count, rounds):
    names = [n for n, _unused in CONTENDERS]
    ansible, inproc, curl, req = names
    lines = [
        f"200-preflight benchmark: count={count}, concurrency={DEFAULT_CONCURRENCY}, median of {rounds} rounds after a warm-up (min-max)",
        "",
        "| backend | contender | median s | min s | max s | curl loop / this | this / requests loop |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, times in results.items():
        for name in names:
            values = times[name]
            vs_curl = statistics.median(ratio(times, curl, name))
            vs_requests = statistics.median(ratio(times, name, req))
            figures = f"{statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f}"
            lines.append(f"| {backend} | {name} | {figures} | {vs_curl:.2f}x | {vs_requests:.2f} |")
    lines += [
        "",
        "curl loop / this > 1: faster than the curl loop. this / requests loop < 1: faster than requests",
        "(goal: at least 0.8x the speed of requests, i.e. this / requests loop <= 1.25).",
    ]
    return "\n".join(lines)


def ansible_start_up(rounds):
    """`ansible localhost -m ansible.builtin.ping`: the fixed cost any module pays before its own work."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    times = []
    for _unused in range(rounds + 1):
        start = time.perf_counter()
        subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.ping", "-o"], cwd=ROOT, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    results = {}
    for label, delay in (("immediate", 0.0), ("+20 ms per answer", 0.02)):
        process, url = start_backend(delay)
        try:
            results[label] = measure(url, args.count, args.rounds)
        finally:
            process.terminate()
            process.join()
    print(table(results, args.count, args.rounds))
    start_up = ansible_start_up(args.rounds)
    print(
        f"\nAnsible start-up alone (`ansible localhost -m ansible.builtin.ping`): median {statistics.median(start_up):.3f} s "
        f"(min {min(start_up):.3f}, max {max(start_up):.3f})"
    )


if __name__ == "__main__":
    main()
