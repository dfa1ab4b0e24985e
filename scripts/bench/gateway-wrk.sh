#!/usr/bin/env bash
# Load test of a release gateway against the local RabbitMQ, in a throw-away vhost.
# Usage: scripts/bench/gateway-wrk.sh [connections=100] [seconds=10]
# Needs: wrk, RabbitMQ with the management plugin on 127.0.0.1, a release build (cargo build --release -p odto).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
connections="${1:-100}"
seconds="${2:-10}"
target="${CARGO_TARGET_DIR:-$root/target}"
port=3977
vhost="odto-wrk-$RANDOM"
api="http://127.0.0.1:15672/api"

curl -sf -u guest:guest -X PUT "$api/vhosts/$vhost" >/dev/null
curl -sf -u guest:guest -X PUT -H 'content-type: application/json' \
  -d '{"configure":".*","write":".*","read":".*"}' "$api/permissions/$vhost/guest" >/dev/null
ODTO_RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/$vhost" ODTO_GATEWAY_LISTEN="127.0.0.1:$port" \
  ODTO_LOG=warn "$target/release/odto" gateway &
gateway=$!
trap 'kill $gateway 2>/dev/null; wait $gateway 2>/dev/null; curl -s -u guest:guest -X DELETE "$api/vhosts/$vhost" >/dev/null' EXIT

for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$gateway/status)"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$root/scripts/bench/post-job.lua" "http://127.0.0.1:$port/jobs"
echo "RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$gateway/status)"
sleep 6 # the management API refreshes queue counts every 5 s
curl -s -u guest:guest "$api/queues/$vhost/jobs.created" | grep -o '"messages":[0-9]*' | head -1 | sed 's/^/jobs.created /'
