#!/usr/bin/env bash
# Fails when the committed page (crates/web/assets/) is not what its sources build to: installs
# the locked packages (npm ci), builds into a temporary directory and compares byte for byte.
# Usage: crates/web/page/check-bundle.sh   (from anywhere in the checkout)
# To bring the assets up to date: (cd crates/web/page && npm ci && npm run build)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
assets="$(cd "$here/../assets" && pwd)"
built="$(mktemp -d)"
trap 'rm -rf "$built"' EXIT

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
node "$here/build.mjs" "$built" >/dev/null

stale=()
for file in index.html app.js app.css; do
  cmp -s "$built/$file" "$assets/$file" || stale+=("$file")
done
if [ "${#stale[@]}" -gt 0 ]; then
  echo "check-bundle: FAIL: crates/web/assets/ is out of date with crates/web/page/ (${stale[*]} differ)." >&2
  echo "check-bundle: rebuild with: (cd crates/web/page && npm ci && npm run build), then commit the assets." >&2
  exit 1
fi
echo "check-bundle: ok: crates/web/assets/ matches a fresh build of crates/web/page/"
