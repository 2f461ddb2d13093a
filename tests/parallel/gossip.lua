-- Gossip for the parallel kernel's tests: every node sends a numbered rumour on a random port
-- every 40–60 ms and passes on what it hears with probability one half, so that links carry
-- traffic both ways while the test's faults hold, drop, cut and crash it.
local me = node().id
local ports = node().ports
local seq, heard = 0, 0
local next_tick = now() + 40 + math.random(20)
while true do
  if now() >= next_tick then
    seq = seq + 1
    send(ports[math.random(#ports)], {o = me, s = seq, hops = 0})
    next_tick = now() + 40 + math.random(20)
  end
  local port, m = recv(nil, next_tick - now())
  if port and type(m) == "table" then
    heard = heard + 1
    if heard % 25 == 0 then
      record("heard", heard)
      print("heard " .. heard .. " rumours, the last from n" .. tostring(m.o))
    end
    if math.random() < 0.5 and type(m.hops) == "number" and m.hops < 8 then
      m.hops = m.hops + 1
      send(ports[math.random(#ports)], m)
    end
  end
end
