//! Bindings for both worlds the host serves — `nudge:policy@0.2.0` (the
//! current one, `wit/`) and `nudge:policy@0.1.0` (frozen, `wit/0.1/`) —
//! and conversions to and from the domain.
//!
//! `decide` and `describe` are exported functions whose types are
//! structural, so a component built against 0.1 fails the 0.2 type-check
//! (its `context` has no `signals`) and the other way round. [`Pre::new`]
//! picks the world that type-checks at load; a 0.1 plugin gets the context
//! without signals, and its answers are converted to the 0.2 types the
//! rest of the host works with.

use jiff::{Timestamp, civil::Date};
use nudge_core::{Channel, DecisionContext, InvoiceStatus, NoticeState, Signals, Tone};
use wasmtime::component::InstancePre;

use crate::state::State;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "policy",
});

/// `PolicyPre::instantiate` without its per-instance type-check, for the
/// bindings of the module it is expanded in (their fields are private to it).
macro_rules! instantiate_fn {
    () => {
        /// Instantiates a plugin in `store`, taking its exports by the
        /// indices `PolicyPre::new` found when it type-checked them at load.
        pub(crate) fn instantiate(
            pre: &PolicyPre<crate::state::State>,
            store: &mut wasmtime::Store<crate::state::State>,
        ) -> wasmtime::Result<Policy> {
            let instance = pre.instance_pre.instantiate(&mut *store)?;
            let mut export = |index, name| {
                instance
                    .get_func(&mut *store, index)
                    .ok_or_else(|| wasmtime::format_err!("plugin has no export `{name}`"))
            };
            Ok(Policy {
                decide: export(&pre.indices.decide, "decide")?,
                describe: export(&pre.indices.describe, "describe")?,
            })
        }
    };
}

instantiate_fn!();

/// The frozen `nudge:policy@0.1.0` world.
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../../wit/0.1",
        world: "policy",
    });

    instantiate_fn!();
}

pub(crate) use nudge::policy::host::Level;
pub(crate) use nudge::policy::types as wit;
use v0_1::nudge::policy::types as wit01;

/// A plugin's pre-instantiated handle, in the world it was built against.
#[derive(Clone)]
pub(crate) enum Pre {
    /// Built against `nudge:policy@0.2.0`: sees predictive signals.
    V0_2(PolicyPre<State>),
    /// Built against `nudge:policy@0.1.0`.
    V0_1(v0_1::PolicyPre<State>),
}

/// A live plugin instance's exports, in its world.
pub(crate) enum Bound {
    /// A 0.2 plugin.
    V0_2(Policy),
    /// A 0.1 plugin.
    V0_1(v0_1::Policy),
}

impl Pre {
    /// Type-checks the component's exports against 0.2, then 0.1; the
    /// error names why it matches neither.
    pub(crate) fn new(pre: InstancePre<State>) -> Result<Self, String> {
        match PolicyPre::new(pre.clone()) {
            Ok(pre) => Ok(Pre::V0_2(pre)),
            Err(newer) => v0_1::PolicyPre::new(pre)
                .map(Pre::V0_1)
                .map_err(|older| format!("as 0.2.0: {newer:#}; as 0.1.0: {older:#}")),
        }
    }

    /// The WIT package version the plugin was built against.
    pub(crate) fn world_version(&self) -> &'static str {
        match self {
            Pre::V0_2(_) => "0.2.0",
            Pre::V0_1(_) => "0.1.0",
        }
    }

    /// Instantiates the plugin in `store`, like `PolicyPre::instantiate`,
    /// but without type-checking its exports again on every instance: the
    /// check ran once, at load. That check is about a tenth of a fresh call
    /// (BENCHMARKS.md).
    pub(crate) fn instantiate(&self, store: &mut wasmtime::Store<State>) -> wasmtime::Result<Bound> {
        Ok(match self {
            Pre::V0_2(pre) => Bound::V0_2(instantiate(pre, store)?),
            Pre::V0_1(pre) => Bound::V0_1(v0_1::instantiate(pre, store)?),
        })
    }
}

impl Bound {
    /// Calls `decide` with the context as the plugin's world has it.
    pub(crate) fn call_decide(
        &self,
        store: &mut wasmtime::Store<State>,
        ctx: &DecisionContext,
    ) -> wasmtime::Result<Result<wit::Decision, wit::PolicyError>> {
        match self {
            Bound::V0_2(policy) => policy.call_decide(store, &context(ctx)),
            Bound::V0_1(policy) => Ok(match policy.call_decide(store, &older::context(ctx))? {
                Ok(decision) => Ok(from_v0_1(decision)),
                Err(e) => Err(wit::PolicyError { code: e.code, message: e.message }),
            }),
        }
    }

    /// Calls `describe`.
    pub(crate) fn call_describe(&self, store: &mut wasmtime::Store<State>) -> wasmtime::Result<wit::PolicyInfo> {
        match self {
            Bound::V0_2(policy) => policy.call_describe(store),
            Bound::V0_1(policy) => {
                let info = policy.call_describe(store)?;
                Ok(wit::PolicyInfo {
                    name: info.name,
                    version: info.version,
                    experiments: info
                        .experiments
                        .into_iter()
                        .map(|e| wit::Experiment { name: e.name, arms: e.arms })
                        .collect(),
                })
            }
        }
    }
}

/// A 0.1 decision in the 0.2 types (the same shape).
fn from_v0_1(d: wit01::Decision) -> wit::Decision {
    let action = match d.action {
        wit01::Action::Notify(n) => wit::Action::Notify(wit::Notify {
            send_at: n.send_at,
            channel: channel(older::from_channel(n.channel)),
            fallbacks: n.fallbacks.into_iter().map(|c| channel(older::from_channel(c))).collect(),
            tone: tone(older::from_tone(n.tone)),
            template: n.template,
            step: n.step,
            fields: n.fields,
        }),
        wit01::Action::Wait(until) => wit::Action::Wait(until),
        wit01::Action::Stop(reason) => wit::Action::Stop(reason),
        wit01::Action::Escalate(reason) => wit::Action::Escalate(reason),
    };
    wit::Decision { segment: d.segment, action }
}

fn signals(s: Signals) -> wit::Signals {
    wit::Signals {
        pay_within_7d_permille: s.pay_within_7d_permille,
        model_examples: s.model_examples,
        customer_invoices: s.customer_invoices,
        best_send_hour: s.best_send_hour,
        send_hour_samples: s.send_hour_samples,
        send_hour_own: s.send_hour_own,
    }
}

/// The conversions of one world's types: both worlds share every type but
/// the context's `signals`, so one definition serves both.
macro_rules! conversions {
    ($($field:ident = $convert:path),*) => {
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
                                NoticeState::Scheduled | NoticeState::Sending => {
                                    (n.send_at, wit::NoticeOutcome::Scheduled)
                                }
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
                $($field: ctx.$field.map($convert),)*
            }
        }
    };
}

conversions!(signals = signals);

/// Conversions for the frozen 0.1 world (no signals).
mod older {
    use super::wit01 as wit;
    use super::*;

    conversions!();
}
