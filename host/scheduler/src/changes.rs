//! What would change for customers if one policy replaced another: the
//! notices two replays of the same history sent, compared invoice by invoice.

use std::collections::{BTreeMap, BTreeSet};

use nudge_core::InvoiceId;
use serde::Serialize;

use crate::breakdown::SentNotice;

/// Changes to the notices of one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepChanges {
    /// Invoices that get this step's notice only with the new policy.
    pub added: usize,
    /// Invoices that get it only with the old policy.
    pub removed: usize,
    /// Invoices that get it with both, on another channel or in another tone.
    pub changed: usize,
    /// Invoices that get it with both, alike but at another time.
    pub retimed: usize,
}

/// How the notices on one channel, or in one tone, change in number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CountChange {
    /// Notices with the old policy.
    pub before: usize,
    /// Notices with the new policy.
    pub after: usize,
    /// Notices gained, summed over invoices.
    pub gained: usize,
    /// Notices lost, summed over invoices.
    pub lost: usize,
}

/// One invoice whose notices differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceChange {
    /// The invoice.
    pub invoice: InvoiceId,
    /// Its notices with the old policy.
    pub before: Vec<String>,
    /// Its notices with the new policy.
    pub after: Vec<String>,
}

/// The difference between two replays of one history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Invoices that got a notice in either replay.
    pub invoices_with_notices: usize,
    /// Invoices whose notices differ in step, channel, tone or time.
    pub invoices_changed: usize,
    /// By step.
    pub by_step: BTreeMap<String, StepChanges>,
    /// By channel.
    pub by_channel: BTreeMap<String, CountChange>,
    /// By tone.
    pub by_tone: BTreeMap<String, CountChange>,
    /// The first changed invoices, by id.
    pub examples: Vec<InvoiceChange>,
}

/// Compares the notices sent with the old policy (`before`) and the new one
/// (`after`), keeping up to `examples` changed invoices as examples.
pub fn compare(
    before: &BTreeMap<InvoiceId, Vec<SentNotice>>,
    after: &BTreeMap<InvoiceId, Vec<SentNotice>>,
    examples: usize,
) -> Changes {
    let mut c = Changes::default();
    let invoices: BTreeSet<&InvoiceId> = before.keys().chain(after.keys()).collect();
    c.invoices_with_notices = invoices.len();
    for invoice in invoices {
        let old = before.get(invoice).map_or(&[][..], Vec::as_slice);
        let new = after.get(invoice).map_or(&[][..], Vec::as_slice);
        tally(&mut c.by_channel, old, new, |n| n.channel.as_str());
        tally(&mut c.by_tone, old, new, |n| n.tone.as_str());
        if old == new {
            continue;
        }
        c.invoices_changed += 1;
        let steps: BTreeSet<&str> = old.iter().chain(new).map(|n| n.step.as_str()).collect();
        for step in steps {
            let (o, n) = (old.iter().find(|x| x.step == step), new.iter().find(|x| x.step == step));
            let entry = c.by_step.entry(step.to_string()).or_default();
            match (o, n) {
                (None, Some(_)) => entry.added += 1,
                (Some(_), None) => entry.removed += 1,
                (Some(o), Some(n)) if (o.channel, o.tone) != (n.channel, n.tone) => entry.changed += 1,
                (Some(o), Some(n)) if o.at != n.at => entry.retimed += 1,
                _ => {}
            }
        }
        if c.examples.len() < examples {
            c.examples.push(InvoiceChange {
                invoice: invoice.clone(),
                before: old.iter().map(ToString::to_string).collect(),
                after: new.iter().map(ToString::to_string).collect(),
            });
        }
    }
    c
}

/// Adds one invoice's notices, grouped by `key`, to `counts`.
fn tally(
    counts: &mut BTreeMap<String, CountChange>,
    old: &[SentNotice],
    new: &[SentNotice],
    key: fn(&SentNotice) -> &str,
) {
    let mut per_key: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for n in old {
        per_key.entry(key(n)).or_default().0 += 1;
    }
    for n in new {
        per_key.entry(key(n)).or_default().1 += 1;
    }
    for (k, (b, a)) in per_key {
        let entry = counts.entry(k.to_string()).or_default();
        entry.before += b;
        entry.after += a;
        entry.gained += a.saturating_sub(b);
        entry.lost += b.saturating_sub(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{Channel, Tone};

    fn n(step: &str, channel: Channel, tone: Tone, day: i64) -> SentNotice {
        let at = jiff::Timestamp::from_second(1_700_000_000 + day * 86_400).unwrap();
        SentNotice { step: step.into(), channel, tone, at }
    }

    fn id(s: &str) -> InvoiceId {
        InvoiceId::new(s).unwrap()
    }

    #[test]
    fn counts_added_removed_changed_and_retimed_steps_per_invoice() {
        use Channel::{Email, Sms};
        use Tone::{Firm, Friendly, Gentle};
        let before = BTreeMap::from([
            (id("a"), vec![n("overdue-1", Email, Friendly, 1), n("overdue-7", Email, Firm, 7)]),
            (id("b"), vec![n("overdue-1", Email, Friendly, 1)]),
            (id("c"), vec![n("overdue-1", Email, Friendly, 1)]),
        ]);
        let after = BTreeMap::from([
            // a: overdue-7 moves to sms, a pre-due notice is new.
            (
                id("a"),
                vec![n("pre-due", Email, Gentle, -1), n("overdue-1", Email, Friendly, 1), n("overdue-7", Sms, Firm, 7)],
            ),
            // b: unchanged. c: later. d: new invoice with a notice.
            (id("b"), vec![n("overdue-1", Email, Friendly, 1)]),
            (id("c"), vec![n("overdue-1", Email, Friendly, 2)]),
            (id("d"), vec![n("overdue-1", Email, Friendly, 1)]),
        ]);
        let c = compare(&before, &after, 2);
        assert_eq!((c.invoices_with_notices, c.invoices_changed), (4, 3));
        assert_eq!(c.by_step["pre-due"], StepChanges { added: 1, ..StepChanges::default() });
        assert_eq!(c.by_step["overdue-7"], StepChanges { changed: 1, ..StepChanges::default() });
        assert_eq!(c.by_step["overdue-1"], StepChanges { added: 1, retimed: 1, ..StepChanges::default() });
        assert_eq!(c.by_channel["email"], CountChange { before: 4, after: 5, gained: 1, lost: 0 });
        assert_eq!(c.by_channel["sms"], CountChange { before: 0, after: 1, gained: 1, lost: 0 });
        assert_eq!(c.by_tone["gentle"], CountChange { before: 0, after: 1, gained: 1, lost: 0 });
        assert_eq!(c.examples.iter().map(|e| e.invoice.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        assert!(c.examples[0].after[2].starts_with("overdue-7 sms firm at "), "{:?}", c.examples[0]);
        assert_eq!(compare(&before, &before, 5).invoices_changed, 0);
    }
}
