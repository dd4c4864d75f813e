//! The circuit breaker: a plugin version that keeps failing is switched off.

use std::collections::{HashMap, VecDeque};

use nudge_core::TenantId;

/// Remembers the last calls of each plugin version.
#[derive(Debug)]
pub(crate) struct Breaker {
    window: usize,
    threshold: usize,
    calls: HashMap<(TenantId, u32), VecDeque<bool>>,
}

impl Breaker {
    pub fn new(window: usize, threshold: usize) -> Self {
        Self { window: window.max(1), threshold: threshold.max(1), calls: HashMap::new() }
    }

    /// Records a call; returns the failure count when the version must be switched off.
    pub fn record(&mut self, tenant: &TenantId, version: u32, ok: bool) -> Option<usize> {
        let calls = self.calls.entry((tenant.clone(), version)).or_default();
        calls.push_back(ok);
        if calls.len() > self.window {
            calls.pop_front();
        }
        let failures = calls.iter().filter(|ok| !**ok).count();
        (failures >= self.threshold).then(|| {
            calls.clear();
            failures
        })
    }

    /// Forgets a version's record (it was activated again explicitly).
    pub fn forget(&mut self, tenant: &TenantId, version: u32) {
        self.calls.remove(&(tenant.clone(), version));
    }

    /// The window, for messages.
    pub fn window(&self) -> usize {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_at_the_threshold_within_the_window_only() {
        let t = TenantId::new("t").unwrap();
        let mut b = Breaker::new(4, 3);
        assert_eq!(b.record(&t, 1, false), None);
        assert_eq!(b.record(&t, 1, true), None);
        assert_eq!(b.record(&t, 1, false), None);
        assert_eq!(b.record(&t, 2, false), None, "versions are counted apart");
        assert_eq!(b.record(&t, 1, false), Some(3));
        // Successes push old failures out of the window.
        let mut b = Breaker::new(2, 2);
        for _ in 0..10 {
            assert_eq!(b.record(&t, 1, false), None);
            assert_eq!(b.record(&t, 1, true), None);
        }
    }
}
