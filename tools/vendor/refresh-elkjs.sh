#!/usr/bin/env bash
# Fetch elkjs from the npm registry at the version package-lock.json pins (npm ci verifies its
# integrity hash) and vendor its browser bundle into the role, with a header naming the version,
# the source file's sha256 and the licence. The fleet report inlines that file; nothing is
# fetched when a report is written or viewed.
#   tools/vendor/refresh-elkjs.sh            re-vendor the pinned version
#   (cd tools/vendor && npm install --package-lock-only elkjs@X.Y.Z) && tools/vendor/refresh-elkjs.sh
#                                            move to another version
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DEST="$HERE/../../roles/fanout/files/report"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --silent)

PKG="$WORK/node_modules/elkjs"
VERSION=$(node -p "require('$PKG/package.json').version")
LICENSE=$(node -p "require('$PKG/package.json').license")
SRC="$PKG/lib/elk.bundled.js"
SUM=$(sha256sum "$SRC" | cut -d' ' -f1)

# The report inlines the file inside <script>: it must never close that element early.
if grep -qi '</script' "$SRC"; then
  echo "refresh-elkjs: $SRC contains '</script'; it cannot be inlined as is" >&2
  exit 1
fi

mkdir -p "$DEST"
{
  echo "/*! elkjs $VERSION (https://github.com/kieler/elkjs), lib/elk.bundled.js from the npm registry,"
  echo " *  sha256 $SUM, unmodified below this comment."
  echo " *  Copyright (c) Kiel University and others. SPDX-License-Identifier: $LICENSE"
  echo " *  (full text: elkjs-LICENSE.md next to this file). Vendored by tools/vendor/refresh-elkjs.sh. */"
  cat "$SRC"
} >"$DEST/elk.bundled.js"
# The same text with ASCII quotes (ansible-test sanity's no-smart-quotes covers every file).
node -e 'const fs = require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1], "utf8").replace(/[\u201c\u201d]/g, "\"").replace(/[\u2018\u2019]/g, "\x27"))' \
  "$PKG/LICENSE.md" "$DEST/elkjs-LICENSE.md"
echo "refresh-elkjs: vendored elkjs $VERSION ($SUM) into $DEST"
