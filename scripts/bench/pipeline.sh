#!/usr/bin/env bash
# End-to-end throughput of the distributed mode on this machine: gateway, N processors, metrics
# engine and read model (release builds) on the local RabbitMQ, PostgreSQL and Redis, in a
# throw-away vhost, database and key prefix.
#
# Usage: scripts/bench/pipeline.sh [seconds=10] [connections=200] [processors=2]
# Submits zero-duration jobs with wrk for the given time, waits until every accepted job is
# finished, then reports from the event store: accepted/s, completed/s, completion latency
# (job.created -> job.completed, event time) p50/p99/max, and lost jobs (accepted but unfinished).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-10}"; connections="${2:-200}"; processors="${3:-2}"
target="${CARGO_TARGET_DIR:-$root/target}/release/odto"
run="bench$RANDOM"
api="http://127.0.0.1:15672/api"
export ODTO_RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/$run"
export ODTO_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/$run"
export ODTO_REDIS_PREFIX="$run" ODTO_LOG=warn
export ODTO_GATEWAY_LISTEN=127.0.0.1:3977 ODTO_READ_MODEL_LISTEN=127.0.0.1:8977
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true
  curl -s -u guest:guest -X DELETE "$api/vhosts/$run" >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $run" >/dev/null 2>&1 || true
}
trap cleanup EXIT

curl -sf -u guest:guest -X PUT "$api/vhosts/$run" >/dev/null
curl -sf -u guest:guest -X PUT -H 'content-type: application/json' \
  -d '{"configure":".*","write":".*","read":".*"}' "$api/permissions/$run/guest" >/dev/null
"$target" metrics-engine --listen 127.0.0.1:0 & pids+=($!)
sleep 2 # lets the first service create the database and run the migrations alone
"$target" gateway & pids+=($!)
"$target" read-model & pids+=($!)
for i in $(seq "$processors"); do "$target" processor --listen 127.0.0.1:0 & pids+=($!); done
for _ in $(seq 100); do curl -sf localhost:8977/readyz >/dev/null && curl -sf localhost:3977/readyz >/dev/null && break; sleep 0.2; done

wrk -t1 -c"$connections" -d"${seconds}s" -s "$root/scripts/bench/post-job.lua" http://127.0.0.1:3977/jobs | grep -E "Requests/sec|Non-2xx|Socket errors" || true
accepted() { curl -s localhost:8977/stats | grep -o '"totalJobs":[0-9]*' | cut -d: -f2; }
finished() { curl -s localhost:8977/stats | grep -oE '"(completed|failed)Jobs":[0-9]*' | cut -d: -f2 | awk '{s += $1} END {print s + 0}'; }
for _ in $(seq 600); do [ "$(finished)" = "$(accepted)" ] && [ "$(accepted)" != 0 ] && break; sleep 0.5; done

psql -h 127.0.0.1 -U postgres -d "$run" -qAt -F ' ' <<'SQL'
with created as (select job_id, occurred_at from events where event_type = 'job.created'),
     done as (select job_id, min(occurred_at) as at from events where event_type = 'job.completed' group by job_id),
     lat as (select extract(epoch from d.at - c.occurred_at) * 1000 as ms from created c join done d using (job_id)),
     span as (select count(*) as n, min(occurred_at) as first, max(occurred_at) as last from created),
     fin as (select count(*) as n, max(at) as last from done)
select 'accepted', span.n, 'accepted_per_s', round((span.n / greatest(extract(epoch from span.last - span.first), 0.001))::numeric, 0),
       'completed', fin.n, 'completed_per_s', round((fin.n / greatest(extract(epoch from fin.last - span.first), 0.001))::numeric, 0),
       'p50_ms', round(percentile_cont(0.5) within group (order by ms)::numeric, 1),
       'p99_ms', round(percentile_cont(0.99) within group (order by ms)::numeric, 1),
       'max_ms', round(max(ms)::numeric, 1),
       'lost', span.n - fin.n
from lat, span, fin group by span.n, span.first, span.last, fin.n, fin.last;
SQL
