-- Echo (a wave): the initiator sends a token to every neighbour. A node's first token makes
-- its sender the parent; it forwards the token to every other neighbour, and once it has heard
-- from all its neighbours it sends the token back to its parent. The initiator decides when it
-- has heard from all of its own. Exactly two messages cross every link; the parents form a
-- spanning tree. Ports are named after the neighbour, so `parent` names the parent node.
-- Records `parent` (a node name) on every node but the initiator, and `decided` (true) on it.
-- Parameters: initiator (a node name).
local me = node()
local ports = me.ports
local parent
local heard = 0
if me.name == params().initiator then
  for _, p in ipairs(ports) do send(p, "tok") end
else
  parent = recv()
  heard = 1
  record("parent", parent)
  for _, p in ipairs(ports) do
    if p ~= parent then send(p, "tok") end
  end
end
while heard < #ports do
  recv()
  heard = heard + 1
end
if parent then send(parent, "tok") else record("decided", true) end
