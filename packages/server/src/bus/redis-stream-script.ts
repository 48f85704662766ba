/**
 * The stream section of the Redis bus's one Lua script (redis-script.ts splices it in before the
 * member functions): the same rules as bus/stream-ops.ts (`applyStreamOp`, `leaveStreams`), run
 * inside Redis so a stream operation is one atomic step in the session's one order, like a join
 * or a signal (docs/CLUSTER.md §Streams).
 *
 * A session's stream state (deleted with its last member):
 * - `s:SESSION:st`, a hash: streamId → `{"i": StreamInfo, "c": layout classes, "s": {subscriberId:
 *   connectionId}, "o": order}` (JSON; `o` is the sequence number of its `streamCreated`, so
 *   sorting by it gives oldest first);
 * - `s:SESSION:fm`, a string: the session-wide force mute's excluded stream IDs (JSON), present
 *   while it is active.
 *
 * An operation's events are published one message each, in order; only the last carries the
 * operation's number `k`, so the node completes the operation after all of them (its feed waits
 * for its own `k` only). Events of a member's leave all carry k = 0: its `connectionDestroyed`
 * comes after them and completes the leave.
 *
 * Uses the script's `P`, `k`, `publish`, `toParked`, `record`, `cjson`.
 */
export const STREAM_LUA = String.raw`
local function stKey(s) return P .. 's:' .. s.id .. ':st' end
local function fmKey(s) return P .. 's:' .. s.id .. ':fm' end
local function fwKey(s) return P .. 's:' .. s.id .. ':fw' end
local function fwSet(n) return P .. 'n:' .. n .. ':fw' end
local function isMember(s, cid) return type(cid) == 'string' and redis.call('HEXISTS', s.m, cid) == 1 end

-- A routed stream ended: its forwarder node closes it (a call without answer, id 0), once,
-- whichever node ended it and whether or not the forwarder node has members of the session.
local function toForwarder(s, streamId)
  local fw = redis.call('GET', fwKey(s))
  if fw then
    local call = { fr = { id = 0, n = '', m = 'onUnpublish', a = { s.id, streamId } } }
    redis.call('PUBLISH', P .. 'n:' .. fw .. ':c', cjson.encode(call))
  end
end

-- Publish events {ev, x, t} in order; the last one carries the operation's k when last is true,
-- and tail (a requester's number) when given.
local function publishEvents(s, list, last, tail)
  local mine, seq = k, 0
  for i, o in ipairs(list) do
    toParked(s, o.ev, o.x, o.t)
    local body = ',"e":' .. o.ev
    if o.t then body = body .. ',"t":' .. cjson.encode(o.t) elseif o.x then body = body .. ',"x":' .. cjson.encode(o.x) end
    if tail and i == #list then body = body .. tail end
    if not (last and i == #list) then k = 0 end
    seq = publish(s, body)
    k = mine
  end
  return seq
end

local function getRec(s, id)
  if type(id) ~= 'string' then return nil end
  local v = redis.call('HGET', stKey(s), id)
  return v and cjson.decode(v)
end
local function putRec(s, r) redis.call('HSET', stKey(s), r.i.streamId, cjson.encode(r)) end
local function allRecs(s)
  local rs = {}
  for _, v in ipairs(redis.call('HVALS', stKey(s))) do rs[#rs + 1] = cjson.decode(v) end
  table.sort(rs, function(a, b) return a.o < b.o end)
  return rs
end

local function evDestroyed(r, reason)
  return cjson.encode({ kind = 'streamDestroyed', streamId = r.i.streamId, connectionId = r.i.connectionId, reason = reason })
end
local function ended(r, subscriberId, out)
  out[#out + 1] = { ev = cjson.encode({ kind = 'subscriptionEnded', streamId = r.i.streamId, subscriberId = subscriberId }), t = r.i.connectionId }
end
local function sameValue(a, b)
  if type(a) == 'table' and type(b) == 'table' then return a.width == b.width and a.height == b.height end
  return a == b
end
local function change(r, prop, value, out)
  local old = r.i[prop]
  if sameValue(old, value) then return end
  r.i[prop] = value
  out[#out + 1] = { ev = cjson.encode({ kind = 'streamPropertyChanged', streamId = r.i.streamId, changedProperty = prop, oldValue = old, newValue = value }) }
end
-- Force audio off: each publisher is told which of its streams (muteForced), then everyone sees hasAudio change.
local function mute(s, recs, out)
  local owners, byOwner = {}, {}
  for _, r in ipairs(recs) do
    local ow = r.i.connectionId
    if not byOwner[ow] then byOwner[ow] = {}; owners[#owners + 1] = ow end
    table.insert(byOwner[ow], r.i.streamId)
  end
  for _, ow in ipairs(owners) do
    out[#out + 1] = { ev = '{"kind":"muteForced","active":true,"streamIds":' .. cjson.encode(byOwner[ow]) .. '}', t = ow }
  end
  for _, r in ipairs(recs) do change(r, 'hasAudio', false, out); putRec(s, r) end
end

-- A member leaves (reason '' = silently): its streams end and its subscriptions with them, before
-- its connectionDestroyed. The last member takes the session's stream state with it.
local function streamsLeave(s, cid, reason)
  if redis.call('HLEN', s.m) <= 1 then
    local fw = redis.call('GET', fwKey(s))
    if fw then
      for _, id in ipairs(redis.call('HKEYS', stKey(s))) do toForwarder(s, id) end
      redis.call('SREM', fwSet(fw), s.id)
    end
    redis.call('DEL', stKey(s), fmKey(s), fwKey(s))
    return
  end
  if redis.call('EXISTS', stKey(s)) == 0 then return end
  local out = {}
  for _, r in ipairs(allRecs(s)) do
    if r.i.connectionId == cid then
      redis.call('HDEL', stKey(s), r.i.streamId)
      toForwarder(s, r.i.streamId)
      if reason ~= '' then out[#out + 1] = { ev = evDestroyed(r, reason) } end
    else
      local changed = false
      for sub, by in pairs(r.s) do
        if by == cid then
          r.s[sub] = nil
          changed = true
          if reason ~= '' then ended(r, sub, out) end
        end
      end
      if changed then putRec(s, r) end
    end
  end
  publishEvents(s, out, false)
end

-- Routed media (media/cluster-router.ts): the session's forwarder node, elected by the first
-- routed publish or subscribe (elect '1'); a call for it is published on that node's channel,
-- unless it is this node ('here').
local function forwarderCall(s, elect, request)
  if redis.call('HLEN', s.m) == 0 then return { 'none' } end
  local fw = redis.call('GET', fwKey(s))
  if not fw then
    if elect ~= '1' then return { 'none' } end
    fw = node
    redis.call('SET', fwKey(s), fw)
    redis.call('SADD', fwSet(fw), s.id)
  end
  if fw == node then return { 'here' } end
  redis.call('PUBLISH', P .. 'n:' .. fw .. ':c', request)
  return { 'sent' }
end

-- A message to one node's channel (a forwarder node's answer), in the order of this node's
-- operations: after the media steps its call made (mediaFromServer).
local function forwarderSend(target, message)
  redis.call('PUBLISH', P .. 'n:' .. target .. ':c', message)
  return { 'ok' }
end

-- A forwarder's node died (reaped) or left (goodbye): the routed streams of its sessions end
-- (networkDisconnected), before anything else of it; the next routed publish elects a new one.
local function forwarderGone(n)
  for _, sid in ipairs(redis.call('SMEMBERS', fwSet(n))) do
    local s = S(sid)
    redis.call('DEL', fwKey(s))
    if redis.call('HLEN', s.m) > 0 then
      local out = {}
      for _, r in ipairs(allRecs(s)) do
        redis.call('HDEL', stKey(s), r.i.streamId)
        out[#out + 1] = { ev = evDestroyed(r, 'networkDisconnected') }
      end
      publishEvents(s, out, false)
    end
  end
  redis.call('DEL', fwSet(n))
end

-- The joiner's view of the session's streams, oldest first: 'S' .. StreamInfo JSON each.
local function withStreams(s, list)
  for _, r in ipairs(allRecs(s)) do list[#list + 1] = 'S' .. cjson.encode(r.i) end
  return list
end

-- One stream operation (StreamOp JSON). Answers {word, seq, extra...}: word 'ok' or a StreamOpError.
local function streamOp(s, text, by, r)
  local o = cjson.decode(text)
  local out = {}
  local tail = requester(by, r)
  local function fail(word, detail)
    record(word .. ' 0')
    return { word, 0, detail or '' }
  end
  local function ok(...)
    -- The request's number goes on the last event, or on an entry of its own when there is none.
    local seq = #out > 0 and publishEvents(s, out, true, tail) or (tail ~= '' and publish(s, tail) or 0)
    record('ok ' .. seq)
    return { 'ok', seq, ... }
  end
  if redis.call('HLEN', s.m) == 0 then
    if o.op == 'list' then return ok() end
    return fail('session-not-found')
  end
  if o.op == 'publish' then
    local info = o.stream
    if not isMember(s, info.connectionId) then return fail('connection-not-found') end
    local mine = 0
    for _, r in ipairs(allRecs(s)) do if r.i.connectionId == info.connectionId then mine = mine + 1 end end
    if mine >= o.maxPerConnection then return fail('stream-limit') end
    -- A session-wide force mute in force: the stream starts without audio (the reply says so).
    if redis.call('EXISTS', fmKey(s)) == 1 then info.hasAudio = false end
    local r = { i = info, c = {}, s = {}, o = tonumber(redis.call('GET', P .. 'seq') or '0') + 1 }
    putRec(s, r)
    local encoded = cjson.encode(info)
    out[1] = { ev = '{"kind":"streamCreated","stream":' .. encoded .. '}', x = info.connectionId }
    return ok(encoded)
  elseif o.op == 'unpublish' then
    local r = getRec(s, o.streamId)
    if not r then return fail('stream-not-found') end
    if o.by ~= cjson.null and o.by ~= nil and r.i.connectionId ~= o.by then return fail('not-owner') end
    redis.call('HDEL', stKey(s), r.i.streamId)
    toForwarder(s, r.i.streamId)
    out[1] = { ev = evDestroyed(r, o.reason) }
    return ok()
  elseif o.op == 'update' then
    local r = getRec(s, o.streamId)
    if not r then return fail('stream-not-found') end
    if r.i.connectionId ~= o.by then return fail('not-owner') end
    if o.hasAudio ~= nil then change(r, 'hasAudio', o.hasAudio, out) end
    if o.hasVideo ~= nil then change(r, 'hasVideo', o.hasVideo, out) end
    if o.videoDimensions ~= nil then change(r, 'videoDimensions', o.videoDimensions, out) end
    putRec(s, r)
    return ok()
  elseif o.op == 'subscribe' then
    local r = getRec(s, o.streamId)
    if not isMember(s, o.by) then return fail('connection-not-found') end
    if not r then return fail('stream-not-found') end
    local existing = r.s[o.subscriberId]
    if existing ~= nil then
      if existing == o.by then return ok() end
      return fail('subscription-not-found', 'subscriber ID in use')
    end
    if o.maxSubscribers ~= cjson.null then
      local n = 0
      for _ in pairs(r.s) do n = n + 1 end
      if n >= o.maxSubscribers then return fail('subscriber-limit') end
    end
    r.s[o.subscriberId] = o.by
    putRec(s, r)
    return ok()
  elseif o.op == 'unsubscribe' then
    local r = getRec(s, o.streamId)
    if not r then return fail('stream-not-found') end
    if r.s[o.subscriberId] ~= o.by then return fail('subscription-not-found') end
    r.s[o.subscriberId] = nil
    putRec(s, r)
    ended(r, o.subscriberId, out)
    return ok()
  elseif o.op == 'media' then
    local p = o.payload
    local r = getRec(s, p.streamId)
    if not r then return fail('stream-not-found') end
    local owner = r.i.connectionId
    if p.subscriberId == cjson.null then
      -- The publisher's upload: only to the forwarder (never relayed).
      if o.by ~= owner or o.relay then return fail('subscription-not-found', 'no upload in a relayed session') end
      return ok()
    end
    local subscriber = r.s[p.subscriberId]
    if subscriber == nil then return fail('subscription-not-found') end
    local to
    if o.by == subscriber then to = owner
    elseif o.by == owner and o.relay then to = subscriber
    else return fail('subscription-not-found') end
    if o.relay then
      p.kind = 'media'
      p.from = o.by
      out[1] = { ev = cjson.encode(p), t = to }
    end
    return ok()
  elseif o.op == 'answered' then
    -- A routed request the forwarder answered: only its number goes into the log (ok() does it).
    return ok()
  elseif o.op == 'mediaFromServer' then
    if not isMember(s, o.to) then return fail('connection-not-found') end
    local p = o.payload
    p.kind = 'media'
    p.from = cjson.null
    out[1] = { ev = cjson.encode(p), t = o.to }
    return ok()
  elseif o.op == 'forceMute' then
    if o.streamId ~= nil then
      local r = getRec(s, o.streamId)
      if not r then return fail('stream-not-found') end
      mute(s, { r }, out)
      return ok()
    end
    local excluded, skip = o.excluded or {}, {}
    for _, id in ipairs(excluded) do skip[id] = true end
    redis.call('SET', fmKey(s), cjson.encode(excluded))
    local recs = {}
    for _, r in ipairs(allRecs(s)) do if not skip[r.i.streamId] then recs[#recs + 1] = r end end
    mute(s, recs, out)
    return ok()
  elseif o.op == 'disableForceMute' then
    redis.call('DEL', fmKey(s))
    out[1] = { ev = '{"kind":"muteForced","active":false,"streamIds":[]}' }
    return ok()
  elseif o.op == 'classes' then
    local recs = {}
    for i, item in ipairs(o.items) do
      recs[i] = getRec(s, item.id)
      if not recs[i] then return fail('stream-not-found', item.id) end
    end
    for i, item in ipairs(o.items) do
      recs[i].c = item.layoutClassList
      putRec(s, recs[i])
    end
    return ok()
  elseif o.op == 'list' then
    local views = {}
    for i, r in ipairs(allRecs(s)) do views[i] = cjson.encode({ i = r.i, c = r.c }) end
    return ok(unpack(views))
  end
  return fail('session-not-found', 'unknown stream operation')
end
`;
