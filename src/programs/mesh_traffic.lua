-- Repeated floods: every node starts FLOODS floods, one every INTERVAL ms from STAGGER·id ms,
-- each a message {o = origin id, s = sequence, t = send time in ns}. A node forwards the first
-- copy of each flood on every port but the one it came in on, and ignores later copies. When it
-- has seen every flood of the other N − 1 nodes and started all of its own, it prints the
-- latency of each flood it received (ms, space-separated) and ends.
-- Parameters: N, FLOODS, INTERVAL (ms), STAGGER (ms).
local me = node()
local ports = me.ports
local seen, lat = {}, {}
local expect = (N - 1) * FLOODS
local sent, next_flood = 0, me.id * STAGGER
while #lat < expect or sent < FLOODS do
  local port, m
  if sent < FLOODS then
    port, m = recv(nil, math.max(0, next_flood - now()))
  else
    port, m = recv()
  end
  if port == nil then
    sent = sent + 1
    local t = math.floor(now() * 1e6 + 0.5)
    seen[me.id * 1000000 + sent] = true
    local msg = {o = me.id, s = sent, t = t}
    for _, p in ipairs(ports) do send(p, msg) end
    next_flood = next_flood + INTERVAL
  else
    local key = m.o * 1000000 + m.s
    if not seen[key] then
      seen[key] = true
      lat[#lat + 1] = string.format("%.6f", (math.floor(now() * 1e6 + 0.5) - m.t) / 1e6)
      for _, p in ipairs(ports) do
        if p ~= port then send(p, m) end
      end
    end
  end
end
print(table.concat(lat, " "))
