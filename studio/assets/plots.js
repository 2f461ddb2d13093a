// Small live plots (uPlot) of what workers record and what sensors read: for the selected
// node its own lines; for the whole network every node's points together.

import { $, S, on } from "./state.js";

const MAX_POINTS = 3000;
const MAX_PLOTS = 8;
let series = new Map();   // "record|node|name" -> {t: [], v: []} (t in ms)
let plots = new Map();    // plot key -> {u, el}
let moment = null;        // ms, from the sequence chart
let pending = false;

export function reset() {
  series = new Map();
  moment = null;
  for (const p of plots.values()) { p.u.destroy(); p.el.remove(); }
  plots = new Map();
  $("plots-info").textContent = "";
}

export function add(kind, points) {
  for (const p of points) {
    const k = `${kind}|${p.node}|${p.name}`;
    let s = series.get(k);
    if (!s) { s = { t: [], v: [] }; series.set(k, s); }
    s.t.push(p.t_ns / 1e6);
    s.v.push(p.value);
    if (s.t.length > MAX_POINTS) { s.t.splice(0, s.t.length - MAX_POINTS); s.v.splice(0, s.v.length - MAX_POINTS); }
  }
  if (points.length) update();
}

export function update() {
  if (pending) return;
  pending = true;
  setTimeout(() => { pending = false; paint(); }, 200);
}

/// What to plot now: [title, [t], [v], scatter].
function wanted() {
  const sel = S.selected && S.selected.kind === "node" ? S.selected.name : null;
  const out = new Map();
  for (const [k, s] of series) {
    const [kind, node, name] = k.split("|");
    if (sel && node !== sel) continue;
    const title = sel ? `${node} · ${kind === "reading" ? "sensor " : ""}${name}` : `${kind === "reading" ? "sensor " : ""}${name} (all nodes)`;
    let o = out.get(title);
    if (!o) { o = { pts: [], scatter: !sel }; out.set(title, o); }
    for (let i = 0; i < s.t.length; i++) o.pts.push([s.t[i], s.v[i]]);
  }
  for (const o of out.values()) {
    o.pts.sort((a, b) => a[0] - b[0]);
    if (o.pts.length > MAX_POINTS) o.pts = o.pts.filter((_, i) => i % Math.ceil(o.pts.length / MAX_POINTS) === 0);
  }
  return [...out.entries()].slice(0, MAX_PLOTS);
}

function make(title, scatter) {
  const el = document.createElement("div");
  const h = document.createElement("div");
  h.className = "plot-title";
  h.textContent = title;
  el.appendChild(h);
  $("plots").appendChild(el);
  const width = Math.max(200, $("plots").clientWidth - 12);
  const u = new window.uPlot({
    width, height: 100,
    legend: { show: false },
    scales: { x: { time: false } },
    axes: [{ size: 22, font: "10px sans-serif" }, { size: 40, font: "10px sans-serif" }],
    series: [{}, scatter
      ? { stroke: "#3355cc", paths: () => null, points: { show: true, size: 3, fill: "#3355cc" } }
      : { stroke: "#3355cc", width: 1.5, points: { show: false } }],
    hooks: { draw: [(u) => {
      if (moment === null) return;
      const x = u.valToPos(moment, "x", true);
      const c = u.ctx;
      c.save(); c.strokeStyle = "#ff8800"; c.lineWidth = 2;
      c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke(); c.restore();
    }] },
  }, [[], []], el);
  return { u, el };
}

function paint() {
  if (!window.uPlot) return;
  const want = wanted();
  const keys = new Set(want.map(([t]) => t));
  for (const [k, p] of plots) if (!keys.has(k)) { p.u.destroy(); p.el.remove(); plots.delete(k); }
  for (const [title, o] of want) {
    let p = plots.get(title);
    if (!p) { p = make(title, o.scatter); plots.set(title, p); }
    p.u.setData([o.pts.map((x) => x[0]), o.pts.map((x) => x[1])]);
  }
  $("plots-info").textContent = series.size ? `${series.size} series · ms` : "none yet";
}

on("moment", (m) => { moment = m.t_ns / 1e6; for (const p of plots.values()) p.u.redraw(); });
on("select", () => update());
