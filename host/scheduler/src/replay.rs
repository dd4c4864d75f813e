//! Replaying past data on a virtual clock.
//!
//! Feed items (invoices issued, payments received) are applied in time
//! order; before each, everything the scheduler had due runs at its own due
//! time. The same code paths as the live service run, only the clock differs.

use jiff::{SignedDuration, Timestamp};
use nudge_core::{Invoice, Payment};

use crate::{Result, Scheduler};

/// Something that happened in the tenant's world.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// An invoice was issued.
    Invoice(Invoice),
    /// A payment arrived.
    Payment(Payment),
}

/// Counts of a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Feed items applied.
    pub feed_items: usize,
    /// Schedule entries run (evaluations and sends).
    pub entries_run: usize,
}

/// Replays `feed` up to `until`; items after `until` are ignored.
///
/// At equal times payments come before invoices, and both before the
/// schedule entries of that instant: money that arrived first always wins.
pub fn run(scheduler: &Scheduler, mut feed: Vec<(Timestamp, FeedItem)>, until: Timestamp) -> Result<ReplayStats> {
    feed.sort_by_key(|(at, item)| (*at, matches!(item, FeedItem::Invoice(_))));
    let mut stats = ReplayStats::default();
    for (at, item) in feed {
        if at > until {
            break;
        }
        stats.entries_run += scheduler.advance_to(at - SignedDuration::from_secs(1))?;
        match item {
            FeedItem::Invoice(invoice) => scheduler.upsert_invoice(&invoice, at)?,
            FeedItem::Payment(payment) => {
                scheduler.record_payment(&payment)?;
            }
        }
        stats.feed_items += 1;
    }
    stats.entries_run += scheduler.advance_to(until)?;
    Ok(stats)
}
