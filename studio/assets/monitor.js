// The monitor: what workers write, stamped with virtual time (all nodes, or the selected
// node's), the shell's questions and answers, and the shell's input line.

import { $, S, send, on, status } from "./state.js";

const MAX_LOGS = 5000;
let logs = [];           // {t_ns, node, worker, err, text, eval}
let mark = null;         // a moment to show (from the sequence chart), ns

export function reset() { logs = []; mark = null; render(); }

export function add(entries) {
  if (!entries.length) return;
  for (const l of entries) logs.push(l);
  if (logs.length > MAX_LOGS) logs = logs.slice(logs.length - MAX_LOGS);
  render();
}

export function showTime(t_ns) { mark = t_ns; render(); }

const who = (l) => `${l.node}/${l.worker == null ? "program" : `w${l.worker}`}`;

export function render() {
  const pre = $("monitor");
  const sel = S.selected && S.selected.kind === "node" ? S.selected.name : null;
  const shown = (sel ? logs.filter((l) => l.node === sel) : logs).slice(-1000);
  const frag = document.createDocumentFragment();
  let marked = null;
  for (const l of shown) {
    const line = document.createElement("div");
    line.className = l.eval ? "eval" : l.err ? "err" : "";
    const t = l.t_ns === null ? "" : `${(l.t_ns / 1e6).toFixed(6).padStart(12)} `;
    line.textContent = `${t}${who(l)} ${l.text}`;
    if (mark !== null && marked === null && l.t_ns !== null && l.t_ns >= mark) {
      line.classList.add("mark");
      marked = line;
    }
    frag.appendChild(line);
  }
  pre.replaceChildren(frag);
  if (marked) marked.scrollIntoView({ block: "center" });
  else pre.scrollTop = pre.scrollHeight;
}

on("eval_result", (m) => {
  const text = m.error ? `! ${m.error}` : `= ${JSON.stringify(m.value)}`;
  logs.push({ t_ns: null, node: m.node, worker: m.worker, err: !!m.error, text: `> ${m.code}\n${text}`, eval: true });
  mark = null;
  render();
});

$("shell").onsubmit = (e) => {
  e.preventDefault();
  const code = $("shell-input").value.trim();
  if (!code) return;
  if (!S.selected || S.selected.kind !== "node") { status("select a node to evaluate in", true); return; }
  send({ cmd: "eval", node: S.selected.name, worker: S.worker, code });
  $("shell-input").value = "";
};
