// Flooding, as flood.lua.
const me = node(), P = params();
let port = null, msg;
if (P.origin) {
  msg = "x".repeat(P.pad);
} else {
  [port, msg] = await recv();
}
record("reached", true);
for (const p of me.ports) {
  if (p !== port) send(p, msg);
}
