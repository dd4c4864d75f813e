//! Crash safety, proven by killing the host: `nudge-crash-replay` replays
//! part of the real history into a recording sink and is killed with
//! SIGKILL at random moments, then restarted, until it finishes. After each
//! replay: no notice delivered twice (counted per idempotency key in the
//! sink's log), nothing lost (the same notices in the same final states as
//! a run never killed, and exactly the sent ones delivered), nothing sent
//! on or after its invoice's settlement, and the event log agrees with the
//! notice states.
//!
//! What "at most once" means here. The recording sink stands for a
//! provider: every call of `deliver` appends one line (tenant, notice id =
//! idempotency key, channel, time, headers) with one `write`, synced before
//! the call returns; the line *is* the provider's acceptance. The sink never
//! deduplicates, so a second call for a key shows as a second line. The
//! dangerous moment is a SIGKILL after the provider accepted and before the
//! host recorded the notice as sent: the restarted host finds the notice
//! still `scheduled` or `sending`. What keeps it from sending again is the
//! check it makes before every send, `Sink::delivered(key)` (the outbox
//! check; for this sink, a look in the same log): accepted means settle as
//! sent, send nothing. That is exact only because acceptance and record are
//! one durable step here, as they are for the outbox (a file renamed into
//! place). A remote provider cannot share a step with the host's disk: the
//! host passes the notice id as the idempotency key, and at most once then
//! rests on the provider honouring it; without that, the window between the
//! provider's acceptance and the host's record could yield a second message.
//! A call cut off mid-line (a torn line) delivered nothing and is counted
//! apart; it never occurs with one small `write`, but the check allows it.

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use nudge_core::{EventKind, NoticeState, TenantId};
use nudge_store::Store;

use nudge_delivery::{Recorded, RecordingSink};

use crate::{
    harness::first_rows,
    outbox_check::{Delivered, also_covers, settlements, violations},
};

const ROWS: usize = 250;
const KILLS: usize = 50;
const KILLS_PER_REPLAY: usize = 10;

fn start(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_nudge-crash-replay"))
        .arg(dir)
        .arg(ROWS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run_to_the_end(dir: &Path) -> Duration {
    let started = Instant::now();
    let out = start(dir).wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("done"), "{}: {stdout}{stderr}", out.status);
    started.elapsed()
}

/// Each notice's invoice, step and final state (its kind, and the reason of a suppression).
fn outcomes(store: &Store, tenant: &TenantId) -> BTreeMap<(String, String), String> {
    store
        .notices(tenant)
        .unwrap()
        .into_iter()
        .map(|n| {
            let state = match &n.state {
                NoticeState::Sent { channel, .. } => format!("sent on {channel}"),
                NoticeState::Suppressed { reason, .. } => format!("suppressed: {reason}"),
                NoticeState::Failed { reason, .. } => format!("failed: {reason}"),
                other => format!("{other:?}"),
            };
            ((n.invoice.to_string(), n.step.clone()), state)
        })
        .collect()
}

/// Every check of one finished replay in `dir` against the never-killed `reference`.
fn check(dir: &Path, reference: &BTreeMap<(String, String), String>) {
    let tenant = TenantId::new("crash").unwrap();
    let store = Store::open(dir.join("store")).unwrap();
    let got = outcomes(&store, &tenant);
    let differ: Vec<_> = reference
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k:?}: expected {v}, got {:?}", got.get(k)))
        .chain(got.iter().filter(|(k, _)| !reference.contains_key(*k)).map(|(k, v)| format!("{k:?}: unexpected, {v}")))
        .collect();
    assert!(
        differ.is_empty(),
        "{} notices differ from the run never killed: {:#?}",
        differ.len(),
        &differ[..differ.len().min(10)]
    );

    // Delivered once: at most one completed call per idempotency key, every
    // (invoice, step) in at most one message, and exactly the notices the
    // store holds as sent.
    let (calls, torn) = RecordingSink::read(&dir.join("deliveries.log")).unwrap();
    let per_key = completed_per_key(&calls);
    let again: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "keys delivered more than once: {again:?} ({torn} torn calls)");
    let delivered: Vec<Delivered> = calls.iter().map(delivered).collect();
    let mut carried: HashMap<(String, String), usize> = HashMap::new();
    for d in &delivered {
        for pair in std::iter::once((d.invoice.clone(), d.step.clone())).chain(d.also.iter().cloned()) {
            *carried.entry(pair).or_default() += 1;
        }
    }
    let twice: Vec<_> = carried.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let sent = got.iter().filter(|(_, v)| v.starts_with("sent")).count();
    assert_eq!(carried.len(), sent, "the sink delivered exactly the notices recorded as sent");
    let problems = violations(&delivered, &settlements(&first_rows(ROWS)));
    assert!(problems.is_empty(), "{problems:#?}");

    // The event log agrees with the states: one sent or suppressed event
    // per notice in that state, and none for any other notice.
    let mut events: HashMap<String, Vec<&'static str>> = HashMap::new();
    for e in store.events(&tenant).unwrap() {
        match e.kind {
            EventKind::NoticeSent { notice, .. } => events.entry(notice.to_string()).or_default().push("sent"),
            EventKind::NoticeSuppressed { notice: Some(notice), .. } => {
                events.entry(notice.to_string()).or_default().push("suppressed")
            }
            EventKind::NoticeFailed { notice, .. } => events.entry(notice.to_string()).or_default().push("failed"),
            _ => {}
        }
    }
    for n in store.notices(&tenant).unwrap() {
        let expected: Vec<&str> = match n.state {
            NoticeState::Sent { .. } => vec!["sent"],
            NoticeState::Suppressed { .. } => vec!["suppressed"],
            NoticeState::Failed { .. } => vec!["failed"],
            NoticeState::Scheduled | NoticeState::Sending => vec![],
        };
        assert_eq!(events.remove(n.id.as_str()).unwrap_or_default(), expected, "{n:?}");
    }
    assert!(events.is_empty(), "events for notices the store does not hold: {events:?}");
}

/// Completed delivery calls per idempotency key (tenant, notice).
fn completed_per_key(calls: &[Recorded]) -> HashMap<(String, String), usize> {
    let mut per_key = HashMap::new();
    for call in calls {
        *per_key.entry((call.tenant.to_string(), call.notice.to_string())).or_default() += 1;
    }
    per_key
}

/// A logged call as the guardrail checks read a message.
fn delivered(call: &Recorded) -> Delivered {
    let header = |name: &str| call.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let also = header("Also-Covers").map(|v| also_covers(&v)).unwrap_or_default();
    Delivered {
        invoice: header("Invoice").unwrap(),
        step: header("Step").unwrap(),
        sent_at: call.sent_at.parse().unwrap(),
        also,
    }
}

/// The check above sees a second delivery of a key: a sink called twice
/// for one notice (what a host that forgot to look first would do).
#[test]
fn the_duplicate_check_counts_a_second_call_for_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deliveries.log");
    let sink = RecordingSink::open(&path).unwrap();
    let tenant = TenantId::new("crash").unwrap();
    let message = |invoice: &str| nudge_delivery::Message {
        notice: nudge_core::NoticeId::derive(&tenant, &nudge_core::InvoiceId::new(invoice).unwrap(), "overdue-1"),
        tenant: tenant.clone(),
        channel: nudge_core::Channel::Email,
        to: "a@example.invalid".into(),
        from_name: "Crash".into(),
        subject: "s".into(),
        body: "b".into(),
        sent_at: "2012-03-01T10:00:00Z".parse().unwrap(),
        headers: vec![("Invoice".into(), invoice.into()), ("Step".into(), "overdue-1".into())],
        html: None,
    };
    for invoice in ["1", "2", "1"] {
        nudge_delivery::Sink::deliver(&sink, &message(invoice)).unwrap();
    }
    let (calls, torn) = RecordingSink::read(&path).unwrap();
    let per_key = completed_per_key(&calls);
    assert_eq!((per_key.len(), per_key.values().max(), torn), (2, Some(&2), 0));
    let d = delivered(&calls[2]);
    assert_eq!((d.invoice.as_str(), d.step.as_str()), ("1", "overdue-1"));
    assert_eq!(d.sent_at, "2012-03-01T10:00:00Z".parse::<jiff::Timestamp>().unwrap());
}

#[test]
fn killed_fifty_times_mid_replay_nothing_is_lost_or_sent_twice() {
    let reference_dir = tempfile::tempdir().unwrap();
    let full = run_to_the_end(reference_dir.path());
    let reference = {
        let store = Store::open(reference_dir.path().join("store")).unwrap();
        outcomes(&store, &TenantId::new("crash").unwrap())
    };
    assert!(reference.values().filter(|v| v.starts_with("sent")).count() > 50, "{reference:?}");
    check(reference_dir.path(), &reference);

    // A small xorshift generator; the seed is printed to replay a failure.
    let mut seed = std::env::var("NUDGE_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("NUDGE_CRASH_SEED={seed}");
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below.max(1)
    };
    let (mut kills, mut replays, mut finished_early) = (0, 0, 0);
    while kills < KILLS {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..KILLS_PER_REPLAY {
            let mut child = start(dir.path());
            // Anywhere from start-up (store open, plugin load) to most of a full run.
            std::thread::sleep(Duration::from_micros(random(full.as_micros() as u64 * 3 / 4)));
            if child.try_wait().unwrap().is_some() {
                finished_early += 1;
                break;
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
        }
        run_to_the_end(dir.path());
        check(dir.path(), &reference);
        replays += 1;
    }
    println!("{kills} kills over {replays} replays ({finished_early} finished before their kill); full run {full:?}");
}
