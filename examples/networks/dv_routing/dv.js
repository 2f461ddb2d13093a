// Distance-vector routing, as dv.lua: every `period` ms each node sends its table of hop
// counts to its neighbours and keeps the shortest offer (one hop more than the neighbour's).
// After `rounds` periods it records `hops:<node>` for every node it knows.
// Params: period (ms), rounds.
const P = params();
const me = node();
const dist = { [me.name]: 0 };
for (let round = 1; round <= P.rounds; round++) {
  for (const p of me.ports) send(p, dist);
  const deadline = round * P.period;
  while (now() < deadline) {
    const got = await recv(null, deadline - now());
    if (got === null) break;
    const table = got[1];
    for (const dest of Object.keys(table)) {
      if (dist[dest] === undefined || table[dest] + 1 < dist[dest]) dist[dest] = table[dest] + 1;
    }
  }
}
for (const dest of Object.keys(dist).sort()) record("hops:" + dest, dist[dest]);
