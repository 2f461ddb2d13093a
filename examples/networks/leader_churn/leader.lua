-- Leader election under churn: every node floods a heartbeat each `period` ms and takes as
-- leader the largest node id it has heard from within `timeout` ms (itself included).
-- A heartbeat is (origin, boot, seq): `node().boot` grows at every restart, so a restarted
-- node's fresh heartbeats are never mistaken for old ones even though its `seq` starts again.
-- Each change of mind is recorded as `leader`.
local p = params() or {}
local period = p.period or 200
local timeout = p.timeout or 700
local me = node().id
local boot = node().boot
local ports = node().ports
local seen, heard = {}, {}
local seq, leader = 0, nil

local function newer(o, b, s)
  local k = seen[o]
  return k == nil or b > k[1] or (b == k[1] and s > k[2])
end

local function elect()
  local best, t = me, now()
  for o, at in pairs(heard) do
    if o > best and t - at <= timeout then best = o end
  end
  if best ~= leader then
    leader = best
    record("leader", best)
  end
end

local next_beat = now()
while true do
  if now() >= next_beat then
    seq = seq + 1
    for _, port in ipairs(ports) do send(port, {o = me, b = boot, s = seq}) end
    next_beat = now() + period
    elect()
  end
  local port, m = recv(nil, next_beat - now())
  if port and type(m) == "table" and newer(m.o, m.b, m.s) then
    seen[m.o] = {m.b, m.s}
    heard[m.o] = now()
    for _, q in ipairs(ports) do
      if q ~= port then send(q, m) end
    end
    elect()
  end
end
