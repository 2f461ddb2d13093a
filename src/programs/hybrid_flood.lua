-- Flooding across a hybrid mesh (paper §V, experiment 3). The same program runs on simulated
-- nodes (virtual time, paced to the wall clock) and on vnet-node processes (wall-clock time).
-- Node `origin` floods after `start_ms`; every node forwards the first copy it gets on every
-- other port, then counts copies until the network has been quiet for `quiet_ms`.
local me = node()
local sent, got, hops = 0, 0, -1
if me.name == ORIGIN then
  sleep(START_MS)
  hops = 0
  for _, p in ipairs(me.ports) do send(p, {hops = 0}) sent = sent + 1 end
end
while true do
  local p, m = recv(nil, QUIET_MS)
  if not p then break end
  got = got + 1
  if hops < 0 then
    hops = m.hops + 1
    for _, q in ipairs(me.ports) do
      if q ~= p then send(q, {hops = hops}) sent = sent + 1 end
    end
  end
end
print(string.format("%s hops=%d sent=%d got=%d", me.name, hops, sent, got))
