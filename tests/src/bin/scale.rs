//! The scale benchmark: INVOICES open invoices across TENANTS tenants,
//! synthesised from the distributions of the real accounts-receivable CSV
//! (amounts, payment terms, settlement delays, disputes, customers' time
//! zones and channels; fresh ids), through the real host: sled store with
//! its default durability, the standard policy under full sandboxing (fuel,
//! epoch deadline, pooled fresh instance per call), and a null sink.
//!
//! ```text
//! nudge-scale INVOICES [--tenants N] [--days N] [--dir DIR] [--json]
//! ```
//!
//! Phases, each timed: set-up (tenants, the plugin installed once per
//! tenant from the compiled-artefact cache, customers); import (every
//! invoice stored and decided on, as `PUT /v1/invoices` does); `decide`
//! throughput on one thread; then the run: DAYS days (default 45) of
//! virtual time from the import, with each synthetic payment recorded at its
//! time, everything due run as the live scheduler runs it, into a
//! `NullSink`. The run's clock jumps over idle time but runs with the wall
//! clock while the scheduler is busy, so a send that waits behind others is
//! late by exactly the time it waited: that is the lateness reported (per
//! message, completion minus due time). Peak RSS is `VmHWM`; the store's
//! size is sled's `size_on_disk` after a flush. BENCHMARKS.md ("Scale") has
//! figures and the machine.

use std::{
    collections::HashMap,
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use jiff::{SignedDuration, Timestamp, civil::Date};
use nudge_core::{
    Channel, Customer, CustomerId, Invoice, InvoiceId, InvoiceStatus, Money, NoticeId, NoticeState, Payment, PaymentId,
    Tenant, TenantId, TenantSettings,
};
use nudge_delivery::{Delivery, Message, NullSink, Sink};
use nudge_ingest::ar;
use nudge_runtime::{Limits, PluginLimits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig};
use nudge_store::Store;

/// The allocator of the `nudge` binary, so the host is measured as it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CSV: &[u8] = include_bytes!("../../../examples/data/accounts-receivable.csv");

type Error = Box<dyn std::error::Error>;

/// Invoices per customer in the real data, kept in the synthetic data.
const INVOICES_PER_CUSTOMER: usize = 25;

struct Options {
    invoices: usize,
    tenants: usize,
    days: i64,
    dir: Option<PathBuf>,
    json: bool,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options { invoices: 0, tenants: 1000, days: 45, dir: None, json: false };
    let number = |name: &str, v: Option<String>| -> Result<usize, String> {
        let v = v.ok_or(format!("{name} needs a value"))?;
        v.replace('_', "").parse().map_err(|_| format!("{name}: {v:?} is not a whole number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tenants" => options.tenants = number("--tenants", args.next())?,
            "--days" => options.days = number("--days", args.next())? as i64,
            "--dir" => options.dir = Some(args.next().ok_or("--dir needs a value")?.into()),
            "--json" => options.json = true,
            "-h" | "--help" => return Err(String::new()),
            other if options.invoices == 0 => options.invoices = number("INVOICES", Some(other.into()))?,
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    if options.invoices == 0 || options.tenants == 0 {
        return Err("INVOICES and --tenants must be at least 1".into());
    }
    options.tenants = options.tenants.min(options.invoices);
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("nudge-scale: {e}");
            }
            eprintln!("usage: nudge-scale INVOICES [--tenants N] [--days N] [--dir DIR] [--json]");
            return ExitCode::FAILURE;
        }
    };
    match run(&options) {
        Ok(report) => {
            if options.json {
                println!("{}", report.json());
            } else {
                print!("{}", report.text());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nudge-scale: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A small deterministic generator (xorshift64*), so every run synthesises the same data.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// One real invoice's shape: what a synthetic invoice copies.
struct Shape {
    amount_minor: i64,
    terms_days: i64,
    /// Days from the due date to full payment (negative: early).
    settle_after_due: i64,
    disputed: bool,
}

/// The synthetic data: tenants, customers, the real invoices' shapes, and
/// each invoice's payment (compact: the invoices themselves are made one at
/// a time, so the benchmark's own memory stays small beside the host's).
struct Synthetic {
    tenants: Vec<TenantId>,
    customers: Vec<Customer>,
    shapes: Vec<Shape>,
    today: Date,
    /// (received at, in seconds; invoice number; amount) by time.
    payments: Vec<(i64, u32, i64)>,
}

impl Synthetic {
    /// Invoice `i`: a random real shape, a customer, open at the start,
    /// issued within its terms so that due dates spread over the weeks after.
    /// Also when it is paid (as late as its real counterpart was; one that
    /// would have been paid before the start pays on a day of the run).
    fn invoice(&self, i: usize, days: i64) -> Result<(Invoice, Timestamp), Error> {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9)));
        let shape = &self.shapes[rng.below(self.shapes.len())];
        let customer = &self.customers[i % self.customers.len()];
        let back = rng.below(shape.terms_days.max(1) as usize + 1) as i64;
        let issued_on: Date = self.today.checked_sub(jiff::Span::new().days(back))?;
        let due_on = issued_on.checked_add(jiff::Span::new().days(shape.terms_days))?;
        let id = InvoiceId::new(format!("i{i:08}"))?;
        let mut paid_on = due_on.checked_add(jiff::Span::new().days(shape.settle_after_due))?;
        if paid_on <= self.today {
            paid_on = self.today.checked_add(jiff::Span::new().days(1 + rng.below(days as usize) as i64))?;
        }
        let paid_at = paid_on.at(rng.below(24) as i8, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC)?.timestamp();
        let invoice = Invoice {
            tenant: customer.tenant.clone(),
            customer: customer.id.clone(),
            number: format!("INV-{i:08}"),
            total: Money { amount_minor: shape.amount_minor, currency: "USD".into() },
            amount_remaining_minor: shape.amount_minor,
            issued_on,
            due_on,
            status: InvoiceStatus::Open,
            disputed: shape.disputed,
            payment_link: Some(format!("https://pay.nudge.invalid/{}/{id}", customer.tenant)),
            id,
            tags: Vec::new(),
            paid_at: None,
            next_evaluation: None,
            closed_reason: None,
        };
        Ok((invoice, paid_at))
    }

    /// The payment of invoice `i`.
    fn payment(&self, &(at, i, amount_minor): &(i64, u32, i64)) -> Result<Payment, Error> {
        let customer = &self.customers[i as usize % self.customers.len()];
        Ok(Payment {
            tenant: customer.tenant.clone(),
            id: PaymentId::new(format!("p{i:08}"))?,
            invoice: InvoiceId::new(format!("i{i:08}"))?,
            amount_minor,
            received_at: Timestamp::from_second(at)?,
        })
    }
}

fn synthesise(options: &Options, start: Timestamp) -> Result<Synthetic, Error> {
    let template = TenantId::new("template")?;
    let real = ar::read(CSV, &template)?;
    let shapes: Vec<Shape> = real
        .invoices
        .iter()
        .map(|h| Shape {
            amount_minor: h.invoice.total.amount_minor,
            terms_days: (h.invoice.due_on - h.invoice.issued_on).get_days() as i64,
            settle_after_due: (h.settled_on - h.invoice.due_on).get_days() as i64,
            disputed: h.invoice.disputed,
        })
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let tenants: Vec<TenantId> =
        (0..options.tenants).map(|t| TenantId::new(format!("t{t:04}"))).collect::<Result<_, _>>()?;
    let customer_count = (options.invoices / INVOICES_PER_CUSTOMER).max(options.tenants);
    let mut customers = Vec::with_capacity(customer_count);
    for c in 0..customer_count {
        let like = &real.customers[rng.below(real.customers.len())];
        let tenant = tenants[c % tenants.len()].clone();
        let id = CustomerId::new(format!("c{c:07}"))?;
        customers.push(Customer {
            tenant,
            email: Some(format!("{id}@customers.nudge.invalid")),
            phone: like.phone.as_ref().map(|_| format!("+1555{:07}", c % 10_000_000)),
            name: format!("Customer {id}"),
            id,
            ..like.clone()
        });
    }
    let mut synthetic = Synthetic {
        tenants,
        customers,
        shapes,
        today: start.to_zoned(jiff::tz::TimeZone::UTC).date(),
        payments: Vec::new(),
    };
    let horizon = start + SignedDuration::from_hours(24 * options.days);
    for i in 0..options.invoices {
        let (invoice, paid_at) = synthetic.invoice(i, options.days)?;
        if paid_at < horizon {
            synthetic.payments.push((paid_at.as_second(), i as u32, invoice.total.amount_minor));
        }
    }
    synthetic.payments.sort_unstable();
    Ok(synthetic)
}

/// Discards messages (a [`NullSink`]) and notes when each was handed over,
/// on the run's clock.
#[derive(Debug)]
struct TimingSink {
    /// The run's clock: (wall instant, virtual time) when the current batch started.
    clock: Mutex<(Instant, Timestamp)>,
    /// Each message's primary notice ([`key`]) and completion on the run's clock.
    done: Mutex<Vec<(u64, Timestamp)>>,
}

impl TimingSink {
    fn now(&self) -> Timestamp {
        let (wall, virtual_now) = *self.clock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        virtual_now + SignedDuration::try_from(wall.elapsed()).unwrap_or(SignedDuration::ZERO)
    }
}

impl Sink for TimingSink {
    fn deliver(&self, message: &Message) -> nudge_delivery::Result<Delivery> {
        let delivered = NullSink.deliver(message)?;
        let at = self.now();
        self.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((key(&message.notice), at));
        Ok(delivered)
    }

    fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> nudge_delivery::Result<Option<Channel>> {
        NullSink.delivered(tenant, notice)
    }
}

/// Everything measured.
struct Report {
    invoices: usize,
    tenants: usize,
    customers: usize,
    setup_s: f64,
    import_s: f64,
    decide_per_cpu_s: f64,
    decide_per_wall_s: f64,
    run_s: f64,
    notices_sent: usize,
    messages: usize,
    payments: usize,
    suppressed: usize,
    lateness_p50_ms: f64,
    lateness_p99_ms: f64,
    lateness_max_ms: f64,
    peak_rss_bytes: u64,
    store_bytes: u64,
    load_before: String,
    load_after: String,
}

impl Report {
    fn import_rate(&self) -> f64 {
        self.invoices as f64 / self.import_s
    }

    fn e2e_rate(&self) -> f64 {
        self.notices_sent as f64 / self.run_s
    }

    fn text(&self) -> String {
        format!(
            "invoices {}, tenants {}, customers {}\n\
             set-up {:.1} s\n\
             import: {:.1} s, {:.0} invoices/s (stored and decided on)\n\
             decide (standard policy, fresh sandboxed instance per call, one thread): {:.0} per CPU-second, {:.0}/s wall\n\
             run: {:.1} s, {} notices sent in {} messages, {:.0} notices/s end to end; {} payments, {} notices suppressed\n\
             lateness per message: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n\
             peak RSS {:.1} MiB; store on disk {:.1} MiB\n\
             load average before: {}; after: {}\n",
            self.invoices,
            self.tenants,
            self.customers,
            self.setup_s,
            self.import_s,
            self.import_rate(),
            self.decide_per_cpu_s,
            self.decide_per_wall_s,
            self.run_s,
            self.notices_sent,
            self.messages,
            self.e2e_rate(),
            self.payments,
            self.suppressed,
            self.lateness_p50_ms,
            self.lateness_p99_ms,
            self.lateness_max_ms,
            self.peak_rss_bytes as f64 / (1 << 20) as f64,
            self.store_bytes as f64 / (1 << 20) as f64,
            self.load_before,
            self.load_after,
        )
    }

    fn json(&self) -> String {
        format!(
            "{{\"invoices\":{},\"tenants\":{},\"customers\":{},\"setup_s\":{:.3},\"import_s\":{:.3},\
             \"import_per_s\":{:.1},\"decide_per_cpu_s\":{:.1},\"decide_per_wall_s\":{:.1},\"run_s\":{:.3},\
             \"notices_sent\":{},\"messages\":{},\"notices_per_s\":{:.1},\"payments\":{},\"suppressed\":{},\
             \"lateness_p50_ms\":{:.3},\"lateness_p99_ms\":{:.3},\"lateness_max_ms\":{:.3},\
             \"peak_rss_bytes\":{},\"store_bytes\":{},\"load_before\":\"{}\",\"load_after\":\"{}\"}}",
            self.invoices,
            self.tenants,
            self.customers,
            self.setup_s,
            self.import_s,
            self.import_rate(),
            self.decide_per_cpu_s,
            self.decide_per_wall_s,
            self.run_s,
            self.notices_sent,
            self.messages,
            self.e2e_rate(),
            self.payments,
            self.suppressed,
            self.lateness_p50_ms,
            self.lateness_p99_ms,
            self.lateness_max_ms,
            self.peak_rss_bytes,
            self.store_bytes,
            self.load_before,
            self.load_after,
        )
    }
}

/// A notice id as a number: its 16 hex digits (ids are derived from
/// tenant, invoice and step, so they are unique across tenants).
fn key(notice: &NoticeId) -> u64 {
    u64::from_str_radix(notice.as_str().trim_start_matches('n'), 16).unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Peak resident set size (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok()))
        })
        .map_or(0, |kb: u64| kb * 1024)
}

/// This thread's on-CPU time so far (`/proc/thread-self/schedstat`, ns).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn run(options: &Options) -> Result<Report, Error> {
    let load_before = load_average();
    let scratch = tempfile::tempdir()?;
    let dir = options.dir.clone().unwrap_or_else(|| scratch.path().to_path_buf());
    if dir.join("store").exists() {
        return Err(format!("{} already holds a store; give an empty --dir", dir.display()).into());
    }
    let start: Timestamp = "2024-06-03T00:00:00Z".parse()?;
    let data = synthesise(options, start)?;

    // Set-up: tenants, the standard policy (compiled once, then loaded from
    // the artefact cache), customers.
    let began = Instant::now();
    let store = Store::open(dir.join("store"))?;
    let runtime = Runtime::with_artefact_cache(Limits::default(), &dir.join("cache"))?;
    let sink = Arc::new(TimingSink { clock: Mutex::new((Instant::now(), start)), done: Mutex::new(Vec::new()) });
    let config = SchedulerConfig::new(dir.join("outbox")).with_sink(sink.clone());
    let scheduler = Scheduler::new(store, runtime, config);
    let created = start - SignedDuration::from_hours(24 * 400);
    for id in &data.tenants {
        let tenant = Tenant {
            id: id.clone(),
            name: format!("Tenant {id}"),
            settings: TenantSettings::default(),
            created_at: created,
        };
        scheduler.put_tenant(&tenant)?;
        scheduler.install_plugin(id, nudge_bundle::STANDARD_POLICY, created)?;
    }
    for customer in &data.customers {
        scheduler.upsert_customer(customer, created)?;
    }
    let setup_s = began.elapsed().as_secs_f64();
    eprintln!("nudge-scale: set-up done in {setup_s:.1} s; importing {} invoices", options.invoices);

    // Import: stored and decided on, as an API upload is.
    let began = Instant::now();
    for i in 0..options.invoices {
        let (invoice, _) = data.invoice(i, options.days)?;
        scheduler.upsert_invoice(&invoice, start)?;
    }
    let import_s = began.elapsed().as_secs_f64();
    eprintln!("nudge-scale: import done in {import_s:.1} s; peak RSS so far {} MiB", peak_rss() >> 20);

    // decide on one thread: the standard policy, fresh instance per call, default limits.
    let plugin = scheduler.runtime().load(nudge_bundle::STANDARD_POLICY)?;
    let contexts = nudge_runtime::fixtures::contexts();
    let limits = PluginLimits::default();
    let calls = 20_000;
    let (cpu0, wall0) = (thread_cpu(), Instant::now());
    for i in 0..calls {
        let outcome = plugin.decide_with(&contexts[i % contexts.len()].1, &limits);
        outcome.result.map_err(|e| format!("decide failed: {}", e.message))?;
    }
    let (cpu, wall) = (thread_cpu() - cpu0, wall0.elapsed());
    let decide_per_cpu_s = calls as f64 / cpu.as_secs_f64().max(1e-9);
    let decide_per_wall_s = calls as f64 / wall.as_secs_f64();
    eprintln!("nudge-scale: decide {decide_per_cpu_s:.0} per CPU-second; running {} days", options.days);

    // The run: payments at their times, everything due as it falls due.
    let end = start + SignedDuration::from_hours(24 * options.days);
    let mut payments = data.payments.iter().peekable();
    let mut clock = start;
    let mut busy = Duration::ZERO;
    loop {
        let next_due = scheduler.next_due()?;
        let next_payment = payments.peek().map(|p| Timestamp::from_second(p.0)).transpose()?;
        let next = match (next_due, next_payment) {
            (Some(d), Some(p)) => d.min(p),
            (Some(d), None) => d,
            (None, Some(p)) => p,
            (None, None) => break,
        };
        if next > end {
            break;
        }
        // Idle until the next thing happens: the clock jumps.
        clock = clock.max(next);
        let began = Instant::now();
        *sink.clock.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = (began, clock);
        while let Some(p) = payments.next_if(|p| p.0 <= clock.as_second()) {
            scheduler.record_payment(&data.payment(p)?)?;
        }
        scheduler.run_due(clock)?;
        let spent = began.elapsed();
        busy += spent;
        clock += SignedDuration::try_from(spent)?;
    }
    scheduler.store().flush()?;
    let run_s = busy.as_secs_f64();
    // Before the analysis below, which is the benchmark's, not the host's.
    let peak_rss_bytes = peak_rss();

    // Lateness per message: completion on the run's clock minus the notice's due time.
    let mut notices_sent = 0;
    let mut suppressed = 0;
    let mut due: HashMap<u64, Timestamp> = HashMap::new();
    for tenant in &data.tenants {
        for notice in scheduler.store().notices(tenant)? {
            match notice.state {
                NoticeState::Sent { .. } => {
                    notices_sent += 1;
                    due.insert(key(&notice.id), notice.send_at);
                }
                NoticeState::Suppressed { .. } => suppressed += 1,
                _ => {}
            }
        }
    }
    let done = std::mem::take(&mut *sink.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let mut lateness: Vec<f64> = done
        .iter()
        .filter_map(|(notice, at)| Some(at.duration_since(*due.get(notice)?).as_secs_f64() * 1000.0))
        .collect();
    lateness.sort_by(f64::total_cmp);
    let store_bytes = scheduler.store().size_on_disk()?;
    Ok(Report {
        invoices: options.invoices,
        tenants: data.tenants.len(),
        customers: data.customers.len(),
        setup_s,
        import_s,
        decide_per_cpu_s,
        decide_per_wall_s,
        run_s,
        notices_sent,
        messages: done.len(),
        payments: data.payments.len(),
        suppressed,
        lateness_p50_ms: percentile(&lateness, 50.0),
        lateness_p99_ms: percentile(&lateness, 99.0),
        lateness_max_ms: lateness.last().copied().unwrap_or(0.0),
        peak_rss_bytes,
        store_bytes,
        load_before,
        load_after: load_average(),
    })
}
