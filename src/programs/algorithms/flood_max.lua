-- Flood-max leader election on any connected graph: every node floods the largest uid it has
-- seen; a larger uid is forwarded on every port but the one it came from. A node that hears
-- nothing new for QUIET ms prints `leader <uid>` and stops. Under loss a node may never hear
-- the largest uid: the study counts how often everyone agrees.
-- Parameters: UID (an integer, unique), QUIET (ms).
local ports = node().ports
local best = UID
for _, p in ipairs(ports) do send(p, best) end
while true do
  local port, v = recv(nil, QUIET)
  if port == nil then break end
  if v > best then
    best = v
    for _, p in ipairs(ports) do
      if p ~= port then send(p, best) end
    end
  end
end
print("leader " .. best)
