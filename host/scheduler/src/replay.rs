//! Replaying past data on a virtual clock.
//!
//! Feed items (invoices issued, payments received) are applied in time
//! order; before each, everything the scheduler had due runs at its own due
//! time. The same code paths as the live service run, only the clock differs.

use std::collections::HashSet;

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
    sort(&mut feed);
    apply(scheduler, feed, until)
}

/// Replays `feed` as [`run`] does, into a store that may hold part of the
/// same replay already (a run that was killed): the items already applied
/// are skipped. sled recovers a prefix of its writes, so the applied items
/// are a prefix of the feed; each item is one transaction, and what must
/// follow it (the invoice's evaluation) is scheduled in that transaction,
/// so the schedule picks up whatever a killed run left undone.
pub fn resume(scheduler: &Scheduler, mut feed: Vec<(Timestamp, FeedItem)>, until: Timestamp) -> Result<ReplayStats> {
    sort(&mut feed);
    let Some(tenant) = feed.first().map(|(_, item)| match item {
        FeedItem::Invoice(i) => i.tenant.clone(),
        FeedItem::Payment(p) => p.tenant.clone(),
    }) else {
        return apply(scheduler, feed, until);
    };
    let store = scheduler.store();
    let payments: HashSet<_> = store.payments(&tenant)?.into_iter().map(|p| p.id).collect();
    let mut applied: usize = 0;
    for (_, item) in &feed {
        let done = match item {
            FeedItem::Invoice(i) => store.invoice(&tenant, &i.id)?.is_some(),
            FeedItem::Payment(p) => payments.contains(&p.id),
        };
        if !done {
            break;
        }
        applied += 1;
    }
    let mut stats = apply(scheduler, feed.into_iter().skip(applied).collect(), until)?;
    stats.feed_items += applied;
    Ok(stats)
}

fn sort(feed: &mut [(Timestamp, FeedItem)]) {
    feed.sort_by_key(|(at, item)| (*at, matches!(item, FeedItem::Invoice(_))));
}

fn apply(scheduler: &Scheduler, feed: Vec<(Timestamp, FeedItem)>, until: Timestamp) -> Result<ReplayStats> {
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
