-- Flooding: the origin sends on every port; every other node forwards the first copy on
-- every port but the one it came in on. Params: origin (bool), pad (message = pad x's).
local me, P = node(), params()
local port, msg
if P.origin then
  msg = string.rep("x", P.pad)
else
  port, msg = recv()
end
record("reached", true)
for _, p in ipairs(me.ports) do
  if p ~= port then send(p, msg) end
end
