-- Applies a batch of job events to the statistics, each at most once per job revision.
-- Run by EVALSHA from stats.rs, which documents the keys; atomic, like every Redis script.
--
-- KEYS[1] jobs hash:  job id -> "revision|status|type", the newest revision applied per job
-- KEYS[2] counts hash: accepted, events_applied, last_event_ms, status:<STATUS>
-- KEYS[3] types hash:  <type>|<STATUS> -> jobs of that type in that status
-- KEYS[4..] throughput buckets (one hash per minute): <second>|accepted|completed|failed
-- ARGV[1]  seconds a throughput bucket lives after its last write
-- ARGV[2..] 9 per event: job id, revision, status, type, occurredAt (epoch ms),
--           bucket (KEYS index) and second of occurredAt, bucket and second of the job's createdAt
local jobs, counts, types = KEYS[1], KEYS[2], KEYS[3]
local ttl = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', counts, 'last_event_ms') or '')
local applied = 0
local touched = {}

local function bump(bucket, second, what)
  local key = KEYS[tonumber(bucket)]
  redis.call('HINCRBY', key, second .. '|' .. what, 1)
  touched[key] = true
end

local function move(job_type, status, by)
  redis.call('HINCRBY', counts, 'status:' .. status, by)
  redis.call('HINCRBY', types, job_type .. '|' .. status, by)
end

for i = 2, #ARGV, 9 do
  local id, revision, status, job_type = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local held = redis.call('HGET', jobs, id)
  local old_revision, old_status = -1, nil
  if held then
    local r, s, t = string.match(held, '^(%d+)|([^|]*)|(.*)$')
    -- A job's type never changes; the stored one is what its counts were filed under.
    old_revision, old_status, job_type = tonumber(r), s, t
  end
  if tonumber(revision) > old_revision then
    redis.call('HSET', jobs, id, revision .. '|' .. status .. '|' .. job_type)
    if old_status then
      move(job_type, old_status, -1)
    else
      redis.call('HINCRBY', counts, 'accepted', 1)
      bump(ARGV[i + 7], ARGV[i + 8], 'accepted')
    end
    move(job_type, status, 1)
    if (status == 'COMPLETED' or status == 'FAILED') and status ~= old_status then
      bump(ARGV[i + 5], ARGV[i + 6], string.lower(status))
    end
    local occurred = tonumber(ARGV[i + 4])
    if last == nil or occurred > last then
      last = occurred
    end
    applied = applied + 1
  end
end

if applied > 0 then
  redis.call('HINCRBY', counts, 'events_applied', applied)
  redis.call('HSET', counts, 'last_event_ms', string.format('%d', last))
end
for key in pairs(touched) do
  redis.call('EXPIRE', key, ttl)
end
return applied
