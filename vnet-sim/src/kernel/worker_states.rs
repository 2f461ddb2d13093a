//! A node's worker states in 16 bytes: inline for up to 14 workers, one allocation past that.
//!
//! Every node has one of these, so its size is memory per idle node (a `SmallVec` of two takes
//! 24 bytes, most of them padding around two one-byte states).

use std::ops::{Deref, DerefMut};

use super::program::WorkerState;

/// Worker states, indexed by worker id.
#[derive(Clone, Debug)]
pub(crate) enum WorkerStates {
    Inline(u8, [WorkerState; INLINE]),
    // Boxed so that the enum stays 16 bytes (a `Vec` is 24); a boxed slice would reallocate
    // at every fork.
    #[allow(clippy::box_collection)]
    Heap(Box<Vec<WorkerState>>),
}

const INLINE: usize = 14;

impl Default for WorkerStates {
    fn default() -> Self {
        WorkerStates::Inline(0, [WorkerState::Starting; INLINE])
    }
}

impl WorkerStates {
    pub(crate) fn push(&mut self, s: WorkerState) {
        match self {
            WorkerStates::Inline(len, states) if (*len as usize) < INLINE => {
                states[*len as usize] = s;
                *len += 1;
            }
            WorkerStates::Inline(_, states) => {
                let mut v = states.to_vec();
                v.push(s);
                *self = WorkerStates::Heap(Box::new(v));
            }
            WorkerStates::Heap(v) => v.push(s),
        }
    }
}

impl Deref for WorkerStates {
    type Target = [WorkerState];
    fn deref(&self) -> &[WorkerState] {
        match self {
            WorkerStates::Inline(len, states) => &states[..*len as usize],
            WorkerStates::Heap(v) => v,
        }
    }
}

impl DerefMut for WorkerStates {
    fn deref_mut(&mut self) -> &mut [WorkerState] {
        match self {
            WorkerStates::Inline(len, states) => &mut states[..*len as usize],
            WorkerStates::Heap(v) => v,
        }
    }
}

impl FromIterator<WorkerState> for WorkerStates {
    fn from_iter<I: IntoIterator<Item = WorkerState>>(iter: I) -> Self {
        let mut w = WorkerStates::default();
        iter.into_iter().for_each(|s| w.push(s));
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bytes_and_a_slice_past_the_inline_ones() {
        assert_eq!(std::mem::size_of::<WorkerStates>(), 16);
        let mut w = WorkerStates::default();
        for i in 0..40 {
            let s = if i % 2 == 0 {
                WorkerState::Running
            } else {
                WorkerState::Waiting
            };
            w.push(s);
            assert_eq!(w.len(), i + 1);
            assert_eq!(w[i], s);
        }
        assert!(matches!(w, WorkerStates::Heap(_)));
        w[3] = WorkerState::Killed;
        assert_eq!(w.iter().filter(|&&s| s == WorkerState::Killed).count(), 1);
        assert_eq!(w[..13].len(), 13);
    }
}
