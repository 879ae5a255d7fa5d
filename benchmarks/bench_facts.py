"""docker_dns_ambiguity_facts versus what an operator would run instead, on a dedicated engine.

    .venv/bin/python benchmarks/bench_facts.py [--rounds 5] [--index 5] [--keep-population]

Builds, on lab engine --index (tests/lab/fleet.sh up-one; never the default engine), N running
containers on M user-defined networks (explicit subnets 10.160.J.0/24; 1-3 networks per
container; aliases `svcK` collide across containers; compose labels make both replicas and
collisions), built once at 1000/40 and shrunk in stages 1000/40 -> 500/40 -> 200/20 -> 50/10
(containers 0..N-1 only ever use networks 0..M-1 of their stage), so one population serves every
size. Every object carries the label fanout.bench=1 and is removed at the end (also on failure)
unless --keep-population leaves it for the next invocation (it is reconciled, not rebuilt).

Contenders at each size, one warm-up, then rounds in a rotated order:
  - the module end to end: `ansible localhost -m fanout.docker.docker_dns_ambiguity_facts`
  - the manual CLI method: `docker network ls` + `docker network inspect` per network +
    `docker ps -a` + `docker inspect` per container, parsed in Python into ambiguous names
  - the module's own work in-process: EngineClient + read_topology + analyse (no Ansible start-up)
  - plain Python `requests` over one keep-alive Unix-socket connection (1 list + 1 inspect each)
  - `http.client` on one connection (the same calls)
  - community.docker in a playbook (`docker_host_info` + `docker_container_info` per container),
    from benchmarks/.venv-ansible, at the --community sizes only and --community-rounds times
Then API calls and connections per contender (counting Unix-socket proxy), and the growth curve:
time per part and peak memory (RSS of the module process; tracemalloc in-process).
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
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docker  # noqa: E402
from _common import (  # noqa: E402
    RESULTS,
    ROOT,
    engine_down,
    engine_up,
    fig,
    httpclient_read,
    machine,
    paired_ratio,
    requests_read,
    rounds_alternating,
    socket_path,
    socket_url,
    write_result,
)

from ansible_collections.fanout.docker.plugins.module_utils._client import EngineClient, read_topology  # noqa: E402
from ansible_collections.fanout.docker.plugins.module_utils._findings import analyse  # noqa: E402
from ansible_collections.fanout.docker.plugins.module_utils._topology import build_topology  # noqa: E402
from tests.lab.counting_proxy import CountingProxy  # noqa: E402
from tests.lab.population import SERVICES, STAGES, Population  # noqa: E402

LABEL = "fanout.bench"
BIN = Path(sys.executable).parent
COMMUNITY_VENV = ROOT / "benchmarks" / ".venv-ansible"
SIDE_BY_SIDE = [(50, 10), (200, 20), (500, 40)]


# ---------------------------------------------------------------- the population

POPULATION = Population(label=LABEL, prefix="bench", subnet_octet=160)


def reconcile(api, n, m):
    return POPULATION.reconcile(api, n, m)


def remove_population(api):
    POPULATION.remove(api)


# ---------------------------------------------------------------- contenders


def params(host):
    return {
        "docker_host": host,
        "api_version": "auto",
        "timeout": 60,
        "tls": False,
        "validate_certs": False,
        "ca_path": None,
        "client_cert": None,
        "client_key": None,
        "tls_hostname": None,
    }


def module_in_process(host):
    client = EngineClient(params(host))
    try:
        topology = read_topology(client)
    finally:
        client.close()
    return analyse(topology)["summary"]["ambiguous_names"]


def module_read_only(host):
    """The module's engine reads alone: EngineClient (with /version) + read_topology."""
    client = EngineClient(params(host))
    try:
        return len(read_topology(client).containers)
    finally:
        client.close()


def ansible_env():
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")


def module_ansible(host):
    out = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-m", "fanout.docker.docker_dns_ambiguity_facts", "-a", f"docker_host={host}", "-o"],
        cwd=ROOT,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.split("=>", 1)[1])["ansible_facts"]["docker_dns_ambiguity"]["summary"]["ambiguous_names"]


def docker_cli(host, *args):
    return subprocess.run(["docker", *args], env=dict(os.environ, DOCKER_HOST=host), capture_output=True, text=True, check=True).stdout


def manual_cli(host):
    """What an operator scripts: inspect every network and every container, one CLI call each."""
    networks = [json.loads(docker_cli(host, "network", "inspect", n))[0] for n in docker_cli(host, "network", "ls", "-q").split()]
    containers = [json.loads(docker_cli(host, "inspect", c))[0] for c in docker_cli(host, "ps", "-aq").split()]
    dns_networks = {n["Name"] for n in networks if n["Name"] not in ("bridge", "host", "none")}
    answers = {}
    for c in containers:
        name = c["Name"].lstrip("/")
        for net, settings in c["NetworkSettings"]["Networks"].items():
            if net not in dns_networks:
                continue
            for alias in {name, *(settings.get("Aliases") or [])}:
                answers.setdefault((net, alias.lower()), set()).add(name)
    return len({alias for (_net, alias), who in answers.items() if len(who) > 1})


COMMUNITY_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - community.docker.docker_host_info: {docker_host: "{{ host }}", containers: true, containers_all: true}
      register: engine
    - community.docker.docker_container_info: {docker_host: "{{ host }}", name: "{{ item.Id }}"}
      loop: "{{ engine.containers }}"
      loop_control: {label: "{{ item.Id[:12] }}"}
      register: inspected
    - name: Names answered by more than one container per network
      ansible.builtin.set_fact:
        ambiguous: >-
          {%- set seen = {} -%}
          {%- for r in inspected.results -%}
            {%- for net, s in r.container.NetworkSettings.Networks.items() -%}
              {%- for a in [r.container.Name[1:]] + (s.Aliases or []) -%}
                {%- set _ = seen.update({net ~ '/' ~ a: seen.get(net ~ '/' ~ a, []) + [r.container.Name]}) -%}
              {%- endfor -%}
            {%- endfor -%}
          {%- endfor -%}
          {{ seen.values() | map('unique') | map('length') | select('gt', 1) | list | length }}
"""


def community(host, workdir):
    playbook = Path(workdir) / "community.yml"
    playbook.write_text(COMMUNITY_PLAYBOOK)
    cfg = Path(workdir) / "ansible.cfg"
    cfg.write_text("[defaults]\nretry_files_enabled = False\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg), ANSIBLE_NOCOLOR="1")
    python = COMMUNITY_VENV / "bin" / "python"
    subprocess.run(
        [
            str(COMMUNITY_VENV / "bin" / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbook),
            "-e",
            json.dumps({"host": host, "ansible_python_interpreter": str(python)}),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


# ---------------------------------------------------------------- measurements


def side_by_side(host, path, rounds, cli):
    contenders = [
        ("module via `ansible localhost -m`", lambda: module_ansible(host)),
        ("module in-process (read_topology + analyse)", lambda: module_in_process(host)),
        ("module reads only (EngineClient + read_topology)", lambda: module_read_only(host)),
        ("plain `requests`, one keep-alive connection", lambda: requests_read(path)),
        ("`http.client`, one connection", lambda: httpclient_read(path)),
    ]
    if cli:
        contenders.insert(1, ("manual CLI (`docker network inspect` + `docker inspect` each, parsed)", lambda: manual_cli(host)))
    return rounds_alternating(contenders, rounds)


def community_times(host, community_rounds, module_runs, warmup):
    """community.docker runs are long: a few runs, each paired with a module run right after."""
    times, module = [], []
    with tempfile.TemporaryDirectory() as workdir:
        if warmup:
            community(host, workdir)
        for _unused in range(community_rounds):
            start = time.perf_counter()
            community(host, workdir)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            module_runs()
            module.append(time.perf_counter() - start)
    return times, module


def count_calls(target, proxy_dir):
    """API calls and connections per contender, through a counting proxy."""
    proxy = CountingProxy(target, Path(proxy_dir) / "count.sock")
    rows = []
    try:
        for name, run in (
            ("module in-process", lambda: module_in_process(proxy.url)),
            ("module via `ansible localhost -m`", lambda: module_ansible(proxy.url)),
            ("plain `requests`", lambda: requests_read(proxy.path)),
            ("`http.client`", lambda: httpclient_read(proxy.path)),
        ):
            proxy.reset()
            run()
            time.sleep(0.2)
            rows.append((name, *proxy.summary()))
    finally:
        proxy.close()
    return rows


def module_process(host, workdir):
    """The module run as its own process (as AnsiballZ runs it): wall seconds and peak RSS.
    The RSS comes from /usr/bin/time: a child forked from this (large) process inherits its
    peak RSS in the kernel's accounting, a child of the small `time` process does not."""
    args = Path(workdir) / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"docker_host": host}}))
    out, err = Path(workdir) / "out.json", Path(workdir) / "time.txt"
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'collections'}")
    module = str(ROOT / "plugins/modules/docker_dns_ambiguity_facts.py")
    start = time.perf_counter()
    with out.open("wb") as sink, err.open("wb") as errors:
        subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", str(BIN / "python"), module, str(args)], stdout=sink, stderr=errors, env=env, check=True)
    elapsed = time.perf_counter() - start
    result = json.loads(out.read_text())
    assert not result.get("failed"), result
    rss_kb = int(err.read_text().rsplit("maxrss_kb=", 1)[1].split()[0])
    return elapsed, rss_kb / 1024, out.stat().st_size / 1e6


def growth_point(host, workdir, rounds):
    """Per part, in-process: read (client + calls), build_topology, analyse (rounds after a warm-up);
    the module as its own process once (time and peak RSS); tracemalloc peak of the in-process work."""
    parts = {"read": [], "build_topology": [], "analyse": []}
    for _unused in range(rounds + 1):
        client = EngineClient(params(host))
        start = time.perf_counter()
        listed, networks = client.list_containers(), client.list_networks()
        inspected = client.inspect_containers([c["Id"] for c in listed])
        t_read = time.perf_counter()
        topology = build_topology(listed, inspected, networks)
        t_build = time.perf_counter()
        analyse(topology)
        t_analyse = time.perf_counter()
        client.close()
        for key, value in (("read", t_read - start), ("build_topology", t_build - t_read), ("analyse", t_analyse - t_build)):
            parts[key].append(value)
    parts = {k: v[1:] for k, v in parts.items()}  # first round is the warm-up
    elapsed, rss, out_mb = module_process(host, workdir)
    parts["process"], parts["rss"] = [elapsed], [rss]
    tracemalloc.start()
    module_in_process(host)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return parts, peak / 1e6, out_mb


# ---------------------------------------------------------------- tables


def side_table(results, rounds):
    sizes = list(results)
    names = list(next(iter(results.values())))
    lines = [
        f"Facts: time in seconds, median of {rounds} rounds after a warm-up (min, max); contenders alternate in each round.",
        "",
        "| method | " + " | ".join(f"N={n}, M={m}: median / min / max" for n, m in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(fig(results[s][name]).replace(" | ", " / ") if name in results[s] else "not run" for s in sizes) + " |")
    return "\n".join(lines)


def ratio_table(results, community_results):
    sizes = list(results)
    e2e, inproc = "module via `ansible localhost -m`", "module in-process (read_topology + analyse)"
    cli = "manual CLI (`docker network inspect` + `docker inspect` each, parsed)"
    req, http = "plain `requests`, one keep-alive connection", "`http.client`, one connection"
    reads = "module reads only (EngineClient + read_topology)"
    rows = [
        ("manual CLI / module end to end (goal >= 3x at N=500)", lambda r: paired_ratio(r[cli], r[e2e]) if cli in r else None),
        ("module in-process / `requests` (goal <= 1.3)", lambda r: paired_ratio(r[inproc], r[req])),
        ("module in-process / `http.client`", lambda r: paired_ratio(r[inproc], r[http])),
        ("module reads only / `requests`", lambda r: paired_ratio(r[reads], r[req])),
        ("module reads only / `http.client`", lambda r: paired_ratio(r[reads], r[http])),
        ("`requests` / `http.client`", lambda r: paired_ratio(r[req], r[http])),
        ("module end to end / in-process (Ansible's share)", lambda r: paired_ratio(r[e2e], r[inproc])),
    ]
    lines = ["| ratio (medians of per-round ratios) | " + " | ".join(f"N={n}, M={m}" for n, m in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for label, fn in rows:
        cells = []
        for s in sizes:
            value = fn(results[s])
            cells.append("not run" if value is None else f"{value:.2f}x")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for s in sizes:
        if s in community_results:
            comm, mod = community_results[s]
            cells.append(f"{paired_ratio(comm, mod):.1f}x")
        else:
            cells.append("not run")
    lines.append("| community.docker playbook / module end to end (goal >= 50x at N=500) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def community_table(community_results):
    lines = [
        "| community.docker playbook | runs after a warm-up | median s | min s | max s | per container s | module end to end in the same pairs, median s |",
        "|---|---|---|---|---|---|---|",
    ]
    for (n, m), (comm, mod) in community_results.items():
        lines.append(f"| N={n}, M={m} | {len(comm)} | {fig(comm)} | {statistics.median(comm) / n:.3f} | {statistics.median(mod):.3f} |")
    return "\n".join(lines)


def calls_table(counts):
    lines = ["| N | contender | requests | by kind | connections |", "|---|---|---|---|---|"]
    for n, rows in counts.items():
        for name, kinds, total, conns in rows:
            kinds_text = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
            lines.append(f"| {n} | {name} | {total} | {kinds_text} | {conns} |")
    return "\n".join(lines)


def growth_table(growth):
    lines = [
        "| N, M | module as its own process s (one run) | per container ms | peak RSS of the module process MB"
        " | tracemalloc peak in-process MB | read s | build_topology s | analyse s | analyse per container ms | facts JSON MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (n, m), (parts, peak, out_mb) in growth.items():
        med = {k: statistics.median(v) for k, v in parts.items()}
        lines.append(
            f"| {n}, {m} | {parts['process'][0]:.2f} | {1000 * med['process'] / n:.2f} | {max(parts['rss']):.1f} | {peak:.1f} | "
            f"{med['read']:.3f} | {med['build_topology']:.3f} | {med['analyse']:.3f} | {1000 * med['analyse'] / n:.3f} | {out_mb:.1f} |"
        )
    return "\n".join(lines)


def render(args, builds, results, community_results, counts, growth):
    text = "\n\n".join(
        [
            f"## docker_dns_ambiguity_facts\n\nMachine: {machine()}. Engine: lab engine {args.index} (Docker 20.10, its own socket). "
            f"Population: 1-3 networks per container, alias svcK shared by about N/{SERVICES} containers, compose labels "
            f"(4 projects per service: replicas and collisions). {'; '.join(builds)}.",
            side_table(results, args.rounds) if results else "side by side: not run",
            ratio_table(results, community_results) if results else "",
            "community.docker (fewer runs, one warm-up at the smallest size only: it is slow; each run is paired with a module run right after it):\n\n"
            + community_table(community_results)
            if community_results
            else "community.docker: not run",
            "API calls and connections (counting Unix-socket proxy; one run each; `requests` and `http.client` skip the network list):\n\n"
            + calls_table(counts),
            f"Growth (in-process parts: median of {args.rounds} rounds after a warm-up, {args.big_rounds} at N=1000; the module process: one run):\n\n"
            + growth_table(growth),
        ]
    )
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--big-rounds", type=int, default=3, help="rounds at N=1000 (growth curve only; a run takes tens of seconds there)")
    parser.add_argument("--index", type=int, default=5, help="lab engine index (tests use 1-3)")
    parser.add_argument("--sizes", default="50,200,500,1000", help="container counts, from 50,200,500,1000")
    parser.add_argument("--community", default="50,200", help="sizes at which to run the community.docker playbook ('' for none)")
    parser.add_argument("--community-rounds", default="50:3,200:1", help="runs per size (after a warm-up)")
    parser.add_argument("--keep-population", action="store_true", help="leave containers, networks and the engine for the next run")
    parser.add_argument("--remove-only", action="store_true", help="remove a kept population, stop the engine, measure nothing")
    args = parser.parse_args()
    if args.remove_only:
        engine_up(args.index)
        api = docker.APIClient(base_url=socket_url(args.index), version="auto", timeout=120)
        try:
            remove_population(api)
        finally:
            api.close()
            engine_down(args.index)
        return
    # Largest first: the population shrinks stage by stage (removing is cheaper than creating),
    # and a kept population of 1000 serves the next run as it is.
    sizes = [s for s in reversed(STAGES) if str(s[0]) in args.sizes.split(",")]
    community_sizes = {int(x) for x in args.community.split(",") if x}
    community_rounds = {int(k): int(v) for k, v in (p.split(":") for p in args.community_rounds.split(","))}
    if community_sizes and not (COMMUNITY_VENV / "bin" / "ansible-playbook").exists():
        print(
            f"community.docker: {COMMUNITY_VENV} is missing; create it with `python3 -m venv {COMMUNITY_VENV} && "
            f"{COMMUNITY_VENV}/bin/pip install ansible docker requests`; skipping that contender",
            file=sys.stderr,
        )
        community_sizes = set()

    host, path = socket_url(args.index), socket_path(args.index)
    engine_up(args.index)
    api = docker.APIClient(base_url=host, version="auto", timeout=120)
    results, community_results, counts, growth, builds = {}, {}, {}, {}, []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for n, m in sizes:
                created, removed, seconds = reconcile(api, n, m)
                builds.append(f"N={n}, M={m}: created {created}, removed {removed} containers in {seconds:.0f} s")
                print(builds[-1], file=sys.stderr, flush=True)
                if (n, m) in SIDE_BY_SIDE:
                    results[(n, m)] = side_by_side(host, path, args.rounds, cli=True)
                    counts[n] = count_calls(path, workdir)
                if n in community_sizes:
                    community_results[(n, m)] = community_times(
                        host, community_rounds.get(n, 1), lambda: module_ansible(host), warmup=n == min(community_sizes)
                    )
                growth[(n, m)] = growth_point(host, workdir, args.rounds if (n, m) in SIDE_BY_SIDE else args.big_rounds)
                print(f"N={n}: done", file=sys.stderr, flush=True)
                (RESULTS / "facts.partial.md").write_text(render(args, builds, results, community_results, counts, growth) + "\n")
    finally:
        if not args.keep_population:
            remove_population(api)
        api.close()
        if not args.keep_population:
            engine_down(args.index)

    write_result("facts.md", render(args, builds, results, community_results, counts, growth))


if __name__ == "__main__":
    main()
