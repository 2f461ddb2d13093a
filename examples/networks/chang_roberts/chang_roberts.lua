-- Chang–Roberts leader election on a unidirectional ring: every node sends its uid to the
-- next node; a node forwards uids larger than its own and swallows smaller ones; the node
-- whose own uid comes back is the leader and sends an `elected` message once round the ring.
-- Every node records `leader` (the leader's uid); the leader also records `elected` (true).
-- Parameters: uid (an integer, unique), next (the port towards the next node).
local P = params()
local UID, NEXT = P.uid, P.next
send(NEXT, {uid = UID})
while true do
  local _, m = recv()
  if m.elected then
    if m.elected ~= UID then send(NEXT, m) end
    record("leader", m.elected)
    break
  elseif m.uid > UID then
    send(NEXT, m)
  elseif m.uid == UID then
    record("elected", true)
    send(NEXT, {elected = UID})
  end
end
