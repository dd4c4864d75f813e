//! The main job: the whole real history through the bundled standard policy.

use std::sync::OnceLock;

use nudge_cli::demo::{self, DemoReport, Options};

use crate::outbox_check::{read_outbox, settlements, violations};

const CSV: &[u8] = include_bytes!("../../examples/data/accounts-receivable.csv");

struct Run {
    _dir: tempfile::TempDir,
    report: DemoReport,
    outbox: std::path::PathBuf,
    metrics: String,
}

/// The full replay runs once and every test reads its results.
fn full_replay() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            data_dir: dir.path().join("demo"),
            csv: None,
            plugin: None,
            json: true,
            metrics: Some(dir.path().join("metrics.prom")),
            limits: Default::default(),
        };
        let report = demo::run(&options).unwrap();
        let outbox = dir.path().join("demo/outbox");
        let metrics = std::fs::read_to_string(dir.path().join("metrics.prom")).unwrap();
        Run { _dir: dir, report, outbox, metrics }
    })
}

#[test]
fn replays_every_invoice_and_sends_reminders_on_every_step() {
    let s = &full_replay().report.summary;
    assert_eq!(s.invoices, 2466);
    assert_eq!(s.customers, 100);
    assert_eq!(s.invoices_paid, 2466, "every invoice settles within the replay window");
    assert!(s.notices_sent > 500, "{s:?}");
    for step in ["pre-due", "overdue-1", "overdue-7", "overdue-14"] {
        assert!(s.notices_by_step.get(step).copied().unwrap_or(0) > 0, "no {step} notices: {s:?}");
    }
    assert!(s.notices_by_channel.get("sms").copied().unwrap_or(0) > 0, "urgent and high-value notices use SMS");
    assert!(s.suppressed_by_payment > 0, "payments arriving before a send must suppress it");
    assert_eq!(s.incidents, 0, "the standard policy never fails: {:?}", s.incidents_by_kind);
}

#[test]
fn host_bookkeeping_reports_no_guardrail_violation() {
    let s = &full_replay().report.summary;
    assert_eq!((s.sent_after_payment, s.sent_in_quiet_hours, s.duplicate_step_notices), (0, 0, 0));
    assert_eq!(s.frequency_cap_violations, 0, "{s:?}");
}

#[test]
fn outbox_agrees_with_the_csv_no_send_after_settlement_none_in_quiet_hours_none_twice() {
    let run = full_replay();
    let delivered = read_outbox(&run.outbox);
    let s = &run.report.summary;
    assert_eq!(delivered.len(), s.messages_sent, "one file per message");
    let carried: usize = delivered.iter().map(|d| d.also.len()).sum();
    assert_eq!(
        (carried, delivered.len() + carried),
        (s.combined_notices, s.notices_sent),
        "every sent notice is in a file"
    );
    let problems = violations(&delivered, &settlements(CSV));
    assert!(problems.is_empty(), "{} violations, first: {:#?}", problems.len(), &problems[..problems.len().min(5)]);
}

#[test]
fn the_outbox_check_itself_catches_violations() {
    // Guard against a checker that can never fail: feed it bad deliveries.
    use crate::outbox_check::Delivered;
    let settlements = settlements(CSV);
    let (invoice, (settled, tz, _)) = settlements.iter().next().unwrap();
    let at_night = settled.yesterday().unwrap().at(3, 0, 0, 0).to_zoned(tz.clone()).unwrap().timestamp();
    let on_settlement = settled.at(12, 0, 0, 0).to_zoned(tz.clone()).unwrap().timestamp();
    let bad = vec![
        Delivered { invoice: invoice.clone(), step: "a".into(), sent_at: at_night, also: vec![] },
        Delivered { invoice: invoice.clone(), step: "b".into(), sent_at: on_settlement, also: vec![] },
        Delivered { invoice: invoice.clone(), step: "b".into(), sent_at: on_settlement, also: vec![] },
    ];
    let problems = violations(&bad, &settlements);
    // Quiet hours, 2× after settlement, duplicate, and a second message within a day.
    assert_eq!(problems.len(), 5, "{problems:#?}");
    // A combined message is checked for every invoice it carries.
    let combined = vec![Delivered {
        invoice: invoice.clone(),
        step: "a".into(),
        sent_at: at_night - jiff::SignedDuration::from_hours(24 * 30),
        also: vec![(invoice.clone(), "a".into())],
    }];
    let problems = violations(&combined, &settlements);
    assert!(problems.iter().any(|p| p.contains("sent twice")), "{problems:#?}");
}

#[test]
fn the_demo_prints_every_required_json_key() {
    let json = serde_json::to_value(&full_replay().report).unwrap();
    for key in [
        "invoices",
        "customers",
        "notices_sent",
        "notices_by_step",
        "notices_by_channel",
        "notices_by_tone",
        "notices_by_segment",
        "suppressed_by_payment",
        "moved_out_of_quiet_hours",
        "sent_after_payment",
        "sent_in_quiet_hours",
        "duplicate_step_notices",
        "paid_within_7d_of_notice_rate",
        "incidents",
        "outbox",
    ] {
        assert!(json.get(key).is_some(), "missing key {key}");
    }
    let text = demo::render(&full_replay().report);
    assert!(text.contains("2466 invoices from 100 customers"), "{text}");
}

#[test]
fn every_plugin_call_is_metered() {
    let run = full_replay();
    // Every decision of the replay, plus one dry run per fixture at upload.
    let calls = run.report.summary.decisions + nudge_runtime::fixtures::contexts().len();
    let ok = format!("nudge_decide_calls_total{{result=\"ok\"}} {calls}\n");
    assert!(run.metrics.contains(&ok), "expected {ok:?} in\n{}", run.metrics);
    assert!(run.metrics.contains(&format!("nudge_decide_duration_seconds_count {calls}\n")));
    let fuel: u64 = run
        .metrics
        .lines()
        .find_map(|l| l.strip_prefix("nudge_decide_fuel_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(fuel > calls as u64 * 1_000, "fuel is counted: {fuel}");
}

#[test]
fn the_demo_writes_an_html_report_with_its_charts_and_numbers() {
    let run = full_replay();
    let path = std::path::Path::new(&run.report.report_html);
    assert!(path.is_absolute() && path.ends_with("report.html"), "{}", path.display());
    let html = std::fs::read_to_string(path).unwrap();
    for chart in ["trend-paid", "trend-late", "curves-cohort"] {
        assert!(html.contains(&format!("id=\"{chart}\"")), "no {chart} chart");
    }
    let sent = run.report.summary.notices_sent;
    assert!(
        html.contains(&format!("<div class=\"value\">{sent}</div><div class=\"label\">notices sent</div>")),
        "the page shows the {sent} notices the summary counts"
    );
    // Self-contained: nothing fetched, no script.
    assert!(!html.contains("<script") && !html.contains("src=\"http"), "the report fetches or runs nothing");
}
