//! Merging what the parts of a parallel run wrote in one window into the order the sequential
//! kernel writes it ([`super::part`] tags every writing with the event that made it).

use super::part::{PartRecord, Tag};
use super::{LogLine, Record};
use crate::faults::FaultRecord;
use crate::queue::EventKey;

/// What one window of a part wrote, tagged.
#[derive(Default)]
pub(crate) struct Writings {
    /// The keys of the events the part ran, in order.
    pub(super) events: Vec<EventKey>,
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

/// One kind of writing of every part, read event by event.
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
pub(crate) fn merge(mut parts: Vec<Writings>, stops: &[EventKey]) -> Writings {
    // Most windows of an untraced run write nothing, or in one part only: nothing to merge.
    let writing: Vec<usize> = (0..parts.len()).filter(|&p| !parts[p].is_empty()).collect();
    match writing.as_slice() {
        [] => return Writings::default(),
        [p] if stops.is_empty() => return std::mem::take(&mut parts[*p]),
        _ => {}
    }
    let mut events = Vec::with_capacity(parts.len());
    let (mut trace, mut logs, mut records, mut faults) = (vec![], vec![], vec![], vec![]);
    for w in parts {
        events.push(w.events);
        trace.push(w.trace);
        logs.push(w.logs);
        records.push(w.records);
        faults.push(w.faults);
    }
    let (mut trace, mut logs) = (Cursors::new(trace), Cursors::new(logs));
    let (mut records, mut faults) = (Cursors::new(records), Cursors::new(faults));
    let mut out = Writings::default();
    let mut at = vec![0u32; events.len()];
    let mut group = Vec::with_capacity(events.len());
    loop {
        let heads = events
            .iter()
            .zip(&at)
            .map(|(e, &i)| e.get(i as usize).copied());
        let Some(min) = heads.clone().flatten().min() else {
            break;
        };
        group.clear();
        group.extend(
            heads
                .enumerate()
                .filter(|(_, h)| *h == Some(min))
                .map(|(p, _)| p),
        );
        trace.take(&group, &at, &mut out.trace);
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
    out
}
