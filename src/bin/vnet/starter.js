// A starter program: n0 floods a greeting; every node records when it first arrives and
// how many hops it took, then passes it on. Edit freely: `vnet run` runs this file's
// network again. The calls (send, recv, record, params, node, now, sleep, print, ...) are
// listed in docs/netfile.md, "Programs".
const me = node(), P = params();
let port = null, msg;
if (P.origin) {
  msg = { text: P.greeting, hops: 0 };
} else {
  let meta;
  [port, msg, meta] = await recv();
  print("heard '" + msg.text + "' from " + meta.from);
}
record("arrival_ms", now());
record("hops", msg.hops);
for (const p of me.ports) {
  if (p !== port) send(p, { text: msg.text, hops: msg.hops + 1 });
}
