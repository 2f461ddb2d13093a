-- Flood-max leader election on any connected graph: every node floods the largest uid it has
-- seen; a larger uid is forwarded on every port but the one it came from. A node that hears
-- nothing new for `quiet` ms records `leader` (the largest uid it saw) and stops. Under loss a
-- node may never hear the largest uid: the study counts how often everyone agrees.
-- Parameters: uid (an integer, unique), quiet (ms).
local P = params()
local ports = node().ports
local best = P.uid
for _, p in ipairs(ports) do send(p, best) end
while true do
  local port, v = recv(nil, P.quiet)
  if port == nil then break end
  if v > best then
    best = v
    for _, p in ipairs(ports) do
      if p ~= port then send(p, best) end
    end
  end
end
record("leader", best)
