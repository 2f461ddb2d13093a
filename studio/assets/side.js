// The side pane: what is selected — a node (its settings, its workers with a code editor and
// start / restart / kill) or a link (its parameters) — or the whole network.

import { $, S, send, on, status, nodeIndex, nodeOf } from "./state.js";
import { linkCounts } from "./world.js";

let editor = null;       // the CodeMirror editor
let shownCode = null;    // what the editor was last given, to tell edits apart

function makeEditor() {
  if (editor || !window.CodeMirror) return;
  editor = window.CodeMirror($("editor"), { lineNumbers: true, indentUnit: 2, tabSize: 2, value: "" });
}

const selNode = () => (S.selected && S.selected.kind === "node" ? S.net.nodes[nodeIndex(S.selected.name)] : null);

function field(form, label, input) {
  const l = document.createElement("label");
  l.textContent = label;
  form.append(l, input);
  return input;
}

function input(value, attrs = {}) {
  const i = document.createElement(attrs.tag || "input");
  if (attrs.tag === "select") {
    for (const o of attrs.options) {
      const opt = document.createElement("option");
      opt.value = o; opt.textContent = o || "(none)";
      i.appendChild(opt);
    }
  }
  i.value = value == null ? "" : value;
  if (attrs.id) i.id = attrs.id;
  if (attrs.type) i.type = attrs.type;
  return i;
}

function actions(form, buttons) {
  const div = document.createElement("div");
  div.className = "actions";
  for (const [text, f, id] of buttons) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.onclick = f;
    if (id) b.id = id;
    div.appendChild(b);
  }
  form.appendChild(div);
}

export function render() {
  makeEditor();
  const form = $("props");
  form.replaceChildren();
  const s = S.selected;
  const n = selNode();
  if (n) return renderNode(n, form);
  $("workers").hidden = true;
  if (s && s.kind === "link") {
    const l = S.net.links.find((x) => (x.a === s.a && x.b === s.b) || (x.a === s.b && x.b === s.a));
    if (l) return renderLink(l, form);
  }
  form.hidden = true;
  $("node-title").textContent = "all nodes";
  $("node-info").textContent = `${S.net.nodes.length} nodes, ${S.net.links.length} links${S.file ? ` · ${S.file}` : ""}`;
}

function renderNode(n, form) {
  $("node-title").textContent = `node ${n.name}`;
  const ports = (n.ports || []).join(", ");
  $("node-info").textContent = `${n.external ? `external: P-node ${n.external.url} · ` : ""}${n.program ? `program ${n.program} · ` : ""}${(n.workers || []).length} workers${ports ? ` · ports ${ports}` : ""}`;
  form.hidden = false;
  const profile = typeof n.profile === "object" && n.profile ? n.profile.name : n.profile;
  const name = field(form, "name", input(n.name, { id: "p-name" }));
  const prof = field(form, "profile", input(profile || "", { tag: "select", options: ["", "pc", "rpi-zero", "esp32"], id: "p-profile" }));
  if (typeof n.profile === "object" && n.profile) prof.disabled = true;
  const portsIn = field(form, "ports", input((n.ports || []).join(", "), { id: "p-ports" }));
  portsIn.placeholder = "from its links; list them to add ports of its own";
  const params = field(form, "params", input(n.params == null ? "" : JSON.stringify(n.params), { tag: "textarea", id: "p-params" }));
  const ext = n.external || {};
  const url = field(form, "P-node URL", input(ext.url || "", { id: "p-url" }));
  url.placeholder = "external: a running vnet-node, e.g. http://127.0.0.1:7801";
  const key = field(form, "key file", input(ext.key || "", { id: "p-key" }));
  key.placeholder = "its pre-shared key file, beside the network file";
  actions(form, [
    ["apply", () => {
      const spec = JSON.parse(JSON.stringify(n));
      spec.name = name.value.trim();
      const ports = portsIn.value.split(",").map((p) => p.trim()).filter((p) => p);
      if (ports.length) spec.ports = ports; else delete spec.ports;
      if (!prof.disabled) { if (prof.value) spec.profile = prof.value; else delete spec.profile; }
      const text = params.value.trim();
      try { if (text) spec.params = JSON.parse(text); else delete spec.params; } catch (e) { status(`params: ${e.message}`, true); return; }
      if (url.value.trim()) {
        spec.external = { url: url.value.trim() };
        if (key.value.trim()) spec.external.key = key.value.trim();
      } else delete spec.external;
      send({ cmd: "set_node", node: n.name, spec });
    }, "p-apply"],
    ["+ Lua worker", () => addWorker(n, "lua"), "p-add-lua"],
    ["+ JS worker", () => addWorker(n, "js"), "p-add-js"],
  ]);
  // Faults act on the running simulation (a reset undoes them); not for a real P-node.
  if (!n.external) {
    const down = S.faults.down.includes(n.name);
    actions(form, [
      [down ? "restart" : "crash", () => {
        send({ cmd: down ? "restart" : "crash", node: n.name });
        status(down ? `restart ${n.name}: down until it has booted, as the run goes on` : `crashed ${n.name}`);
      }, "p-fault"],
    ]);
    if (down) $("node-info").textContent += " · DOWN (crashed or booting)";
  }
  renderWorkers(n);
}

function addWorker(n, lang) {
  const code = lang === "lua" ? `print("hello from " .. node().name)\n` : `console.log("hello from " + node().name);\n`;
  send({ cmd: "add_worker", node: n.name, lang, code });
}

function codeOf(w) { return w.code != null ? w.code : (S.sources[w.path] || ""); }

export function renderWorkers(n) {
  const workers = n.workers || [];
  $("workers").hidden = workers.length === 0;
  if (!workers.length) return;
  if (S.worker >= workers.length) S.worker = 0;
  const tabs = $("worker-tabs");
  tabs.replaceChildren();
  workers.forEach((w, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `w${i} ${w.lang}${w.path ? ` ${w.path}` : ""}`;
    const state = S.ended.get(`${n.name}/${i}`);
    b.className = (i === S.worker ? "on" : "") + (state ? " ended" : "");
    b.onclick = () => { S.worker = i; renderWorkers(n); };
    tabs.appendChild(b);
  });
  const w = workers[S.worker];
  const state = S.ended.get(`${n.name}/${S.worker}`) || "running";
  $("worker-state").textContent = state;
  $("worker-state").className = state;
  $("w-start").disabled = state === "running";
  $("w-kill").disabled = state !== "running";
  if (editor) {
    const code = codeOf(w);
    editor.setOption("mode", w.lang === "lua" ? "lua" : "javascript");
    if (code !== shownCode || editor._for !== `${n.name}/${S.worker}`) {
      editor.setValue(code);
      shownCode = code;
      editor._for = `${n.name}/${S.worker}`;
    }
    setTimeout(() => editor.refresh(), 0);
  }
  $("shell-input").placeholder = `evaluate in ${n.name} w${S.worker} (${w.lang}), e.g. now()`;
}

function renderLink(l, form) {
  $("node-title").textContent = `link ${l.a} — ${l.b}`;
  const c = linkCounts(nodeOf(l.a), nodeOf(l.b));
  $("node-info").textContent = `${c.sends} messages sent, ${c.drops} dropped so far (seen) · apply rebuilds the simulation`;
  form.hidden = false;
  const lat = field(form, "latency", input(l.latency, { id: "l-latency" }));
  const bw = field(form, "bandwidth (b/s)", input(l.bandwidth, { id: "l-bandwidth" }));
  const queue = field(form, "queue (messages)", input(l.queue, { id: "l-queue", type: "number" }));
  const loss = field(form, "loss", input(l.loss || 0, { id: "l-loss", type: "number" }));
  loss.step = "0.01"; loss.min = "0"; loss.max = "1";
  const up = field(form, "up", input("", { id: "l-up", type: "checkbox" }));
  up.checked = l.up !== false;
  actions(form, [
    ["apply", () => {
      const spec = JSON.parse(JSON.stringify(l));
      spec.latency = lat.value.trim();
      if (bw.value.trim()) spec.bandwidth = bw.value.trim(); else delete spec.bandwidth;
      if (queue.value !== "") spec.queue = Number(queue.value); else delete spec.queue;
      spec.loss = Number(loss.value) || 0;
      spec.up = up.checked;
      send({ cmd: "set_link", link: spec });
    }, "l-apply"],
  ]);
  const cut = S.faults.cut.includes(S.net.links.indexOf(l));
  if (cut) $("node-info").textContent += " · CUT";
  actions(form, [
    cut ? ["heal all cuts", () => { send({ cmd: "heal" }); status("healed every cut"); }, "l-fault"]
      : ["cut", () => {
        send({ cmd: "cut", a: nodeOf(l.a), b: nodeOf(l.b) });
        status(`cut ${nodeOf(l.a)} -- ${nodeOf(l.b)} both ways: what crosses it is dropped`);
      }, "l-fault"],
  ]);
}

const worker = (action) => {
  const n = selNode();
  if (n) send({ cmd: "worker", node: n.name, worker: S.worker, action });
};
$("w-start").onclick = () => worker("start");
$("w-restart").onclick = () => { applyCode(); worker("restart"); };
$("w-kill").onclick = () => worker("kill");
$("w-apply").onclick = () => applyCode();

function applyCode() {
  const n = selNode();
  if (!n || !editor) return;
  const w = n.workers[S.worker];
  const code = editor.getValue();
  if (code === codeOf(w)) return;
  shownCode = code;
  send({ cmd: "set_code", node: n.name, worker: S.worker, code });
}

on("code", (m) => {
  const i = nodeIndex(m.node);
  if (m.path) S.sources[m.path] = m.code;
  else if (i >= 0) S.net.nodes[i].workers[m.worker].code = m.code;
  const n = selNode();
  if (n) renderWorkers(n);
  status(`new code for ${m.path || `${m.node} w${m.worker}`}: it runs from the next start or reset`);
});
on("node_changed", (m) => {
  S.net.nodes[m.index] = m.spec;
  const n = selNode();
  if (n && n.name === m.spec.name) { S.worker = m.spec.workers.length - 1; render(); }
});
