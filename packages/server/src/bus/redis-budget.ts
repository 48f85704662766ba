/**
 * The session's signal budget over the Redis bus (docs/CLUSTER.md §The session budget): the same
 * two token buckets as on one node (PROTOCOL.md §Flow control: signals and encoded bytes, shared
 * by every sender of the session), kept in Redis in `s:SESSION:b` and charged inside the bus
 * script's `signal` operation, atomically with the signal, so a session spread over N nodes has
 * one budget, not N. The clock is Redis's (`TIME`), so the nodes' clocks do not matter.
 *
 * A Lua fragment interpolated into the one bus script (redis-script.ts), kept here so the script
 * and this rule change separately. `budget(s, argv)` reads the charge from `argv` (the signal's
 * ARGV[10..14]: cost in bytes, signals/s, burst, bytes/s, byte burst); with no cost given (a
 * server signal, or a node that keeps the budget itself) it charges nothing.
 *
 * The hash holds `n` (signal tokens), `b` (byte tokens) and `t` (Redis time of the last refill,
 * ms). It expires once it would be full again (an absent bucket is a full one), and goes with the
 * session's other keys.
 */
export const SESSION_BUDGET_LUA = String.raw`
local function budget(s, argv)
  local cost = tonumber(argv[10])
  if not cost then return true end
  local rate, burst, brate, bburst = tonumber(argv[11]), tonumber(argv[12]), tonumber(argv[13]), tonumber(argv[14])
  local clock = redis.call('TIME')
  local at = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
  local v = redis.call('HMGET', s.b, 'n', 'b', 't')
  local n, b, last = tonumber(v[1]) or burst, tonumber(v[2]) or bburst, tonumber(v[3]) or at
  local dt = at - last
  if dt > 0 then
    n = math.min(burst, n + dt * rate / 1000)
    b = math.min(bburst, b + dt * brate / 1000)
  end
  if n < 1 or b < cost then return false end
  n, b = n - 1, b - cost
  redis.call('HSET', s.b, 'n', string.format('%.17g', n), 'b', string.format('%.17g', b), 't', string.format('%.17g', at))
  local full = math.max((burst - n) / rate, (bburst - b) / brate) * 1000
  redis.call('PEXPIRE', s.b, math.ceil(math.min(full, 86400000)) + 1000)
  return true
end
`;
