//! Merging what the parts of a parallel run wrote in one window into the order the sequential
//! kernel writes it ([`super::writing`] tags every writing with the event that made it).

use super::writing::{HashedEvent, PartRecord, Tag};
use super::{LogLine, Record};
use crate::faults::FaultRecord;
use crate::queue::EventKey;

/// What one window of a part wrote, tagged.
#[derive(Default)]
pub(crate) struct Writings {
    /// The keys of the events the part ran, in order.
    pub(super) events: Vec<EventKey>,
    /// The hashes of the events whose trace records the part hashed itself.
    pub(crate) hashed: Vec<HashedEvent>,
    pub(crate) trace: Vec<(Tag, PartRecord)>,
    pub(crate) logs: Vec<(Tag, LogLine)>,
    pub(crate) records: Vec<(Tag, Record)>,
    pub(crate) faults: Vec<(Tag, FaultRecord)>,
}

impl Writings {
    fn is_empty(&self) -> bool {
        self.trace.is_empty()
            && self.logs.is_empty()
            && self.records.is_empty()
            && self.faults.is_empty()
    }
}

/// The parts' writings of one window in the sequential order. Trace records, the bulk, stay
/// where the parts left them: `order` says which to read next.
#[derive(Default)]
pub(crate) struct Merged {
    /// Each part's events, in the order it ran them.
    events: Vec<Vec<EventKey>>,
    trace: Vec<Vec<(Tag, PartRecord)>>,
    /// The trace records in the sequential order: (part, index in its list).
    order: Vec<(u32, u32)>,
    pub(crate) logs: Vec<(Tag, LogLine)>,
    pub(crate) records: Vec<(Tag, Record)>,
    pub(crate) faults: Vec<(Tag, FaultRecord)>,
    /// The events the parts hashed themselves: their hashes summed, and their records.
    pub(crate) hashed: Hashed,
}

/// Events hashed by the parts: the sum of their hashes, and their records.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hashed {
    pub(crate) value: u64,
    pub(crate) records: u64,
}

impl Hashed {
    fn add(&mut self, e: &HashedEvent) {
        self.value = self.value.wrapping_add(e.value);
        self.records += u64::from(e.records);
    }
}

impl Merged {
    /// The trace records in the sequential order, with the keys of their events.
    pub(crate) fn trace(&self) -> impl Iterator<Item = (EventKey, &PartRecord)> {
        self.order.iter().map(|&(p, i)| {
            let (tag, r) = &self.trace[p as usize][i as usize];
            (self.events[p as usize][tag.event as usize], r)
        })
    }
}

/// One kind of writing of every part (lines, records, fault records: few), read event by event.
struct Cursors<T>(Vec<std::iter::Peekable<std::vec::IntoIter<(Tag, T)>>>);

impl<T> Cursors<T> {
    fn new(lists: Vec<Vec<(Tag, T)>>) -> Self {
        Cursors(
            lists
                .into_iter()
                .map(|l| l.into_iter().peekable())
                .collect(),
        )
    }

    /// Moves what the parts in `group` wrote in their events `at[p]` to `out`, in the
    /// sequential order.
    fn take(&mut self, group: &[usize], at: &[u32], out: &mut Vec<(Tag, T)>) {
        let start = out.len();
        for &p in group {
            while let Some(x) = self.0[p].next_if(|(t, _)| t.event == at[p]) {
                out.push(x);
            }
        }
        if group.len() > 1 {
            // A kernel event every part ran: its parts' writings by phase and hold order.
            out[start..].sort_by_key(|(t, _)| (t.phase, t.held, t.n));
        }
    }
}

/// The parts' writings of one window in the order the sequential kernel makes them; only up
/// to the first event whose key is in `stops` (a program stopped the run there).
pub(crate) fn merge(mut parts: Vec<Writings>, stops: &[EventKey]) -> Merged {
    // Without a stop, every hashed event counts; with one, only those before it (below).
    let mut hashed = Hashed::default();
    if stops.is_empty() {
        parts
            .iter()
            .flat_map(|w| &w.hashed)
            .for_each(|e| hashed.add(e));
    }
    // Most windows of an untraced run write nothing, or in one part only: nothing to merge.
    let writing: Vec<usize> = (0..parts.len()).filter(|&p| !parts[p].is_empty()).collect();
    match writing.as_slice() {
        [] if stops.is_empty() => {
            return Merged {
                hashed,
                ..Merged::default()
            };
        }
        [p] if stops.is_empty() => {
            let w = std::mem::take(&mut parts[*p]);
            return Merged {
                order: (0..w.trace.len() as u32).map(|i| (0, i)).collect(),
                events: vec![w.events],
                trace: vec![w.trace],
                logs: w.logs,
                records: w.records,
                faults: w.faults,
                hashed,
            };
        }
        _ => {}
    }
    let k = parts.len();
    let mut events = Vec::with_capacity(k);
    let mut trace = Vec::with_capacity(k);
    let (mut logs, mut records, mut faults) = (vec![], vec![], vec![]);
    let mut hashes = Vec::with_capacity(k);
    for w in parts {
        hashes.push(w.hashed);
        events.push(w.events);
        trace.push(w.trace);
        logs.push(w.logs);
        records.push(w.records);
        faults.push(w.faults);
    }
    let (mut logs, mut records) = (Cursors::new(logs), Cursors::new(records));
    let mut faults = Cursors::new(faults);
    let mut out = Merged {
        order: Vec::with_capacity(trace.iter().map(Vec::len).sum()),
        hashed,
        ..Merged::default()
    };
    let mut at = vec![0u32; k];
    let mut next_record = vec![0usize; k];
    let mut group = Vec::with_capacity(k);
    loop {
        let heads = events
            .iter()
            .zip(&at)
            .filter_map(|(e, &i)| e.get(i as usize));
        let Some(&min) = heads.min() else {
            break;
        };
        group.clear();
        group.extend((0..k).filter(|&p| events[p].get(at[p] as usize) == Some(&min)));
        let start = out.order.len();
        for &p in &group {
            let list = &trace[p];
            let i = &mut next_record[p];
            while list.get(*i).is_some_and(|(t, _)| t.event == at[p]) {
                out.order.push((p as u32, *i as u32));
                *i += 1;
            }
        }
        if group.len() > 1 {
            // A kernel event every part ran: its parts' records by phase and hold order.
            out.order[start..].sort_by_key(|&(p, i)| {
                let t = &trace[p as usize][i as usize].0;
                (t.phase, t.held, t.n)
            });
        }
        logs.take(&group, &at, &mut out.logs);
        records.take(&group, &at, &mut out.records);
        faults.take(&group, &at, &mut out.faults);
        for &p in &group {
            at[p] += 1;
        }
        if stops.contains(&min) {
            break;
        }
    }
    if !stops.is_empty() {
        // The events before the stop: each part's first `at[p]`.
        for (p, list) in hashes.iter().enumerate() {
            list.iter()
                .take_while(|e| e.event < at[p])
                .for_each(|e| out.hashed.add(e));
        }
    }
    out.trace = trace;
    out.events = events;
    out
}
