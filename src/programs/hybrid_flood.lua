-- Flooding across a hybrid mesh (paper §V, experiment 3). The same program runs on simulated
-- nodes (virtual time, paced to the wall clock) and on vnet-node processes (wall-clock time).
-- Node `origin` floods after `start_ms`; every node forwards the first copy it gets on every
-- other port, then counts copies until the network has been quiet for `quiet_ms`. It records
-- `hops` (-1 if the flood never came), `sent` and `got`.
-- Parameters: origin (a node name), start_ms, quiet_ms.
local P = params()
local me = node()
local sent, got, hops = 0, 0, -1
if me.name == P.origin then
  sleep(P.start_ms)
  hops = 0
  for _, p in ipairs(me.ports) do send(p, {hops = 0}) sent = sent + 1 end
end
while true do
  local p, m = recv(nil, P.quiet_ms)
  if not p then break end
  got = got + 1
  if hops < 0 then
    hops = m.hops + 1
    for _, q in ipairs(me.ports) do
      if q ~= p then send(q, {hops = hops}) sent = sent + 1 end
    end
  end
end
record("hops", hops)
record("sent", sent)
record("got", got)
