-- Repeated floods: every node starts `floods` floods, one every `interval` ms from
-- `stagger`·id ms, each a message {o = origin id, s = sequence, t = send time in ns}. A node
-- forwards the first copy of each flood on every port but the one it came in on, and ignores
-- later copies; it records `latency_ns` for each flood of another node as it first arrives,
-- and ends when it has seen every flood of the other nodes and started all of its own.
-- Parameters: nodes, floods, interval (ms), stagger (ms).
local P = params()
local N, FLOODS, INTERVAL, STAGGER = P.nodes, P.floods, P.interval, P.stagger
local me = node()
local ports = me.ports
local seen = {}
local expect, heard = (N - 1) * FLOODS, 0
local sent, next_flood = 0, me.id * STAGGER
while heard < expect or sent < FLOODS do
  local port, m
  if sent < FLOODS then
    port, m = recv(nil, math.max(0, next_flood - now()))
  else
    port, m = recv()
  end
  if port == nil then
    sent = sent + 1
    seen[me.id * 1000000 + sent] = true
    local msg = {o = me.id, s = sent, t = now_ns()}
    for _, p in ipairs(ports) do send(p, msg) end
    next_flood = next_flood + INTERVAL
  else
    local key = m.o * 1000000 + m.s
    if not seen[key] then
      seen[key] = true
      heard = heard + 1
      record("latency_ns", now_ns() - m.t)
      for _, p in ipairs(ports) do
        if p ~= port then send(p, m) end
      end
    end
  end
end
