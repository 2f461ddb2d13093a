-- Neighbour exchange on the ESP32 cluster (paper §IV): every board sends ROUNDS frames of PAD
-- bytes to each of its logical NEIGHBOURS through the UART switch, then counts what it gets.
-- Frames are addressed by `to` (the switch reads it); `t` is the send time, for latency.
local pad = string.rep('x', PAD)
local expect = ROUNDS * #NEIGHBOURS
for r = 1, ROUNDS do
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
print(string.format('%d got=%d expect=%d lat_sum=%.6f lat_max=%.6f last=%.6f', ID, got, expect, sum, worst, last))
