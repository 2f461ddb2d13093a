// The world: nodes and links as SVG (pan, zoom, drag, select, add, link, delete), messages in
// flight on a canvas above it, links lit by sends and flashed red by drops.

import { $, S, send, on, emit, status, nodeOf } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = $("world");
const canvas = $("flight");
let view = { x: 0, y: 0, w: 1000, h: 1000 };
let mode = "select";
let linkOf = new Map();  // "a|b" (node names, sorted) -> {el, hit, title, sends, drops, desc, spec}
let linkAt = [];         // the same entries by index in the network's links
let nodeEl = new Map();  // name -> {g, c, x, y}
let nodeDrag = null;     // a node being dragged, or the start of a new link
let rubber = null;       // the line drawn while linking
let flights = [];        // messages drawn in flight
let speed = null;        // the run's pace (null: as fast as possible)

const key = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`);
const at = (p) => [80 + p[0] * 840, 80 + p[1] * 840];
const toUnit = (x, y) => [Math.max(-1, Math.min(2, (x - 80) / 840)), Math.max(-1, Math.min(2, (y - 80) / 840))];

/// "2ms" and the like, in ns (0 when unreadable): for the time a message is drawn flying.
function durationNs(text) {
  if (typeof text === "number") return text;
  const m = /^([\d.]+)\s*(ns|us|µs|ms|s)$/.exec(String(text || ""));
  if (!m) return 0;
  return Number(m[1]) * { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 }[m[2]];
}

function el(kind, attrs, parent) {
  const e = document.createElementNS(SVG, kind);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export function draw() {
  svg.replaceChildren();
  linkOf = new Map();
  linkAt = [];
  nodeEl = new Map();
  const index = new Map(S.net.nodes.map((n, i) => [n.name, i]));
  // Marks and names sized to the network: large for a few nodes, small for a thousand.
  const r = Math.max(4, Math.min(28, 150 / Math.sqrt(Math.max(1, S.net.nodes.length))));
  const links = el("g", {}, svg);
  for (const l of S.net.links) {
    const a = nodeOf(l.a), b = nodeOf(l.b);
    if (!index.has(a) || !index.has(b)) continue;
    const [x1, y1] = at(S.positions[index.get(a)]), [x2, y2] = at(S.positions[index.get(b)]);
    const line = el("line", { x1, y1, x2, y2, class: l.up === false ? "link down" : "link", "stroke-width": Math.max(1, r / 4) }, links);
    const hit = el("line", { x1, y1, x2, y2, class: "link-hit", "stroke-width": Math.max(8, r) }, links);
    const title = el("title", {}, hit);
    const desc = `${l.a} — ${l.b}: latency ${l.latency}${l.bandwidth ? `, ${l.bandwidth} b/s` : ""}${l.loss ? `, loss ${l.loss}` : ""}`;
    title.textContent = desc;
    const entry = { el: line, hit, title, sends: 0, drops: 0, desc, spec: l, a, b };
    hit.addEventListener("mousedown", (ev) => ev.stopPropagation());
    hit.addEventListener("click", (ev) => { ev.stopPropagation(); emit("select", { kind: "link", a: l.a, b: l.b }); });
    if (!linkOf.has(key(a, b))) linkOf.set(key(a, b), entry);
    linkAt[S.net.links.indexOf(l)] = entry;
  }
  S.net.nodes.forEach((n, i) => {
    const [x, y] = at(S.positions[i]);
    const g = el("g", { class: "node", "data-name": n.name }, svg);
    const c = el("circle", { cx: x, cy: y, r }, g);
    if (S.net.nodes.length <= 400) {
      const t = el("text", { x: x + r + 2, y: y - r, "font-size": Math.max(9, r * 1.3) }, g);
      t.textContent = n.name;
    }
    g.addEventListener("mousedown", (ev) => {
      ev.stopPropagation();
      nodeDrag = { name: n.name, c, x0: ev.clientX, y0: ev.clientY, cx: x, cy: y, moved: false };
      if (mode === "link") rubber = el("line", { x1: x, y1: y, x2: x, y2: y, class: "rubber" }, svg);
    });
    g.addEventListener("mouseup", (ev) => {
      if (mode === "link" && nodeDrag && nodeDrag.name !== n.name) {
        ev.stopPropagation();
        send({ cmd: "add_link", a: nodeDrag.name, b: n.name });
        status(`linking ${nodeDrag.name} and ${n.name}…`);
        endDrag();
      }
    });
    g.addEventListener("click", (ev) => ev.stopPropagation());
    nodeEl.set(n.name, { g, c, x, y });
  });
  markWorkers();
  markSelection();
  setView();
  // When the world was last drawn, and how big: for timing the first render.
  window.studioDrawn = { nodes: S.net.nodes.length, links: S.net.links.length, at: performance.now() };
}

function endDrag() {
  nodeDrag = null;
  if (rubber) { rubber.remove(); rubber = null; }
}

/// Each node with mobile agents on it gets an orange badge with their number; its tooltip
/// lists them (id and class).
function markAgents() {
  for (const b of svg.querySelectorAll("g.agents")) b.remove();
  const at = new Map();
  for (const a of S.agents) {
    if (!at.has(a.node)) at.set(a.node, []);
    at.get(a.node).push(a);
  }
  for (const [name, list] of at) {
    const e = nodeEl.get(name);
    if (!e) continue;
    const r = Number(e.c.getAttribute("r"));
    const g = el("g", { class: "agents", "data-node": name, "data-count": list.length }, e.g);
    el("circle", { cx: e.x + r * 0.9, cy: e.y + r * 0.9, r: r * 0.7 }, g);
    const t = el("text", { x: e.x + r * 0.9, y: e.y + r * 0.9, "font-size": Math.max(8, r), "text-anchor": "middle", "dominant-baseline": "central" }, g);
    t.textContent = String(list.length);
    const title = el("title", {}, g);
    title.textContent = list.map((a) => `agent ${a.id} (${a.class})`).join("\n");
  }
}

/// Nodes without programs are grey; a node with a failed worker red; a node down (crashed)
/// dark with a cross; a cut link red and dashed; agents as badges (`markAgents`).
export function markWorkers() {
  markAgents();
  const down = new Set(S.faults.down);
  for (const [name, e] of nodeEl) e.g.classList.toggle("down", down.has(name));
  const cut = new Set(S.faults.cut);
  linkAt.forEach((e, i) => e && e.el.classList.toggle("cut", cut.has(i)));
  S.net.nodes.forEach((n) => {
    const e = nodeEl.get(n.name);
    if (!e) return;
    const runs = (n.workers && n.workers.length) || n.program || n.platform;
    const failed = (n.workers || []).some((_, w) => S.ended.get(`${n.name}/${w}`) === "failed");
    e.g.classList.toggle("idle", !runs);
    e.g.classList.toggle("external", !!n.external);
    e.g.classList.toggle("failed", failed);
  });
}

export function markSelection() {
  for (const e of nodeEl.values()) e.g.classList.remove("selected");
  for (const l of linkOf.values()) l.el.classList.remove("selected");
  const s = S.selected;
  if (s && s.kind === "node" && nodeEl.get(s.name)) nodeEl.get(s.name).g.classList.add("selected");
  if (s && s.kind === "link") {
    const l = linkOf.get(key(nodeOf(s.a), nodeOf(s.b)));
    if (l) l.el.classList.add("selected");
  }
}

function setView() {
  svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
}

/// Where a world point is on the flight canvas, in CSS pixels.
function toCanvas(x, y) {
  const ctm = svg.getScreenCTM();
  const rect = canvas.getBoundingClientRect();
  if (!ctm) return [0, 0];
  const p = new DOMPoint(x, y).matrixTransform(ctm);
  return [p.x - rect.left, p.y - rect.top];
}

function worldPoint(ev) {
  const ctm = svg.getScreenCTM();
  if (!ctm) return [0, 0];
  const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
  return [p.x, p.y];
}

export function setMode(m) {
  mode = m;
  for (const b of document.querySelectorAll("#modes .mode")) b.classList.toggle("on", b.id === `mode-${m}`);
  svg.classList.toggle("adding", m !== "select");
  const hints = {
    select: "",
    node: `click in the world to add a node${S.selected && S.selected.kind === "node" ? ` like ${S.selected.name}` : ""}`,
    link: "drag from one node to another to link them",
  };
  if (hints[m]) status(hints[m]);
}

// Pan by dragging, zoom with the wheel around the pointer, drag nodes, add nodes and links.
svg.addEventListener("mousedown", (e) => {
  if (mode === "node") {
    const [x, y] = worldPoint(e);
    const like = S.selected && S.selected.kind === "node" ? S.selected.name : null;
    send({ cmd: "add_node", pos: toUnit(x, y), copy_of: like });
    return;
  }
  nodeDrag = null;
  svg._pan = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
});
window.addEventListener("mouseup", () => {
  const pan = svg._pan;
  svg._pan = null;
  if (pan && !pan.moved && mode === "select") emit("select", null);
  if (!nodeDrag) return;
  const d = nodeDrag;
  endDrag();
  if (mode === "link") return;
  if (!d.moved) { emit("select", { kind: "node", name: d.name }); return; }
  const x = Number(d.c.getAttribute("cx")), y = Number(d.c.getAttribute("cy"));
  send({ cmd: "move_node", node: d.name, pos: toUnit(x, y) });
});
window.addEventListener("mousemove", (e) => {
  const s = view.w / Math.max(1, svg.clientWidth);
  if (nodeDrag) {
    const dx = (e.clientX - nodeDrag.x0) * s, dy = (e.clientY - nodeDrag.y0) * s;
    if (Math.abs(dx) + Math.abs(dy) > 2) nodeDrag.moved = true;
    if (mode === "link") {
      const [x, y] = worldPoint(e);
      if (rubber) { rubber.setAttribute("x2", x); rubber.setAttribute("y2", y); }
    } else if (mode === "select") {
      nodeDrag.c.setAttribute("cx", nodeDrag.cx + dx);
      nodeDrag.c.setAttribute("cy", nodeDrag.cy + dy);
    }
    return;
  }
  const pan = svg._pan;
  if (!pan) return;
  if (Math.abs(e.clientX - pan.x) + Math.abs(e.clientY - pan.y) > 2) pan.moved = true;
  view.x = pan.vx - (e.clientX - pan.x) * s;
  view.y = pan.vy - (e.clientY - pan.y) * s;
  setView();
});
svg.addEventListener("wheel", (e) => {
  e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
  const [px, py] = worldPoint(e);
  view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f };
  setView();
}, { passive: false });

on("positions", (m) => { S.positions = m.positions; draw(); });
on("run", (k) => { speed = k; });

/// A batch's messages: count them on their links, light the links, fly a sample of them.
export function messages(events) {
  const hot = new Set(), dropped = new Set();
  const now = performance.now();
  let flown = 0;
  const budget = 150;
  for (const e of events) {
    const l = linkOf.get(key(e.src, e.dst));
    if (!l) continue;
    if (e.kind === "send") l.sends += 1;
    if (e.kind === "drop") { l.drops += 1; dropped.add(l); } else hot.add(l);
    l.title.textContent = `${l.desc} · ${l.sends} sent${l.drops ? `, ${l.drops} dropped` : ""}`;
    if ((e.kind === "send" || e.kind === "drop") && flown < budget) {
      flown += 1;
      const from = nodeEl.get(e.src), to = nodeEl.get(e.dst);
      if (!from || !to) continue;
      const real = speed ? durationNs(l.spec.latency) / 1e6 / speed : 300;
      flights.push({ from, to, t0: now, dur: Math.max(150, Math.min(3000, real || 300)), drop: e.kind === "drop" });
    }
  }
  // A link's width grows with the messages it has carried: the load at a glance.
  if (hot.size || dropped.size) {
    let most = 1;
    for (const l of linkOf.values()) most = Math.max(most, l.sends);
    for (const l of linkOf.values()) {
      if (!l.base) l.base = Number(l.el.getAttribute("stroke-width"));
      l.el.setAttribute("stroke-width", l.base * (1 + (2 * Math.log1p(l.sends)) / Math.log1p(most)));
    }
  }
  for (const [set, cls] of [[hot, "hot"], [dropped, "dropped"]]) {
    for (const l of set) {
      l.el.classList.add(cls);
      setTimeout(() => l.el.classList.remove(cls), 300);
    }
  }
  if (flights.length > 2000) flights = flights.slice(-2000);
  if (flights.length) requestAnimationFrame(animate);
}

function animate() {
  const rect = canvas.getBoundingClientRect();
  if (canvas.width !== Math.round(rect.width) || canvas.height !== Math.round(rect.height)) {
    canvas.width = Math.round(rect.width);
    canvas.height = Math.round(rect.height);
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const now = performance.now();
  flights = flights.filter((f) => now - f.t0 < f.dur);
  for (const f of flights) {
    const k = (now - f.t0) / f.dur;
    const [x1, y1] = toCanvas(f.from.x, f.from.y), [x2, y2] = toCanvas(f.to.x, f.to.y);
    const x = x1 + (x2 - x1) * (f.drop ? Math.min(k, 0.5) : k), y = y1 + (y2 - y1) * (f.drop ? Math.min(k, 0.5) : k);
    if (f.drop && k > 0.5) {
      ctx.strokeStyle = "#e00000"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x - 5, y - 5); ctx.lineTo(x + 5, y + 5); ctx.moveTo(x + 5, y - 5); ctx.lineTo(x - 5, y + 5); ctx.stroke();
    } else {
      ctx.fillStyle = f.drop ? "#e00000" : "#ff6a00";
      ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 2 * Math.PI); ctx.fill();
    }
  }
  if (flights.length) requestAnimationFrame(animate);
}

/// Shows one message (from the sequence chart): its link lit until another is chosen.
export function showMessage(m) {
  for (const l of linkOf.values()) l.el.classList.remove("selected");
  const l = m && linkOf.get(key(m.src, m.dst));
  if (l) l.el.classList.add("selected");
}

/// How many messages the link between nodes a and b carried and dropped (as far as the
/// batches showed: a dense run's batches are samples).
export function linkCounts(a, b) {
  const l = linkOf.get(key(a, b));
  return l ? { sends: l.sends, drops: l.drops } : { sends: 0, drops: 0 };
}

/// The spec of the link between ends a and b.
export function linkSpec(a, b) {
  return S.net.links.find((l) => (l.a === a && l.b === b) || (l.a === b && l.b === a));
}
