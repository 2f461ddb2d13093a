-- An explorer walks the field at random for `steps` steps from the sink, reading its heat
-- sensor at every node. It leaves the way home as a mark in each node's tuple space:
-- {"home", neighbour, hops}, kept at the fewest hops any explorer saw. Where the heat is over
-- `threshold` and nobody reported it yet, it clones a carrier, which follows the marks to the
-- sink and records the detection there.
return {
  role = "explorer", steps = 60, hops = 0, threshold = 30, dwell = 10, sink = "n0",
  start = "look",
  act = {
    look = function(self)
      local here = node().name
      if here == self.sink then
        self.hops = 0
      else
        local mark = rdp({"home", ANY, ANY})
        if mark ~= nil and mark[3] <= self.hops then
          self.hops = mark[3]
        else
          if mark ~= nil then inp({"home", ANY, ANY}) end
          out({"home", self.last, self.hops})
        end
      end
      sleep(self.dwell)
      local heat = sensor("heat")
      if heat ~= nil and heat > self.threshold and rdp({"reported"}) == nil then
        out({"reported"})
        clone({role = "carrier", origin = here, heat = heat, found = now()})
      end
      self.steps = self.steps - 1
      -- A random neighbour, not the one it came from unless there is no other.
      local options = {}
      for _, names in pairs(node().neighbours) do
        for _, n in ipairs(names) do
          if n ~= self.last then options[#options + 1] = n end
        end
      end
      if #options == 0 then options = {self.last} end
      table.sort(options)
      self.last = here
      self.hops = self.hops + 1
      moveto(options[math.floor(random() * #options) + 1])
    end,
    carry = function(self)
      if node().name == self.sink then
        record("detected", self.origin)
        record("found_ms", self.found)
      else
        moveto(rdp({"home", ANY, ANY})[2])
      end
    end,
  },
  trans = {
    look = function(self)
      if self.role == "carrier" then return "carry" end
      if self.steps > 0 then return "look" end
    end,
    carry = function(self)
      if node().name ~= self.sink then return "carry" end
    end,
  },
}
