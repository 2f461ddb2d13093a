// An explorer walks the field at random for `steps` steps from the sink, reading its heat
// sensor at every node. It leaves the way home as a mark in each node's tuple space:
// ["home", neighbour, hops], kept at the fewest hops any explorer saw. Where the heat is over
// `threshold` and nobody reported it yet, it clones a carrier, which follows the marks to the
// sink and records the detection there. (The same walk as explorer.lua, draw for draw.)
return {
  role: 'explorer', steps: 60, hops: 0, threshold: 30, dwell: 10, sink: 'n0',
  start: 'look',
  act: {
    async look() {
      const here = node().name;
      if (here === this.sink) {
        this.hops = 0;
      } else {
        const mark = rdp(['home', ANY, ANY]);
        if (mark !== null && mark[2] <= this.hops) {
          this.hops = mark[2];
        } else {
          if (mark !== null) inp(['home', ANY, ANY]);
          out(['home', this.last, this.hops]);
        }
      }
      await sleep(this.dwell);
      const heat = sensor('heat');
      if (heat !== null && heat > this.threshold && rdp(['reported']) === null) {
        out(['reported']);
        clone({role: 'carrier', origin: here, heat, found: now()});
      }
      this.steps -= 1;
      // A random neighbour, not the one it came from unless there is no other.
      let options = [];
      for (const names of Object.values(node().neighbours)) {
        for (const n of names) if (n !== this.last) options.push(n);
      }
      if (options.length === 0) options = [this.last];
      options.sort();
      this.last = here;
      this.hops += 1;
      moveto(options[Math.floor(random() * options.length)]);
    },
    carry() {
      if (node().name === this.sink) {
        record('detected', this.origin);
        record('found_ms', this.found);
      } else {
        moveto(rdp(['home', ANY, ANY])[1]);
      }
    },
  },
  trans: {
    look() {
      if (this.role === 'carrier') return 'carry';
      if (this.steps > 0) return 'look';
      return null;
    },
    carry() { return node().name !== this.sink ? 'carry' : null; },
  },
};
