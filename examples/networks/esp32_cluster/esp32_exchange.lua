-- Neighbour exchange on the ESP32 cluster (paper §IV): every board sends `rounds` frames of
-- `pad` bytes to each of its logical `neighbours` through the UART switch, then counts what it
-- gets. Frames are addressed by `to` (the switch reads it); `t` is the send time, for latency.
-- Records `got`, `expect`, `lat_sum_ms`, `lat_max_ms` and `last_ms` (when the last frame came).
-- Parameters: id (this board's index), neighbours (a list of indexes), rounds, pad.
local P = params()
local ID, NEIGHBOURS = P.id, P.neighbours
local pad = string.rep('x', P.pad)
local expect = P.rounds * #NEIGHBOURS
for r = 1, P.rounds do
  for _, j in ipairs(NEIGHBOURS) do
    send('uart', {to = j, from = ID, t = now(), pad = pad})
  end
end
local got, sum, worst, last = 0, 0, 0, 0
while got < expect do
  local p, m = recv('uart', 600000)
  if not p then break end
  got = got + 1
  local l = now() - m.t
  sum = sum + l
  if l > worst then worst = l end
  last = now()
end
record('got', got)
record('expect', expect)
record('lat_sum_ms', sum)
record('lat_max_ms', worst)
record('last_ms', last)
