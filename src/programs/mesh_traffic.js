// Repeated floods (the JavaScript twin of mesh_traffic.lua).
// Parameters: nodes, floods, interval (ms), stagger (ms).
const { nodes: N, floods: FLOODS, interval: INTERVAL, stagger: STAGGER } = params();
const me = node();
const ports = me.ports;
const seen = new Set();
const expect = (N - 1) * FLOODS;
let heard = 0, sent = 0, nextFlood = me.id * STAGGER;
while (heard < expect || sent < FLOODS) {
  const got = sent < FLOODS ? await recv(null, Math.max(0, nextFlood - now())) : await recv();
  if (got === null) {
    sent += 1;
    seen.add(me.id * 1000000 + sent);
    const msg = { o: me.id, s: sent, t: now_ns() };
    for (const p of ports) send(p, msg);
    nextFlood += INTERVAL;
  } else {
    const [port, m] = got;
    const key = m.o * 1000000 + m.s;
    if (!seen.has(key)) {
      seen.add(key);
      heard += 1;
      record("latency_ns", now_ns() - m.t);
      for (const p of ports) if (p !== port) send(p, m);
    }
  }
}
