//! Which event sequence numbers a fold of the event log has applied.
//!
//! Sequence numbers are handed out when a transaction starts, so one can
//! commit after another with a higher number. A fold therefore re-reads
//! `WINDOW` numbers behind the highest it applied ([`Applied::resume_from`])
//! and remembers the numbers applied within that window, so an event that
//! committed late is counted once, never twice.

use std::collections::BTreeSet;

/// The sequence numbers applied, within `WINDOW` of the highest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Applied<const WINDOW: u64> {
    /// The highest sequence number applied.
    high_water: Option<u64>,
    /// Sequence numbers applied within `WINDOW` of the high water mark.
    recent: BTreeSet<u64>,
}

impl<const WINDOW: u64> Applied<WINDOW> {
    /// The first sequence number to read from the log: `WINDOW` behind the
    /// highest applied.
    pub(crate) fn resume_from(&self) -> u64 {
        self.high_water.map_or(0, |h| h.saturating_sub(WINDOW))
    }

    /// Marks `seq` applied; false when it was already, or is too old to know.
    pub(crate) fn claim(&mut self, seq: u64) -> bool {
        if self.high_water.is_some() && seq < self.resume_from() {
            return false;
        }
        if !self.recent.insert(seq) {
            return false;
        }
        if self.high_water.is_none_or(|h| seq > h) {
            self.high_water = Some(seq);
            // Forget what is now outside the window.
            let floor = self.resume_from();
            self.recent = self.recent.split_off(&floor);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_claimed_once_and_late_ones_within_the_window_still_count() {
        let mut applied = Applied::<4>::default();
        assert_eq!(applied.resume_from(), 0);
        assert!(applied.claim(10));
        assert!(!applied.claim(10), "twice");
        assert_eq!(applied.resume_from(), 6);
        assert!(applied.claim(7), "late, within the window");
        assert!(!applied.claim(7));
        assert!(!applied.claim(5), "too far behind to tell");
        assert!(applied.claim(20));
        assert!(!applied.claim(15), "behind the moved window");
        assert!(applied.claim(16));
    }
}
