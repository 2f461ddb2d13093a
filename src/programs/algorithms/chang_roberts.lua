-- Chang–Roberts leader election on a unidirectional ring: every node sends its uid to the
-- next node; a node forwards uids larger than its own and swallows smaller ones; the node
-- whose own uid comes back is the leader and sends an `elected` message once round the ring.
-- Every node prints `leader <uid>`; the leader also prints `elected`.
-- Parameters: UID (an integer, unique), NEXT (the port towards the next node).
send(NEXT, {uid = UID})
while true do
  local _, m = recv()
  if m.elected then
    if m.elected ~= UID then send(NEXT, m) end
    print("leader " .. m.elected)
    break
  elseif m.uid > UID then
    send(NEXT, m)
  elseif m.uid == UID then
    print("elected")
    send(NEXT, {elected = UID})
  end
end
