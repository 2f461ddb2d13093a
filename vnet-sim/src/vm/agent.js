// The agent runtime (vnet): runs the class `__class` returns as an activity-transition graph.
// An activity runs to its end; then its transition picks the next one, clones are made, and a
// `moveto` ships the state and the class's code to the next node, where this runtime resumes
// it at the next activity. See docs/agents.md.
const A = globalThis.__agent;
delete globalThis.__agent;
const parcel = A('parcel');
const cls = __class();
const name = parcel.class;
if (cls === null || typeof cls !== 'object') {
  throw new TypeError(`agent class ${name}: the code must return an object (the class), not ${cls === null ? 'null' : typeof cls}`);
}
const act = cls.act, trans = cls.trans || {}, on = cls.on || {};
if (act === null || typeof act !== 'object') {
  throw new TypeError(`agent class ${name}: \`act\` must be an object of activities`);
}
const reserved = new Set(['act', 'trans', 'start', 'on']);
const self = {};
for (const k of Object.keys(cls)) if (!reserved.has(k)) self[k] = cls[k];
if (parcel.state !== null) {
  // A moved or cloned agent's state replaces its class's fields; a placed one's overrides them.
  if (parcel.next !== null) {
    for (const k of Object.keys(self)) if (typeof self[k] !== 'function') delete self[k];
  }
  Object.assign(self, parcel.state);
}
const state = () => {
  const s = {};
  for (const k of Object.keys(self)) {
    const v = self[k];
    if (typeof v !== 'function' && v !== undefined) s[k] = v;
  }
  return s;
};

let going = null, killed = false, clones = [];
globalThis.moveto = (dir) => {
  if (typeof dir !== 'string') throw new TypeError('moveto: expected a port or neighbour name');
  A('route', dir);
  going = dir;
};
globalThis.clone = (changes) => {
  if (changes !== undefined && (changes === null || typeof changes !== 'object')) {
    throw new TypeError('clone: expected an object of changed fields');
  }
  const id = A('id');
  clones.push([id, changes || {}]);
  return id;
};
globalThis.kill = (id) => {
  if (id === undefined || id === parcel.id) { killed = true; return true; }
  return A('kill', id);
};
globalThis.me = () => parcel.id;
globalThis.signal = (to, sig, arg) => {
  if (typeof to !== 'string' || typeof sig !== 'string') {
    throw new TypeError('signal: expected an agent id and a signal name');
  }
  return A('signal', { to, name: sig, arg: arg === undefined ? null : arg });
};
globalThis.recv = () => { throw new TypeError('recv: agents receive no messages; use the tuple space or signals'); };
globalThis.fork = () => { throw new TypeError('fork: agents clone(), they do not fork'); };

let cur = parcel.next !== null ? parcel.next : cls.start;
if (typeof cur !== 'string') throw new TypeError(`agent class ${name}: \`start\` must name an activity`);
for (;;) {
  for (const [sig, arg] of A('signals')) {
    const h = on[sig];
    if (typeof h === 'function') await h.call(self, arg, self);
  }
  const f = act[cur];
  if (typeof f !== 'function') throw new TypeError(`agent ${parcel.id}: no activity '${cur}'`);
  going = null; killed = false; clones = [];
  await f.call(self, self);
  const t = trans[cur];
  const nextOf = async (s) => {
    const n = typeof t === 'function' ? await t.call(s, s) : t;
    if (n !== null && n !== undefined && typeof n !== 'string') {
      throw new TypeError(`agent ${parcel.id}: the transition from '${cur}' gave a ${typeof n}, not an activity name`);
    }
    return n === undefined ? null : n;
  };
  const nxt = killed ? null : await nextOf(self);
  // Each clone takes the transition from its own state.
  for (const [id, ch] of clones) {
    const s = Object.assign({}, self, ch);
    const cn = await nextOf(s);
    if (cn !== null) {
      for (const k of Object.keys(s)) if (typeof s[k] === 'function' || s[k] === undefined) delete s[k];
      A('clone', { id, state: s, next: cn });
    }
  }
  if (nxt === null) return;
  if (going !== null) { A('move', { to: going, state: state(), next: nxt }); return; }
  cur = nxt;
}
