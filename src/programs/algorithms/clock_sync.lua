-- Tree clock synchronisation (in the manner of TPSN): every node has a local clock with its own
-- offset (up to ±MAX_OFFSET ms) and drift (up to ±MAX_DRIFT, a fraction), drawn from the node's
-- random stream; the root's clock is true time. A synchronised node announces itself on its
-- ports; a node not yet synchronised takes the first announcer as its parent and does one
-- two-way exchange with it (t1 sent, t2 received, t3 replied, t4 back), correcting its clock by
-- ((t2 - t1) - (t4 - t3)) / 2, then announces itself. At `check_at` ms every node records
-- `depth` (-1 if never synchronised) and `error_ms` (its clock's error).
-- Parameters: root (a node name), max_offset (ms), max_drift (a fraction), check_at (ms).
local P = params()
local ROOT, MAX_OFFSET, MAX_DRIFT, CHECK_AT = P.root, P.max_offset, P.max_drift, P.check_at
local me = node()
local offset, drift, corr = 0, 0, 0
if me.name ~= ROOT then
  offset = (2 * random() - 1) * MAX_OFFSET
  drift = (2 * random() - 1) * MAX_DRIFT
end
local function clock() return offset + (1 + drift) * now() + corr end
local parent, depth
local function announce()
  for _, p in ipairs(me.ports) do
    if p ~= parent then send(p, {t = "synced"}) end
  end
end
if me.name == ROOT then
  depth = 0
  announce()
end
while true do
  local left = CHECK_AT - now()
  if left <= 0 then break end
  local port, m = recv(nil, left)
  if port == nil then break end
  if m.t == "synced" then
    if depth == nil and parent == nil then
      parent = port
      send(port, {t = "req", t1 = clock()})
    end
  elseif m.t == "req" then
    local t = clock()
    send(port, {t = "rep", t1 = m.t1, t2 = t, t3 = t, d = depth})
  elseif m.t == "rep" then
    local t4 = clock()
    corr = corr + ((m.t2 - m.t1) - (t4 - m.t3)) / 2
    depth = m.d + 1
    announce()
  end
end
record("depth", depth or -1)
record("error_ms", clock() - now())
