//! When a customer engages: a histogram of local hours, and the best one.

/// Events a customer needs before their own histogram is trusted.
pub const MIN_OWN_SAMPLES: u32 = 3;
/// Events the tenant's customers need together before their histogram is
/// used for customers without enough of their own.
pub const MIN_TENANT_SAMPLES: u32 = 20;

/// Counts of events by local hour of the day (0 to 23).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hours {
    counts: [u32; 24],
    total: u32,
}

impl Hours {
    /// Counts one event at local `hour` (0 to 23; larger values are ignored).
    pub fn add(&mut self, hour: u8) {
        if let Some(count) = self.counts.get_mut(usize::from(hour)) {
            *count += 1;
            self.total += 1;
        }
    }

    /// Events counted.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// The hour with the most events after smoothing each hour with its
    /// neighbours (weights 1, 2, 1, wrapping round midnight), so that one
    /// stray event does not outweigh a cluster; the earliest on a tie.
    /// `None` with no events.
    pub fn best(&self) -> Option<u8> {
        if self.total == 0 {
            return None;
        }
        let smoothed = |h: usize| self.counts[(h + 23) % 24] + 2 * self.counts[h] + self.counts[(h + 1) % 24];
        let mut best = 0;
        for h in 1..24 {
            if smoothed(h) > smoothed(best) {
                best = h;
            }
        }
        Some(best as u8)
    }
}

/// The best send hour for a customer: their own histogram when it holds at
/// least [`MIN_OWN_SAMPLES`] events, else the tenant's when it holds at
/// least [`MIN_TENANT_SAMPLES`]; with the events behind it and whether they
/// are the customer's own.
pub fn best_send_hour(own: Option<&Hours>, tenant: &Hours) -> (Option<u8>, u32, bool) {
    match own {
        Some(own) if own.total() >= MIN_OWN_SAMPLES => (own.best(), own.total(), true),
        _ if tenant.total() >= MIN_TENANT_SAMPLES => (tenant.best(), tenant.total(), false),
        _ => (None, own.map_or(0, Hours::total), own.is_some_and(|o| o.total() > 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(list: &[u8]) -> Hours {
        let mut h = Hours::default();
        for &hour in list {
            h.add(hour);
        }
        h
    }

    #[test]
    fn a_cluster_beats_a_single_stray_peak() {
        // Two events at 3, but a cluster at 9, 10, 10, 11.
        let h = hours(&[3, 3, 9, 10, 10, 11]);
        assert_eq!(h.best(), Some(10));
        assert_eq!(h.total(), 6);
    }

    #[test]
    fn smoothing_wraps_round_midnight() {
        let h = hours(&[23, 0, 0, 1, 12]);
        assert_eq!(h.best(), Some(0));
        assert_eq!(Hours::default().best(), None);
        assert_eq!(hours(&[24, 99]).total(), 0);
    }

    #[test]
    fn own_hours_first_then_the_tenant_then_none() {
        let tenant = hours(&[14; 25]);
        let own = hours(&[8, 8, 9]);
        assert_eq!(best_send_hour(Some(&own), &tenant), (Some(8), 3, true));
        let few = hours(&[8, 8]);
        assert_eq!(best_send_hour(Some(&few), &tenant), (Some(14), 25, false));
        assert_eq!(best_send_hour(None, &hours(&[14; 5])), (None, 0, false));
        assert_eq!(best_send_hour(Some(&few), &hours(&[14; 5])), (None, 2, true));
    }
}
