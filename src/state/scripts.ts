/*
 * The Lua scripts that change fleet state. Each runs atomically inside Redis and reads Redis's own clock
 * (TIME), so deadlines never depend on a replica's clock. Every write bumps the generation to
 * max(gen + 1, Redis ms), which stays monotonic even after a key expired or Redis restarted empty, and
 * publishes the new state on the channel, so replicas learn of it in one round trip.
 *
 * State hash fields: gen, open (1/0), until (Redis ms the open period ends), forced (1/0), trips,
 * openedAt, retryUntil (Redis ms), origin (replica id), act (the last action).
 */

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local FIELDS = {'gen', 'open', 'until', 'forced', 'trips', 'openedAt', 'retryUntil', 'origin', 'act'}
local function load(key)
  local v = redis.call('HMGET', key, unpack(FIELDS))
  return { gen = tonumber(v[1]) or 0, open = v[2] == '1', untilMs = tonumber(v[3]) or 0, forced = v[4] == '1',
    trips = tonumber(v[5]) or 0, openedAt = tonumber(v[6]) or 0, retryUntil = tonumber(v[7]) or 0,
    origin = v[8] or '', act = v[9] or '' }
end
local function fmt(n) return string.format('%d', n) end
local function encode(endpoint, s)
  return table.concat({endpoint, fmt(s.gen), s.open and '1' or '0', fmt(s.untilMs), s.forced and '1' or '0',
    fmt(s.trips), fmt(s.openedAt), fmt(s.retryUntil), s.origin, s.act}, '|')
end
-- Writes the state, bounds its life (an operator's force-open lives until it is lifted), publishes it.
local function save(key, channel, endpoint, s, now, keepMs)
  redis.call('HSET', key, 'gen', fmt(s.gen), 'open', s.open and '1' or '0', 'until', fmt(s.untilMs),
    'forced', s.forced and '1' or '0', 'trips', fmt(s.trips), 'openedAt', fmt(s.openedAt),
    'retryUntil', fmt(s.retryUntil), 'origin', s.origin, 'act', s.act)
  if s.forced then redis.call('PERSIST', key)
  else redis.call('PEXPIRE', key, math.max(s.untilMs, s.retryUntil, now) - now + keepMs) end
  local msg = encode(endpoint, s)
  redis.call('PUBLISH', channel, msg)
  return msg
end
local function bump(s, now, origin, act)
  s.gen = math.max(s.gen + 1, now)
  s.origin = origin
  s.act = act
end
-- base * multiplier^trips, capped, times the caller's jitter factor (1 +/- jitter), capped again.
local function period(trips, base, mult, max, factor)
  local raw = math.min(max, base * mult ^ trips)
  return math.floor(math.max(0, math.min(max, raw * factor)) + 0.5)
end
-- Opens (or re-opens) the circuit; a later deadline already set is never shortened.
local function trip(s, now, base, mult, max, factor, origin, act)
  local u = now + period(s.trips, base, mult, max, factor)
  if s.open and s.untilMs > u then u = s.untilMs end
  if not s.open then s.openedAt = now end
  bump(s, now, origin, act)
  s.trips = s.trips + 1
  s.open = true
  s.untilMs = u
end
`;

/**
 * Counts charged attempts in the fleet window and trips the circuit when the window says so.
 * KEYS: state, window. ARGV: endpoint, seenGen, successes, failures, bucketMs, buckets, volumeThreshold,
 * errorThresholdPercentage, baseMs, multiplier, maxMs, jitterFactor, keepMs, origin, channel.
 * An attempt admitted under an older generation (before a trip or reset) is not counted; nor is one that
 * ends while the circuit is open. Returns [tripped (0/1), state message or '', successes, failures].
 */
export const RECORD_SCRIPT = `${COMMON}
local endpoint, seenGen, addS, addF = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local bucketMs, buckets, volume, threshold = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = now_ms()
local s = load(KEYS[1])
if seenGen < s.gen or s.open or s.forced then return {0, '', 0, 0} end
local bucket = math.floor(now / bucketMs)
if addS > 0 then redis.call('HINCRBY', KEYS[2], 's:' .. bucket, addS) end
if addF > 0 then redis.call('HINCRBY', KEYS[2], 'f:' .. bucket, addF) end
local all = redis.call('HGETALL', KEYS[2])
local succ, fail = 0, 0
for i = 1, #all, 2 do
  local kind, b = string.match(all[i], '^(%a):(%d+)$')
  b = tonumber(b)
  if b == nil or b <= bucket - buckets then redis.call('HDEL', KEYS[2], all[i])
  elseif kind == 's' then succ = succ + tonumber(all[i + 1])
  else fail = fail + tonumber(all[i + 1]) end
end
redis.call('PEXPIRE', KEYS[2], bucketMs * buckets)
local total = succ + fail
if addF > 0 and total >= volume and fail * 100 > threshold * total then
  trip(s, now, tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[14], 'trip')
  redis.call('DEL', KEYS[2])
  return {1, save(KEYS[1], ARGV[15], endpoint, s, now, tonumber(ARGV[13])), succ, fail}
end
return {0, '', succ, fail}
`;

/**
 * One state change. KEYS: state, window, lease. ARGV: endpoint, action, seenGen, baseMs, multiplier, maxMs,
 * jitterFactor, keepMs, origin, channel, extra (retry_after: ms; restore: a whole state message).
 * Returns the state message after the call (unchanged when the write lost).
 *   trip         a replica's own breaker tripped: opens a closed circuit; no-op when already open
 *   probe_ok     the lease holder's probe succeeded: closes, if nothing newer happened since it was admitted
 *   probe_failed the probe failed: re-opens with the next backoff step
 *   force_open / force_close / reset   operator overrides (a close, like a successful probe, clears the
 *                window, the backoff and any Retry-After block, as the breaker's own close does)
 *   retry_after  no traffic before now + extra ms; a later window already set is kept
 *   restore      Redis came back empty (or older): a replica writes back what it saw, if it is newer
 */
export const TRANSITION_SCRIPT = `${COMMON}
local endpoint, action, seenGen = ARGV[1], ARGV[2], tonumber(ARGV[3])
local base, mult, max, factor, keepMs = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local origin, channel, extra = ARGV[9], ARGV[10], ARGV[11]
local now = now_ms()
local s = load(KEYS[1])
-- Closed again, as the breaker closes: a fresh window, no lease, no Retry-After block, no backoff.
local function closed(act)
  bump(s, now, origin, act)
  s.open, s.forced, s.trips, s.untilMs, s.openedAt, s.retryUntil = false, false, 0, 0, 0, 0
  redis.call('DEL', KEYS[2], KEYS[3])
end
if action == 'trip' then
  if seenGen < s.gen or s.open or s.forced then return encode(endpoint, s) end
  trip(s, now, base, mult, max, factor, origin, 'trip')
  redis.call('DEL', KEYS[2])
elseif action == 'probe_ok' or action == 'probe_failed' then
  if seenGen ~= s.gen or not s.open or s.forced then return encode(endpoint, s) end
  if action == 'probe_ok' then closed('close')
  else
    trip(s, now, base, mult, max, factor, origin, 'probe_failed')
    redis.call('DEL', KEYS[3])
  end
elseif action == 'force_open' then
  if not s.open then s.openedAt = now end
  bump(s, now, origin, 'force_open')
  s.open, s.forced = true, true
elseif action == 'force_close' then closed('force_close')
elseif action == 'reset' then closed('reset')
elseif action == 'retry_after' then
  local u = now + tonumber(extra)
  if u <= s.retryUntil then return encode(endpoint, s) end
  s.retryUntil = u
  s.origin, s.act = origin, 'retry_after'
elseif action == 'restore' then
  local f = {}
  for part in string.gmatch(extra .. '|', '([^|]*)|') do f[#f + 1] = part end
  local gen = tonumber(f[2]) or 0
  if gen <= s.gen then return encode(endpoint, s) end
  s = { gen = gen, open = f[3] == '1', untilMs = tonumber(f[4]) or 0, forced = f[5] == '1', trips = tonumber(f[6]) or 0,
    openedAt = tonumber(f[7]) or 0, retryUntil = tonumber(f[8]) or 0, origin = f[9] or '', act = 'restore' }
else
  return redis.error_reply('unknown action')
end
return save(KEYS[1], channel, endpoint, s, now, keepMs)
`;

/**
 * The probe lease, only for the generation it is asked for and only once that generation's open period is
 * over: a replica whose mirror is one message behind cannot take a lease for a state already replaced.
 * KEYS: state, lease. ARGV: gen, holder value, ms. Returns 1 when this replica now holds it, 0 when another
 * does (or the generation is gone), -N when the open period has N ms left by Redis's clock.
 */
export const LEASE_SCRIPT = `${COMMON}
local s = load(KEYS[1])
if s.gen ~= tonumber(ARGV[1]) or not s.open or s.forced then return 0 end
local early = s.untilMs - now_ms()
if early > 0 then return -early end
if redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX') then return 1 end
return 0
`;

/** Deletes the probe lease only if this replica still holds it. KEYS: lease. ARGV: holder value. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Reads every endpoint's state and Redis's clock in one call. KEYS: the state keys. Returns [now, msg...]. */
export const READ_SCRIPT = `${COMMON}
local out = {fmt(now_ms())}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then out[#out + 1] = encode(ARGV[i], load(KEYS[i])) else out[#out + 1] = '' end
end
return out
`;
