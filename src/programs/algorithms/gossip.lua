-- Push-sum gossip averaging (Kempe, Dobra, Gehrke 2003). Each node holds a sum s (its value)
-- and a weight w = 1. Every round it keeps half of both and pushes the other half to a random
-- neighbour; s/w converges to the network's mean, since no mass is made or lost (a lost message
-- loses some: the study measures the bias it leaves). Rounds last `period` ms, longer than a
-- message takes, so what is sent in a round arrives within it. At the start of each round it
-- records `round`, then `s` and `w`. Parameters: x0 (the node's value), rounds, period (ms).
local P = params()
local ports = node().ports
local s, w = P.x0, 1.0
for r = 0, P.rounds do
  record("round", r)
  record("s", s)
  record("w", w)
  if r == P.rounds then break end
  s, w = s / 2, w / 2
  send(ports[math.floor(random() * #ports) + 1], {s, w})
  local deadline = (r + 1) * P.period
  while true do
    local left = deadline - now()
    if left <= 0 then break end
    local port, m = recv(nil, left)
    if port == nil then break end
    s, w = s + m[1], w + m[2]
  end
end
