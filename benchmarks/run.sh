#!/usr/bin/env bash
# `make bench`: every benchmark, side by side, on dedicated lab engines (5, 6, 7; never the
# default engine). Markdown tables go to stdout and benchmarks/results/ (gitignored).
# Takes about 30 minutes on 2 cores; not part of `make test`. Root only (starts engines).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
COMMUNITY=benchmarks/.venv-ansible
mkdir -p benchmarks/results

# community.docker comes with the `ansible` package, kept out of .venv on purpose; the same
# ansible-core, docker and requests as the module (requirements.txt), so only the modules differ.
COMMUNITY_ANSIBLE=ansible==12.3.0
if ! "$COMMUNITY/bin/pip" show ansible 2>/dev/null | grep -qx "Version: ${COMMUNITY_ANSIBLE#ansible==}"; then
  python3 -m venv "$COMMUNITY"
  "$COMMUNITY/bin/pip" install -q --disable-pip-version-check -r requirements.txt "$COMMUNITY_ANSIBLE"
fi

$PY benchmarks/bench_probe.py | tee benchmarks/results/probe.md
$PY benchmarks/bench_facts.py
$PY benchmarks/bench_fleet.py
echo "tables written to benchmarks/results/ (probe.md, facts.md, fleet.md)"
