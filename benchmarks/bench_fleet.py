"""`ansible-playbook fanout.docker.diagnose` over 3 lab engines versus 1: per-host cost.

    .venv/bin/python benchmarks/bench_fleet.py [--rounds 5] [--indexes 5,6,7] [--port 18580]

Each engine (tests/lab/fleet.sh up-one I; never the default engine, never the test suite's 1-3)
gets the lab's incident scenario (5 containers, Caddy proxy on 127.0.0.1:PORT+k); every host
runs the facts module and a 30-preflight probe through its proxy, as the fleet tests do.
One warm-up each, then rounds alternating the 1-host and the 3-host run. Figures: wall time,
and CPU seconds (user + sys of ansible-playbook and everything it waited for). The scenarios
and the engines are removed and stopped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, engine_down, engine_up, fig, machine, paired_ratio, socket_url, write_result  # noqa: E402

from tests.integration.fleet import probe, write_inventory  # noqa: E402
from tests.lab import scenarios  # noqa: E402

BIN = Path(sys.executable).parent


def diagnose(inventory, summary_dir):
    """One playbook run: (wall s, cpu s)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    cmd = [str(BIN / "ansible-playbook"), "fanout.docker.diagnose", "-i", str(inventory), "-e", json.dumps({"fanout_summary_dir": str(summary_dir)})]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out.seek(0)
            raise RuntimeError(f"diagnose failed (rc={proc.returncode}):\n{out.read().decode()[-4000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--indexes", default="5,6,7")
    parser.add_argument("--port", type=int, default=18580)
    args = parser.parse_args()
    indexes = [int(i) for i in args.indexes.split(",")]
    hosts = {f"bench_host{k + 1}": (index, args.port + k) for k, index in enumerate(indexes)}
    started = []
    try:
        for index in indexes:
            engine_up(index)
            started.append(index)
        for index, port in hosts.values():
            scenarios.up("incident", socket_url(index), port=port)
        with tempfile.TemporaryDirectory() as base:
            base = Path(base)
            variables = {h: {"fanout_docker_host": socket_url(i), "fanout_probes": [probe(p)]} for h, (i, p) in hosts.items()}
            first = next(iter(variables))
            one = write_inventory(base / "one.yml", {first: variables[first]})
            many = write_inventory(base / "many.yml", variables)
            runs = {"1 host": [], f"{len(hosts)} hosts": []}
            cpu = {name: [] for name in runs}
            contenders = [("1 host", one), (f"{len(hosts)} hosts", many)]
            for _name, inventory in contenders:  # warm-up
                diagnose(inventory, base / "warm")
            for round_no in range(args.rounds):
                order = contenders if round_no % 2 == 0 else contenders[::-1]
                for name, inventory in order:
                    wall, seconds = diagnose(inventory, base / f"{name}-{round_no}")
                    runs[name].append(wall)
                    cpu[name].append(seconds)
            summary = json.loads((base / f"{len(hosts)} hosts-0" / "summary.json").read_text())
    finally:
        for index, _port in hosts.values():
            if index in started:
                try:
                    scenarios.down("incident", socket_url(index))
                except Exception as exc:  # noqa: BLE001 - keep cleaning up the others
                    print(f"fleet: could not remove the scenario on engine {index}: {exc}", file=sys.stderr)
        for index in started:
            engine_down(index)

    one_name, many_name = list(runs)
    n = len(hosts)
    t1, tn = statistics.median(runs[one_name]), statistics.median(runs[many_name])
    c1, cn = statistics.median(cpu[one_name]), statistics.median(cpu[many_name])
    per_host = (tn - t1) / (n - 1)
    per_host_cpu = (cn - c1) / (n - 1)
    statuses = ", ".join(f"{h['host']}: {h['status']}" for h in summary["hosts"])
    lines = [
        f"## Fleet: `ansible-playbook fanout.docker.diagnose`\n\nMachine: {machine()}. Engines {args.indexes} each hold the lab's incident scenario; "
        f"every host runs the facts module and a 30-preflight probe; Ansible's default 5 forks; connection local. Summary statuses: {statuses}.",
        "",
        "| run | rounds | wall median s | min s | max s | CPU s (user+sys, median) |",
        "|---|---|---|---|---|---|",
        f"| {one_name} | {args.rounds} | {fig(runs[one_name])} | {c1:.2f} |",
        f"| {many_name} | {args.rounds} | {fig(runs[many_name])} | {cn:.2f} |",
        "",
        f"- {many_name} / {one_name} (median of per-round ratios): {paired_ratio(runs[many_name], runs[one_name]):.2f}x",
        f"- marginal wall time per extra host: {per_host:.2f} s; fixed cost (play start-up, summary): {t1 - per_host:.2f} s",
        f"- marginal CPU per extra host (controller + module, all on this machine): {per_host_cpu:.2f} CPU s; CPU of a 1-host run: {c1:.2f} s",
    ]
    write_result("fleet.md", "\n".join(lines))


if __name__ == "__main__":
    main()
