#!/usr/bin/env bash
# Runs check-docs.mjs against odto-http's docs_demo example: builds it, starts it on a free
# loopback port, checks /docs/ renders with nothing leaving the machine, then stops it.
# Usage: tests/browser/check-docs-demo.sh [screenshot.png]   (from anywhere in the checkout)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
screenshot="${1:-}"

[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)
cargo build --quiet --manifest-path "$root/Cargo.toml" -p odto-http --example docs_demo
target_dir="$(cargo metadata --manifest-path "$root/Cargo.toml" --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

log="$(mktemp)"
"$target_dir/debug/examples/docs_demo" 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT

# Poll (bounded) for the line that tells the bound address.
address=""
for _ in $(seq 1 100); do
  address="$(sed -n 's/^listening on //p' "$log")"
  [ -n "$address" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$address" ] || { echo "docs_demo did not report its address"; cat "$log"; exit 1; }

node "$here/check-docs.mjs" "$address/docs/" "ODTO docs demo" ${screenshot:+"$screenshot"}
