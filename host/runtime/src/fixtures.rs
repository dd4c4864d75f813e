//! Fixture contexts for dry runs: every plugin must decide on all of them
//! within its limits before it can be activated.

use jiff::{SignedDuration, Timestamp, civil::Date};
use nudge_core::{
    Channel, Customer, CustomerId, CustomerStats, DecisionContext, Invoice, InvoiceId, InvoiceStatus, Money, Signals,
    TenantId,
};

/// Named contexts covering the usual cases: before due, just overdue, long
/// overdue, a habitual late payer reachable by SMS only, a paid invoice.
pub fn contexts() -> Vec<(&'static str, DecisionContext)> {
    let now: Timestamp = Timestamp::from_second(1_330_000_000).unwrap_or(Timestamp::UNIX_EPOCH); // 2012-02-23
    let day = SignedDuration::from_hours(24);
    let date_of = |at: Timestamp| at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut out = Vec::new();
    for (name, due_offset_days, total, paid, sms_only) in [
        ("due-in-3-days", 3, 5_594, false, false),
        ("overdue-2-days", -2, 12_828, false, false),
        ("overdue-20-days", -20, 4_200, false, false),
        ("habitual-late-sms-only", -8, 9_900, false, true),
        ("paid", -1, 526, true, false),
    ] {
        let due = date_of(now + day * due_offset_days);
        let mut ctx = context(now, due, total, paid, sms_only);
        // Predictive signals (WIT 0.2): none for the first, a customer's own
        // send hour for the habitual late payer, the tenant's for the rest.
        ctx.signals = (name != "due-in-3-days").then_some(Signals {
            pay_within_7d_permille: if sms_only { 120 } else { 640 },
            model_examples: 1_500,
            customer_invoices: if sms_only { 7 } else { 5 },
            best_send_hour: Some(if sms_only { 19 } else { 10 }),
            send_hour_samples: if sms_only { 6 } else { 240 },
            send_hour_own: sms_only,
        });
        out.push((name, ctx));
    }
    out
}

fn context(now: Timestamp, due: Date, total: i64, paid: bool, sms_only: bool) -> DecisionContext {
    let tenant = TenantId::new("fixture").unwrap_or_else(|_| unreachable!("literal id is valid"));
    let customer = Customer {
        tenant: tenant.clone(),
        id: CustomerId::new("c-1").unwrap_or_else(|_| unreachable!("literal id is valid")),
        name: "Fixture Customer".into(),
        email: (!sms_only).then(|| "c-1@customers.nudge.invalid".into()),
        phone: Some("+15550100".into()),
        language: "en".into(),
        time_zone: "Europe/London".into(),
        tier: "standard".into(),
        preferred_channel: sms_only.then_some(Channel::Sms),
        opted_out: if sms_only { vec![Channel::Email] } else { Vec::new() },
        unverified: Vec::new(),
        tags: Vec::new(),
        stats: if sms_only {
            CustomerStats { paid_on_time: 1, paid_late: 6, total_days_late: 80, ..CustomerStats::default() }
        } else {
            CustomerStats {
                paid_on_time: 4,
                paid_late: 1,
                total_days_late: 3,
                lifetime_paid_minor: 31_000,
                ..CustomerStats::default()
            }
        },
    };
    let invoice = Invoice {
        tenant,
        id: InvoiceId::new("inv-1").unwrap_or_else(|_| unreachable!("literal id is valid")),
        customer: customer.id.clone(),
        number: "0000611365".into(),
        total: Money { amount_minor: total, currency: "USD".into() },
        amount_remaining_minor: if paid { 0 } else { total },
        issued_on: due.checked_sub(jiff::ToSpan::days(30)).unwrap_or(due),
        due_on: due,
        status: if paid { InvoiceStatus::Paid } else { InvoiceStatus::Open },
        disputed: false,
        payment_link: Some("https://pay.nudge.invalid/fixture/inv-1".into()),
        tags: Vec::new(),
        paid_at: None,
        next_evaluation: None,
        closed_reason: None,
    };
    DecisionContext {
        now,
        invoice,
        customer,
        utc_offset_minutes: 0,
        notices: Vec::new(),
        experiments: Vec::new(),
        seed: 42,
        config: "{}".into(),
        currency: "USD".into(),
        signals: None,
    }
}
