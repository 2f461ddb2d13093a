// The message sequence chart: a lane per node, an arrow per message from its send to its
// delivery (or drop, in red); wheel to zoom, drag to pan, click an arrow to see the message
// and move the other views to that moment.

import { $, S, on, emit, nodeOf, fmtTime } from "./state.js";

const canvas = $("chart");
const MAX_KEPT = 20000;
const MAX_LANES = 40;
let msgs = new Map();     // id -> {id, src, dst, ts, te, kind, bytes, value}
let win = { span: null, end: null, follow: true };
let drawn = [];           // [x1, y1, x2, y2, msg] of the last frame, for clicks
let chosen = null;
let pending = false;
let drag = null;

export function reset() {
  msgs = new Map();
  chosen = null;
  win = { span: null, end: null, follow: true };
  $("msg-detail").hidden = true;
  redraw();
}

export function add(events) {
  for (const e of events) {
    let m = msgs.get(e.id);
    if (!m) {
      m = { id: e.id, src: e.src, dst: e.dst, ts: null, te: null, kind: "in flight", bytes: e.bytes, value: null };
      msgs.set(e.id, m);
    }
    if (e.kind === "send") { m.ts = e.t_ns; m.value = e.value ?? null; m.bytes = e.bytes; }
    else { m.te = e.t_ns; m.kind = e.kind === "drop" ? `dropped (${e.detail})` : "delivered"; if (m.ts === null) m.ts = e.t_ns; }
  }
  while (msgs.size > MAX_KEPT) msgs.delete(msgs.keys().next().value);
  redraw();
}

export function redraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; paint(); });
}

function lanes() {
  const all = S.net.nodes.map((n) => n.name);
  if (all.length <= MAX_LANES) return all;
  const sel = S.selected && S.selected.kind === "node" ? S.selected.name : null;
  const want = new Set();
  if (sel) {
    want.add(sel);
    for (const l of S.net.links) {
      const a = nodeOf(l.a), b = nodeOf(l.b);
      if (a === sel) want.add(b);
      if (b === sel) want.add(a);
    }
  } else {
    const recent = [...msgs.values()].slice(-400);
    for (const m of recent) { want.add(m.src); want.add(m.dst); if (want.size >= MAX_LANES) break; }
  }
  return all.filter((n) => want.has(n)).slice(0, MAX_LANES);
}

function window_() {
  const now = Math.max(S.clock.t_ns, 1);
  const end = win.follow ? now : win.end;
  const span = win.span ?? Math.max(end, 1e6);
  return [Math.max(0, end - span), end];
}

function paint() {
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(rect.width * dpr));
  canvas.height = Math.max(1, Math.round(rect.height * dpr));
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = rect.width, H = rect.height;
  ctx.clearRect(0, 0, W, H);
  const names = lanes();
  const left = 70, bottom = 18, top = 6;
  const laneH = (H - top - bottom) / Math.max(1, names.length);
  const laneY = new Map(names.map((n, i) => [n, top + (i + 0.5) * laneH]));
  const [t0, t1] = window_();
  const x = (t) => left + ((t - t0) / Math.max(1, t1 - t0)) * (W - left - 8);
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "middle";
  for (const [n, y] of laneY) {
    ctx.fillStyle = "#333";
    ctx.fillText(n.length > 10 ? `${n.slice(0, 9)}…` : n, 4, y);
    ctx.strokeStyle = "#e4e4e4";
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(W - 8, y); ctx.stroke();
  }
  // Time axis.
  ctx.fillStyle = "#666";
  ctx.textBaseline = "alphabetic";
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    const label = fmtTime(t);
    const px = Math.min(W - ctx.measureText(label).width - 4, Math.max(left, x(t) - 20));
    ctx.fillText(label, px, H - 4);
  }
  drawn = [];
  const now = S.clock.t_ns;
  let count = 0;
  const list = [...msgs.values()];
  for (let i = list.length - 1; i >= 0 && count < 5000; i--) {
    const m = list[i];
    if (m.ts === null || !laneY.has(m.src) || !laneY.has(m.dst)) continue;
    const te = m.te ?? now;
    if (te < t0 || m.ts > t1) continue;
    count += 1;
    const x1 = x(m.ts), y1 = laneY.get(m.src), x2 = x(te), y2 = laneY.get(m.dst);
    const dropped = m.kind.startsWith("dropped");
    const yEnd = dropped ? y1 + (y2 - y1) * 0.5 : y2;
    const xEnd = dropped ? x1 + (x2 - x1) * 1 : x2;
    ctx.strokeStyle = m === chosen ? "#ff8800" : dropped ? "#e00000" : "#3355cc";
    ctx.lineWidth = m === chosen ? 3 : 1.2;
    ctx.setLineDash(m.te === null ? [4, 3] : []);
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(xEnd, yEnd); ctx.stroke();
    ctx.setLineDash([]);
    if (dropped) {
      ctx.beginPath(); ctx.moveTo(xEnd - 4, yEnd - 4); ctx.lineTo(xEnd + 4, yEnd + 4); ctx.moveTo(xEnd + 4, yEnd - 4); ctx.lineTo(xEnd - 4, yEnd + 4); ctx.stroke();
    } else if (m.te !== null) {
      const a = Math.atan2(y2 - y1, x2 - x1);
      ctx.beginPath();
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - 7 * Math.cos(a - 0.4), y2 - 7 * Math.sin(a - 0.4));
      ctx.lineTo(x2 - 7 * Math.cos(a + 0.4), y2 - 7 * Math.sin(a + 0.4));
      ctx.closePath();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
    }
    drawn.push([x1, y1, xEnd, yEnd, m]);
  }
  ctx.lineWidth = 1;
  $("chart-info").textContent = `${fmtTime(t0)} – ${fmtTime(t1)} · ${count} arrows · ${names.length} lanes${win.follow ? " · following" : ""}`;
  canvas._t = { t0, t1, left, W };
}

function distance(px, py, [x1, y1, x2, y2]) {
  const dx = x2 - x1, dy = y2 - y1;
  const k = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (x1 + k * dx), py - (y1 + k * dy));
}

/// Chooses the message at (px, py) on the chart, if one is within 6 px.
export function pick(px, py) {
  let best = null, bestD = 6;
  for (const d of drawn) {
    const dist = distance(px, py, d);
    if (dist < bestD) { bestD = dist; best = d[4]; }
  }
  if (!best) return null;
  chosen = best;
  const detail = $("msg-detail");
  detail.hidden = false;
  detail.textContent = [
    `message ${best.id}: ${best.src} → ${best.dst}`,
    `sent      ${fmtTime(best.ts)}`,
    `${best.te === null ? "in flight" : `${best.kind.padEnd(9)} ${fmtTime(best.te)}`}`,
    `bytes     ${best.bytes}`,
    `value     ${best.value ?? "(not kept)"}`,
  ].join("\n");
  emit("moment", { t_ns: best.ts, msg: best });
  redraw();
  return best;
}

// Where the arrows are on the page (their ends, in CSS pixels): for tests that click them.
window.studioChartArrows = () => {
  const r = canvas.getBoundingClientRect();
  return drawn.map(([x1, y1, x2, y2, m]) => ({ x1: r.left + x1, y1: r.top + y1, x2: r.left + x2, y2: r.top + y2, id: m.id, src: m.src, dst: m.dst }));
};

canvas.addEventListener("wheel", (e) => {
  e.preventDefault();
  const [t0, t1] = window_();
  const { left, W } = canvas._t || { left: 70, W: canvas.clientWidth };
  const rect = canvas.getBoundingClientRect();
  const k = Math.max(0, Math.min(1, (e.clientX - rect.left - left) / Math.max(1, W - left - 8)));
  const at = t0 + k * (t1 - t0);
  const f = e.deltaY > 0 ? 1.25 : 0.8;
  const span = Math.max(1000, (t1 - t0) * f);
  win = { span, end: Math.min(Math.max(at + (1 - k) * span, span), Math.max(S.clock.t_ns, 1)), follow: false };
  redraw();
}, { passive: false });
canvas.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, w: window_(), moved: false }; });
window.addEventListener("mousemove", (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x;
  if (Math.abs(dx) > 3) drag.moved = true;
  if (!drag.moved) return;
  const [t0, t1] = drag.w;
  const { left, W } = canvas._t || { left: 70, W: canvas.clientWidth };
  const dt = (dx / Math.max(1, W - left - 8)) * (t1 - t0);
  win = { span: t1 - t0, end: Math.max(t1 - t0, t1 - dt), follow: false };
  redraw();
});
window.addEventListener("mouseup", (e) => {
  if (!drag) return;
  const d = drag;
  drag = null;
  if (d.moved) return;
  const rect = canvas.getBoundingClientRect();
  pick(e.clientX - rect.left, e.clientY - rect.top);
});
$("chart-follow").onclick = () => { win = { span: win.span, end: null, follow: true }; redraw(); };
window.addEventListener("resize", redraw);
on("select", () => redraw());
