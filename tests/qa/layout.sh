#!/usr/bin/env bash
# Copy the collection's files (tracked and new, nothing ignored) to DEST/ansible_collections/fanout/docker,
# the path ansible-test and antsibull-docs need. Prints that path.
set -euo pipefail
dest=${1:?usage: layout.sh DEST}
root=$(cd "$(dirname "$0")/../.." && pwd)
target="$dest/ansible_collections/fanout/docker"
rm -rf "$target"
mkdir -p "$target"
cd "$root"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar -c --null -T - | tar -x -C "$target"
echo "$target"
