-- Flooding, the baseline: every node reads its heat sensor every `period` ms; the first
-- reading over `threshold` is flooded as a report, which every node forwards once on all its
-- other ports. The sink records each hot spot when its report first arrives.
local p = params() or {}
local period, threshold, sink = p.period or 200, p.threshold or 30, p.sink or "n0"
local me = node().name
local seen = {}

local function flood(report, except)
  for _, port in ipairs(node().ports) do
    if port ~= except then send(port, report) end
  end
end

local next_sample = now()
while true do
  local port, report = recv(nil, math.max(0, next_sample - now()))
  if port ~= nil then
    if not seen[report.origin] then
      seen[report.origin] = true
      if me == sink then
        record("detected", report.origin)
        record("found_ms", report.found)
      end
      flood(report, port)
    end
  else
    local heat = sensor("heat")
    if heat ~= nil and heat > threshold and not seen[me] then
      seen[me] = true
      flood({origin = me, heat = heat, found = now()})
    end
    next_sample = now() + period
  end
end
