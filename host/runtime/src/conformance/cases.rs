//! The contexts of the conformance kit: the dry-run fixtures and the edge
//! cases a policy meets sooner or later.

use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};
use nudge_core::{Channel, DecisionContext, InvoiceStatus, Notice, NoticeId, NoticeState, Tone};

use crate::{PolicyInfo, fixtures};

/// A tenant configuration with keys no reference policy knows (and one
/// most know), as a tenant running several tools might write.
const UNKNOWN_CONFIG: &str = r##"{"brand": {"name": "Acme", "colour": "#0a7"}, "reply_to": "billing@acme.invalid", "weekend_sends": false, "send_hour": 9}"##;

/// One context of the kit and what a conforming policy must do on it.
#[derive(Debug, Clone)]
pub struct Case {
    /// A short name, e.g. `every-channel-opted-out`.
    pub name: String,
    /// What the case is about, in a few words.
    pub about: String,
    /// The context the plugin decides on.
    pub context: DecisionContext,
    /// The plugin may decline this context with a `policy-error` (a
    /// configuration it does not know): declining is an answer, a trap is not.
    pub may_decline: bool,
}

/// Every case for a plugin that describes itself as `info`: the fixtures,
/// the edge cases, and one case per arm of each experiment it declares.
pub fn cases(info: &PolicyInfo) -> Vec<Case> {
    let fixtures: Vec<(&str, DecisionContext)> = fixtures::contexts();
    let base = fixtures
        .iter()
        .find(|(name, _)| *name == "overdue-2-days")
        .map(|(_, ctx)| ctx.clone())
        .unwrap_or_else(|| unreachable!("fixtures::contexts() always holds overdue-2-days"));
    let mut out: Vec<Case> =
        fixtures.iter().map(|(name, ctx)| case(name, "a fixture of the upload's dry runs", ctx.clone())).collect();
    let with = |name: &str, about: &str, change: &dyn Fn(&mut DecisionContext)| {
        let mut ctx = base.clone();
        change(&mut ctx);
        case(name, about, ctx)
    };

    out.push(with("void", "the tenant cancelled the invoice", &|ctx| ctx.invoice.status = InvoiceStatus::Void));
    out.push(with("uncollectible", "the tenant wrote the invoice off", &|ctx| {
        ctx.invoice.status = InvoiceStatus::Uncollectible;
    }));
    out.push(with("disputed", "the customer disputes the invoice", &|ctx| ctx.invoice.disputed = true));
    out.push(with("nothing-remaining", "open, but nothing is left to pay", &|ctx| {
        ctx.invoice.amount_remaining_minor = 0;
    }));
    out.push(with("every-channel-opted-out", "contacts known, every channel opted out", &|ctx| {
        ctx.customer.opted_out = Channel::ALL.to_vec();
    }));
    out.push(with("only-sms-reachable", "no email address, a phone number", &|ctx| {
        ctx.customer.email = None;
    }));
    out.push(with("only-email-reachable", "an email address, no phone number", &|ctx| {
        ctx.customer.phone = None;
    }));
    out.push(with("preferred-channel-opted-out", "prefers SMS but opted out of it", &|ctx| {
        ctx.customer.preferred_channel = Some(Channel::Sms);
        ctx.customer.opted_out = vec![Channel::Sms];
    }));
    out.push(with("utc-plus-14", "Pacific/Kiritimati: a day ahead of UTC, overdue 1 day there", &|ctx| {
        in_zone(ctx, "Pacific/Kiritimati", -1);
    }));
    out.push(with("utc-minus-11", "Pacific/Pago_Pago: a day behind UTC, due today there", &|ctx| {
        in_zone(ctx, "Pacific/Pago_Pago", 0);
    }));
    out.push(with("long-history", "200 days overdue, 11 notices and a long payment record", &long_history));
    out.push(with("new-customer", "no payment record at all", &|ctx| {
        ctx.customer.stats = Default::default();
    }));
    out.push(with("high-value-gold", "a gold-tier customer with a large invoice and lifetime value", &|ctx| {
        ctx.customer.tier = "gold".into();
        ctx.customer.stats.lifetime_paid_minor = 5_000_000;
        ctx.invoice.total.amount_minor = 2_500_000;
        ctx.invoice.amount_remaining_minor = 2_500_000;
    }));
    out.push(with("negative-feedback", "the customer complained about earlier reminders", &|ctx| {
        ctx.customer.stats.negative_feedback = 2;
    }));
    out.push(with("language-de-ch", "a Swiss German speaker in Zurich", &|ctx| {
        ctx.customer.language = "de-CH".into();
        in_zone(ctx, "Europe/Zurich", -2);
    }));
    let mut unknown_config = with("unknown-config", "tenant configuration with keys the policy may not know", &|ctx| {
        ctx.config = UNKNOWN_CONFIG.into();
    });
    unknown_config.may_decline = true;
    out.push(unknown_config);

    let due_soon = fixtures.first().map_or_else(|| base.clone(), |(_, ctx)| ctx.clone());
    for (experiment, arms) in &info.experiments {
        for arm in arms {
            let mut ctx = due_soon.clone();
            ctx.experiments = vec![(experiment.clone(), arm.clone())];
            out.push(case(&format!("experiment:{experiment}={arm}"), "due in 3 days, with the arm assigned", ctx));
        }
    }
    out
}

fn case(name: &str, about: &str, context: DecisionContext) -> Case {
    Case { name: name.to_string(), about: about.to_string(), context, may_decline: false }
}

/// Moves the customer to `zone` and makes the invoice fall due
/// `due_in_days` days after today there (before, if negative).
fn in_zone(ctx: &mut DecisionContext, zone: &str, due_in_days: i32) {
    let tz = TimeZone::get(zone).unwrap_or_else(|_| unreachable!("{zone} is in the bundled tz database"));
    ctx.customer.time_zone = zone.to_string();
    ctx.utc_offset_minutes = tz.to_offset(ctx.now).seconds() / 60;
    let today = ctx.now.to_zoned(tz).date();
    ctx.invoice.due_on = today.checked_add(due_in_days.days()).unwrap_or(today);
    ctx.invoice.issued_on = ctx.invoice.due_on.checked_sub(30.days()).unwrap_or(ctx.invoice.due_on);
}

/// 200 days overdue, with a notice for each step a long sequence may have
/// used (every outcome), and a customer with years of history.
fn long_history(ctx: &mut DecisionContext) {
    let today = ctx.now.to_zoned(TimeZone::UTC).date();
    ctx.invoice.due_on = today.checked_sub(200.days()).unwrap_or(today);
    ctx.invoice.issued_on = ctx.invoice.due_on.checked_sub(30.days()).unwrap_or(ctx.invoice.due_on);
    let steps = ["pre-due", "due", "overdue-1", "overdue-3", "overdue-5", "overdue-7", "overdue-10"];
    let more = ["overdue-14", "overdue-21", "overdue-30", "custom-step:final"];
    let states = |at: Timestamp, i: usize| match i % 4 {
        0 => NoticeState::Sent { at, channel: Channel::Email },
        1 => NoticeState::Suppressed { at, reason: "quiet-hours".into() },
        2 => NoticeState::Failed { at, reason: "mailbox full".into() },
        _ => NoticeState::Sent { at, channel: Channel::Sms },
    };
    ctx.notices = steps
        .iter()
        .chain(&more)
        .enumerate()
        .map(|(i, step)| {
            let at = ctx.now - SignedDuration::from_hours(24 * (190 - 15 * i as i64));
            Notice {
                id: NoticeId::derive(&ctx.invoice.tenant, &ctx.invoice.id, step),
                tenant: ctx.invoice.tenant.clone(),
                invoice: ctx.invoice.id.clone(),
                customer: ctx.customer.id.clone(),
                step: (*step).to_string(),
                segment: "regular".into(),
                channel: Channel::Email,
                fallbacks: vec![Channel::Sms],
                tone: Tone::ALL[i % Tone::ALL.len()],
                template: String::new(),
                fields: vec![("days_overdue".into(), i.to_string())],
                requested_at: at,
                send_at: at,
                state: states(at, i),
                plugin_version: Some(1),
                experiment_arms: Vec::new(),
                created_at: at,
                message: None,
            }
        })
        .collect();
    let stats = &mut ctx.customer.stats;
    stats.paid_on_time = 480;
    stats.paid_late = 520;
    stats.total_days_late = 15_600;
    stats.lifetime_paid_minor = 9_000_000;
    stats.opens = 900;
    stats.clicks = 310;
    stats.bounces = 40;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(experiments: &[(&str, &[&str])]) -> PolicyInfo {
        PolicyInfo {
            name: "p".into(),
            version: "1".into(),
            experiments: experiments
                .iter()
                .map(|(name, arms)| (name.to_string(), arms.iter().map(|arm| arm.to_string()).collect()))
                .collect(),
        }
    }

    fn find<'a>(cases: &'a [Case], name: &str) -> &'a DecisionContext {
        &cases.iter().find(|case| case.name == name).unwrap_or_else(|| panic!("no case {name}")).context
    }

    #[test]
    fn names_are_unique_and_cover_the_fixtures() {
        let cases = cases(&info(&[]));
        let mut names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
        for (fixture, _) in fixtures::contexts() {
            assert!(names.contains(&fixture), "{fixture}");
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate case names");
        assert_eq!(cases.iter().filter(|case| case.may_decline).count(), 1, "only unknown-config may be declined");
    }

    #[test]
    fn edge_cases_are_what_their_names_say() {
        let cases = cases(&info(&[]));
        assert_eq!(find(&cases, "void").invoice.status, InvoiceStatus::Void);
        assert_eq!(find(&cases, "nothing-remaining").invoice.amount_remaining_minor, 0);
        assert!(find(&cases, "every-channel-opted-out").customer.reachable_channels().is_empty());
        assert_eq!(find(&cases, "only-sms-reachable").customer.reachable_channels(), [Channel::Sms]);
        assert_eq!(find(&cases, "only-email-reachable").customer.reachable_channels(), [Channel::Email]);
        let preferred = &find(&cases, "preferred-channel-opted-out").customer;
        assert_eq!(preferred.preferred_channel, Some(Channel::Sms));
        assert!(!preferred.can_reach(Channel::Sms) && preferred.can_reach(Channel::Email));
        let kiritimati = find(&cases, "utc-plus-14");
        assert_eq!(kiritimati.utc_offset_minutes, 14 * 60);
        let local_today = kiritimati.now.to_zoned(TimeZone::get("Pacific/Kiritimati").unwrap()).date();
        assert_ne!(local_today, kiritimati.now.to_zoned(TimeZone::UTC).date(), "a day ahead of UTC");
        assert_eq!(local_today.since(kiritimati.invoice.due_on).unwrap().get_days(), 1);
        assert_eq!(find(&cases, "utc-minus-11").utc_offset_minutes, -11 * 60);
        let long = find(&cases, "long-history");
        assert_eq!(long.notices.len(), 11);
        assert!(long.notices.windows(2).all(|pair| pair[0].send_at < pair[1].send_at), "oldest first");
        assert!(long.notices.iter().all(|notice| notice.send_at < long.now));
    }

    #[test]
    fn every_declared_arm_gets_a_case() {
        let cases = cases(&info(&[("timing", &["control", "early"]), ("tone", &["soft"])]));
        let arms: Vec<&[(String, String)]> = cases
            .iter()
            .filter(|case| case.name.starts_with("experiment:"))
            .map(|case| &case.context.experiments[..])
            .collect();
        assert_eq!(arms.len(), 3);
        assert_eq!(find(&cases, "experiment:timing=early").experiments, [("timing".to_string(), "early".to_string())]);
        assert!(
            cases.iter().filter(|case| !case.name.starts_with("experiment:")).all(|c| c.context.experiments.is_empty())
        );
    }
}
