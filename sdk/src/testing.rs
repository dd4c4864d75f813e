//! Builders for unit-testing a policy with plain `cargo test`.
//!
//! ```
//! use nudge_sdk::testing::ContextBuilder;
//! use nudge_sdk::{Channel, days_overdue};
//!
//! let ctx = ContextBuilder::new()
//!     .days_overdue(7)
//!     .reachable(&[Channel::Email, Channel::Sms])
//!     .build();
//! assert_eq!(days_overdue(&ctx), 7);
//! ```

use crate::date::{add_days, date_at, local_timestamp};
use crate::{
    Channel, Context, Customer, Date, ExperimentArm, History, Invoice, InvoiceStatus, Money, NoticeOutcome, PastNotice,
    Signals, Timestamp, Tone,
};

/// Builds a [`Context`] with sensible defaults, changed one setting at a time.
///
/// Defaults: now is 2024-06-03 12:00 UTC; an open, undisputed invoice of
/// 50.00 USD, all of it remaining, issued 30 days before it falls due today;
/// a customer in UTC reachable by email only, with no payment record and no
/// notices yet; no experiments; seed 0; config `{}`.
///
/// Settings that depend on the customer's time zone ([`now_local`],
/// [`days_overdue`]) are resolved in [`build`], so the order of calls does
/// not matter.
///
/// [`now_local`]: ContextBuilder::now_local
/// [`days_overdue`]: ContextBuilder::days_overdue
/// [`build`]: ContextBuilder::build
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    ctx: Context,
    now_local: Option<(Date, u8, u8)>,
    days_overdue: Option<i64>,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ContextBuilder {
    /// A builder holding the defaults above.
    pub fn new() -> Self {
        let today = Date::new(2024, 6, 3);
        let usd = |amount_minor| Money { amount_minor, currency: "USD".to_owned() };
        let ctx = Context {
            now: local_timestamp(today, 12, 0, 0),
            invoice: Invoice {
                id: "inv-1".to_owned(),
                number: "INV-0001".to_owned(),
                total: usd(5_000),
                amount_remaining: usd(5_000),
                issued_on: add_days(today, -30),
                due_on: today,
                status: InvoiceStatus::Open,
                disputed: false,
                payment_link: Some("https://pay.example.com/inv-1".to_owned()),
                tags: Vec::new(),
            },
            customer: Customer {
                id: "cus-1".to_owned(),
                language: "en".to_owned(),
                time_zone: "UTC".to_owned(),
                utc_offset_minutes: 0,
                tier: "standard".to_owned(),
                lifetime_value: usd(0),
                reachable_channels: vec![Channel::Email],
                preferred_channel: None,
                opted_out_channels: Vec::new(),
                tags: Vec::new(),
            },
            history: History {
                notices: Vec::new(),
                invoices_paid_on_time: 0,
                invoices_paid_late: 0,
                total_days_late: 0,
                opens: 0,
                clicks: 0,
                bounces: 0,
                negative_feedback: 0,
            },
            experiments: Vec::new(),
            seed: 0,
            config: "{}".to_owned(),
            signals: None,
        };
        Self { ctx, now_local: None, days_overdue: None }
    }

    /// The current time, in UTC.
    pub fn now(mut self, now: Timestamp) -> Self {
        self.ctx.now = now;
        self.now_local = None;
        self
    }

    /// The current time as `hour:minute` on `date` in the customer's zone.
    pub fn now_local(mut self, date: Date, hour: u8, minute: u8) -> Self {
        self.now_local = Some((date, hour, minute));
        self
    }

    /// The customer's IANA time zone and its current offset from UTC.
    pub fn time_zone(mut self, name: &str, utc_offset_minutes: i32) -> Self {
        self.ctx.customer.time_zone = name.to_owned();
        self.ctx.customer.utc_offset_minutes = utc_offset_minutes;
        self
    }

    /// The invoice's due date.
    pub fn due_on(mut self, date: Date) -> Self {
        self.ctx.invoice.due_on = date;
        self.days_overdue = None;
        self
    }

    /// Makes the invoice fall due `days` days before today in the customer's
    /// zone (after it, if negative).
    pub fn days_overdue(mut self, days: i64) -> Self {
        self.days_overdue = Some(days);
        self
    }

    /// The invoice total and what remains of it, both in minor units.
    pub fn amount(mut self, total_minor: i64) -> Self {
        self.ctx.invoice.total.amount_minor = total_minor;
        self.ctx.invoice.amount_remaining.amount_minor = total_minor;
        self
    }

    /// What remains to be paid, in minor units.
    pub fn amount_remaining(mut self, remaining_minor: i64) -> Self {
        self.ctx.invoice.amount_remaining.amount_minor = remaining_minor;
        self
    }

    /// The invoice status.
    pub fn status(mut self, status: InvoiceStatus) -> Self {
        self.ctx.invoice.status = status;
        self
    }

    /// Whether the customer disputes the invoice.
    pub fn disputed(mut self, disputed: bool) -> Self {
        self.ctx.invoice.disputed = disputed;
        self
    }

    /// The channels the customer has a contact for. As in the host, those
    /// the customer opted out of (see [`opted_out`]) are left out of the
    /// reachable channels, whichever is set first.
    ///
    /// [`opted_out`]: ContextBuilder::opted_out
    pub fn reachable(mut self, channels: &[Channel]) -> Self {
        let opted_out = &self.ctx.customer.opted_out_channels;
        self.ctx.customer.reachable_channels =
            channels.iter().copied().filter(|channel| !opted_out.contains(channel)).collect();
        self
    }

    /// The channel the customer asked for.
    pub fn preferred(mut self, channel: Channel) -> Self {
        self.ctx.customer.preferred_channel = Some(channel);
        self
    }

    /// Channels the customer opted out of. Like the host, this also takes
    /// them out of the reachable channels.
    pub fn opted_out(mut self, channels: &[Channel]) -> Self {
        self.ctx.customer.opted_out_channels = channels.to_vec();
        self.ctx.customer.reachable_channels.retain(|channel| !channels.contains(channel));
        self
    }

    /// The customer's id.
    pub fn customer_id(mut self, id: &str) -> Self {
        self.ctx.customer.id = id.to_owned();
        self
    }

    /// The customer's language, a BCP 47 tag such as `de-CH`.
    pub fn language(mut self, tag: &str) -> Self {
        self.ctx.customer.language = tag.to_owned();
        self
    }

    /// The tenant's tier label for the customer, e.g. `gold`.
    pub fn tier(mut self, tier: &str) -> Self {
        self.ctx.customer.tier = tier.to_owned();
        self
    }

    /// Everything the customer has paid so far, in minor units.
    pub fn lifetime_value(mut self, paid_minor: i64) -> Self {
        self.ctx.customer.lifetime_value.amount_minor = paid_minor;
        self
    }

    /// The currency of the invoice and of the lifetime value (default `USD`).
    pub fn currency(mut self, code: &str) -> Self {
        self.ctx.invoice.total.currency = code.to_owned();
        self.ctx.invoice.amount_remaining.currency = code.to_owned();
        self.ctx.customer.lifetime_value.currency = code.to_owned();
        self
    }

    /// How often the customer complained or replied angrily.
    pub fn negative_feedback(mut self, count: u32) -> Self {
        self.ctx.history.negative_feedback = count;
        self
    }

    /// Notices to the customer that were opened, clicked and bounced.
    pub fn engagement(mut self, opens: u32, clicks: u32, bounces: u32) -> Self {
        self.ctx.history.opens = opens;
        self.ctx.history.clicks = clicks;
        self.ctx.history.bounces = bounces;
        self
    }

    /// Adds a notice for `step` to the invoice's history, sent by email a day
    /// before now with a gentle tone. Use [`past_notice`] for full control.
    ///
    /// [`past_notice`]: ContextBuilder::past_notice
    pub fn notice(self, step: &str, outcome: NoticeOutcome) -> Self {
        let at = self.ctx.now - 86_400;
        self.past_notice(PastNotice { step: step.to_owned(), channel: Channel::Email, tone: Tone::Gentle, at, outcome })
    }

    /// Adds a notice to the invoice's history (keep them oldest first).
    pub fn past_notice(mut self, notice: PastNotice) -> Self {
        self.ctx.history.notices.push(notice);
        self
    }

    /// How many earlier invoices the customer paid on time.
    pub fn paid_on_time(mut self, invoices: u32) -> Self {
        self.ctx.history.invoices_paid_on_time = invoices;
        self
    }

    /// How many earlier invoices the customer paid late, and the days late
    /// summed over them.
    pub fn paid_late(mut self, invoices: u32, total_days_late: u32) -> Self {
        self.ctx.history.invoices_paid_late = invoices;
        self.ctx.history.total_days_late = total_days_late;
        self
    }

    /// Assigns `arm` of `experiment` to the customer.
    pub fn experiment(mut self, experiment: &str, arm: &str) -> Self {
        self.ctx.experiments.push(ExperimentArm { experiment: experiment.to_owned(), arm: arm.to_owned() });
        self
    }

    /// The per-decision random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.ctx.seed = seed;
        self
    }

    /// The tenant's plugin configuration, as JSON text.
    pub fn config(mut self, json: &str) -> Self {
        self.ctx.config = json.to_owned();
        self
    }

    /// The host's predictive signals (none by default).
    pub fn signals(mut self, signals: Signals) -> Self {
        self.ctx.signals = Some(signals);
        self
    }

    /// Signals saying the model, trained on `model_examples` examples,
    /// puts the chance of payment within 7 days at `permille` / 1000, with
    /// no best send hour.
    pub fn pay_within_7d(self, permille: u16, model_examples: u32) -> Self {
        let signals = Signals { pay_within_7d_permille: permille, model_examples, ..self.signals_or_default() };
        self.signals(signals)
    }

    /// Signals naming the best local send hour, from `samples` events of the
    /// customer's own (`own`) or of all the tenant's customers.
    pub fn best_send_hour(self, hour: u8, samples: u32, own: bool) -> Self {
        let signals = Signals {
            best_send_hour: Some(hour),
            send_hour_samples: samples,
            send_hour_own: own,
            ..self.signals_or_default()
        };
        self.signals(signals)
    }

    fn signals_or_default(&self) -> Signals {
        self.ctx.signals.unwrap_or(Signals {
            pay_within_7d_permille: 300,
            model_examples: 0,
            customer_invoices: 0,
            best_send_hour: None,
            send_hour_samples: 0,
            send_hour_own: false,
        })
    }

    /// Changes anything else on the context directly.
    pub fn with(mut self, change: impl FnOnce(&mut Context)) -> Self {
        change(&mut self.ctx);
        self
    }

    /// The finished context.
    pub fn build(self) -> Context {
        let mut ctx = self.ctx;
        let offset = ctx.customer.utc_offset_minutes;
        if let Some((date, hour, minute)) = self.now_local {
            ctx.now = local_timestamp(date, hour, minute, offset);
        }
        if let Some(days) = self.days_overdue {
            ctx.invoice.due_on = add_days(date_at(ctx.now, offset), -days);
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{days_overdue, today_local};

    #[test]
    fn defaults_describe_an_invoice_due_today() {
        let ctx = ContextBuilder::new().build();
        assert_eq!(today_local(&ctx), Date::new(2024, 6, 3));
        assert_eq!(days_overdue(&ctx), 0);
        assert_eq!(ctx.invoice.status, InvoiceStatus::Open);
        assert_eq!(ctx.config, "{}");
    }

    #[test]
    fn opting_out_also_makes_a_channel_unreachable() {
        let both = [Channel::Email, Channel::Sms];
        let after = ContextBuilder::new().reachable(&both).opted_out(&[Channel::Email]).build();
        let before = ContextBuilder::new().opted_out(&[Channel::Email]).reachable(&both).build();
        assert_eq!(after, before);
        assert_eq!(after.customer.reachable_channels, [Channel::Sms]);
        assert_eq!(after.customer.opted_out_channels, [Channel::Email]);
    }

    #[test]
    fn customer_settings_land_on_the_customer() {
        let ctx = ContextBuilder::new()
            .customer_id("c-9")
            .language("de-CH")
            .tier("gold")
            .currency("EUR")
            .lifetime_value(90_000)
            .negative_feedback(2)
            .engagement(5, 3, 1)
            .build();
        assert_eq!((ctx.customer.id.as_str(), ctx.customer.language.as_str()), ("c-9", "de-CH"));
        assert_eq!(ctx.customer.tier, "gold");
        assert_eq!(ctx.customer.lifetime_value, Money::new(90_000, "EUR"));
        assert_eq!(ctx.invoice.amount_remaining.currency, "EUR");
        let history = &ctx.history;
        assert_eq!((history.negative_feedback, history.opens, history.clicks, history.bounces), (2, 5, 3, 1));
    }

    #[test]
    fn zone_dependent_settings_ignore_call_order() {
        let monday = Date::new(2024, 6, 3);
        let a = ContextBuilder::new().days_overdue(2).now_local(monday, 23, 30).time_zone("Asia/Tokyo", 540).build();
        let b = ContextBuilder::new().time_zone("Asia/Tokyo", 540).now_local(monday, 23, 30).days_overdue(2).build();
        assert_eq!(a, b);
        assert_eq!(today_local(&a), monday);
        assert_eq!(a.invoice.due_on, Date::new(2024, 6, 1));
    }
}
