// Repeated floods (the JavaScript twin of mesh_traffic.lua). Parameters: N, FLOODS, INTERVAL, STAGGER.
const me = node();
const ports = me.ports;
const seen = new Set(), lat = [];
const expect = (N - 1) * FLOODS;
let sent = 0, nextFlood = me.id * STAGGER;
while (lat.length < expect || sent < FLOODS) {
  const got = sent < FLOODS ? await recv(null, Math.max(0, nextFlood - now())) : await recv();
  if (got === null) {
    sent += 1;
    const t = Math.floor(now() * 1e6 + 0.5);
    seen.add(me.id * 1000000 + sent);
    const msg = { o: me.id, s: sent, t: t };
    for (const p of ports) send(p, msg);
    nextFlood += INTERVAL;
  } else {
    const [port, m] = got;
    const key = m.o * 1000000 + m.s;
    if (!seen.has(key)) {
      seen.add(key);
      lat.push(((Math.floor(now() * 1e6 + 0.5) - m.t) / 1e6).toFixed(6));
      for (const p of ports) if (p !== port) send(p, m);
    }
  }
}
print(lat.join(" "));
