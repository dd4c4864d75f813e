//! Checks a plugin's decision before the host acts on it.
//!
//! A value the host cannot honour is rejected with the reason; it is never
//! quietly changed into something else.

use jiff::{SignedDuration, Timestamp};
use nudge_core::{Action, Channel, Decision, DecisionContext, Notify};

use crate::bindings::{from_channel, from_tone, wit};

/// Longest segment, step, template id or field name, in bytes.
pub const MAX_LABEL_LEN: usize = 64;
/// Most extra template fields a notice may carry.
pub const MAX_FIELDS: usize = 32;
/// Farthest ahead a plugin may schedule a send or a re-evaluation.
pub const MAX_HORIZON_DAYS: i64 = 366;
/// How far in the past an "earliest send time" may lie and still mean "now".
const PAST_SLACK: SignedDuration = SignedDuration::from_hours(24);
/// Longest field value or reason, in bytes.
const MAX_TEXT_LEN: usize = 1024;

/// Bytes of strings and list items a decision hands back to the host:
/// string contents plus each list element's canonical-ABI size (a field is
/// two string pointers, 16 bytes; a fallback channel, 1 byte).
pub(crate) fn output_bytes(d: &wit::Decision) -> usize {
    let action = match &d.action {
        wit::Action::Notify(n) => {
            n.template.len()
                + n.step.len()
                + n.fallbacks.len()
                + n.fields.iter().map(|(k, v)| 16 + k.len() + v.len()).sum::<usize>()
        }
        wit::Action::Wait(_) => 0,
        wit::Action::Stop(r) | wit::Action::Escalate(r) => r.len(),
    };
    d.segment.len() + action
}

/// Which of the host's rules a decision broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A segment, step, template id or field name that is empty, too long or not plain ASCII.
    Label,
    /// A field value or reason over the length limit.
    Text,
    /// More template fields than the limit.
    Fields,
    /// A send time more than a day in the past or too far ahead.
    SendTime,
    /// A wait time not after now or too far ahead.
    WaitTime,
    /// A channel (or fallback) the customer opted out of.
    OptedOutChannel,
    /// A channel (or fallback) the customer has no contact for.
    UnreachableChannel,
    /// A channel listed twice among channel and fallbacks.
    DuplicateChannel,
}

/// A decision the host cannot honour: the rule it broke and why, for the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// The rule broken.
    pub rule: Rule,
    /// What was wrong, naming the value.
    pub message: String,
}

fn reject<T>(rule: Rule, message: String) -> Result<T, Rejection> {
    Err(Rejection { rule, message })
}

/// Converts and checks a decision; `Err` says what the host cannot honour.
pub(crate) fn decision(d: wit::Decision, ctx: &DecisionContext) -> Result<Decision, Rejection> {
    label("segment", &d.segment)?;
    let action = match d.action {
        wit::Action::Notify(n) => Action::Notify(notify(n, ctx)?),
        wit::Action::Wait(until) => {
            let until = time(Rule::WaitTime, "wait time", until, ctx)?;
            if until <= ctx.now {
                return reject(
                    Rule::WaitTime,
                    format!(
                        "wait time {until} is not after now ({}); return notify, stop or escalate instead",
                        ctx.now
                    ),
                );
            }
            Action::Wait { until }
        }
        wit::Action::Stop(reason) => Action::Stop { reason: text("stop reason", reason)? },
        wit::Action::Escalate(reason) => Action::Escalate { reason: text("escalate reason", reason)? },
    };
    Ok(Decision { segment: d.segment, action })
}

fn notify(n: wit::Notify, ctx: &DecisionContext) -> Result<Notify, Rejection> {
    label("step", &n.step)?;
    if !n.template.is_empty() {
        label("template", &n.template)?;
    }
    let send_at = time(Rule::SendTime, "send time", n.send_at, ctx)?;
    if send_at < ctx.now - PAST_SLACK {
        return reject(Rule::SendTime, format!("send time {send_at} is more than a day before now ({})", ctx.now));
    }
    let channel = from_channel(n.channel);
    let fallbacks: Vec<Channel> = n.fallbacks.into_iter().map(from_channel).collect();
    let reachable = ctx.customer.reachable_channels();
    for (i, c) in std::iter::once(&channel).chain(&fallbacks).enumerate() {
        if ctx.customer.opted_out.contains(c) {
            return reject(Rule::OptedOutChannel, format!("channel {c} was chosen but the customer opted out of it"));
        }
        if !reachable.contains(c) {
            return reject(
                Rule::UnreachableChannel,
                format!("channel {c} was chosen but the customer has no {c} contact"),
            );
        }
        if std::iter::once(&channel).chain(&fallbacks).take(i).any(|earlier| earlier == c) {
            return reject(Rule::DuplicateChannel, format!("channel {c} appears twice in channel and fallbacks"));
        }
    }
    if n.fields.len() > MAX_FIELDS {
        return reject(
            Rule::Fields,
            format!("{} template fields, more than the limit of {MAX_FIELDS}", n.fields.len()),
        );
    }
    let mut fields = Vec::with_capacity(n.fields.len());
    for (name, value) in n.fields {
        label("field name", &name)?;
        fields.push((name, text("field value", value)?));
    }
    Ok(Notify { send_at, channel, fallbacks, tone: from_tone(n.tone), template: n.template, step: n.step, fields })
}

fn time(rule: Rule, what: &str, seconds: i64, ctx: &DecisionContext) -> Result<Timestamp, Rejection> {
    let Ok(at) = Timestamp::from_second(seconds) else {
        return reject(rule, format!("{what} {seconds} is not a valid timestamp"));
    };
    let horizon = ctx.now + SignedDuration::from_hours(24 * MAX_HORIZON_DAYS);
    if at > horizon {
        return reject(rule, format!("{what} {at} is more than {MAX_HORIZON_DAYS} days after now ({})", ctx.now));
    }
    Ok(at)
}

fn label(what: &str, value: &str) -> Result<(), Rejection> {
    if value.is_empty() || value.len() > MAX_LABEL_LEN {
        return reject(Rule::Label, format!("{what} must be 1 to {MAX_LABEL_LEN} bytes, got {}", value.len()));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        let shown: String = value.chars().take(MAX_LABEL_LEN).collect();
        return reject(Rule::Label, format!("{what} {shown:?} may only use ASCII letters, digits and - _ . :"));
    }
    Ok(())
}

fn text(what: &str, value: String) -> Result<String, Rejection> {
    if value.len() > MAX_TEXT_LEN {
        return reject(Rule::Text, format!("{what} is {} bytes, more than the limit of {MAX_TEXT_LEN}", value.len()));
    }
    Ok(value)
}
