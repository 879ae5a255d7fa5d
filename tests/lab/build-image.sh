#!/usr/bin/env bash
# Build the lab's fixture image without any registry: Debian's caddy (with its loader and
# libraries) plus busybox-static for a shell and nslookup, imported as one layer.
# Usage: build-image.sh [IMAGE]   (default fanout-lab/caddy:base). Idempotent.
set -euo pipefail

IMAGE=${1:-fanout-lab/caddy:base}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi
for bin in /usr/bin/caddy /bin/busybox; do
  [ -x "$bin" ] || { echo "build-image: $bin is missing; install Debian's caddy and busybox-static" >&2; exit 1; }
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,etc,tmp,srv}
chmod 1777 "$root/tmp"
cp /usr/bin/caddy "$root/usr/bin/caddy"
# The dynamic loader and every library ldd names, at their own paths.
ldd /usr/bin/caddy | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/bin:/bin XDG_DATA_HOME=/tmp XDG_CONFIG_HOME=/tmp HOME=/tmp' \
  --change 'LABEL fanout.lab=fixture' \
  --change 'CMD ["/bin/sh"]' \
  - "$IMAGE" >/dev/null
echo "build-image: built $IMAGE"
