-- The agent runtime (vnet): runs the class `__class` returns as an activity-transition graph.
-- An activity runs to its end; then its transition picks the next one, clones are made, and a
-- `moveto` ships the state and the class's code to the next node, where this runtime resumes
-- it at the next activity. See docs/agents.md.
local A = __agent
__agent = nil
local parcel = A("parcel")
local class = __class()
local name = parcel.class
if type(class) ~= "table" then
  error("agent class " .. name .. ": the code must return a table (the class), not " .. type(class), 0)
end
local act, trans, on = class.act, class.trans or {}, class.on or {}
if type(act) ~= "table" then
  error("agent class " .. name .. ": `act` must be a table of activities", 0)
end
local reserved = { act = true, trans = true, start = true, on = true }
local self = {}
for k, v in pairs(class) do
  if not reserved[k] then self[k] = v end
end
if parcel.state ~= nil then
  -- A moved or cloned agent's state replaces its class's fields; a placed one's overrides them.
  if parcel.next ~= nil then
    for k, v in pairs(self) do
      if type(v) ~= "function" then self[k] = nil end
    end
  end
  for k, v in pairs(parcel.state) do self[k] = v end
end

local function state()
  local s = {}
  for k, v in pairs(self) do
    if type(v) ~= "function" then s[k] = v end
  end
  return s
end

local going, killed, clones = nil, false, {}
function moveto(dir)
  if type(dir) ~= "string" then error("moveto: expected a port or neighbour name", 2) end
  A("route", dir)
  going = dir
end
function clone(changes)
  if changes ~= nil and type(changes) ~= "table" then
    error("clone: expected a table of changed fields", 2)
  end
  local id = A("id")
  clones[#clones + 1] = { id, changes or {} }
  return id
end
function kill(id)
  if id == nil or id == parcel.id then
    killed = true
    return true
  end
  return A("kill", id)
end
function me() return parcel.id end
function signal(to, sig, arg)
  if type(to) ~= "string" or type(sig) ~= "string" then
    error("signal: expected an agent id and a signal name", 2)
  end
  return A("signal", { to = to, name = sig, arg = arg })
end
function recv() error("recv: agents receive no messages; use the tuple space or signals", 2) end
function fork() error("fork: agents clone(), they do not fork", 2) end

local cur = parcel.next or class.start
if type(cur) ~= "string" then
  error("agent class " .. name .. ": `start` must name an activity", 0)
end
while true do
  for _, s in ipairs(A("signals")) do
    local h = on[s[1]]
    if type(h) == "function" then h(self, s[2]) end
  end
  local f = act[cur]
  if type(f) ~= "function" then
    error("agent " .. parcel.id .. ": no activity `" .. cur .. "`", 0)
  end
  going, killed, clones = nil, false, {}
  f(self)
  local t = trans[cur]
  local function next_of(s)
    local n = t
    if type(t) == "function" then n = t(s) end
    if n ~= nil and type(n) ~= "string" then
      error("agent " .. parcel.id .. ": the transition from `" .. cur .. "` gave a " .. type(n) ..
        ", not an activity name", 0)
    end
    return n
  end
  local nxt = nil
  if not killed then nxt = next_of(self) end
  -- Each clone takes the transition from its own state.
  for _, c in ipairs(clones) do
    local s = {}
    for k, v in pairs(self) do s[k] = v end
    for k, v in pairs(c[2]) do s[k] = v end
    local cn = next_of(s)
    if cn ~= nil then
      for k, v in pairs(s) do
        if type(v) == "function" then s[k] = nil end
      end
      A("clone", { id = c[1], state = s, next = cn })
    end
  end
  if nxt == nil then return end
  if going ~= nil then
    A("move", { to = going, state = state(), next = nxt })
    return
  end
  cur = nxt
end
