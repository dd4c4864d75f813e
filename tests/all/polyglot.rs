//! Policies in other languages: `plugins/python-standard` (componentize-py)
//! and `plugins/js-standard` (componentize-js) must load under the tenant
//! limits their READMEs document and decide exactly as the Rust standard
//! policy does: on every fixture, on a few hundred varied contexts, and on
//! every decision of the real history replayed the way `nudge demo` does.
//!
//! The components come from `plugins/polyglot-build.sh` (cached: a no-op
//! when nothing changed). The first test that needs them runs it; if it
//! fails, every test here fails with the command to run and its output.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};
use nudge_cli::{admin::LimitFlags, demo};
use nudge_core::{
    Channel, DecisionContext, Event, EventKind, IncidentKind, InvoiceStatus, Notice, NoticeId, NoticeState, TenantId,
    Tone,
};
use nudge_runtime::{Limits, Outcome, Plugin, PluginLimits, Runtime, fixtures};
use nudge_scheduler::Summary;

/// Tenant limits the Python plugin runs under (`plugins/python-standard/README.md`):
/// a bigger component, more core instances and a longer compile than the defaults.
pub fn python_limits() -> PluginLimits {
    PluginLimits {
        max_component_bytes: 24 << 20,
        core_instances: 48,
        compile_timeout_ms: 120_000,
        ..PluginLimits::default()
    }
}

/// Tenant limits the JavaScript plugin runs under (`plugins/js-standard/README.md`):
/// a bigger component and a longer compile than the defaults.
pub fn js_limits() -> PluginLimits {
    PluginLimits { max_component_bytes: 16 << 20, compile_timeout_ms: 120_000, ..PluginLimits::default() }
}

/// A policy under test: the Rust reference or one of its ports.
#[derive(Debug, Clone)]
pub struct PolicyUnderTest {
    /// Its language, for messages: `rust`, `python` or `javascript`.
    pub name: &'static str,
    /// The component file; `None` for the bundled Rust standard policy.
    pub path: Option<PathBuf>,
    /// The component.
    pub bytes: Vec<u8>,
    /// The tenant limits it runs under.
    pub limits: PluginLimits,
}

/// Every policy under test, the Rust standard policy (the reference) first.
/// Builds the Python and JavaScript components if needed; fails the test
/// with the command to run if that is impossible here.
pub fn policies_under_test() -> Vec<PolicyUnderTest> {
    let built = match built() {
        Ok(built) => built,
        Err(message) => panic!("{message}"),
    };
    let mut policies = vec![PolicyUnderTest {
        name: "rust",
        path: None,
        bytes: nudge_bundle::STANDARD_POLICY.to_vec(),
        limits: PluginLimits::default(),
    }];
    for (name, path, limits) in [("python", &built.python, python_limits()), ("javascript", &built.js, js_limits())] {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        policies.push(PolicyUnderTest { name, path: Some(path.clone()), bytes, limits });
    }
    policies
}

/// Runs the checks every policy must pass on every policy under test,
/// each under the limits its README documents.
fn run_on_every_policy_under_test(check: impl Fn(&PolicyUnderTest, &Plugin)) {
    for loaded in loaded() {
        check(&loaded.policy, &loaded.plugin);
    }
}

#[test]
fn every_policy_under_test_describes_itself_and_passes_its_dry_run() {
    run_on_every_policy_under_test(|policy, plugin| {
        let info = plugin.info();
        assert_eq!((info.name.as_str(), info.version.as_str()), ("standard", "1.0.0"), "{}", policy.name);
        assert!(info.experiments.is_empty(), "{}", policy.name);
        // The ports stay on WIT 0.1 (the proof that 0.1 plugins still
        // work); the Rust SDK is on 0.2.
        let wit = if policy.name == "rust" { "0.2.0" } else { "0.1.0" };
        assert_eq!(plugin.wit_version(), wit, "{}", policy.name);
        let worst = plugin.dry_run(&policy.limits).unwrap_or_else(|e| panic!("{}: {e}", policy.name));
        // Headroom: a port that needs more than half a limit is one tool
        // upgrade away from failing in production.
        assert!(worst.fuel <= policy.limits.fuel / 2, "{}: {worst:?}", policy.name);
        assert!(worst.peak_memory_bytes <= policy.limits.memory_bytes / 2, "{}: {worst:?}", policy.name);
    });
}

#[test]
fn every_policy_under_test_passes_the_conformance_kit() {
    run_on_every_policy_under_test(|policy, plugin| {
        let report = nudge_runtime::conformance::run(plugin, &policy.limits);
        let failed: Vec<String> = report
            .cases
            .iter()
            .filter(|case| !case.failures.is_empty())
            .map(|case| format!("{}: {:?}", case.name, case.failures))
            .collect();
        assert!(report.passed && failed.is_empty(), "{} fails the conformance kit: {failed:#?}", policy.name);
        // Every case ran: the kit's cases, plus `describe`.
        assert!(report.cases.len() > 20, "{}: only {} cases", policy.name, report.cases.len());
    });
}

#[test]
fn the_ports_need_their_documented_limits() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    for loaded in loaded().iter().filter(|l| l.policy.name != "rust") {
        let policy = &loaded.policy;
        let documented = policy.limits;
        Limits::default().check(&documented).unwrap_or_else(|e| panic!("{}: {e}", policy.name));
        // Under the defaults, the size cap refuses them before anything else.
        let error = runtime.load_with(&policy.bytes, &PluginLimits::default()).unwrap_err().to_string();
        assert!(error.contains("over the cap of 8388608 bytes"), "{}: {error}", policy.name);
        assert!(policy.bytes.len() as u64 <= documented.max_component_bytes, "{}", policy.name);
    }
    // componentize-py splits the interpreter into many core modules: the
    // default of 16 core instances cannot instantiate it.
    let python = loaded().iter().find(|l| l.policy.name == "python").unwrap();
    let contexts = fixtures::contexts();
    let ctx = &contexts[0].1;
    let too_few = PluginLimits { core_instances: PluginLimits::default().core_instances, ..python.policy.limits };
    let error = python.plugin.decide_with(ctx, &too_few).result.unwrap_err();
    assert_eq!(error.kind, IncidentKind::ResourceLimit, "{error}");
    assert!(error.message.contains("limit of 16 (`core_instances`)"), "{error}");
    assert!(python.plugin.decide_with(ctx, &python.policy.limits).result.is_ok());
}

#[test]
fn the_ports_decide_like_the_rust_standard_on_every_fixture() {
    let contexts: Vec<(String, DecisionContext)> =
        fixtures::contexts().into_iter().map(|(name, ctx)| (name.to_string(), ctx)).collect();
    assert_same_decisions(&contexts);
}

#[test]
fn the_ports_decide_like_the_rust_standard_on_varied_contexts() {
    let contexts = varied_contexts();
    assert!(contexts.len() > 300, "{}", contexts.len());
    assert_same_decisions(&contexts);
}

#[test]
fn the_python_port_replays_the_real_history_like_the_rust_standard() {
    assert_same_replay("python");
}

#[test]
fn the_javascript_port_replays_the_real_history_like_the_rust_standard() {
    assert_same_replay("javascript");
}

/// Every port's outcome on every context equals the Rust policy's: the same
/// decision and log lines, or the same kind of failure with the same message.
fn assert_same_decisions(contexts: &[(String, DecisionContext)]) {
    let [reference, ports @ ..] = loaded() else { panic!("no policies under test") };
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (name, ctx) in contexts {
        let expected = reference.plugin.decide_with(ctx, &reference.policy.limits);
        for port in ports {
            let actual = port.plugin.decide_with(ctx, &port.policy.limits);
            if let Err(difference) = same_outcome(&expected, &actual) {
                mismatches.push(format!("{} on {name}: {difference}", port.policy.name));
            }
            compared += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} outcomes differ from the Rust policy's; first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

/// Why two outcomes differ, if they do. JSON syntax errors are worded by
/// each language's parser, so only their prefix must match.
fn same_outcome(expected: &Outcome, actual: &Outcome) -> Result<(), String> {
    match (&expected.result, &actual.result) {
        (Ok(want), Ok(got)) if want == got => {}
        (Err(want), Err(got)) if want.kind == got.kind && comparable(&want.message) == comparable(&got.message) => {}
        (want, got) => return Err(format!("expected {want:?}, got {got:?}")),
    }
    if expected.log != actual.log {
        return Err(format!("expected log {:?}, got {:?}", expected.log, actual.log));
    }
    Ok(())
}

fn comparable(message: &str) -> &str {
    const SYNTAX: &str = "bad-config: configuration is not valid JSON";
    if message.starts_with(SYNTAX) { SYNTAX } else { message }
}

/// A few hundred contexts around the fixtures: every day from well before
/// the due date to past the escalation day at several local hours and UTC
/// offsets, every history of steps, reachable channels, invoice states,
/// payment records and tenant configurations (valid and not).
fn varied_contexts() -> Vec<(String, DecisionContext)> {
    let fixtures = fixtures::contexts();
    let base = &fixtures[1].1; // overdue-2-days: email and SMS, 128.28 USD
    let mut out = Vec::new();
    let mut add = |name: String, ctx: DecisionContext| out.push((name, ctx));

    let offsets = [-600, -300, 0, 60, 330, 840];
    for day in -12_i64..=35 {
        for (i, (hour, minute)) in [(0, 0), (9, 59), (10, 0), (17, 30), (23, 59)].into_iter().enumerate() {
            let offset = offsets[(day.unsigned_abs() as usize + i) % offsets.len()];
            add(format!("day {day} {hour:02}:{minute:02} offset {offset}"), at_local(base, day, hour, minute, offset));
        }
    }

    let histories: [&[(&str, NoticeOutcome)]; 9] = [
        &[("pre-due", NoticeOutcome::Sent)],
        &[("pre-due", NoticeOutcome::Sent), ("overdue-1", NoticeOutcome::Sent)],
        &[("overdue-1", NoticeOutcome::Scheduled)],
        &[("overdue-7", NoticeOutcome::Suppressed)],
        &[("overdue-7", NoticeOutcome::Failed), ("custom-step", NoticeOutcome::Sent)],
        &[("overdue-14", NoticeOutcome::Sent)],
        &[("overdue-1", NoticeOutcome::Sent), ("pre-due", NoticeOutcome::Sent)],
        &[("custom-step", NoticeOutcome::Sent)],
        &[("pre-due", NoticeOutcome::Sent), ("overdue-1", NoticeOutcome::Sent), ("overdue-7", NoticeOutcome::Sent)],
    ];
    for (h, history) in histories.iter().enumerate() {
        for day in [-3, -1, 0, 1, 3, 7, 9, 14, 16, 29] {
            let mut ctx = at_local(base, day, 11, 0, offsets[h % offsets.len()]);
            ctx.notices = history.iter().map(|(step, outcome)| past_notice(&ctx, step, *outcome)).collect();
            add(format!("history {history:?} day {day}"), ctx);
        }
    }

    // (label, has email, has phone, preferred channel, opted out of)
    type Reach<'a> = (&'a str, bool, bool, Option<Channel>, &'a [Channel]);
    let reach: [Reach; 8] = [
        ("email and sms", true, true, None, &[]),
        ("email only", true, false, None, &[]),
        ("sms only", false, true, None, &[]),
        ("sms, email opted out", true, true, Some(Channel::Sms), &[Channel::Email]),
        ("email, sms opted out", true, true, None, &[Channel::Sms]),
        ("prefers push, sms only", false, true, Some(Channel::Push), &[]),
        ("nothing reachable", false, false, None, &[]),
        ("everything opted out", true, true, Some(Channel::Email), &[Channel::Email, Channel::Sms]),
    ];
    for (label, email, phone, preferred, opted_out) in reach {
        for (day, total) in [(-1, 5_000), (1, 5_000), (7, 9_999), (14, 5_000), (1, 10_000), (-1, 250_000)] {
            let mut ctx = at_local(base, day, 12, 0, 0);
            ctx.customer.email = email.then(|| "c-1@customers.nudge.invalid".into());
            ctx.customer.phone = phone.then(|| "+15550100".into());
            ctx.customer.preferred_channel = preferred;
            ctx.customer.opted_out = opted_out.to_vec();
            ctx.invoice.total.amount_minor = total;
            ctx.invoice.amount_remaining_minor = total;
            add(format!("{label}, day {day}, total {total}"), ctx);
        }
    }

    for (label, status, disputed, remaining) in [
        ("paid", InvoiceStatus::Paid, false, 0),
        ("void", InvoiceStatus::Void, false, 12_828),
        ("uncollectible", InvoiceStatus::Uncollectible, false, 12_828),
        ("nothing remaining", InvoiceStatus::Open, false, 0),
        ("overpaid", InvoiceStatus::Open, false, -5),
        ("disputed", InvoiceStatus::Open, true, 12_828),
        ("paid long overdue", InvoiceStatus::Paid, false, 0),
    ] {
        for day in [-2, 5, 40] {
            let mut ctx = at_local(base, day, 8, 0, 60);
            ctx.invoice.status = status;
            ctx.invoice.disputed = disputed;
            ctx.invoice.amount_remaining_minor = remaining;
            add(format!("{label}, day {day}"), ctx);
        }
    }

    for (on_time, late) in [(0, 0), (0, 1), (0, 2), (1, 3), (2, 2), (3, 2), (5, 0), (u32::MAX, u32::MAX)] {
        for total in [100, 9_999, 10_000] {
            let mut ctx = at_local(base, 1, 14, 0, -300);
            ctx.customer.stats.paid_on_time = on_time;
            ctx.customer.stats.paid_late = late;
            ctx.customer.stats.total_days_late = late.saturating_mul(4);
            ctx.invoice.total.amount_minor = total;
            add(format!("paid {on_time} on time, {late} late, total {total}"), ctx);
        }
    }

    let configs = [
        "",
        "  ",
        "{}",
        r#"{"send_hour": 8}"#,
        r#"{"send_hour": 0, "escalate_after_days": 1}"#,
        r#"{"send_hour": 23, "escalate_after_days": 365, "high_value_minor": 0}"#,
        r#"{"escalate_after_days": 10}"#,
        r#"{"escalate_after_days": 14}"#,
        r#"{"high_value_minor": 20000}"#,
        r#"{"high_value_minor": 9223372036854775807}"#,
        r#"{"send_hour": null, "high_value_minor": null}"#,
        r#"{"send_hour": 9, "send_hour": 11}"#,
        r#"{"send_hour": 24}"#,
        r#"{"send_hour": -1}"#,
        r#"{"send_hour": 9.5}"#,
        r#"{"send_hour": 9.0}"#,
        r#"{"send_hour": 9e0}"#,
        r#"{"send_hour": -0}"#,
        r#"{"send_hour": 12345.0}"#,
        r#"{"send_hour": 1e16}"#,
        r#"{"send_hour": 100000000000000000000}"#,
        r#"{"send_hour": -9223372036854775809}"#,
        r#"{"send_hour": "neuf €"}"#,
        r#"{"send_hour": [9, 10]}"#,
        r#"{"send_hour": {"at": 9}}"#,
        r#"{"send_hour": "9"}"#,
        r#"{"send_hour": true}"#,
        r#"{"send_hour": [9]}"#,
        r#"{"escalate_after_days": 0}"#,
        r#"{"escalate_after_days": 366}"#,
        r#"{"high_value_minor": -1}"#,
        r#"{"high_value_minor": 9223372036854775808}"#,
        r#"{"sendHour": 9}"#,
        r#"{"zeta": 1, "alpha": 2, "send_hour": 9}"#,
        r#"{"send_hour": 9, "nested": {"send_hour": 10}}"#,
        "[]",
        "null",
        "42",
        r#""text""#,
        "true",
        "{",
        r#"{"send_hour": NaN}"#,
        r#"{"send_hour": 9,}"#,
    ];
    for config in configs {
        for day in [-4, 2, 12, 20] {
            let mut ctx = at_local(base, day, 7, 0, 0);
            ctx.config = config.to_string();
            add(format!("config {config:?}, day {day}"), ctx);
        }
    }
    out
}

/// `base` at `hour:minute` local time, `day` days after its due date, for a
/// customer `offset` minutes from UTC.
fn at_local(base: &DecisionContext, day: i64, hour: i8, minute: i8, offset: i32) -> DecisionContext {
    let mut ctx = base.clone();
    let local = ctx.invoice.due_on.checked_add(day.days()).unwrap().at(hour, minute, 0, 0);
    ctx.now = local.to_zoned(TimeZone::UTC).unwrap().timestamp() - SignedDuration::from_mins(offset.into());
    ctx.utc_offset_minutes = offset;
    ctx
}

/// What became of a notice in a made-up history.
#[derive(Debug, Clone, Copy)]
enum NoticeOutcome {
    Scheduled,
    Sent,
    Suppressed,
    Failed,
}

/// A notice for `step` a day before `ctx.now`.
fn past_notice(ctx: &DecisionContext, step: &str, outcome: NoticeOutcome) -> Notice {
    let at: Timestamp = ctx.now - SignedDuration::from_hours(24);
    let state = match outcome {
        NoticeOutcome::Scheduled => NoticeState::Scheduled,
        NoticeOutcome::Sent => NoticeState::Sent { at, channel: Channel::Email },
        NoticeOutcome::Suppressed => NoticeState::Suppressed { at, reason: "opted-out".into() },
        NoticeOutcome::Failed => NoticeState::Failed { at, reason: "bounced".into() },
    };
    Notice {
        id: NoticeId::derive(&ctx.invoice.tenant, &ctx.invoice.id, step),
        tenant: ctx.invoice.tenant.clone(),
        invoice: ctx.invoice.id.clone(),
        customer: ctx.customer.id.clone(),
        step: step.into(),
        segment: "regular".into(),
        channel: Channel::Email,
        fallbacks: Vec::new(),
        tone: Tone::Friendly,
        template: String::new(),
        fields: Vec::new(),
        requested_at: at,
        send_at: at,
        state,
        plugin_version: Some(1),
        experiment_arms: Vec::new(),
        created_at: at,
        message: None,
    }
}

/// What a replay of the real history left behind.
struct Replay {
    summary: Summary,
    /// Every event but plugin uploads (their sha256 differs by language).
    events: Vec<(Timestamp, EventKind)>,
    notices: Vec<Notice>,
}

/// Replays the bundled history with `policy` through `nudge demo`'s own
/// code, under the policy's tenant limits (but a wall-clock deadline of at
/// least 5 s), and reads back the store. The
/// shared runtime has compiled the plugin already (see [`loaded`]).
fn replay(policy: &PolicyUnderTest) -> Replay {
    loaded();
    let dir = tempfile::tempdir().unwrap();
    let l = policy.limits;
    let options = demo::Options {
        data_dir: dir.path().join("demo"),
        csv: None,
        plugin: policy.path.clone(),
        json: true,
        metrics: None,
        limits: LimitFlags {
            fuel: Some(l.fuel),
            // The deadline is wall-clock: on a loaded machine a stolen time
            // slice can pass 250 ms. This test compares decisions, so it
            // allows 5 s; fuel, memory and the rest are the policy's own.
            deadline_ms: Some(l.deadline_ms.max(5_000)),
            memory_bytes: Some(l.memory_bytes),
            table_elements: Some(l.table_elements),
            max_output_bytes: Some(l.max_output_bytes),
            log_bytes: Some(l.log_bytes),
            max_component_bytes: Some(l.max_component_bytes),
            core_instances: Some(l.core_instances),
            compile_timeout_ms: Some(l.compile_timeout_ms),
        },
    };
    let report = demo::run_with(&options, Some(runtime().clone()))
        .unwrap_or_else(|e| panic!("{}: nudge demo failed: {e:#}", policy.name));
    let store = nudge_store::Store::open(dir.path().join("demo/store")).unwrap();
    let tenant = TenantId::new(demo::TENANT).unwrap();
    let events = store
        .events(&tenant)
        .unwrap()
        .into_iter()
        .filter(|e: &Event| !matches!(e.kind, EventKind::PluginUploaded { .. }))
        .map(|e| (e.at, e.kind))
        .collect();
    let mut notices = store.notices(&tenant).unwrap();
    notices.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    Replay { summary: report.summary, events, notices }
}

/// The port named `name` replays the real history exactly as the Rust
/// policy does: the same summary, the same event log (every decision,
/// notice, send, suppression and escalation, at the same virtual times)
/// and the same notices.
fn assert_same_replay(name: &str) {
    static RUST: OnceLock<Replay> = OnceLock::new();
    let policies = policies_under_test();
    let reference = RUST.get_or_init(|| replay(&policies[0]));
    let port = policies.iter().find(|p| p.name == name).unwrap();
    let replayed = replay(port);

    let (want, got) = (&reference.summary, &replayed.summary);
    assert_eq!(got.incidents, 0, "{name}: {:?}", got.incidents_by_kind);
    assert!(want.notices_sent > 1_000 && want.decisions > 3_000, "{want:?}");
    let counts = |s: &Summary| -> BTreeMap<&str, String> {
        BTreeMap::from([
            ("notices_sent", s.notices_sent.to_string()),
            ("notices_by_step", format!("{:?}", s.notices_by_step)),
            ("notices_by_channel", format!("{:?}", s.notices_by_channel)),
            ("notices_by_tone", format!("{:?}", s.notices_by_tone)),
            ("notices_by_segment", format!("{:?}", s.notices_by_segment)),
            ("suppressed_by_payment", s.suppressed_by_payment.to_string()),
            ("suppressed_other", format!("{:?}", s.suppressed_other)),
            ("moved_out_of_quiet_hours", s.moved_out_of_quiet_hours.to_string()),
            ("escalated", s.escalated.to_string()),
            ("decisions", s.decisions.to_string()),
        ])
    };
    assert_eq!(counts(got), counts(want), "{name}: summary differs from the Rust policy's");

    let first_difference = reference.events.iter().zip(&replayed.events).position(|(a, b)| a != b);
    if let Some(i) = first_difference {
        panic!(
            "{name}: event {i} of the replay differs from the Rust policy's:\nrust:   {:?}\n{name}: {:?}",
            reference.events[i], replayed.events[i]
        );
    }
    assert_eq!(replayed.events.len(), reference.events.len(), "{name}: event count");
    assert_eq!(replayed.notices.len(), reference.notices.len(), "{name}: notice count");
    for (want, got) in reference.notices.iter().zip(&replayed.notices) {
        assert_eq!(got, want, "{name}: notice differs from the Rust policy's");
    }
}

/// A policy under test, compiled and loaded.
struct Loaded {
    policy: PolicyUnderTest,
    plugin: Plugin,
}

/// Every policy under test, loaded once per test process under its limits,
/// one after the other so that no two compiles race for the CPU (the
/// compile timeout is wall-clock time).
fn loaded() -> &'static [Loaded] {
    static LOADED: OnceLock<Vec<Loaded>> = OnceLock::new();
    LOADED.get_or_init(|| {
        let loaded: Vec<Loaded> = policies_under_test()
            .into_iter()
            .map(|policy| {
                let plugin = runtime()
                    .load_with(&policy.bytes, &policy.limits)
                    .unwrap_or_else(|e| panic!("{} does not load under its limits: {e}", policy.name));
                Loaded { policy, plugin }
            })
            .collect();
        prune_cache(&loaded);
        loaded
    })
}

/// Removes compiled plugins of components no longer under test from the
/// cache (40 MB each); their file names start with the component's sha256.
fn prune_cache(loaded: &[Loaded]) {
    let Ok(entries) = std::fs::read_dir(cache_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !loaded.iter().any(|l| name.starts_with(l.plugin.sha256())) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Where the tests keep compiled plugins between runs.
fn cache_dir() -> PathBuf {
    target_dir().join("polyglot/cache")
}

/// The runtime every test here shares, with the default host limits. It
/// keeps compiled plugins under the target directory, so the interpreters
/// (up to a minute of compiling each) are compiled once per change of
/// their components, not once per test or test run.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::with_artefact_cache(Limits::default(), &cache_dir()).unwrap())
}

/// Where the build script put the components.
struct Built {
    python: PathBuf,
    js: PathBuf,
}

/// Runs `plugins/polyglot-build.sh` once per test process (it returns at
/// once when the components are up to date) and returns their paths, or
/// why it failed and the command that reproduces it.
fn built() -> &'static Result<Built, String> {
    static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = workspace();
        let target = target_dir();
        let script = root.join("plugins/polyglot-build.sh");
        let command = format!("CARGO_TARGET_DIR={} bash {}", target.display(), script.display());
        let output = Command::new("bash")
            .arg(&script)
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&root)
            .output()
            .map_err(|e| format!("could not run the polyglot build ({e}); run `{command}` to see why"))?;
        if !output.status.success() {
            return Err(format!(
                "building the Python and JavaScript plugins failed ({}). They need python3 with venv, \
                 node >= 20.19 with npm, and access to PyPI and npm. Reproduce with:\n    {command}\n\
                 Its output:\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            ));
        }
        let built = Built {
            python: target.join("polyglot/python-standard.wasm"),
            js: target.join("polyglot/js-standard.wasm"),
        };
        for path in [&built.python, &built.js] {
            if !path.is_file() {
                return Err(format!("`{command}` succeeded but {} is missing", path.display()));
            }
        }
        Ok(built)
    })
}

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The cargo target directory this test binary was built in: the binary is
/// `<target>/<profile>/deps/<name>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}
