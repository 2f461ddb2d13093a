-- A sensor field's node: average what the `temp` sensor reports in the first 950 ms, then
-- add node means up a spanning tree to the sink, node 0, which records `estimate` and
-- `samples`. Node r*cols+c sends to (r, c-1), or (r-1, 0) from the first column.
-- Params: rows, cols.
local P = params()
local COLS, ROWS = P.cols, P.rows
local me = node().id
local r, c = me // COLS, me % COLS
local function name(i) return "n" .. i end
-- Take what the sensor reports in the first 950 ms (a report every 100 ms, some lost).
local sum, n = 0, 0
while now() < 950 do
  local port, v = recv("temp", 950 - now())
  if port ~= nil then sum, n = sum + v, n + 1 end
end
-- This node's mean; the tree adds node means up (every node weighs the same, however
-- many of its samples were lost).
local total, nodes, samples = 0, 0, n
if n > 0 then total, nodes = sum / n, 1 end
-- Children: the next node in the row, and the next row's first node from column 0.
local children = 0
if c + 1 < COLS then children = children + 1 end
if c == 0 and r + 1 < ROWS then children = children + 1 end
while children > 0 do
  local port, m = recv()
  if port ~= "temp" then
    total, nodes, samples = total + m.total, nodes + m.nodes, samples + m.samples
    children = children - 1
  end
end
if me == 0 then
  record("estimate", total / nodes)
  record("samples", samples)
else
  local parent = (c > 0) and (me - 1) or (me - COLS)
  send(name(parent), { total = total, nodes = nodes, samples = samples })
end
