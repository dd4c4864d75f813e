//! Bindings for `nudge:policy@0.1.0` and conversions to and from the domain.

use jiff::{Timestamp, civil::Date};
use nudge_core::{Channel, DecisionContext, InvoiceStatus, NoticeState, Tone};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "policy",
});

pub(crate) use nudge::policy::host::Level;

/// Instantiates a plugin in `store`, like `PolicyPre::instantiate`, but
/// without type-checking its exports again on every instance:
/// `PolicyPre::new` checked them once against this very component, at load.
/// That check is about a tenth of a fresh call (BENCHMARKS.md).
pub(crate) fn instantiate(
    pre: &PolicyPre<crate::state::State>,
    store: &mut wasmtime::Store<crate::state::State>,
) -> wasmtime::Result<Policy> {
    let instance = pre.instance_pre.instantiate(&mut *store)?;
    let mut export = |index, name| {
        instance.get_func(&mut *store, index).ok_or_else(|| wasmtime::format_err!("plugin has no export `{name}`"))
    };
    Ok(Policy { decide: export(&pre.indices.decide, "decide")?, describe: export(&pre.indices.describe, "describe")? })
}
pub(crate) use nudge::policy::types as wit;

pub(crate) fn date(d: Date) -> wit::Date {
    // Month and day are 1..=12 and 1..=31 by construction of `Date`.
    wit::Date { year: i32::from(d.year()), month: d.month() as u8, day: d.day() as u8 }
}

pub(crate) fn channel(c: Channel) -> wit::Channel {
    match c {
        Channel::Email => wit::Channel::Email,
        Channel::Sms => wit::Channel::Sms,
        Channel::Push => wit::Channel::Push,
        Channel::Webhook => wit::Channel::Webhook,
    }
}

pub(crate) fn from_channel(c: wit::Channel) -> Channel {
    match c {
        wit::Channel::Email => Channel::Email,
        wit::Channel::Sms => Channel::Sms,
        wit::Channel::Push => Channel::Push,
        wit::Channel::Webhook => Channel::Webhook,
    }
}

pub(crate) fn tone(t: Tone) -> wit::Tone {
    match t {
        Tone::Gentle => wit::Tone::Gentle,
        Tone::Friendly => wit::Tone::Friendly,
        Tone::Firm => wit::Tone::Firm,
        Tone::Urgent => wit::Tone::Urgent,
    }
}

pub(crate) fn from_tone(t: wit::Tone) -> Tone {
    match t {
        wit::Tone::Gentle => Tone::Gentle,
        wit::Tone::Friendly => Tone::Friendly,
        wit::Tone::Firm => Tone::Firm,
        wit::Tone::Urgent => Tone::Urgent,
    }
}

fn money(amount_minor: i64, currency: &str) -> wit::Money {
    wit::Money { amount_minor, currency: currency.to_string() }
}

fn ts(t: Timestamp) -> i64 {
    t.as_second()
}

/// The WIT `context` for a decision.
pub(crate) fn context(ctx: &DecisionContext) -> wit::Context {
    let inv = &ctx.invoice;
    let cust = &ctx.customer;
    let stats = &cust.stats;
    wit::Context {
        now: ts(ctx.now),
        invoice: wit::Invoice {
            id: inv.id.to_string(),
            number: inv.number.clone(),
            total: money(inv.total.amount_minor, &inv.total.currency),
            amount_remaining: money(inv.amount_remaining_minor, &inv.total.currency),
            issued_on: date(inv.issued_on),
            due_on: date(inv.due_on),
            status: match inv.status {
                InvoiceStatus::Open => wit::InvoiceStatus::Open,
                InvoiceStatus::Paid => wit::InvoiceStatus::Paid,
                InvoiceStatus::Void => wit::InvoiceStatus::Void,
                InvoiceStatus::Uncollectible => wit::InvoiceStatus::Uncollectible,
            },
            disputed: inv.disputed,
            payment_link: inv.payment_link.clone(),
            tags: inv.tags.clone(),
        },
        customer: wit::Customer {
            id: cust.id.to_string(),
            language: cust.language.clone(),
            time_zone: cust.time_zone.clone(),
            utc_offset_minutes: ctx.utc_offset_minutes,
            tier: cust.tier.clone(),
            lifetime_value: money(stats.lifetime_paid_minor, &ctx.currency),
            reachable_channels: cust.reachable_channels().into_iter().map(channel).collect(),
            preferred_channel: cust.preferred_channel.map(channel),
            opted_out_channels: cust.opted_out.iter().copied().map(channel).collect(),
            tags: cust.tags.clone(),
        },
        history: wit::History {
            notices: ctx
                .notices
                .iter()
                .map(|n| {
                    let (at, outcome) = match &n.state {
                        NoticeState::Scheduled | NoticeState::Sending => (n.send_at, wit::NoticeOutcome::Scheduled),
                        NoticeState::Sent { at, .. } => (*at, wit::NoticeOutcome::Sent),
                        NoticeState::Suppressed { at, .. } => (*at, wit::NoticeOutcome::Suppressed),
                        NoticeState::Failed { at, .. } => (*at, wit::NoticeOutcome::Failed),
                    };
                    let channel_used = match &n.state {
                        NoticeState::Sent { channel, .. } => *channel,
                        _ => n.channel,
                    };
                    wit::PastNotice {
                        step: n.step.clone(),
                        channel: channel(channel_used),
                        tone: tone(n.tone),
                        at: ts(at),
                        outcome,
                    }
                })
                .collect(),
            invoices_paid_on_time: stats.paid_on_time,
            invoices_paid_late: stats.paid_late,
            total_days_late: stats.total_days_late,
            opens: stats.opens,
            clicks: stats.clicks,
            bounces: stats.bounces,
            negative_feedback: stats.negative_feedback,
        },
        experiments: ctx
            .experiments
            .iter()
            .map(|(experiment, arm)| wit::ExperimentArm { experiment: experiment.clone(), arm: arm.clone() })
            .collect(),
        seed: ctx.seed,
        config: ctx.config.clone(),
    }
}
