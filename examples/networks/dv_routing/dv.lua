-- Distance-vector routing (Bellman-Ford, as RIP does it): every node keeps its distance in
-- hops to every node it has heard of and sends its whole table to its neighbours every
-- `period` ms; a neighbour's table offers each destination at one hop more. Lost tables are
-- made good by the next period. After `rounds` periods every node records its table, one
-- record a destination: `hops:n5` = 3.
-- Params: period (ms), rounds.
local P = params()
local me = node()
local dist = { [me.name] = 0 }
for round = 1, P.rounds do
  for _, p in ipairs(me.ports) do send(p, dist) end
  local deadline = round * P.period
  while now() < deadline do
    local port, table = recv(nil, deadline - now())
    if port == nil then break end
    for dest, d in pairs(table) do
      if dist[dest] == nil or d + 1 < dist[dest] then dist[dest] = d + 1 end
    end
  end
end
-- Records in name order (a table's own order is not the same from run to run).
local names = {}
for dest in pairs(dist) do names[#names + 1] = dest end
table.sort(names)
for _, dest in ipairs(names) do record("hops:" .. dest, dist[dest]) end
