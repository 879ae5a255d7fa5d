#!/usr/bin/env bash
# Extra Docker engines side by side on this machine, one per fleet host of the lab.
#   fleet.sh up N      start engines 1..N (idempotent), each with its own socket, data root,
#                      exec root, pidfile, bridge and address pool; load the fixture image
#   fleet.sh up-one I  start engine I only (benchmarks use their own indexes: 5, 6, 7)
#   fleet.sh down      stop every extra engine (data roots stay for a fast next start)
#   fleet.sh down-one I  stop engine I only
#   fleet.sh socket I  print engine I's DOCKER_HOST URL
# Root only. The default engine (docker0, /var/run/docker.sock) is never touched.
set -euo pipefail

BASE=${FANOUT_FLEET_DIR:-/var/lib/fanout-lab}
RUN=${FANOUT_FLEET_RUN:-/run/fanout-lab}
IMAGE=fanout-lab/caddy:base

socket() { echo "unix://$RUN/engine-$1.sock"; }

# Running, and not a zombie waiting to be reaped (kill -0 succeeds on those).
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

answers() { DOCKER_HOST=$(socket "$1") docker info >/dev/null 2>&1; }

start_engine() {
  local i=$1 bridge="fanoutbr$1"
  answers "$i" && return 0
  mkdir -p "$BASE/engine-$i" "$RUN/engine-$i"
  # A dockerd that was killed leaves its pidfile, and a new one refuses to start over it.
  if [ -f "$RUN/engine-$i.pid" ] && ! alive "$(cat "$RUN/engine-$i.pid")"; then
    rm -f "$RUN/engine-$i.pid"
  fi
  # Its containerd dies with it, a moment later; a new dockerd that still sees it alive waits
  # for it in vain. Give it time to go, then drop its pidfile.
  local cpid="$RUN/engine-$i/containerd/containerd.pid"
  for _ in $(seq 1 20); do
    if [ -f "$cpid" ] && alive "$(cat "$cpid")"; then sleep 0.5; else break; fi
  done
  if [ -f "$cpid" ] && ! alive "$(cat "$cpid")"; then
    rm -f "$cpid"
  fi
  # A bridge of its own: with --bridge none a second engine deleted the first engine's docker0.
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
    ip addr add "10.$((200 + i)).0.1/24" dev "$bridge"
    ip link set "$bridge" up
  fi
  # iptables stays on: with it off, the FORWARD policy DROP that the default engine sets
  # blocks traffic between this engine's containers. Published ports on 127.0.0.1 go
  # through docker-proxy, so the engines re-creating the shared DOCKER chains does not matter.
  setsid nohup dockerd \
    --data-root "$BASE/engine-$i" \
    --exec-root "$RUN/engine-$i" \
    --pidfile "$RUN/engine-$i.pid" \
    -H "$(socket "$i")" \
    --bridge "$bridge" \
    --default-address-pool "base=10.$((210 + i)).0.0/16,size=24" \
    >"$RUN/engine-$i.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    answers "$i" && return 0
    sleep 0.5
  done
  echo "fleet: engine $i did not answer within 30 s; see $RUN/engine-$i.log" >&2
  tail -n 20 "$RUN/engine-$i.log" >&2
  return 1
}

load_image() {
  local i=$1
  DOCKER_HOST=$(socket "$i") docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  docker save "$IMAGE" | DOCKER_HOST=$(socket "$i") docker load -q >/dev/null
}

stop_engine() {
  local i=$1 pidfile="$RUN/engine-$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    alive "$pid" || return 0
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  up)
    n=${2:?usage: fleet.sh up N}
    for i in $(seq 1 "$n"); do start_engine "$i"; load_image "$i"; done ;;
  up-one)
    i=${2:?usage: fleet.sh up-one I}; start_engine "$i"; load_image "$i" ;;
  down-one) stop_engine "${2:?usage: fleet.sh down-one I}" ;;
  down)
    for pidfile in "$RUN"/engine-*.pid; do
      [ -e "$pidfile" ] || continue
      i=${pidfile##*/engine-}; stop_engine "${i%.pid}"
    done ;;
  socket) socket "${2:?usage: fleet.sh socket I}" ;;
  *) echo "usage: fleet.sh up N | up-one I | down | down-one I | socket I" >&2; exit 2 ;;
esac
