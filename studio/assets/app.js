// vnet studio in the browser: draws the world, sends commands, shows what the studio
// broadcasts. Plain ES module, no build step. The protocol is studio/src/protocol.rs.

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const token = new URLSearchParams(location.search).get("token");
const query = token ? `?token=${encodeURIComponent(token)}` : "";

let net = null;          // the network file (expanded)
let selected = null;     // the selected node's name, or null for all
let logs = [];           // {t_ns, node, worker, err, text, eval}
const MAX_LOGS = 5000;
let linkOf = new Map();  // "a|b" (node names, sorted) -> {el, sends}
let nodeEl = new Map();  // name -> <g>
let view = { x: 0, y: 0, w: 1000, h: 1000 };
let nodeDrag = null;     // a node being dragged

const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws${query}`);
const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));
ws.onclose = () => status("disconnected from the studio", true);
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  switch (m.type) {
    case "hello": hello(m); break;
    case "batch": batch(m); break;
    case "done": clock(m.clock); status(`done: ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped; trace_hash=${m.trace_hash}`); break;
    case "eval_result": evalResult(m); break;
    case "saved": status(`saved ${m.file}`); break;
    case "positions": draw(m.positions); if (selected) select(selected); break;
    case "error": status(m.message, true); break;
  }
};

function status(text, bad) {
  $("status").textContent = text;
  $("status").style.color = bad ? "#c00" : "#555";
}

function clock(c) {
  $("clock").textContent = `t = ${(c.t_ns / 1e9).toFixed(9)} s · ${c.events} events${c.running ? " · running" : ""}`;
  $("seed").value = c.seed;
}

const key = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`);
const nodeOf = (end) => end.slice(0, end.indexOf("."));

function hello(m) {
  net = m.network;
  logs = [];
  clock(m.clock);
  status(m.file ? `opened ${m.file}` : "an empty network");
  draw(m.positions);
  renderMonitor();
}

function draw(positions) {
  const svg = $("world");
  svg.replaceChildren();
  linkOf = new Map();
  nodeEl = new Map();
  const at = (i) => [80 + positions[i][0] * 840, 80 + positions[i][1] * 840];
  const index = new Map(net.nodes.map((n, i) => [n.name, i]));
  // Marks and names sized to the network: large for a few nodes, small for a thousand.
  const r = Math.max(4, Math.min(28, 150 / Math.sqrt(Math.max(1, net.nodes.length))));
  for (const l of net.links) {
    const a = nodeOf(l.a), b = nodeOf(l.b);
    if (!index.has(a) || !index.has(b)) continue;
    const [x1, y1] = at(index.get(a)), [x2, y2] = at(index.get(b));
    const line = document.createElementNS(SVG, "line");
    Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => line.setAttribute(k, v));
    line.setAttribute("class", l.up === false ? "link down" : "link");
    line.setAttribute("stroke-width", Math.max(1, r / 4));
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${l.a} — ${l.b}, latency ${l.latency}`;
    line.appendChild(title);
    svg.appendChild(line);
    linkOf.set(key(a, b), { el: line, title, sends: 0, drops: 0, desc: title.textContent });
  }
  net.nodes.forEach((n, i) => {
    const [x, y] = at(i);
    const g = document.createElementNS(SVG, "g");
    const runs = (n.workers && n.workers.length) || n.program;
    g.setAttribute("class", runs ? "node" : "node idle");
    g.dataset.name = n.name;
    const c = document.createElementNS(SVG, "circle");
    c.setAttribute("cx", x); c.setAttribute("cy", y); c.setAttribute("r", r);
    g.appendChild(c);
    if (net.nodes.length <= 400) {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", x + r + 2); t.setAttribute("y", y - r);
      t.setAttribute("font-size", Math.max(9, r * 1.3));
      t.textContent = n.name;
      g.appendChild(t);
    }
    // Drag to move (the studio moves it for every browser); a click without moving selects.
    g.addEventListener("mousedown", (ev) => {
      ev.stopPropagation();
      nodeDrag = { name: n.name, c, x0: ev.clientX, y0: ev.clientY, cx: x, cy: y, moved: false };
    });
    g.addEventListener("click", (ev) => { ev.stopPropagation(); });
    svg.appendChild(g);
    nodeEl.set(n.name, g);
  });
  setView();
}

function setView() {
  $("world").setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
}

// Pan by dragging, zoom with the wheel around the pointer.
(() => {
  const svg = $("world");
  let drag = null;
  svg.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y }; });
  window.addEventListener("mouseup", () => {
    drag = null;
    if (!nodeDrag) return;
    const d = nodeDrag;
    nodeDrag = null;
    if (!d.moved) { select(d.name); return; }
    const x = Number(d.c.getAttribute("cx")), y = Number(d.c.getAttribute("cy"));
    const clamp = (v) => Math.max(-1, Math.min(2, v));
    send({ cmd: "move_node", node: d.name, pos: [clamp((x - 80) / 840), clamp((y - 80) / 840)] });
  });
  window.addEventListener("mousemove", (e) => {
    if (nodeDrag) {
      const s = view.w / svg.clientWidth;
      const dx = (e.clientX - nodeDrag.x0) * s, dy = (e.clientY - nodeDrag.y0) * s;
      if (Math.abs(dx) + Math.abs(dy) > 2) nodeDrag.moved = true;
      nodeDrag.c.setAttribute("cx", nodeDrag.cx + dx);
      nodeDrag.c.setAttribute("cy", nodeDrag.cy + dy);
      return;
    }
    if (!drag) return;
    const s = view.w / svg.clientWidth;
    view.x = drag.vx - (e.clientX - drag.x) * s;
    view.y = drag.vy - (e.clientY - drag.y) * s;
    setView();
  });
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    const rect = svg.getBoundingClientRect();
    const px = view.x + ((e.clientX - rect.left) / rect.width) * view.w;
    const py = view.y + ((e.clientY - rect.top) / rect.height) * view.h;
    view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f };
    setView();
  }, { passive: false });
  svg.addEventListener("click", () => select(null));
})();

function select(name) {
  if (selected && nodeEl.get(selected)) nodeEl.get(selected).classList.remove("selected");
  selected = name;
  if (name && nodeEl.get(name)) nodeEl.get(name).classList.add("selected");
  $("node-title").textContent = name ? `node ${name}` : "all nodes";
  const n = name && net.nodes.find((x) => x.name === name);
  $("node-info").textContent = n
    ? `${(n.workers || []).map((w, i) => `w${i} ${w.lang} ${w.path || "(inline)"}`).join(" · ") || "no workers"}` +
      (n.profile ? ` · profile ${typeof n.profile === "string" ? n.profile : n.profile.name}` : "")
    : `${net.nodes.length} nodes, ${net.links.length} links`;
  renderMonitor();
}

function batch(m) {
  clock(m.clock);
  for (const l of m.logs) logs.push(l);
  if (logs.length > MAX_LOGS) logs = logs.slice(logs.length - MAX_LOGS);
  const hot = new Set(), dropped = new Set();
  for (const e of m.messages) {
    const l = linkOf.get(key(e.src, e.dst));
    if (!l) continue;
    if (e.kind === "send") l.sends += 1;
    if (e.kind === "drop") { l.drops += 1; dropped.add(l); } else hot.add(l);
    l.title.textContent = `${l.desc} · ${l.sends} sent${l.drops ? `, ${l.drops} dropped` : ""}`;
  }
  // Messages light their link; drops flash it red.
  for (const [set, cls] of [[hot, "hot"], [dropped, "dropped"]]) {
    for (const l of set) {
      l.el.classList.add(cls);
      setTimeout(() => l.el.classList.remove(cls), 250);
    }
  }
  if (m.logs.length) renderMonitor();
}

function evalResult(m) {
  const text = m.error ? `! ${m.error}` : `= ${JSON.stringify(m.value)}`;
  logs.push({ t_ns: null, node: m.node, worker: m.worker, err: !!m.error, text: `> ${m.code}\n${text}`, eval: true });
  renderMonitor();
}

function renderMonitor() {
  const pre = $("monitor");
  const shown = selected ? logs.filter((l) => l.node === selected) : logs;
  const frag = document.createDocumentFragment();
  for (const l of shown.slice(-1000)) {
    const line = document.createElement("div");
    line.className = l.eval ? "eval" : l.err ? "err" : "";
    const t = l.t_ns === null ? "" : `${(l.t_ns / 1e6).toFixed(6).padStart(12)} `;
    line.textContent = `${t}${l.node}/w${l.worker} ${l.text}`;
    frag.appendChild(line);
  }
  pre.replaceChildren(frag);
  pre.scrollTop = pre.scrollHeight;
}

$("run").onclick = () => {
  const v = $("speed").value;
  send({ cmd: "run", speed: v === "max" ? null : Number(v) });
};
$("pause").onclick = () => send({ cmd: "pause" });
$("step").onclick = () => send({ cmd: "step" });
$("step-msg").onclick = () => send({ cmd: "step", until_message: true });
$("reset").onclick = () => send({ cmd: "reset", seed: Number($("seed").value) });
$("save").onclick = () => send({ cmd: "save" });
$("download").href = `network.json${query}`;
$("shell").onsubmit = (e) => {
  e.preventDefault();
  const code = $("shell-input").value.trim();
  if (!code) return;
  if (!selected) { status("select a node to evaluate in", true); return; }
  send({ cmd: "eval", node: selected, worker: 0, code });
  $("shell-input").value = "";
};
