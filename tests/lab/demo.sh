#!/usr/bin/env bash
# The whole story on the lab's incident stack: the failure rate, the diagnosis, the fix, and
# the same probe at 100% afterwards. Run through `make demo` (which does the set-up first).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
VARS=@tests/lab/demo-vars.yml
export FANOUT_SUMMARY_DIR="$PWD/.lab/demo-summary"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Creating the incident stack (proxy, live api, stale api left behind by an earlier deploy)"
$BIN/python -m tests.lab up incident >/dev/null
$BIN/python -m tests.lab list | grep '^incident'

say "1. Diagnose: preflights through the proxy, the DNS view of every container, a verdict"
$BIN/ansible-playbook fanout.docker.diagnose -e "$VARS"

say "2. Remediate, check mode first: what would change (nothing is touched)"
$BIN/ansible-playbook fanout.docker.remediate -e "$VARS" --check --diff

say "3. Remediate: remove the stale side, then probe and verify again"
$BIN/ansible-playbook fanout.docker.remediate -e "$VARS"

say "4. Verify, as a provisioning gate would"
$BIN/ansible-playbook fanout.docker.verify -e "$VARS"

say "Done. Summary: .lab/demo-summary/summary.md. Remove the stack with: make lab-down"
