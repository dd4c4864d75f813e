//! Time correctness end to end: reminders land at the policy's local hour
//! across DST transitions in both directions, a send window whose opening
//! falls into a DST gap still opens, and due dates are local dates, down to
//! a leap day at UTC+14 and UTC−11.

use jiff::{SignedDuration, Timestamp, ToSpan, civil::Date, tz::TimeZone};
use nudge_core::{EventKind, SendWindow, TenantSettings, time};

use crate::harness;

/// Each zone with its 2024 DST transitions (Kolkata has none: a control).
const ZONES: [(&str, [&str; 2]); 5] = [
    ("America/New_York", ["2024-03-10", "2024-11-03"]),
    ("Europe/London", ["2024-03-31", "2024-10-27"]),
    ("Australia/Sydney", ["2024-04-07", "2024-10-06"]),
    ("Asia/Kolkata", ["2024-03-10", "2024-11-03"]),
    ("Pacific/Chatham", ["2024-04-07", "2024-09-29"]),
];

/// The default policy's steps: name and days after the due date.
const STEPS: [(&str, i64); 3] = [("overdue-1", 1), ("overdue-7", 7), ("overdue-14", 14)];

struct Sent {
    zone: TimeZone,
    zone_name: &'static str,
    due: Date,
    step: String,
    at: Timestamp,
}

/// One customer per invoice (so frequency caps stay out of it), due on each
/// of the 15 days up to every transition, so that each step falls on,
/// before and after it; replayed through 2024 under `window`.
fn replay_around_transitions(window: SendWindow) -> Vec<Sent> {
    let (_dir, scheduler, tenant) = harness::empty_tenant(TenantSettings { send_window: window, ..Default::default() });
    let created: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    let mut invoices = std::collections::HashMap::new();
    for (z, (zone, transitions)) in ZONES.iter().enumerate() {
        for (t, transition) in transitions.iter().enumerate() {
            let transition: Date = transition.parse().unwrap();
            for back in 0..15 {
                let due = transition.checked_sub(back.days()).unwrap();
                let id = format!("z{z}-t{t}-d{back}");
                scheduler.upsert_customer(&harness::customer(&tenant, &id, zone), created).unwrap();
                scheduler.upsert_invoice(&harness::invoice(&tenant, &id, &id, due, 5_000), created).unwrap();
                invoices.insert(id, (*zone, due));
            }
        }
    }
    scheduler.advance_to("2025-01-01T00:00:00Z".parse().unwrap()).unwrap();
    let summary = scheduler.summary(&tenant).unwrap();
    assert_eq!(summary.sent_in_quiet_hours, 0, "{summary:?}");
    scheduler
        .store()
        .events(&tenant)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::NoticeSent { invoice, step, .. } => {
                let (zone_name, due) = invoices[invoice.as_str()];
                Some(Sent { zone: time::zone(zone_name).unwrap(), zone_name, due, step, at: e.at })
            }
            _ => None,
        })
        .collect()
}

fn days_after(step: &str) -> i64 {
    STEPS.iter().find(|(name, _)| *name == step).unwrap().1
}

#[test]
fn every_reminder_lands_at_ten_local_on_its_day_across_dst_in_both_directions() {
    let sent = replay_around_transitions(SendWindow::default());
    assert_eq!(sent.len(), ZONES.len() * 2 * 15 * STEPS.len(), "every step of every invoice went out");
    for s in &sent {
        let local = s.at.to_zoned(s.zone.clone());
        let day = s.due.checked_add(days_after(&s.step).days()).unwrap();
        assert_eq!(
            (local.date(), local.hour(), local.minute()),
            (day, 10, 0),
            "{} {} due {}: sent {local}",
            s.zone_name,
            s.step,
            s.due
        );
    }
    // The offsets really changed under some of these sends.
    let offsets: std::collections::HashSet<_> =
        sent.iter().filter(|s| s.zone_name == "Pacific/Chatham").map(|s| s.zone.to_offset(s.at)).collect();
    assert_eq!(offsets.len(), 2, "Chatham at +12:45 and +13:45: {offsets:?}");
}

#[test]
fn a_window_opening_at_two_moves_every_send_to_the_next_mornings_first_allowed_instant() {
    // 02:00 is skipped on spring-forward days in New York and Sydney, and
    // comes twice on fall-back days elsewhere; London skips 01:00-02:00.
    let window = SendWindow::new(2, 5).unwrap();
    let sent = replay_around_transitions(window);
    assert_eq!(sent.len(), ZONES.len() * 2 * 15 * STEPS.len());
    let mut in_a_gap = 0;
    for s in &sent {
        let local = s.at.to_zoned(s.zone.clone());
        // The policy asked for 10:00, after the window: the next day's window.
        let day = s.due.checked_add((days_after(&s.step) + 1).days()).unwrap();
        let what = format!("{} {} due {}: sent {local}", s.zone_name, s.step, s.due);
        assert_eq!(local.date(), day, "{what}");
        assert!(window.allows(s.at, &s.zone), "{what}");
        // And the earliest such instant: a minute earlier is outside the window.
        assert!(!window.allows(s.at - SignedDuration::from_mins(1), &s.zone), "{what}");
        in_a_gap += usize::from(local.hour() == 3);
    }
    assert!(in_a_gap >= 2, "sends on the spring-forward days of New York and Sydney open at 03:00 local");
}

#[test]
fn a_leap_day_due_date_is_a_local_date_at_utc_plus_14_and_utc_minus_11() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let created: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    let due: Date = "2024-02-29".parse().unwrap();
    for (id, zone) in [("kiribati", "Pacific/Kiritimati"), ("samoa", "Pacific/Pago_Pago")] {
        scheduler.upsert_customer(&harness::customer(&tenant, id, zone), created).unwrap();
        scheduler.upsert_invoice(&harness::invoice(&tenant, id, id, due, 5_000), created).unwrap();
    }
    // 2024-03-01T10:00 local is 2024-02-29T20:00Z at UTC+14 and 2024-03-01T21:00Z at UTC-11.
    scheduler.advance_to("2024-03-01T00:00:00Z".parse().unwrap()).unwrap();
    let sent = |invoice: &str| {
        let notice = scheduler.store().notice(&tenant, &nudge_core::InvoiceId::new(invoice).unwrap(), "overdue-1");
        notice.unwrap().map(|n| (n.send_at, n.state))
    };
    let (kiribati_at, kiribati_state) = sent("kiribati").unwrap();
    assert_eq!(kiribati_at, "2024-02-29T20:00:00Z".parse::<Timestamp>().unwrap());
    assert!(matches!(kiribati_state, nudge_core::NoticeState::Sent { .. }), "{kiribati_state:?}");
    let (samoa_at, samoa_state) = sent("samoa").unwrap();
    assert_eq!(samoa_at, "2024-03-01T21:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(samoa_state, nudge_core::NoticeState::Scheduled, "still 29 February in Samoa: not overdue yet");
    // Both messages went out, each naming the local due date.
    scheduler.advance_to("2024-03-02T00:00:00Z".parse().unwrap()).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox").join("acme")).unwrap().collect();
    assert_eq!(files.len(), 2);
    for file in files {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        assert!(text.contains("due on 29 February 2024"), "{text}");
    }
}
