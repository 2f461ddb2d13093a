// What every part of the page shares: the connection, the network as the studio last said,
// the selection, and a tiny event hub so parts need not import each other.

export const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
export const query = token ? `?token=${encodeURIComponent(token)}` : "";

export const S = {
  net: { nodes: [], links: [] }, // the network file (expanded)
  sources: {},                   // program files' texts, by path
  positions: [],                 // drawing positions, unit square, node order
  clock: { t_ns: 0, events: 0, running: false, seed: 0, idle: true },
  selected: null,                // {kind: "node", name} | {kind: "link", a, b} | null
  worker: 0,                     // the selected worker tab
  ended: new Map(),              // "node/worker" -> state, for workers not running
  agents: [], // mobile agents: {id, class, node}, where they are now
  faults: { down: [], cut: [] }, // nodes down (names) and links cut (indices), as faults left them
  file: null,
};

const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws${query}`);
export const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));

const handlers = new Map();
/// Calls `f(payload)` whenever `topic` is emitted.
export function on(topic, f) {
  if (!handlers.has(topic)) handlers.set(topic, []);
  handlers.get(topic).push(f);
}
export function emit(topic, payload) {
  for (const f of handlers.get(topic) || []) {
    try { f(payload); } catch (e) { reportError(e); }
  }
}

ws.onmessage = (ev) => {
  let m;
  try { m = JSON.parse(ev.data); } catch (e) { return; }
  emit(m.type, m);
};
ws.onclose = () => status("disconnected from the studio", true);

export function status(text, bad) {
  $("status").textContent = text;
  $("status").title = text;
  $("status").style.color = bad ? "#c00" : "#555";
}

// Errors in the page are shown, and kept for tests (`window.studioErrors`).
window.studioErrors = [];
function reportError(e) {
  window.studioErrors.push(String(e && e.stack || e));
  status(`page error: ${e}`, true);
}
window.addEventListener("error", (e) => reportError(e.error || e.message));

export const nodeOf = (end) => end.slice(0, end.indexOf("."));
export const nodeIndex = (name) => S.net.nodes.findIndex((n) => n.name === name);
export const fmtTime = (ns) => `${(ns / 1e6).toFixed(3)} ms`;
