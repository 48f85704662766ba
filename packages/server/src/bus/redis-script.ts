import { SESSION_BUDGET_LUA } from './redis-budget.js';

/**
 * The one Lua script of the Redis bus (docs/CLUSTER.md §The Redis bus). Every operation of every
 * node runs it (`EVALSHA sha 0 prefix op node k epoch sessionId ...`), so each operation is one
 * atomic step in Redis: the membership check, the state change, the next sequence number, the
 * entry in the session's log and the one `PUBLISH` on the session's channel. That is what gives a
 * session one order across every node.
 *
 * Common arguments: ARGV[1] key prefix, [2] operation, [3] node id, [4] k (the node's operation
 * number, increasing; 0 for the node's housekeeping, which is idempotent), [5] the cluster epoch
 * the node knows, [6] session id (or '' for node-wide operations), then the operation's own.
 *
 * A node resends operations whose answer it lost (Redis connection dropped); the last 256 answers
 * (at least) per node (`n:NODE:r`) turn a resend of an operation that already ran into its first answer.
 *
 * A member is stored as `joinSeq|node|keyHash|infoJSON` (node '' while parked).
 *
 * The stream operations and a session's stream state: redis-stream-script.ts (spliced in below).
 */
import { STREAM_LUA } from './redis-stream-script.js';

export const BUS_SCRIPT = String.raw`
${SESSION_BUDGET_LUA}
local P, op, node, k, epoch, sid = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local LOGLEN = 512
if op == 'hello' then
  redis.call('SET', P .. 'epoch', ARGV[7], 'NX')
  return {'ok', redis.call('GET', P .. 'epoch')}
end
if redis.call('GET', P .. 'epoch') ~= epoch then return {'epoch'} end

local R = P .. 'n:' .. node .. ':r'
local function record(res)
  if k > 0 then
    redis.call('LPUSH', R, k .. ' ' .. res)
    -- (Trimmed now and then: the list stays between 256 and 320 answers; renew sets its expiry.)
    if k % 64 == 0 then redis.call('LTRIM', R, 0, 255) end
  end
end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The keys of one session.
local function S(s)
  local b = P .. 's:' .. s
  return { id = s, m = b .. ':m', l = b .. ':l', q = b .. ':q', p = b .. ':p', e = b .. ':e:', c = P .. 'c:' .. s,
    i = b .. ':i', k = b .. ':k', b = b .. ':b' }
end
local function parse(v)
  local j, n, h, info = string.match(v, '^(%d+)|([^|]*)|([^|]*)|(.*)$')
  return { j = tonumber(j), n = n, h = h, info = info }
end
local function store(s, cid, r)
  redis.call('HSET', s.m, cid, r.j .. '|' .. r.n .. '|' .. r.h .. '|' .. r.info)
end
local function nodeSet(n) return P .. 'n:' .. n .. ':m' end
local function entry(s, cid) return s.id .. '\t' .. cid end

-- One sequence number, one log entry, one PUBLISH: the session's order.
local function publish(s, body)
  local seq = redis.call('INCR', P .. 'seq')
  local prev = redis.call('GET', s.q) or '0'
  redis.call('SET', s.q, seq)
  local msg = '{"q":' .. seq .. ',"p":' .. prev .. ',"o":' .. cjson.encode(node) .. ',"k":' .. k .. body .. '}'
  redis.call('XADD', s.l, 'MAXLEN', '~', LOGLEN, seq .. '-0', 'm', msg)
  redis.call('PUBLISH', s.c, msg)
  return seq
end

-- Parked members keep the events meant for them until a claim (or their window ends).
local function toParked(s, ev, except, to)
  if redis.call('HLEN', s.p) == 0 then return end
  local targets = to and { to } or redis.call('HKEYS', s.p)
  for _, cid in ipairs(targets) do
    if cid ~= except and redis.call('HEXISTS', s.p, cid) == 1 then
      redis.call('RPUSH', s.e .. cid, ev)
      redis.call('LTRIM', s.e .. cid, -4096, -1)
    end
  end
end

-- A member being parked: the logged events meant for it after covered (the last message its
-- node had applied when it took the member's state), which that node will never deliver, go
-- first into its parked events. The event is kept as logged: the text between "e": and the
-- routing keys ("x" or "t") that follow it.
local function keepLogged(s, cid, covered)
  for _, item in ipairs(redis.call('XRANGE', s.l, (covered + 1) .. '-0', '+')) do
    local msg = item[2][2]
    local m = cjson.decode(msg)
    if m.e ~= nil and ((m.t == nil and m.x ~= cid) or m.t == cid) then
      local from = string.find(msg, ',"e":', 1, true) + 5
      local to = #msg - 1
      local route = m.t ~= nil and ',"t":' or (m.x ~= nil and ',"x":' or nil)
      if route then
        local at, last = 1, nil
        while true do
          local f = string.find(msg, route, at, true)
          if not f then break end
          last, at = f, f + 1
        end
        to = last - 1
      end
      redis.call('RPUSH', s.e .. cid, string.sub(msg, from, to))
    end
  end
end

local function removeMember(s, cid, r)
  redis.call('HDEL', s.m, cid)
  redis.call('HDEL', s.i, cid)
  redis.call('HDEL', s.k, cid)
  if r.n ~= '' then redis.call('SREM', nodeSet(r.n), entry(s, cid)) end
  if redis.call('HDEL', s.p, cid) == 1 then
    redis.call('DEL', s.e .. cid)
    redis.call('ZREM', P .. 'parked', entry(s, cid))
  end
end

-- The session's keys go with its last member.
local function dropIfEmpty(s)
  if redis.call('HLEN', s.m) > 0 then return false end
  redis.call('DEL', s.m, s.l, s.q, s.p, s.i, s.k, s.b)
  return true
end

-- Streams (redis-stream-script.ts): streamOp, streamsLeave, withStreams, forwarderCall,
-- forwarderSend, forwarderGone.
-- A client's request number on the log entry of the operation that completed it (core/rebuild.ts).
local function requester(by, r)
  if not by or by == '' then return '' end
  return ',"b":{"c":' .. cjson.encode(by) .. ',"r":' .. tonumber(r) .. '}'
end

${STREAM_LUA}

local function destroyed(cid, reason)
  return '{"kind":"connectionDestroyed","connectionId":' .. cjson.encode(cid) .. ',"reason":"' .. reason .. '"}'
end

-- A member leaves (reason '' = silently).
local function leave(s, cid, reason)
  local v = redis.call('HGET', s.m, cid)
  if not v then return 0 end
  streamsLeave(s, cid, reason)
  removeMember(s, cid, parse(v))
  if dropIfEmpty(s) or reason == '' then return 0 end
  local ev = destroyed(cid, reason)
  toParked(s, ev, nil, nil)
  return publish(s, ',"e":' .. ev)
end

local function roster(s, before)
  local rs = {}
  for _, v in ipairs(redis.call('HVALS', s.m)) do
    local r = parse(v)
    if r.j < before then rs[#rs + 1] = r end
  end
  table.sort(rs, function(a, b) return a.j < b.j end)
  local out = {}
  for i, r in ipairs(rs) do out[i] = r.info end
  return out
end

-- ---- Rebuilding a member whose node died (docs/CLUSTER.md §Resume after a node death) ----
-- Per member: s:SESSION:i its identity (JSON, written at its join), s:SESSION:k its checkpoint
-- 'acked|q|hp|announced' (written by its node, op 'checkpoint'). A parked state REBUILD means
-- "parked by the reaper": a claim rebuilds it from the checkpoint and the log.
local REBUILD = '"rebuild"'

-- The member is this node's (the fence: after a move, its old node adds nothing to its stream).
local function ownedHere(s, cid)
  local v = redis.call('HGET', s.m, cid)
  return v ~= false and parse(v).n == node
end

-- A parked member (by drain or by the reaper) becomes this node's: the move in the session's order.
local function unpark(s, cid, r)
  redis.call('HDEL', s.p, cid)
  redis.call('DEL', s.e .. cid)
  redis.call('ZREM', P .. 'parked', entry(s, cid))
  r.n = node
  store(s, cid, r)
  redis.call('SADD', nodeSet(node), entry(s, cid))
  return publish(s, ',"m":{"c":' .. cjson.encode(cid) .. ',"f":""}')
end

-- The checkpoint, or the one every member has at its join.
local function checkpointOf(s, cid, r)
  local ck = redis.call('HGET', s.k, cid)
  if ck then return ck end
  return '0|' .. r.j .. '|0|0'
end

-- The reaper: a dead node's member that can be rebuilt waits, parked, for its client for the
-- window its node gave it (in its identity); the others are told it is reconnecting.
local function parkDead(s, cid, t)
  local v = redis.call('HGET', s.m, cid)
  local id = redis.call('HGET', s.i, cid)
  if not v or not id then return false end
  local r = parse(v)
  local window = tonumber(cjson.decode(id).windowMs) or 0
  if window <= 0 then return false end
  redis.call('SREM', nodeSet(r.n), entry(s, cid))
  r.n = ''
  store(s, cid, r)
  redis.call('HSET', s.p, cid, REBUILD)
  redis.call('ZADD', P .. 'parked', t + window, entry(s, cid))
  local ck = checkpointOf(s, cid, r)
  if string.sub(ck, -2) ~= '|1' then
    local ev = '{"kind":"connectionReconnecting","connectionId":' .. cjson.encode(cid) .. '}'
    toParked(s, ev, cid, nil)
    publish(s, ',"e":' .. ev .. ',"x":' .. cjson.encode(cid))
    redis.call('HSET', s.k, cid, string.sub(ck, 1, -2) .. '1')
  end
  return true
end

local s = S(sid)

-- A resend of an operation that already ran gets its first answer.
if k > 0 then
  local top = redis.call('LINDEX', R, 0)
  if top and k <= tonumber(string.match(top, '^(%d+)')) then
    for _, v in ipairs(redis.call('LRANGE', R, 0, -1)) do
      local vk, w, q = string.match(v, '^(%d+) (%S+) ?(%d*)$')
      if tonumber(vk) == k then
        if w == 'joined' then return {'ok', tonumber(q), unpack(withStreams(s, roster(s, tonumber(q))))} end
        return {w, tonumber(q) or 0}
      end
    end
    return {'lost', 0}
  end
end

if op == 'join' then
  local cid, info, hash, max, ev = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10]), ARGV[11]
  if redis.call('HLEN', s.m) >= max then record('full'); return {'full'} end
  local before = withStreams(s, roster(s, math.huge))
  local seq = publish(s, ',"e":' .. ev .. ',"x":' .. cjson.encode(cid))
  toParked(s, ev, cid, nil)
  store(s, cid, { j = seq, n = node, h = hash, info = info })
  if ARGV[12] and ARGV[12] ~= '' then redis.call('HSET', s.i, cid, ARGV[12]) end
  redis.call('SADD', nodeSet(node), entry(s, cid))
  record('joined ' .. seq)
  return {'ok', seq, unpack(before)}
elseif op == 'leave' then
  -- Only the member's node ends it (the fence: a node it moved away from has nothing to say).
  local v = redis.call('HGET', s.m, ARGV[7])
  if v and parse(v).n ~= node then record('ok 0'); return {'ok', 0} end
  local seq = leave(s, ARGV[7], ARGV[8])
  record('ok ' .. seq)
  return {'ok', seq}
elseif op == 'announce' then
  -- About the member 'except' itself (reconnecting, reconnected): only its node says it (the fence).
  local except, ev = ARGV[7], ARGV[8]
  if redis.call('HLEN', s.m) == 0 or (except ~= '' and not ownedHere(s, except)) then
    record('ok 0')
    return {'ok', 0}
  end
  toParked(s, ev, except, nil)
  local seq = publish(s, ',"e":' .. ev .. (except ~= '' and (',"x":' .. cjson.encode(except)) or ''))
  record('ok ' .. seq)
  return {'ok', seq}
elseif op == 'signal' then
  local from, to, ev = ARGV[7], ARGV[8], ARGV[9]
  if redis.call('HLEN', s.m) == 0 then record('session-not-found 0'); return {'session-not-found', 0} end
  if (from ~= '' and not ownedHere(s, from)) or (to ~= '' and redis.call('HEXISTS', s.m, to) == 0) then
    record('connection-not-found 0')
    return {'connection-not-found', 0}
  end
  if not budget(s, ARGV) then record('budget 0'); return {'budget', 0} end
  toParked(s, ev, nil, to ~= '' and to or nil)
  local seq = publish(s, ',"e":' .. ev .. (to ~= '' and (',"t":' .. cjson.encode(to)) or ''))
  record('ok ' .. seq)
  return {'ok', seq}
elseif op == 'forceDisconnect' then
  local cid, origin = ARGV[7], ARGV[8]
  if redis.call('HLEN', s.m) == 0 then record('session-not-found 0'); return {'session-not-found', 0} end
  local v = redis.call('HGET', s.m, cid)
  if not v then record('connection-not-found 0'); return {'connection-not-found', 0} end
  local r = parse(v)
  streamsLeave(s, cid, 'forceDisconnected')
  removeMember(s, cid, r)
  local d = r.n ~= '' and (',"d":{"c":' .. cjson.encode(cid) .. ',"n":' .. cjson.encode(r.n) .. ',"g":"' .. origin .. '"}') or ''
  local seq
  if redis.call('HLEN', s.m) == 0 then
    seq = d ~= '' and publish(s, d) or 0
    dropIfEmpty(s)
  else
    local ev = destroyed(cid, 'forceDisconnected')
    toParked(s, ev, nil, nil)
    seq = publish(s, d .. ',"e":' .. ev .. requester(ARGV[9], ARGV[10]))
  end
  record('ok ' .. seq)
  return {'ok', seq}
elseif op == 'stream' then
  return streamOp(s, ARGV[7], ARGV[8], ARGV[9])
elseif op == 'fwcall' then
  return forwarderCall(s, ARGV[7], ARGV[8])
elseif op == 'fwsend' then
  return forwarderSend(ARGV[7], ARGV[8])
elseif op == 'claim' then
  local cid, hash = ARGV[7], ARGV[8]
  local v = redis.call('HGET', s.m, cid)
  local r = v and parse(v)
  if not r or r.h ~= hash or r.n == node then record('refused 0'); return {'refused', 0} end
  if r.n ~= '' then
    -- A dead node cannot hand the state over: the claimer rebuilds it (op 'rebuild').
    local lease = tonumber(redis.call('ZSCORE', P .. 'nodes', r.n))
    local dead = not lease or lease < now()
    if dead and redis.call('HEXISTS', s.i, cid) == 0 then record('refused 0'); return {'refused', 0} end
    local old = r.n
    r.n = node
    store(s, cid, r)
    redis.call('SREM', nodeSet(old), entry(s, cid))
    redis.call('SADD', nodeSet(node), entry(s, cid))
    local seq = publish(s, ',"m":{"c":' .. cjson.encode(cid) .. ',"f":' .. cjson.encode(old) .. '}')
    record((dead and 'dead ' or 'moved ') .. seq)
    return {dead and 'dead' or 'moved', seq}
  end
  -- Parked: the state and the events since are here.
  local state = redis.call('HGET', s.p, cid)
  if state == REBUILD then
    -- Parked by the reaper (its node died): the claimer rebuilds it from its checkpoint.
    local seq = unpark(s, cid, r)
    record('dead ' .. seq)
    return {'dead', seq}
  end
  local events = redis.call('LRANGE', s.e .. cid, 0, -1)
  redis.call('HDEL', s.p, cid)
  redis.call('DEL', s.e .. cid)
  redis.call('ZREM', P .. 'parked', entry(s, cid))
  r.n = node
  store(s, cid, r)
  redis.call('SADD', nodeSet(node), entry(s, cid))
  local seq = publish(s, ',"m":{"c":' .. cjson.encode(cid) .. ',"f":""}')
  record('lostclaim ' .. seq)
  return {'parked', seq, state or 'null', unpack(events)}
elseif op == 'park' then
  local cid, state, window = ARGV[7], ARGV[8], tonumber(ARGV[9])
  local v = redis.call('HGET', s.m, cid)
  if not v then record('ok 0'); return {'ok', 0} end
  local r = parse(v)
  if r.n == '' then record('ok 0'); return {'ok', 0} end
  if r.n ~= node then
    -- Claimed by another node before the park arrived: the parked state is the claim's answer.
    redis.call('PUBLISH', P .. 'n:' .. r.n .. ':c', '{"h":' .. cjson.encode(entry(s, cid)) .. ',"s":' .. state .. '}')
    record('ok 0')
    return {'ok', 0}
  end
  redis.call('SREM', nodeSet(node), entry(s, cid))
  r.n = ''
  store(s, cid, r)
  redis.call('HSET', s.p, cid, state)
  keepLogged(s, cid, tonumber(ARGV[10]) or 0)
  redis.call('ZADD', P .. 'parked', now() + window, entry(s, cid))
  record('ok 0')
  return {'ok', 0}
elseif op == 'handoff' then
  local target, cid, state = ARGV[7], ARGV[8], ARGV[9]
  redis.call('PUBLISH', P .. 'n:' .. target .. ':c', '{"h":' .. cjson.encode(entry(s, cid)) .. ',"s":' .. state .. '}')
  record('ok 0')
  return {'ok', 0}
elseif op == 'direct' then
  -- A request's answer (nack / reply) to one of this node's members, in the session's order.
  local cid, ev = ARGV[7], ARGV[8]
  if not ownedHere(s, cid) then record('connection-not-found 0'); return {'connection-not-found', 0} end
  local seq = publish(s, ',"e":' .. ev .. ',"t":' .. cjson.encode(cid))
  record('ok ' .. seq)
  return {'ok', seq}
elseif op == 'checkpoint' then
  -- This node's members' positions: ARGV[7..] = connection, checkpoint, connection, checkpoint...
  -- (session ids in ARGV[6] and every third argument: sid, cid, ck, sid, cid, ck...).
  local n = 0
  for i = 6, #ARGV - 2, 3 do
    local cs = S(ARGV[i])
    if ownedHere(cs, ARGV[i + 1]) then
      redis.call('HSET', cs.k, ARGV[i + 1], ARGV[i + 2])
      n = n + 1
    end
  end
  return {'ok', n}
elseif op == 'rebuild' then
  -- A member moved here from a dead node: its identity, checkpoint and the logged messages for
  -- it after the checkpoint up to the move (ARGV[8]); 'gone' when the log no longer covers them.
  local cid, upTo = ARGV[7], tonumber(ARGV[8])
  local v = redis.call('HGET', s.m, cid)
  local id = redis.call('HGET', s.i, cid)
  if not v or not id or parse(v).n ~= node then return {'gone'} end
  local ck = checkpointOf(s, cid, parse(v))
  local q = tonumber(string.match(ck, '^%d+|(%d+)|'))
  local items = redis.call('XRANGE', s.l, (q + 1) .. '-0', upTo .. '-0')
  if #items == 0 or cjson.decode(items[1][2][2]).p ~= q then return {'gone'} end
  local out = {}
  for _, item in ipairs(items) do
    local msg = item[2][2]
    local m = cjson.decode(msg)
    local e = m.e
    if e ~= nil then
      if (m.t == nil and m.x ~= cid) or m.t == cid or m.x == cid or e.from == cid then out[#out + 1] = msg end
    elseif m.b ~= nil and m.b.c == cid then out[#out + 1] = msg end
  end
  return {'ok', ck, id, unpack(out)}
elseif op == 'renew' then
  -- The node's lease; 'gone' when it was declared dead meanwhile (its members were removed).
  local ttl, known = tonumber(ARGV[7]), ARGV[8]
  if known == '1' and not redis.call('ZSCORE', P .. 'nodes', node) then return {'gone'} end
  redis.call('ZADD', P .. 'nodes', now() + ttl, node)
  redis.call('PEXPIRE', R, 60000)
  return {'ok'}
elseif op == 'reap' then
  -- Nodes whose lease ended: one reaper per dead node (SET NX) removes its members, then its keys.
  -- Parked members whose window ended leave too.
  local t = now()
  local reaped = 0
  for _, dead in ipairs(redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', t, 'LIMIT', 0, 8)) do
    if dead ~= node and redis.call('SET', P .. 'n:' .. dead .. ':reap', node, 'NX', 'PX', 30000) then
      forwarderGone(dead)
      for _, e in ipairs(redis.call('SMEMBERS', nodeSet(dead))) do
        local ms, mc = string.match(e, '^(.*)\t(.*)$')
        if not parkDead(S(ms), mc, t) then leave(S(ms), mc, 'networkDisconnected') end
        reaped = reaped + 1
      end
      redis.call('DEL', nodeSet(dead), P .. 'n:' .. dead .. ':r')
      redis.call('ZREM', P .. 'nodes', dead)
    end
  end
  for _, e in ipairs(redis.call('ZRANGEBYSCORE', P .. 'parked', '-inf', t, 'LIMIT', 0, 100)) do
    local ms, mc = string.match(e, '^(.*)\t(.*)$')
    redis.call('ZREM', P .. 'parked', e)
    leave(S(ms), mc, 'networkDisconnected')
    reaped = reaped + 1
  end
  return {'ok', reaped}
elseif op == 'goodbye' then
  -- A node closing cleanly: its lease and its keys (its members have left or parked).
  redis.call('ZREM', P .. 'nodes', node)
  forwarderGone(node)
  redis.call('DEL', nodeSet(node), R)
  return {'ok'}
elseif op == 'lasts' then
  -- The last sequence number of each session asked (a subscription's check).
  local out = {}
  for i = 6, #ARGV do out[#out + 1] = redis.call('GET', S(ARGV[i]).q) or '0' end
  return out
end
return redis.error_reply('unknown bus operation ' .. tostring(op))
`;
