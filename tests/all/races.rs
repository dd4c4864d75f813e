//! Races between a send and what arrives while it runs, made deterministic
//! with a sink that stops a send at a chosen point until the test lets it go.
//!
//! The semantics these tests pin down (README, "How it works"): a send
//! *starts* when its notice moves to `sending`, in one transaction that
//! first re-reads the notice, its invoice and the customer. A payment, void
//! or opt-out committed before that transaction stops the send; one
//! committed after it lets the message already in flight go out (it was
//! handed to the channel before the payment was known), and nothing after
//! it does: the invoice's next notice is never sent, and no notice goes out
//! on an opted-out channel.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp, civil::Date};
use nudge_core::{Channel, EventKind, InvoiceId, NoticeId, NoticeState, Payment, PaymentId, TenantId, TenantSettings};
use nudge_delivery::{Delivery, Message, Outbox, Sink};
use nudge_scheduler::Scheduler;

use crate::{harness, outbox_check::read_outbox};

/// Where the gate stops a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// In the host's check whether the notice was delivered already: after
    /// the notice's own checks, before the send starts.
    Check,
    /// Inside `deliver`: the send started, the notice is `sending`.
    Deliver,
}

/// The outbox, with a gate that holds the first call at one point until released.
#[derive(Debug)]
struct GatedSink {
    outbox: Outbox,
    armed: Mutex<Option<Gate>>,
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

/// The test's side of the gate.
struct Handle {
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

impl GatedSink {
    fn new(outbox: Outbox, gate: Gate) -> (Arc<Self>, Handle) {
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let sink = Arc::new(Self {
            outbox,
            armed: Mutex::new(Some(gate)),
            entered: Mutex::new(entered_tx),
            release: Mutex::new(release_rx),
        });
        (sink, Handle { entered, release })
    }

    fn pass(&self, here: Gate) {
        let stop = {
            let mut armed = self.armed.lock().unwrap();
            let stop = *armed == Some(here);
            if stop {
                *armed = None;
            }
            stop
        };
        if stop {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv_timeout(Duration::from_secs(60)).unwrap();
        }
    }
}

impl Sink for GatedSink {
    fn deliver(&self, message: &Message) -> nudge_delivery::Result<Delivery> {
        self.pass(Gate::Deliver);
        self.outbox.deliver(message)
    }

    fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> nudge_delivery::Result<Option<Channel>> {
        self.pass(Gate::Check);
        self.outbox.delivered(tenant, notice)
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Tenant `acme` (default policy: overdue days 1, 7, 14 at 10:00 local),
/// customer `c1` in London reachable by email only, and invoice `inv-1`
/// due 1 March 2024; the sink stops at `gate`. Returns the first notice's
/// send time (10:00 on 2 March).
fn setup(gate: Gate) -> (Dirs, Scheduler, TenantId, Handle, Timestamp) {
    let gated = tempfile::tempdir().unwrap();
    let (sink, handle) = GatedSink::new(Outbox::new(gated.path().join("outbox")), gate);
    let (store, scheduler, tenant) = harness::empty_tenant_with(TenantSettings::default(), Some(sink));
    let created = at("2024-02-01T00:00:00Z");
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), created).unwrap();
    let due: Date = "2024-03-01".parse().unwrap();
    scheduler.upsert_invoice(&harness::invoice(&tenant, "inv-1", "c1", due, 10_000), created).unwrap();
    let first = at("2024-03-02T10:00:00Z");
    let notices = scheduler.store().notices_for_invoice(&tenant, &InvoiceId::new("inv-1").unwrap()).unwrap();
    assert_eq!(notices.iter().map(|n| (n.step.as_str(), n.send_at)).collect::<Vec<_>>(), [("overdue-1", first)]);
    (Dirs { _store: store, gated }, scheduler, tenant, handle, first)
}

/// The scheduler's directory and the gated sink's.
struct Dirs {
    _store: tempfile::TempDir,
    gated: tempfile::TempDir,
}

impl Dirs {
    fn outbox(&self) -> std::path::PathBuf {
        self.gated.path().join("outbox")
    }
}

/// Runs the scheduler up to `until` on another thread, and `meanwhile` on
/// this one while the sink holds the send at its gate.
fn race(scheduler: &Scheduler, handle: &Handle, until: Timestamp, meanwhile: impl FnOnce()) {
    std::thread::scope(|s| {
        let run = s.spawn(|| scheduler.advance_to(until));
        handle.entered.recv_timeout(Duration::from_secs(60)).expect("the send never reached the gate");
        meanwhile();
        handle.release.send(()).unwrap();
        run.join().unwrap().unwrap();
    });
}

fn pay(scheduler: &Scheduler, tenant: &TenantId, received_at: Timestamp) {
    let payment = Payment {
        tenant: tenant.clone(),
        id: PaymentId::new("pay-1").unwrap(),
        invoice: InvoiceId::new("inv-1").unwrap(),
        amount_minor: 10_000,
        received_at,
    };
    assert!(scheduler.record_payment(&payment).unwrap());
}

/// Every notice sent (per the event log), with when.
fn sent(scheduler: &Scheduler, tenant: &TenantId) -> Vec<(String, Timestamp)> {
    let events = scheduler.store().events(tenant).unwrap();
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NoticeSent { step, .. } => Some((step.clone(), e.at)),
            _ => None,
        })
        .collect()
}

/// A payment recorded while the first notice is being delivered: that
/// message completes (it was in flight), and nothing is sent after the
/// payment: the invoice's next notice never goes out.
#[test]
fn a_payment_during_a_send_lets_the_message_in_flight_finish_and_stops_the_next() {
    let (dirs, scheduler, tenant, handle, first) = setup(Gate::Deliver);
    let invoice = InvoiceId::new("inv-1").unwrap();
    race(&scheduler, &handle, first, || {
        let notice = scheduler.store().notice(&tenant, &invoice, "overdue-1").unwrap().unwrap();
        assert_eq!(notice.state, NoticeState::Sending, "the gate holds a send in flight");
        pay(&scheduler, &tenant, first);
    });
    scheduler.advance_to(first + SignedDuration::from_hours(24 * 60)).unwrap();

    assert_eq!(sent(&scheduler, &tenant), [("overdue-1".to_string(), first)]);
    let notices = scheduler.store().notices_for_invoice(&tenant, &invoice).unwrap();
    assert!(
        notices.iter().all(|n| n.step == "overdue-1" || !matches!(n.state, NoticeState::Sent { .. })),
        "{notices:#?}"
    );
    assert!(notices.iter().all(|n| n.state.is_final()), "nothing left pending: {notices:#?}");
    let delivered = read_outbox(&dirs.outbox());
    assert_eq!(delivered.len(), 1);
    assert!(delivered.iter().all(|d| d.sent_at <= first), "nothing after the payment: {delivered:?}");
    assert_eq!(scheduler.store().invoice(&tenant, &invoice).unwrap().unwrap().paid_at, Some(first));
}

/// A payment recorded after the notice passed its checks but before its
/// send started stops it: the checks are repeated inside the transaction
/// that starts the send. (Before that, the message went out.)
#[test]
fn a_payment_between_the_checks_and_the_start_of_a_send_stops_it() {
    let (dirs, scheduler, tenant, handle, first) = setup(Gate::Check);
    let invoice = InvoiceId::new("inv-1").unwrap();
    race(&scheduler, &handle, first, || {
        let notice = scheduler.store().notice(&tenant, &invoice, "overdue-1").unwrap().unwrap();
        assert_eq!(notice.state, NoticeState::Scheduled, "the gate holds the send before it starts");
        pay(&scheduler, &tenant, first - SignedDuration::from_secs(1));
    });
    scheduler.advance_to(first + SignedDuration::from_hours(24 * 60)).unwrap();
    assert_eq!(sent(&scheduler, &tenant), []);
    assert!(read_outbox(&dirs.outbox()).is_empty());
    let notice = scheduler.store().notice(&tenant, &invoice, "overdue-1").unwrap().unwrap();
    assert!(matches!(&notice.state, NoticeState::Suppressed { reason, .. } if reason == "paid"), "{:?}", notice.state);
}

/// An opt-out during a send: the message in flight completes; no later
/// notice goes to the opted-out channel (the customer has no other).
#[test]
fn an_opt_out_during_a_send_lets_it_finish_and_no_later_notice_uses_the_channel() {
    let (dirs, scheduler, tenant, handle, first) = setup(Gate::Deliver);
    let customer = nudge_core::CustomerId::new("c1").unwrap();
    race(&scheduler, &handle, first, || {
        let opted = scheduler.opt_out(&tenant, &customer, Some(Channel::Email), first).unwrap();
        assert_eq!(opted, [Channel::Email]);
    });
    scheduler.advance_to(first + SignedDuration::from_hours(24 * 60)).unwrap();
    assert_eq!(sent(&scheduler, &tenant), [("overdue-1".to_string(), first)]);
    assert_eq!(read_outbox(&dirs.outbox()).len(), 1);
    let notices = scheduler.store().notices_for_invoice(&tenant, &InvoiceId::new("inv-1").unwrap()).unwrap();
    assert!(notices.iter().all(|n| n.state.is_final()), "{notices:#?}");
}

/// An opt-out after the checks but before the send started stops it.
#[test]
fn an_opt_out_between_the_checks_and_the_start_of_a_send_stops_it() {
    let (dirs, scheduler, tenant, handle, first) = setup(Gate::Check);
    let customer = nudge_core::CustomerId::new("c1").unwrap();
    race(&scheduler, &handle, first, || {
        scheduler.opt_out(&tenant, &customer, None, first).unwrap();
    });
    scheduler.advance_to(first + SignedDuration::from_hours(24 * 60)).unwrap();
    assert_eq!(sent(&scheduler, &tenant), []);
    assert!(read_outbox(&dirs.outbox()).is_empty());
    let notice = scheduler.store().notice(&tenant, &InvoiceId::new("inv-1").unwrap(), "overdue-1").unwrap().unwrap();
    assert!(
        matches!(&notice.state, NoticeState::Suppressed { reason, .. } if reason.starts_with("no reachable channel")),
        "{:?}",
        notice.state
    );
}

/// Plugin versions activated over and over from another thread while a
/// replay of 300 real invoices runs: every decision is recorded under the
/// version active when it was recorded (the event log, read in order, never
/// shows a decision by a version other than the last one activated before
/// it), every notice names the version that scheduled it, and nothing is
/// lost or sent twice.
#[test]
fn plugin_versions_activated_during_a_run_decide_only_while_active() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let store = nudge_store::Store::open(dir.path().join("store")).unwrap();
    let runtime = nudge_runtime::Runtime::new(nudge_runtime::Limits::default()).unwrap();
    let config = nudge_scheduler::SchedulerConfig::new(dir.path().join("outbox"));
    let scheduler = Scheduler::new(store, runtime, config);
    let tenant = TenantId::new("flip").unwrap();
    let from = at("2012-01-01T00:00:00Z");
    let record = nudge_core::Tenant {
        id: tenant.clone(),
        name: "Flip Ltd".into(),
        settings: TenantSettings::default(),
        created_at: from,
    };
    scheduler.put_tenant(&record).unwrap();
    let v1 = scheduler.install_plugin(&tenant, nudge_bundle::STANDARD_POLICY, from).unwrap().version;
    let v2 = scheduler.upload_plugin(&tenant, nudge_bundle::SEGMENTED_POLICY, from).unwrap().version;
    let csv = harness::first_rows(300);
    let data = nudge_ingest::ar::read(csv.as_slice(), &tenant).unwrap();
    for customer in &data.customers {
        scheduler.upsert_customer(customer, from).unwrap();
    }
    let feed = nudge_cli::demo::feed(&data).unwrap();

    let done = AtomicBool::new(false);
    let activations = std::thread::scope(|s| {
        let flipper = s.spawn(|| {
            let mut n = 0u32;
            while !done.load(Ordering::Relaxed) {
                let version = if n.is_multiple_of(2) { v2 } else { v1 };
                scheduler.activate_plugin(&tenant, version, from).unwrap();
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            n
        });
        let result = nudge_scheduler::replay::run(&scheduler, feed, at("2014-01-31T23:59:59Z"));
        done.store(true, Ordering::Relaxed);
        result.unwrap();
        flipper.join().unwrap()
    });
    assert!(activations >= 4, "only {activations} activations during the run");

    // The log in order: each decision by the version last activated before it.
    let events = scheduler.store().events(&tenant).unwrap();
    let mut active = None;
    let mut by_version = std::collections::HashMap::<u32, usize>::new();
    let mut activated_between_decisions = 0;
    let mut decided_since_activation = false;
    let mut decided_by = std::collections::HashMap::new();
    for e in &events {
        match &e.kind {
            EventKind::PluginActivated { version } => {
                active = Some(*version);
                activated_between_decisions += usize::from(decided_since_activation);
                decided_since_activation = false;
            }
            EventKind::Decided { invoice, plugin_version, fallback, .. } => {
                assert_eq!(*plugin_version, active, "decision on {invoice} (event {}) by a version not active", e.seq);
                assert!(!fallback, "{e:?}");
                *by_version.entry(plugin_version.unwrap()).or_default() += 1;
                decided_since_activation = true;
                decided_by.insert(invoice.clone(), *plugin_version);
            }
            EventKind::NoticeScheduled { notice, invoice, moved_from: None, .. } => {
                // Scheduled in the same transaction as the decision just before it.
                let notice_record = scheduler.store().notices_for_invoice(&tenant, invoice).unwrap();
                let n = notice_record.iter().find(|n| &n.id == notice).unwrap();
                assert_eq!(n.plugin_version, decided_by[invoice], "{n:?}");
            }
            _ => {}
        }
    }
    assert!(activated_between_decisions >= 2, "activations interleaved with decisions: {activated_between_decisions}");
    assert!(
        by_version.get(&v1).is_some_and(|n| *n > 10) && by_version.get(&v2).is_some_and(|n| *n > 10),
        "{by_version:?}"
    );

    // Nothing lost or sent twice: every notice settled, each sent one in
    // exactly one message, and the outbox holds exactly the sent ones.
    let notices = scheduler.store().notices(&tenant).unwrap();
    assert!(notices.iter().all(|n| n.state.is_final() && n.plugin_version.is_some()), "{notices:#?}");
    let sent_notices = notices.iter().filter(|n| matches!(n.state, NoticeState::Sent { .. })).count();
    let delivered = read_outbox(&dir.path().join("outbox"));
    let mut carried = std::collections::HashMap::new();
    for d in &delivered {
        for pair in std::iter::once((d.invoice.clone(), d.step.clone())).chain(d.also.iter().cloned()) {
            *carried.entry(pair).or_insert(0) += 1;
        }
    }
    assert!(carried.values().all(|n| *n == 1), "delivered twice: {carried:?}");
    assert_eq!(carried.len(), sent_notices);
    let sent_events = events.iter().filter(|e| matches!(e.kind, EventKind::NoticeSent { .. })).count();
    assert_eq!(sent_events, sent_notices);
    let problems = crate::outbox_check::violations(&delivered, &crate::outbox_check::settlements(&csv));
    assert!(problems.is_empty(), "{problems:#?}");
}
