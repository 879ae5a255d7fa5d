#!/usr/bin/env bash
# Make sure a Docker engine answers on the default socket.
# On a fresh Debian machine (CI) this installs docker.io, the fixture packages, chromium (the
# fleet report tests open the report in it), openssh-client (their unreachable host) and time
# (peak memory of a module run), and starts dockerd.
set -euo pipefail

PACKAGES=(docker.io caddy busybox-static chromium openssh-client time)
STATE_DIR=${FANOUT_LAB_STATE:-$(cd "$(dirname "$0")/../.." && pwd)/.lab}
LOG="$STATE_DIR/dockerd.log"

engine_answers() { docker info >/dev/null 2>&1; }

missing_packages() {
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

install_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  echo "lab: installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }
}

start_dockerd() {
  mkdir -p "$STATE_DIR"
  echo "lab: starting dockerd (log: $LOG)"
  # setsid: the engine must outlive the make process that started it.
  setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    engine_answers && return 0
    sleep 0.5
  done
  echo "lab: dockerd did not answer within 30 s; last lines of $LOG:" >&2
  tail -n 20 "$LOG" >&2
  return 1
}

main() {
  if [ "$(id -u)" = 0 ]; then
    install_packages
  fi
  if engine_answers; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    cat >&2 <<'MSG'
lab: no Docker engine answers (`docker info` failed) and this is not root, so it cannot be started here.
Start one (e.g. `sudo systemctl start docker`, or run `sudo make install-engine`),
or point DOCKER_HOST at an engine you may use, then run the command again.
MSG
    return 1
  fi
  start_dockerd
}

main "$@"
