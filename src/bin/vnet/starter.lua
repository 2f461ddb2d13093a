-- A starter program: n0 floods a greeting; every node records when it first arrives and
-- how many hops it took, then passes it on. Edit freely: `vnet run` runs this file's
-- network again. The calls (send, recv, record, params, node, now, sleep, print, ...) are
-- listed in docs/netfile.md, "Programs".
local me, P = node(), params()
local port, msg
if P.origin then
  msg = { text = P.greeting, hops = 0 }
else
  local meta
  port, msg, meta = recv()
  print("heard '" .. msg.text .. "' from " .. meta.from)
end
record("arrival_ms", now())
record("hops", msg.hops)
for _, p in ipairs(me.ports) do
  if p ~= port then send(p, { text = msg.text, hops = msg.hops + 1 }) end
end
