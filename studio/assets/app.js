// vnet studio in the browser: wires the parts to the studio's messages and the toolbar.
// Plain ES modules, no build step; the protocol is studio/src/protocol/ (docs/studio.md).

import { $, S, send, on, emit, status, query } from "./state.js";
import * as world from "./world.js";
import * as side from "./side.js";
import * as monitor from "./monitor.js";
import * as chart from "./chart.js";
import * as plots from "./plots.js";

function clock(c) {
  S.clock = c;
  $("clock").textContent = `t = ${(c.t_ns / 1e9).toFixed(9)} s · ${c.events} events${c.running ? " · running" : ""}`;
  if (document.activeElement !== $("seed")) $("seed").value = c.seed;
}

function workerStates(list) {
  for (const w of list) {
    const k = `${w.node}/${w.worker}`;
    if (w.state === "running") S.ended.delete(k); else S.ended.set(k, w.state);
  }
}

on("hello", (m) => {
  S.net = m.network;
  S.sources = m.sources || {};
  S.positions = m.positions;
  S.file = m.file;
  S.ended = new Map();
  workerStates(m.workers || []);
  S.faults = m.faults || { down: [], cut: [] };
  S.agents = m.agents || [];
  // Keep the selection if it is still there.
  const s = S.selected;
  if (s && s.kind === "node" && !S.net.nodes.some((n) => n.name === s.name)) S.selected = null;
  if (s && s.kind === "link" && !S.net.links.some((l) => (l.a === s.a && l.b === s.b) || (l.a === s.b && l.b === s.a))) S.selected = null;
  clock(m.clock);
  // External nodes are real: such a network runs at 1× real time only.
  const external = S.net.nodes.some((n) => n.external);
  if (external) $("speed").value = "1";
  $("speed").disabled = external;
  $("speed").title = external ? "this network has external nodes (real P-nodes): it runs at 1× real time" : "";
  status(`${m.file ? `opened ${m.file}` : "a network without a file"}: ${S.net.nodes.length} nodes, ${S.net.links.length} links${external ? " (with external nodes: 1× real time)" : ""}`);
  world.draw();
  side.render();
  monitor.reset();
  chart.reset();
  plots.reset();
});

on("batch", (m) => {
  clock(m.clock);
  monitor.add(m.logs);
  world.messages(m.messages);
  chart.add(m.messages);
  plots.add("record", m.records);
  plots.add("reading", m.readings);
  if (m.workers.length || m.faults || m.agents) {
    workerStates(m.workers);
    if (m.faults) S.faults = m.faults;
    if (m.agents) S.agents = m.agents;
    world.markWorkers();
    side.render();
  }
  if (m.messages_total > m.messages.length) $("chart-info").textContent += ` · showing ${m.messages.length} of ${m.messages_total}`;
});

on("done", (m) => {
  clock(m.clock);
  chart.redraw();
  status(`done: ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped; trace_hash=${m.trace_hash}`);
});
on("saved", (m) => status(`saved ${m.file}`));
on("error", (m) => status(m.message, true));

on("select", (sel) => {
  S.selected = sel;
  if (sel && sel.kind === "node") S.worker = 0;
  world.markSelection();
  side.render();
  monitor.render();
});
on("moment", (m) => {
  monitor.showTime(m.t_ns);
  world.showMessage(m.msg);
});

$("run").onclick = () => {
  const v = $("speed").value;
  const speed = v === "max" ? null : Number(v);
  emit("run", speed);
  send({ cmd: "run", speed });
};
$("pause").onclick = () => send({ cmd: "pause" });
$("step").onclick = () => send({ cmd: "step" });
$("step-msg").onclick = () => send({ cmd: "step", until_message: true });
$("reset").onclick = () => send({ cmd: "reset", seed: Number($("seed").value) });
$("save").onclick = () => send({ cmd: "save" });
$("download").href = `network.json${query}`;
$("mode-select").onclick = () => world.setMode("select");
$("mode-node").onclick = () => world.setMode("node");
$("mode-link").onclick = () => world.setMode("link");
$("delete").onclick = () => {
  const s = S.selected;
  if (!s) { status("select a node or a link to remove", true); return; }
  if (s.kind === "node") send({ cmd: "remove_node", node: s.name });
  else send({ cmd: "remove_link", a: s.a, b: s.b });
};
$("upload").onchange = async (e) => {
  const f = e.target.files && e.target.files[0];
  if (!f) return;
  send({ cmd: "load", text: await f.text() });
  e.target.value = "";
};
window.addEventListener("keydown", (e) => {
  if (e.target.closest && e.target.closest("input, textarea, select, .CodeMirror")) return;
  if (e.key === "Escape") { world.setMode("select"); emit("select", null); }
  if (e.key === "Delete") $("delete").click();
});
